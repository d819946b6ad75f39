"""Building and syncing an index: plan against the current generation, cut passages from new
content, embed only what the index lacks, publish the result atomically."""

from __future__ import annotations

import logging
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from . import __version__
from .assemble import assemble
from .chunking import CHUNKER_VERSION
from .config import IndexConfig
from .documents import Skipped, walk_folder
from .encoders import Encoder, load_encoder, model_name
from .errors import IndexCorruptError, IndexNotFoundError
from .generations import (
    collect_garbage,
    current_generation,
    new_generation,
    new_segment,
    publish,
    writing,
)
from .legacy import LegacyVectors
from .manifest import (
    FORMAT_VERSION,
    FileEntry,
    Manifest,
    SegmentEntry,
    read_manifest,
    write_manifest,
)
from .merging import carried_segments, merge_segments
from .oserrors import os_errors
from .store import IndexSnapshot
from .summary import BuildSummary, Report, skipped_report
from .sync import RACY_NS, SyncPlan, plan_sync, skip_record
from .writer import SegmentWriter

__all__ = ["BuildSummary", "Progress", "build_index", "skipped_report"]

log = logging.getLogger(__name__)

# progress(stage, done, total): "reading" counts files checked for changes, "embedding" the
# bytes of new or changed files cut into passages and embedded.
Progress = Callable[[str, int, int], None]


def build_index(
    docs: Path,
    config: IndexConfig,
    *,
    encoder: Encoder | None = None,
    full: bool = False,
    dry_run: bool = False,
    repair: bool = False,
    progress: Progress | None = None,
) -> BuildSummary:
    """Bring the index at ``config.index_dir`` in step with the folder ``docs``.

    Unchanged files are not read; renamed and copied files reuse their passages; only content
    the index lacks is embedded. ``full=True`` re-reads and re-embeds everything; so does a
    change of model. The new state is published atomically; readers keep the old one until
    then. ``dry_run=True`` plans and counts without writing anything. ``repair=True`` first
    checks every byte of every segment against its checksum; a damaged segment is dropped and
    the files it held are read and embedded again (a sync always does so for a segment it
    finds damaged on the way: missing or cut short, or failing its checksum before a merge).
    """
    started = time.perf_counter()
    with os_errors(config.index_dir):  # [errors] a full disk or a permission: one line
        job = _Job(
            _Scan(Path(docs).expanduser()),
            config,
            _Loader(config, encoder),
            dry_run,
            repair,
            progress,
        )
        job.report = Report(config.index_dir, job.loader.name, started)
        # [errors] writing(): the lock, CURRENT repaired, unpublished work removed on failure
        with nullcontext() if dry_run else writing(config.index_dir):
            return _sync(job, full)


@dataclass
class _Job:
    """One call of :func:`build_index`: what it works on and how."""

    scan: _Scan
    config: IndexConfig
    loader: _Loader
    dry_run: bool
    repair: bool
    progress: Progress | None
    report: Report = field(init=False)


class _Scan:
    """The folder as found when the sync started; files changed after ``at_ns`` are re-read
    by the next sync."""

    def __init__(self, docs: Path) -> None:
        self.at_ns = time.time_ns()
        self.root = str(docs.resolve())
        self.refs, self.skipped = walk_folder(docs)


def _sync(job: _Job, full: bool) -> BuildSummary:
    """One sync under the write lock; starts over with ``full=True`` when the old index
    turns out not to be reusable after all."""
    config, loader = job.config, job.loader
    old = None if full else _reusable_manifest(config.index_dir, loader.name)
    previous = _open(config.index_dir, old, job.repair) if old is not None else None
    if old is not None and previous is None:  # the manifest read, its data did not
        return _sync(job, True)
    try:
        if isinstance(previous, IndexSnapshot) and previous.damaged:
            log.warning(
                "index segments %s are damaged; reading the files they held again (%s)",
                ", ".join(previous.damaged),
                next(iter(previous.damaged.values())),
            )
            old = previous.manifest
        return _synced(job, old, previous)
    finally:
        if previous is not None:
            previous.close()


