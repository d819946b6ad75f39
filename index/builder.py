"""Building and syncing an index, top to bottom: scan the folder, plan against the current
generation, assemble a segment from the new content (embedding only what the index lacks),
publish the result atomically, then merge segments as the policy asks."""

from __future__ import annotations

import logging
import time
from contextlib import nullcontext
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from .assemble import Assembly, assemble_changes, segment_writer
from .config import IndexConfig
from .documents import walk_folder
from .encoders import Encoder, load_encoder, model_name
from .errors import IndexCorruptError
from .formats.registry import FormatRegistry
from .generations import collect_garbage, new_generation, publish, writing
from .manifest import FORMAT_VERSION, FileEntry, Manifest, SegmentEntry, write_manifest
from .merging import carried_segments, merge_segments
from .oserrors import os_errors
from .paragraphs import CHUNKER_VERSION
from .plan import RACY_NS, SyncPlan, plan_sync
from .previous import Previous, open_previous
from .progress import Progress
from .summary import BuildSummary, Report, skipped_report
from .version import __version__

__all__ = ["BuildSummary", "Progress", "build_index", "skipped_report"]

log = logging.getLogger(__name__)


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
    with os_errors(config.index_dir):  # a full disk or a missing permission: one line
        loader = _Loader(config, encoder)
        job = _Job(
            scan=_Scan(Path(docs).expanduser(), config.formats),
            config=config,
            loader=loader,
            report=Report(config.index_dir, loader.name, started),
            dry_run=dry_run,
            progress=progress,
        )
        # writing(): the lock, CURRENT repaired, unpublished work removed on failure
        with nullcontext() if dry_run else writing(config.index_dir) as repaired:
            synced = _sync(job, full=full, repair=repair)
            if synced.manifest is None:  # nothing published: up to date, or a dry run
                return replace(synced.summary, repaired=repaired or "")
            generation = _merge(job, synced, repair=repair)
    return replace(
        synced.summary,
        generation=generation,
        seconds=round(time.perf_counter() - started, 3),
        repaired=repaired or "",
    )


def _merge(job: _Job, synced: _Synced, *, repair: bool) -> str:
    """Merge segments as the policy asks, after ``synced`` published; the name of the
    generation published last. A merge that finds a damaged input (it checks every byte of
    what it merges) has a sync that checks every segment repair it instead."""
    index_dir, progress = job.config.index_dir, job.progress
    assert synced.manifest is not None
    try:
        merged = merge_segments(index_dir, synced.manifest, progress=progress)
    except IndexCorruptError as exc:
        if repair:
            raise
        log.warning("%s; repairing", exc)
        synced = _sync(job, full=False, repair=True)  # drops it, reads its files again
        merged = None
        if synced.manifest is not None:
            merged = merge_segments(index_dir, synced.manifest, progress=progress)
    return merged.name if merged is not None else synced.summary.generation


class _Scan:
    """The folder as found when the sync started; files changed after ``at_ns`` are re-read
    by the next sync."""

    def __init__(self, docs: Path, formats: FormatRegistry) -> None:
        self.at_ns = time.time_ns()
        self.root = str(docs.resolve())
        self.refs, self.skipped = walk_folder(docs, formats=formats)


@dataclass(frozen=True)
class _Job:
    """One call of :func:`build_index`: what it works on and how."""

    scan: _Scan
    config: IndexConfig
    loader: _Loader
    report: Report
    dry_run: bool
    progress: Progress | None


@dataclass(frozen=True)
class _Synced:
    """What one sync did: its summary and, when it published a generation, its manifest."""

    summary: BuildSummary
    manifest: Manifest | None = None


def _sync(job: _Job, *, full: bool, repair: bool) -> _Synced:
    """One sync under the write lock: plan, assemble, decide, publish."""
    index_dir = job.config.index_dir
    previous = Previous() if full else open_previous(index_dir, job.loader.name, verify=repair)
    try:
        plan = _plan(job, previous)
        if previous.manifest and plan.to_chunk and not job.loader.fits(previous.manifest):
            log.warning(
                "model %s changed shape since the index was built: re-embedding", job.loader.name
            )
            previous.close()  # its vectors do not fit the model: build from scratch
            plan = _plan(job, previous)
        out, segment = _assemble(job, plan, previous)
        plan = plan.with_skips(out.skipped)  # new files that turned out unreadable or empty
        if not _changed(job, plan, out, previous):
            return _Synced(_unchanged(job, plan, previous.manifest))
        if job.dry_run:
            kept = previous.snapshot.manifest.passages if previous.snapshot else 0
            passages = kept - sum(map(len, out.deleted.values())) + out.written
            return _Synced(
                job.report(plan, out.files, passages, out.embedded, out.removed, dry_run=True)
            )
        return _publish(job, plan, out, segment, previous)
    finally:
        previous.close()


