"""Checking an index against itself (manifest, passages, vectors) and against its folder."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .cutting import embed_input
from .documents import Document, FileRef, read_document, walk_folder
from .errors import DocqaError
from .formats.registry import BUILTIN_FORMATS, FormatRegistry
from .generations import current_generation
from .passage import Passage
from .store import IndexSnapshot
from .textstream import TextStream

__all__ = ["VerifyReport", "verify_index"]

# Stored vectors are unit length; anything further off than this was damaged.
_NORM_TOLERANCE = 1e-3


@dataclass(frozen=True)
class VerifyReport:
    """``problems``: the index disagrees with itself. ``added``/``changed``/``removed``: files
    that differ on disk from what was indexed (only when a documents folder was checked)."""

    index_dir: str
    generation: str
    passages: int
    files: int
    problems: list[str] = field(default_factory=list)
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    docs_checked: str | None = None

    @property
    def ok(self) -> bool:
        return not (self.problems or self.added or self.changed or self.removed)


def verify_index(
    index_dir: Path, *, docs: Path | None = None, formats: FormatRegistry = BUILTIN_FORMATS
) -> VerifyReport:
    """Check that manifest, metadata and vectors agree (counts, ids, hashes, unit vectors) and,
    with ``docs``, which files changed on disk and whether every cited span still holds
    (``formats``: the formats the index was built with)."""
    folder = current_generation(index_dir)
    try:
        snap = IndexSnapshot(folder, verify=True, tolerate=True)
    except DocqaError as exc:
        return VerifyReport(str(index_dir), folder.name, 0, 0, problems=[str(exc)])
    try:
        problems = list(snap.damaged.values()) + _internal_problems(snap)
        disk: dict[str, list[str]] = {"added": [], "changed": [], "removed": []}
        if docs is not None:
            problems += _disk_problems(snap, Path(docs), disk, formats)
        m = snap.manifest
        return VerifyReport(
            str(index_dir),
            folder.name,
            m.passages,
            len(m.files),
            problems,
            disk["added"],
            disk["changed"],
            disk["removed"],
            str(docs) if docs else None,
        )
    finally:
        snap.close()


def _internal_problems(snap: IndexSnapshot) -> list[str]:
    m = snap.manifest
    problems: list[str] = []
    passages = snap.all_passages()
    ids, vectors = snap.all_vectors()
    meta_ids = [p.id for p in passages]
    if len(set(ids.tolist())) != len(ids):
        problems.append("duplicate ids among the vectors")
    if set(ids.tolist()) != set(meta_ids):
        missing = len(set(meta_ids) - set(ids.tolist()))
        extra = len(set(ids.tolist()) - set(meta_ids))
        problems.append(
            f"ids differ: {missing} passages have no vector, {extra} vectors have no passage"
        )
    if any(i >= m.next_id for i in meta_ids):
        problems.append(f"passage ids reach past the manifest's next_id {m.next_id}")
    if (words := snap.lexical_count()) != len(passages):
        problems.append(f"the word index holds {words} passages, the metadata {len(passages)}")
    norms = np.linalg.norm(vectors, axis=1) if len(vectors) else np.zeros(0)
    bad = int(np.sum(np.abs(norms - 1.0) > _NORM_TOLERANCE))
    if bad:
        problems.append(f"{bad} vectors are not unit length")
    per_file = Counter(p.source for p in passages)
    for path, entry in m.files.items():
        if per_file.get(path, 0) != entry.passages:
            problems.append(
                f"{path}: manifest counts {entry.passages} passages, metadata has {per_file.get(path, 0)}"
            )
    for path in sorted(per_file.keys() - m.files.keys()):
        problems.append(f"{path}: has passages but is not in the manifest")
    for p in passages:
        indexed = m.files.get(p.source)
        title = (indexed.title or "") if indexed is not None else ""
        if p.content_hash not in _possible_hashes(p.heading_path, p.text, p.context, title):
            problems.append(f"{p.citation}: content hash does not match its text")
    return problems


def _possible_hashes(heading: tuple[str, ...], text: str, context: str, title: str) -> set[str]:
    """The text is embedded with its context, title and heading path, or without the heading
    (code, or a heading too long) or the title (too long)."""
    return {
        hashlib.sha256(embed_input(h, text, context, t).encode()).hexdigest()
        for h in (heading, ())
        for t in {title, ""}
    }


def _disk_problems(
    snap: IndexSnapshot, docs: Path, disk: dict[str, list[str]], formats: FormatRegistry
) -> list[str]:
    m = snap.manifest
    if str(docs.resolve()) != m.docs_root:
        return [f"{str(docs)!r} is not the folder this index was built from ({m.docs_root!r})"]
    refs, _ = walk_folder(docs, formats=formats)
    by_source: dict[str, list] = {}
    for p in snap.all_passages():
        by_source.setdefault(p.source, []).append(p)
    present = {r.path: r for r in refs}
    disk["removed"] = sorted(m.files.keys() - present.keys())
    skipped = {s.path for s in m.skipped}
    disk["added"] = sorted(p for p in present.keys() - m.files.keys() if p not in skipped)
    problems: list[str] = []
    for path in sorted(m.files.keys() & present.keys()):
        passages = sorted(by_source.get(path, []), key=lambda p: p.start)
        found = _span_problems(present[path], passages)
        if found is None or found[0] != m.files[path].sha256:
            disk["changed"].append(path)
            continue
        problems += found[1]
    return problems


def _span_problems(ref: FileRef, passages: list[Passage]) -> tuple[str, list[str]] | None:
    """The file's SHA-256 and the passages whose span does not hold their text (None when the
    file cannot be read). Streamed formats are read a window at a time, however large."""
    if ref.format is None or not ref.format.streamed:
        doc = read_document(ref)
        if not isinstance(doc, Document):
            return None
        return doc.sha256, [
            _span_problem(p) for p in passages if doc.text[p.start : p.end] != p.text
        ]
    stream = TextStream(ref.abspath, ref.format.syntax)
    bad: list[str] = []
    pending = iter(passages)
    p = next(pending, None)
    try:
        for window in stream:
            end = window.start + len(window.text)
            while p is not None and p.end <= end:
                a, b = p.start - window.start, p.end - window.start
                if a < 0 or window.text[a:b] != p.text:
                    bad.append(_span_problem(p))
                p = next(pending, None)
    except OSError:
        return None
    bad += [_span_problem(q) for q in ([p] if p is not None else []) + list(pending)]
    return stream.sha256, bad


def _span_problem(p: Passage) -> str:
    return f"{p.citation}: characters {p.start}-{p.end} of the file are not the passage text"