def _synced(
    job: _Job, old: Manifest | None, previous: IndexSnapshot | LegacyVectors | None
) -> BuildSummary:
    config, loader, scan, dry_run, report = (
        job.config,
        job.loader,
        job.scan,
        job.dry_run,
        job.report,
    )
    recut = old is not None and (
        old.chunker_version != CHUNKER_VERSION or old.format_version != FORMAT_VERSION
    )
    if recut:
        log.warning(
            "docqa cuts files into passages differently since this index was built: reading "
            "every file again (only passages whose text changed are embedded)"
        )
    plan = plan_sync(scan.refs, scan.skipped, old, recut=recut, progress=job.progress)
    current = previous if isinstance(previous, IndexSnapshot) else None
    repaired = current is not None and bool(current.damaged)
    if old is not None and not plan.to_chunk and not repaired and not _needs_write(plan, old, scan):
        return _unchanged(config, report, plan, old, dry_run)
    if old is not None and plan.to_chunk and not loader.fits(old):
        log.warning("model %s changed shape since the index was built: re-embedding", loader.name)
        return _sync(job, True)
    if current is not None and not repaired and _only_stats_changed(plan, current.manifest):
        return _restat(config, report, scan, loader, plan, current, dry_run)
    with _writer(config, loader, old, dry_run) as writer:
        out = assemble(plan, writer, previous, loader.get, job.progress)
        _record_skips(plan, out.skipped)
        nothing_new = not out.files.keys() - plan.kept.keys()  # new files were all unreadable
        if old is not None and nothing_new and not repaired and not _needs_write(plan, old, scan):
            return _unchanged(config, report, plan, old, dry_run)
        kept = current.manifest.passages if current is not None else 0
        passages = kept - sum(map(len, out.deleted.values())) + writer.count
        if dry_run:
            return report(plan, out.files, passages, out.embedded, out.removed, dry_run=True)
        entry = writer.finish() if writer.count else None
    segments = carried_segments(current.manifest if current else None, out.deleted)
    segments += [entry] if entry is not None else []
    manifest = _manifest(config, report, scan, loader, old, plan, out.files, segments, out.next_id)
    generation = new_generation(config.index_dir)
    write_manifest(generation, manifest)
    publish(config.index_dir, generation, segments=_listed(old, manifest))
    merged = _merge(job, manifest)
    return report(
        plan,
        out.files,
        manifest.passages,
        out.embedded,
        out.removed,
        generation=(merged or generation).name,
    )


def _merge(job: _Job, manifest: Manifest) -> Path | None:
    """Merge segments as the policy asks; a merge that finds a damaged input repairs it
    (by a sync that checks every segment) instead."""
    try:
        return merge_segments(job.config.index_dir, manifest, progress=job.progress)
    except IndexCorruptError as exc:
        if job.repair:
            raise
        log.warning("%s; repairing", exc)
        job.repair = True
        summary = _sync(job, False)
        return job.config.index_dir / "generations" / summary.generation


def _unchanged(
    config: IndexConfig, report: Report, plan: SyncPlan, old: Manifest, dry_run: bool
) -> BuildSummary:
    """Nothing to write: the index already holds this folder."""
    if not dry_run:
        collect_garbage(config.index_dir)
    return report(plan, old.files, old.passages, 0, 0, dry_run=dry_run)


def _only_stats_changed(plan: SyncPlan, old: Manifest) -> bool:
    """Every file has the content it had: only sizes, mtimes or skips differ."""
    return not plan.to_chunk and not plan.reuse_from and plan.kept.keys() == old.files.keys()


def _restat(
    config: IndexConfig,
    report: Report,
    scan: _Scan,
    loader: _Loader,
    plan: SyncPlan,
    previous: IndexSnapshot,
    dry_run: bool,
) -> BuildSummary:
    """A generation with the same segments and a manifest recording the new file stats."""
    old = previous.manifest
    files = dict(sorted(plan.kept.items()))
    if dry_run:
        return report(plan, files, old.passages, 0, 0, dry_run=True)
    manifest = _manifest(config, report, scan, loader, old, plan, files, old.segments, old.next_id)
    folder = new_generation(config.index_dir)
    write_manifest(folder, manifest)
    publish(config.index_dir, folder, segments=_listed(old, manifest))
    return report(plan, files, old.passages, 0, 0, generation=folder.name)


def _listed(old: Manifest | None, new: Manifest) -> set[str] | None:
    """The segments the previous and the new generation list; None when the previous one is
    not known (a full rebuild): publish then reads it."""
    if old is None:
        return None
    return {s.name for m in (old, new) for s in m.segments}


@contextmanager
def _writer(
    config: IndexConfig, loader: _Loader, old: Manifest | None, dry_run: bool
) -> Iterator[SegmentWriter]:
    """A writer into a new segment folder, or, for a dry run, into a scratch folder that
    is deleted afterwards (a dry run writes nothing to the index). A sync that fails removes
    its folder; one killed leaves it to the next sync's garbage collection."""
    if dry_run:
        with tempfile.TemporaryDirectory(prefix="docqa-dry-run-") as scratch:
            writer = SegmentWriter(Path(scratch), loader.dimension(old), vectors=False)
            try:
                yield writer
            finally:
                writer.close()
        return
    folder = new_segment(config.index_dir, old.next_segment if old is not None else 1)
    try:
        writer = SegmentWriter(folder, loader.dimension(old))
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    try:
        yield writer
    except BaseException:
        writer.close()
        shutil.rmtree(folder, ignore_errors=True)
        raise
    writer.close()
    if not writer.count:
        shutil.rmtree(folder, ignore_errors=True)  # only deletions: no segment to list


