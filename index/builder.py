"""Building an index: walk the folder, cut passages, embed what is new, publish atomically."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from . import __version__
from .chunking import CHUNKER_VERSION
from .config import IndexConfig
from .documents import Document, FileRef, Skipped, read_document, walk_folder
from .encoders import Encoder, load_encoder
from .errors import IndexCorruptError, IndexNotFoundError
from .extract import document_passages
from .generations import new_generation, publish, write_lock
from .manifest import FORMAT_VERSION, FileEntry, Manifest
from .passage import Passage
from .store import IndexSnapshot, open_snapshot, write_generation

__all__ = ["BuildSummary", "Progress", "build_index"]

log = logging.getLogger(__name__)

# progress(stage, done, total): stage is "reading" or "embedding".
Progress = Callable[[str, int, int], None]

# A file modified this close to (or after) the previous scan may have changed again within the
# same mtime tick, so size and mtime alone do not prove it unchanged: it is read again ("racy
# clean", as git calls it). 2 s covers coarse file-system clocks.
_RACY_NS = 2_000_000_000

# Texts handed to the encoder per call: small enough for steady progress, large enough to batch well.
_EMBED_CHUNK = 256


@dataclass(frozen=True)
class BuildSummary:
    """What a build did. ``embedded`` is the exact number of passages sent to the model."""

    files_indexed: int
    files_skipped: list[dict[str, str]]
    passages: int
    embedded: int
    seconds: float
    files_degraded: list[dict[str, str]] = field(default_factory=list)
    reused: int = 0
    index_dir: str = ""
    generation: str = ""
    model: str = ""


def build_index(
    docs: Path,
    config: IndexConfig,
    *,
    encoder: Encoder | None = None,
    full: bool = False,
    progress: Progress | None = None,
) -> BuildSummary:
    """Index the folder ``docs`` into ``config.index_dir`` and publish it as the current generation.

    Vectors of passages whose content is already in the current index (same model) are reused,
    so only new or changed text is embedded; ``full=True`` re-embeds everything. Readers keep
    the old index until the new one is complete.
    """
    started = time.perf_counter()
    scanned_at_ns = time.time_ns()
    docs = Path(docs).expanduser()
    refs, skipped = walk_folder(docs)
    encoder = encoder or load_encoder(config.model, batch_size=config.batch_size)
    with write_lock(config.index_dir):
        previous = None if full else _open_previous(config.index_dir, encoder)
        try:
            old = _Previous.of(previous)
            found = _collect(refs, encoder, old, progress)
            skipped = sorted(skipped + found.skipped, key=lambda s: s.path)
            vectors, embedded = _vectors(found, encoder, previous, old, progress)
            passages, next_id = _assign_ids(found.passages, old)
            folder = new_generation(config.index_dir)
            manifest = Manifest(
                format_version=FORMAT_VERSION,
                model=encoder.name,
                dimension=encoder.dimension,
                max_tokens=encoder.max_tokens,
                chunker_version=CHUNKER_VERSION,
                docs_root=str(docs.resolve()),
                built_at=datetime.now(UTC).isoformat(timespec="seconds"),
                build_seconds=round(time.perf_counter() - started, 3),
                passages=len(passages),
                next_id=max(next_id, old.next_id),
                files=_file_entries(found, passages),
                scanned_at_ns=scanned_at_ns,
                skipped=[{"path": s.path, "reason": s.reason} for s in skipped],
                docqa_version=__version__,
            )
            write_generation(folder, manifest, passages, vectors)
            publish(config.index_dir, folder)
        finally:
            if previous is not None:
                previous.close()
    return BuildSummary(
        files_indexed=len(manifest.files),
        files_skipped=manifest.skipped,
        passages=len(passages),
        embedded=embedded,
        seconds=round(time.perf_counter() - started, 3),
        files_degraded=[
            {"path": k, "reason": e.warning} for k, e in manifest.files.items() if e.warning
        ],
        reused=len(passages) - embedded,
        index_dir=str(config.index_dir),
        generation=folder.name,
        model=encoder.name,
    )


@dataclass
class _Previous:
    """What the build reuses of the current generation."""

    files: dict[str, FileEntry] = field(default_factory=dict)
    by_source: dict[str, list[Passage]] = field(default_factory=dict)
    next_id: int = 1
    scanned_at_ns: int = 0

    @classmethod
    def of(cls, snap: IndexSnapshot | None) -> _Previous:
        if snap is None:
            return cls()
        by_source: dict[str, list[Passage]] = {}
        for p in snap.all_passages():
            by_source.setdefault(p.source, []).append(p)
        m = snap.manifest
        return cls(dict(m.files), by_source, m.next_id, m.scanned_at_ns)

    def unchanged(self, ref: FileRef) -> FileEntry | None:
        """The entry of a file that has provably not changed since the last scan, else None."""
        entry = self.files.get(ref.path)
        if entry is None or (entry.size, entry.mtime_ns) != (ref.size, ref.mtime_ns):
            return None
        return entry if entry.mtime_ns < self.scanned_at_ns - _RACY_NS else None


@dataclass
class _Found:
    """The passages of this build and where they came from."""

    documents: list[Document] = field(default_factory=list)
    reused_files: dict[str, FileEntry] = field(default_factory=dict)
    passages: list[Passage] = field(default_factory=list)
    to_embed: dict[str, str] = field(default_factory=dict)  # content hash -> text for the model
    skipped: list[Skipped] = field(default_factory=list)


def _open_previous(index_dir: Path, encoder: Encoder) -> IndexSnapshot | None:
    """The current generation when its vectors can be reused by ``encoder``, else None."""
    try:
        snap = open_snapshot(index_dir)
    except IndexNotFoundError:
        return None
    except IndexCorruptError as exc:
        log.warning("current index is unreadable, building from scratch: %s", exc)
        return None
    m = snap.manifest
    if (m.model, m.dimension, m.max_tokens, m.chunker_version) == (
        encoder.name,
        encoder.dimension,
        encoder.max_tokens,
        CHUNKER_VERSION,
    ):
        return snap
    log.info("model or chunker changed (%s -> %s): re-embedding everything", m.model, encoder.name)
    snap.close()
    return None


def _collect(
    refs: Sequence[FileRef], encoder: Encoder, old: _Previous, progress: Progress | None
) -> _Found:
    """Passages of every readable file; unchanged files (same size and mtime) are not read again."""
    found = _Found()
    if progress:
        progress("reading", 0, len(refs))
    for done, ref in enumerate(refs, start=1):
        entry = old.unchanged(ref)
        if entry is not None:
            found.reused_files[ref.path] = entry
            found.passages.extend(old.by_source.get(ref.path, []))
        else:
            doc = read_document(ref)
            if isinstance(doc, Skipped):
                found.skipped.append(doc)
            elif pairs := document_passages(doc, encoder.count_tokens, encoder.max_tokens):
                found.documents.append(doc)
                for passage, text in pairs:
                    found.passages.append(passage)
                    found.to_embed.setdefault(passage.content_hash, text)
            else:
                found.skipped.append(Skipped(ref.path, "no paragraphs (only headings or markup)"))
        if progress:
            progress("reading", done, len(refs))
    return found


def _vectors(
    found: _Found,
    encoder: Encoder,
    previous: IndexSnapshot | None,
    old: _Previous,
    progress: Progress | None,
) -> tuple[np.ndarray, int]:
    """One vector per passage. Each distinct content is embedded at most once, and not at all
    when the previous generation has it. Returns (vectors, number of texts embedded)."""
    known = {p.content_hash: p.id for ps in old.by_source.values() for p in ps}
    by_hash: dict[str, np.ndarray] = {}
    reuse = sorted({p.content_hash for p in found.passages} & known.keys())
    if reuse and previous is not None:
        by_hash.update(zip(reuse, previous.vectors([known[h] for h in reuse]), strict=True))
    todo = [(h, t) for h, t in found.to_embed.items() if h not in by_hash]
    if progress and todo:
        progress("embedding", 0, len(todo))
    for lo in range(0, len(todo), _EMBED_CHUNK):
        chunk = todo[lo : lo + _EMBED_CHUNK]
        batch = encoder.embed([t for _, t in chunk])
        by_hash.update(zip((h for h, _ in chunk), batch, strict=True))
        if progress:
            progress("embedding", lo + len(chunk), len(todo))
    out = np.zeros((len(found.passages), encoder.dimension), dtype=np.float32)
    for row, p in enumerate(found.passages):
        out[row] = by_hash[p.content_hash]
    return out, len(todo)


def _assign_ids(passages: Sequence[Passage], old: _Previous) -> tuple[list[Passage], int]:
    """Stable ids: a passage keeps its id while its file and content stay; new ones count up."""
    free: dict[tuple[str, str], list[int]] = {}
    for ps in old.by_source.values():
        for p in ps:
            free.setdefault((p.source, p.content_hash), []).append(p.id)
    next_id = old.next_id
    out: list[Passage] = []
    for p in passages:
        ids = free.get((p.source, p.content_hash))
        if ids:
            out.append(replace(p, id=ids.pop(0)))
        else:
            out.append(replace(p, id=next_id))
            next_id += 1
    return out, next_id


def _file_entries(found: _Found, passages: Sequence[Passage]) -> dict[str, FileEntry]:
    counts: dict[str, int] = {}
    for p in passages:
        counts[p.source] = counts.get(p.source, 0) + 1
    entries = dict(found.reused_files)
    for d in found.documents:
        entries[d.path] = FileEntry(
            d.sha256, d.size, d.mtime_ns, counts.get(d.path, 0), d.format, d.warning
        )
    return dict(sorted(entries.items()))
