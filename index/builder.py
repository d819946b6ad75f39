"""Building and syncing an index: plan against the current generation, cut passages from new
content, embed only what the index lacks, publish the result atomically."""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from . import __version__
from .chunking import CHUNKER_VERSION
from .config import IndexConfig
from .documents import Skipped, walk_folder
from .encoders import Encoder, load_encoder, model_name
from .errors import IndexCorruptError, IndexNotFoundError
from .extract import document_passages
from .generations import (
    collect_garbage,
    current_generation,
    new_generation,
    publish,
    write_lock,
)
from .manifest import FORMAT_VERSION, FileEntry, Manifest, read_manifest
from .passage import Passage
from .store import IndexSnapshot, check_sizes, link_generation, write_generation
from .summary import BuildSummary, Report, skipped_report
from .sync import RACY_NS, SyncPlan, plan_sync

__all__ = ["BuildSummary", "Progress", "build_index", "skipped_report"]

log = logging.getLogger(__name__)

# progress(stage, done, total): stage is "reading" or "embedding".
Progress = Callable[[str, int, int], None]

# Texts handed to the encoder per call: small enough for steady progress, large enough to batch well.
_EMBED_CHUNK = 256


def build_index(
    docs: Path,
    config: IndexConfig,
    *,
    encoder: Encoder | None = None,
    full: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> BuildSummary:
    """Bring the index at ``config.index_dir`` in step with the folder ``docs``.

    Unchanged files are not read; renamed and copied files reuse their passages; only content
    the index lacks is embedded. ``full=True`` re-reads and re-embeds everything; so does a
    change of model. The new state is published atomically; readers keep the old one until
    then. ``dry_run=True`` plans and counts without writing anything.
    """
    started = time.perf_counter()
    scan = _Scan(Path(docs).expanduser())
    loader = _Loader(config, encoder)
    with nullcontext() if dry_run else write_lock(config.index_dir):
        return _sync(
            scan,
            config,
            loader,
            Report(config.index_dir, loader.name, started),
            full,
            dry_run,
            progress,
        )


class _Scan:
    """The folder as found when the sync started; files changed after ``at_ns`` are re-read
    by the next sync."""

    def __init__(self, docs: Path) -> None:
        self.at_ns = time.time_ns()
        self.root = str(docs.resolve())
        self.refs, self.skipped = walk_folder(docs)


def _sync(
    scan: _Scan,
    config: IndexConfig,
    loader: _Loader,
    report: Report,
    full: bool,
    dry_run: bool,
    progress: Progress | None,
) -> BuildSummary:
    """One sync under the write lock; starts over with ``full=True`` when the old index
    turns out not to be reusable after all."""
    old = None if full else _reusable_manifest(config.index_dir, loader.name)
    plan = plan_sync(scan.refs, scan.skipped, old, progress=progress)
    if old is not None and not plan.to_chunk and not _needs_write(plan, old, scan):
        if not dry_run:
            collect_garbage(config.index_dir)
        return report(plan, old.files, old.passages, 0, 0, dry_run=dry_run)
    fresh = _chunk(plan, loader)
    if old is not None and not fresh and not _needs_write(plan, old, scan):
        if not dry_run:
            collect_garbage(config.index_dir)
        return report(plan, old.files, old.passages, 0, 0, dry_run=dry_run)
    if old is not None and loader.loaded and not loader.fits(old):
        log.warning("model %s changed shape since the index was built: re-embedding", loader.name)
        return _sync(scan, config, loader, report, True, dry_run, progress)
    previous = _open(config.index_dir) if old is not None else None
    if old is not None and previous is None:  # the manifest read, its data did not
        return _sync(scan, config, loader, report, True, dry_run, progress)
    try:
        old_passages = previous.all_passages() if previous is not None else []
        passages, new_texts = _assemble(plan, fresh, old_passages)
        old_ids = {p.content_hash: p.id for p in old_passages}
        to_embed = {h: t for h, t in new_texts.items() if h not in old_ids}
        removed = sum((_contents(old_passages) - _contents(passages)).values())
        if dry_run:
            files = _file_entries(plan, fresh, passages)
            return report(plan, files, len(passages), len(to_embed), removed, dry_run=True)
        vectors = _vectors(passages, to_embed, loader, previous, old_ids, progress)
        passages, next_id = _assign_ids(passages, old_passages, previous)
        folder = new_generation(config.index_dir)
        manifest = Manifest(
            format_version=FORMAT_VERSION,
            model=loader.name,
            dimension=loader.dimension(old),
            max_tokens=loader.max_tokens(old),
            chunker_version=CHUNKER_VERSION,
            docs_root=scan.root,
            built_at=datetime.now(UTC).isoformat(timespec="seconds"),
            build_seconds=round(time.perf_counter() - report.started, 3),
            passages=len(passages),
            next_id=next_id,
            files=_file_entries(plan, fresh, passages),
            skipped=[{"path": s.path, "reason": s.reason} for s in plan.skipped],
            docqa_version=__version__,
            scanned_at_ns=scan.at_ns,
        )
        if previous is not None and not to_embed and passages == old_passages:
            link_generation(folder, previous.folder, manifest)  # only file stats changed
        else:
            write_generation(folder, manifest, passages, vectors)
        publish(config.index_dir, folder)
    finally:
        if previous is not None:
            previous.close()
    return report(
        plan, manifest.files, len(passages), len(to_embed), removed, generation=folder.name
    )


class _Loader:
    """The encoder, loaded only when a file has to be cut into passages or text embedded."""

    def __init__(self, config: IndexConfig, encoder: Encoder | None) -> None:
        self._config, self._encoder = config, encoder
        self.name = encoder.name if encoder is not None else model_name(config.model)

    @property
    def loaded(self) -> bool:
        return self._encoder is not None

    def get(self) -> Encoder:
        if self._encoder is None:
            self._encoder = load_encoder(self._config.model, batch_size=self._config.batch_size)
        return self._encoder

    def fits(self, old: Manifest) -> bool:
        enc = self.get()
        return (enc.dimension, enc.max_tokens) == (old.dimension, old.max_tokens)

    def dimension(self, old: Manifest | None) -> int:
        return self.get().dimension if self.loaded or old is None else old.dimension

    def max_tokens(self, old: Manifest | None) -> int:
        return self.get().max_tokens if self.loaded or old is None else old.max_tokens


def _reusable_manifest(index_dir: Path, model: str) -> Manifest | None:
    """The current manifest when its passages and vectors can be reused with ``model``."""
    try:
        folder = current_generation(index_dir)
        old = read_manifest(folder)
        check_sizes(folder, old)
    except IndexNotFoundError:
        return None
    except IndexCorruptError as exc:
        log.warning("current index is unreadable, building from scratch: %s", exc)
        return None
    if (old.model, old.chunker_version) != (model, CHUNKER_VERSION):
        log.info("model or chunker changed (%s -> %s): re-embedding everything", old.model, model)
        return None
    return old


def _needs_write(plan: SyncPlan, old: Manifest, scan: _Scan) -> bool:
    """Whether the folder differs from the manifest, or recording this scan's time would let
    the next sync trust files it had to read again this time (see ``sync.RACY_NS``)."""
    skipped = [{"path": s.path, "reason": s.reason} for s in plan.skipped]
    settled = any(plan.kept[p].mtime_ns < scan.at_ns - RACY_NS for p in plan.confirmed)
    return (
        plan.files_changed_on_disk
        or settled
        or skipped != old.skipped
        or scan.root != old.docs_root
    )


def _open(index_dir: Path) -> IndexSnapshot | None:
    try:
        return IndexSnapshot(current_generation(index_dir))
    except IndexCorruptError as exc:
        log.warning("current index is unreadable, building from scratch: %s", exc)
        return None


def _chunk(plan: SyncPlan, loader: _Loader) -> dict[str, list[tuple[Passage, str]]]:
    """Passages (with the text to embed) of every file with new content."""
    fresh: dict[str, list[tuple[Passage, str]]] = {}
    for doc in plan.to_chunk:
        enc = loader.get()
        pairs = document_passages(doc, enc.count_tokens, enc.max_tokens)
        if pairs:
            fresh[doc.path] = pairs
            continue
        # Not indexed: reported as skipped, and not as added or changed, so the next sync,
        # finding the same skip, has nothing to do.
        plan.skipped.append(Skipped(doc.path, "no paragraphs (only headings or markup)"))
        if doc.path in plan.changed:
            plan.changed.remove(doc.path)
            plan.removed.append(doc.path)
        elif doc.path in plan.added:
            plan.added.remove(doc.path)
    plan.skipped.sort(key=lambda s: s.path)
    return fresh


def _assemble(
    plan: SyncPlan, fresh: dict[str, list[tuple[Passage, str]]], old_passages: Sequence[Passage]
) -> tuple[list[Passage], dict[str, str]]:
    """All passages of the new state in document order, and the texts of new content by hash."""
    old_by_source: dict[str, list[Passage]] = {}
    for p in old_passages:
        old_by_source.setdefault(p.source, []).append(p)
    passages: list[Passage] = []
    texts: dict[str, str] = {}
    for path in sorted(plan.kept.keys() | fresh.keys()):
        if path in fresh:
            for p, text in fresh[path]:
                passages.append(p)
                texts.setdefault(p.content_hash, text)
        else:
            source = plan.reuse_from.get(path, path)
            passages.extend(
                p if source == path else replace(p, source=path)
                for p in old_by_source.get(source, [])
            )
    return passages, texts


def _contents(passages: Sequence[Passage]) -> Counter[str]:
    """Passage contents with multiplicity: a renamed file's passages stay, an edited one leaves."""
    return Counter(p.content_hash for p in passages)


def _vectors(
    passages: Sequence[Passage],
    to_embed: dict[str, str],
    loader: _Loader,
    previous: IndexSnapshot | None,
    old_ids: dict[str, int],
    progress: Progress | None,
) -> np.ndarray:
    """One vector per passage: new content embedded once per distinct hash, the rest reused."""
    by_hash: dict[str, np.ndarray] = {}
    if previous is not None and old_ids:
        ids, matrix = previous.all_vectors()
        row = {int(i): n for n, i in enumerate(ids)}
        by_hash = {h: matrix[row[i]] for h, i in old_ids.items()}
    todo = list(to_embed.items())
    if progress and todo:
        progress("embedding", 0, len(todo))
    for lo in range(0, len(todo), _EMBED_CHUNK):
        chunk = todo[lo : lo + _EMBED_CHUNK]
        batch = loader.get().embed([t for _, t in chunk])
        by_hash.update(zip((h for h, _ in chunk), batch, strict=True))
        if progress:
            progress("embedding", lo + len(chunk), len(todo))
    dim = loader.dimension(previous.manifest if previous else None)
    out = np.zeros((len(passages), dim), dtype=np.float32)
    for n, p in enumerate(passages):
        out[n] = by_hash[p.content_hash]
    return out


def _assign_ids(
    passages: Sequence[Passage], old_passages: Sequence[Passage], previous: IndexSnapshot | None
) -> tuple[list[Passage], int]:
    """Stable ids: a passage keeps its id while its file and content stay; new ones count up."""
    free: dict[tuple[str, str], list[int]] = {}
    for p in old_passages:
        free.setdefault((p.source, p.content_hash), []).append(p.id)
    next_id = previous.manifest.next_id if previous is not None else 1
    out: list[Passage] = []
    for p in passages:
        ids = free.get((p.source, p.content_hash))
        if ids:
            out.append(p if p.id == ids[0] else replace(p, id=ids[0]))
            ids.pop(0)
        else:
            out.append(replace(p, id=next_id))
            next_id += 1
    return out, next_id


def _file_entries(
    plan: SyncPlan, fresh: dict[str, list[tuple[Passage, str]]], passages: Sequence[Passage]
) -> dict[str, FileEntry]:
    counts: dict[str, int] = {}
    for p in passages:
        counts[p.source] = counts.get(p.source, 0) + 1
    entries = {path: replace(e, passages=counts.get(path, 0)) for path, e in plan.kept.items()}
    for doc in plan.to_chunk:
        if doc.path in fresh:
            entries[doc.path] = FileEntry(
                doc.sha256,
                doc.size,
                doc.mtime_ns,
                counts.get(doc.path, 0),
                doc.format,
                doc.warning,
                doc.title,
            )
    return dict(sorted(entries.items()))