def _plan(job: _Job, previous: Previous) -> SyncPlan:
    if previous.recut:
        log.warning(
            "docqa cuts files into passages differently since this index was built: reading "
            "every file again (only passages whose text changed are embedded)"
        )
    scan = job.scan
    return plan_sync(
        scan.refs, scan.skipped, previous.manifest, recut=previous.recut, progress=job.progress
    )


def _assemble(
    job: _Job, plan: SyncPlan, previous: Previous
) -> tuple[Assembly, SegmentEntry | None]:
    """The new files' passages written into a new segment (finished, not yet published), and
    the deletions; without new content no segment is made and no model loaded."""
    if not plan.to_chunk and not plan.reuse_from:
        return assemble_changes(plan, None, previous.data, job.loader.get, job.progress), None
    old = previous.manifest
    with segment_writer(
        job.config.index_dir,
        job.loader.dimension(old),
        next_segment=old.next_segment if old is not None else 1,
        dry_run=job.dry_run,
    ) as writer:
        out = assemble_changes(plan, writer, previous.data, job.loader.get, job.progress)
        segment = writer.finish() if writer.count and not job.dry_run else None
    return out, segment


def _changed(job: _Job, plan: SyncPlan, out: Assembly, previous: Previous) -> bool:
    """Whether this sync has a generation to publish: the one place that decides it.

    Yes when there is no index yet, when damaged segments were dropped, when new content was
    read, when the folder differs from the manifest (files, skips, stats or its path), or when
    recording this scan's time would let the next sync trust files it had to read again this
    time (see ``plan.RACY_NS``)."""
    old, scan = previous.manifest, job.scan
    if old is None or previous.damaged or out.files.keys() - plan.kept.keys():
        return True
    settled = any(mtime < scan.at_ns - RACY_NS for mtime in plan.settling)
    return (
        plan.files_changed_on_disk
        or settled
        or [s.record() for s in plan.skipped] != [s.record() for s in old.skipped]
        or scan.root != old.docs_root
    )


def _unchanged(job: _Job, plan: SyncPlan, old: Manifest | None) -> BuildSummary:
    """Nothing to write: the index already holds this folder."""
    assert old is not None  # without an index there is always something to write
    if not job.dry_run:
        collect_garbage(job.config.index_dir)
    return job.report(plan, old.files, old.passages, 0, 0, dry_run=job.dry_run)


def _publish(
    job: _Job, plan: SyncPlan, out: Assembly, segment: SegmentEntry | None, previous: Previous
) -> _Synced:
    """A new generation: the kept segments less the deletions, plus the new segment."""
    old, current = previous.manifest, previous.snapshot
    segments = carried_segments(current.manifest if current else None, out.deleted)
    segments += [segment] if segment is not None else []
    manifest = _manifest(job, old, plan, out.files, segments, out.next_id)
    generation = new_generation(job.config.index_dir)
    write_manifest(generation, manifest)
    listed = {s.name for m in (old, manifest) for s in m.segments} if old is not None else None
    publish(job.config.index_dir, generation, segments=listed)
    summary = job.report(
        plan, out.files, manifest.passages, out.embedded, out.removed, generation=generation.name
    )
    return _Synced(summary, manifest)


def _manifest(
    job: _Job,
    old: Manifest | None,
    plan: SyncPlan,
    files: dict[str, FileEntry],
    segments: list[SegmentEntry],
    next_id: int,
) -> Manifest:
    names = [int(s.name) for s in segments]
    loader, scan = job.loader, job.scan
    return Manifest(
        format_version=FORMAT_VERSION,
        model=loader.name,
        dimension=loader.dimension(old),
        max_tokens=loader.max_tokens(old),
        chunker_version=CHUNKER_VERSION,
        docs_root=scan.root,
        built_at=datetime.now(UTC).isoformat(timespec="seconds"),
        build_seconds=round(time.perf_counter() - job.report.started, 3),
        passages=sum(s.live for s in segments),
        next_id=next_id,
        files=dict(sorted(files.items())),
        skipped=list(plan.skipped),
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