def _manifest(
    config: IndexConfig,
    report: Report,
    scan: _Scan,
    loader: _Loader,
    old: Manifest | None,
    plan: SyncPlan,
    files: dict[str, FileEntry],
    segments: list[SegmentEntry],
    next_id: int,
) -> Manifest:
    names = [int(s.name) for s in segments]
    return Manifest(
        format_version=FORMAT_VERSION,
        model=loader.name,
        dimension=loader.dimension(old),
        max_tokens=loader.max_tokens(old),
        chunker_version=CHUNKER_VERSION,
        docs_root=scan.root,
        built_at=datetime.now(UTC).isoformat(timespec="seconds"),
        build_seconds=round(time.perf_counter() - report.started, 3),
        passages=sum(s.live for s in segments),
        next_id=next_id,
        files=dict(sorted(files.items())),
        skipped=[skip_record(s) for s in plan.skipped],
        docqa_version=__version__,
        scanned_at_ns=scan.at_ns,
        segments=segments,
        next_segment=max([*names, (old.next_segment - 1) if old is not None else 0]) + 1,
        encoder_backend=loader.backend(old),
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
            config = self._config
            self._encoder = load_encoder(
                config.model, batch_size=config.batch_size, backend=config.backend
            )
        return self._encoder

    def backend(self, old: Manifest | None) -> str:
        if self._encoder is None:
            return old.encoder_backend if old is not None else ""
        return str(getattr(self._encoder, "backend", ""))

    def fits(self, old: Manifest) -> bool:
        enc = self.get()
        return (enc.dimension, enc.max_tokens) == (old.dimension, old.max_tokens)

    def dimension(self, old: Manifest | None) -> int:
        return self.get().dimension if self.loaded or old is None else old.dimension

    def max_tokens(self, old: Manifest | None) -> int:
        return self.get().max_tokens if self.loaded or old is None else old.max_tokens


def _reusable_manifest(index_dir: Path, model: str) -> Manifest | None:
    """The current manifest when its vectors can be reused with ``model`` (its passages too,
    unless it was cut by another chunker version or format: see ``plan_sync(recut=True)``)."""
    try:
        old = read_manifest(current_generation(index_dir))
    except IndexNotFoundError:
        return None
    except IndexCorruptError as exc:
        log.warning("current index is unreadable, building from scratch: %s", exc)
        return None
    if old.model != model:
        log.info("model changed (%s -> %s): re-embedding everything", old.model, model)
        return None
    return old


def _needs_write(plan: SyncPlan, old: Manifest, scan: _Scan) -> bool:
    """Whether the folder differs from the manifest, or recording this scan's time would let
    the next sync trust files it had to read again this time (see ``sync.RACY_NS``)."""
    skipped = [skip_record(s) for s in plan.skipped]
    settled = any(mtime < scan.at_ns - RACY_NS for mtime in plan.settling)
    return (
        plan.files_changed_on_disk
        or settled
        or skipped != old.skipped
        or scan.root != old.docs_root
    )


def _open(
    index_dir: Path, manifest: Manifest, verify: bool
) -> IndexSnapshot | LegacyVectors | None:
    """The current generation, whose ``manifest`` was read (its damaged segments set apart,
    every byte checked with ``verify``), or the vectors of an old-format one (to upgrade it);
    None when it cannot be read at all."""
    folder = current_generation(index_dir)
    try:
        if manifest.format_version != FORMAT_VERSION:
            return LegacyVectors(folder)
        return IndexSnapshot(folder, verify=verify, tolerate=True, manifest=manifest)
    except IndexCorruptError as exc:
        log.warning("current index is unreadable, building from scratch: %s", exc)
        return None


def _record_skips(plan: SyncPlan, skipped: list[Skipped]) -> None:
    """Files that turned out unreadable or empty are reported as skipped, and not as added or
    changed, so the next sync, finding the same skip, has nothing to do."""
    for skip in skipped:
        plan.skipped.append(skip)
        if skip.path in plan.changed:
            plan.changed.remove(skip.path)
            plan.removed.append(skip.path)
        elif skip.path in plan.added:
            plan.added.remove(skip.path)
    plan.skipped.sort(key=lambda s: s.path)
