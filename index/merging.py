"""Keeping the number of segments small: each sync adds one, a size-tiered policy merges them.

As in Lucene's tiered merging, segments are grouped by size into tiers a factor of ``FACTOR``
apart; when a tier holds ``FACTOR`` segments they are merged into one of the next tier, so a
passage is rewritten about log(corpus / first segment) times in its life, and a search visits
at most about ``FACTOR`` segments per tier. A segment of which more than ``PURGE`` of the
passages were deleted is rewritten without them. Inputs are checked against their checksums
before they are copied, so damage is never carried into a new segment.
"""

from __future__ import annotations

import heapq
import logging
import math
import shutil
from collections.abc import Iterator, Mapping
from dataclasses import replace
from itertools import islice
from pathlib import Path

import numpy as np

from .generations import new_generation, new_segment, publish
from .manifest import Manifest, SegmentEntry, write_manifest
from .passage import Passage
from .pointer import SEGMENTS
from .progress import Progress
from .segment import Segment
from .writer import SegmentWriter

__all__ = [
    "EXACT_BUDGET",
    "FACTOR",
    "PURGE",
    "carried_segments",
    "merge_segments",
    "plan_merge",
]

log = logging.getLogger(__name__)

FACTOR = 10
# Segments below this many passages are one tier: merging tiny segments early is cheap.
FLOOR = 1000
PURGE = 0.3
# Passages that may sit in exactly searched segments at once: a query scans them all (about
# 1.2 ms per 10,000 on 2 cores), so beyond this they are merged into one, which is large
# enough to get an approximate index (see index.vectorindex.choose).
EXACT_BUDGET = 20_000
_BATCH = 1024


def carried_segments(old: Manifest | None, deleted: Mapping[str, list[int]]) -> list[SegmentEntry]:
    """The old generation's segments with ``deleted`` ids added to their deletions; a segment
    left with no live passage is dropped."""
    out: list[SegmentEntry] = []
    for entry in old.segments if old is not None else []:
        gone = deleted.get(entry.name)
        if gone:
            entry = replace(entry, deleted=sorted(set(entry.deleted).union(gone)))
        if entry.live > 0:
            out.append(entry)
    return out


def plan_merge(segments: list[SegmentEntry]) -> list[str]:
    """The names of the segments to merge next (empty: none is due)."""
    purge = [s for s in segments if s.rows and len(s.deleted) > PURGE * s.rows]
    exact = [s for s in segments if s.vector_index == "flat"]
    if len(exact) > 1 and sum(s.live for s in exact) > EXACT_BUDGET:
        return [s.name for s in exact]
    tiers: dict[int, list[SegmentEntry]] = {}
    for s in segments:
        tiers.setdefault(_tier(s.live), []).append(s)
    for tier in sorted(tiers):
        if len(tiers[tier]) >= FACTOR:
            return [s.name for s in sorted(tiers[tier], key=lambda s: s.live)[:FACTOR]]
    return [purge[0].name] if purge else []


def _tier(live: int) -> int:
    return 0 if live < FLOOR else 1 + int(math.log(live / FLOOR, FACTOR))


def merge_segments(
    index_dir: Path,
    manifest: Manifest,
    *,
    progress: Progress | None = None,
) -> Path | None:
    """Merge what the policy asks for in the published generation, whose manifest is
    ``manifest``, publishing a generation after each merge (call holding the write lock).
    Returns the last generation published, None when none was due."""
    published = None
    while True:
        names = plan_merge(manifest.segments)
        if not names:
            return published
        entry = _merge(index_dir, manifest, names, progress)
        kept = [s for s in manifest.segments if s.name not in names]
        segments = kept + ([entry] if entry.rows else [])
        folder = new_generation(index_dir)
        merged = replace(
            manifest,
            segments=segments,
            next_segment=max(manifest.next_segment, int(entry.name) + 1),
        )
        write_manifest(folder, merged)
        listed = {s.name for s in manifest.segments} | {s.name for s in segments}
        publish(index_dir, folder, segments=listed)
        published, manifest = folder, merged
        log.info("merged segments %s into %s (%d passages)", names, entry.name, entry.rows)


def _merge(
    index_dir: Path,
    manifest: Manifest,
    names: list[str],
    progress: Progress | None,
) -> SegmentEntry:
    entries = {s.name: s for s in manifest.segments}
    inputs = [
        Segment(index_dir / SEGMENTS / n, entries[n], manifest.dimension, verify=True).acquire()
        for n in names
    ]
    folder = new_segment(index_dir, manifest.next_segment)
    writer = SegmentWriter(folder, manifest.dimension)
    total = sum(entries[n].live for n in names)
    try:
        streams = [_live(seg, set(entries[seg.name].deleted)) for seg in inputs]
        merged = heapq.merge(*streams, key=lambda pair: pair[0].id)
        done = 0
        while batch := list(islice(merged, _BATCH)):
            writer.add([p for p, _ in batch], np.stack([v for _, v in batch]))
            done += len(batch)
            if progress:
                progress("merging", done, total)
        entry = writer.finish()
    except BaseException:
        writer.close()
        shutil.rmtree(folder, ignore_errors=True)
        raise
    finally:
        for seg in inputs:
            seg.release()
    writer.close()
    return entry


def _live(seg: Segment, deleted: set[int]) -> Iterator[tuple[Passage, np.ndarray]]:
    """The segment's live passages with their vectors, in id order (rows and raw vectors are
    both stored in id order, so the two streams line up)."""
    rows = seg.in_id_order()
    for ids, matrix in seg.chunks(_BATCH):
        for pid, vector in zip(ids.tolist(), matrix, strict=True):
            p = next(rows)
            if p.id != pid:
                raise AssertionError(f"segment {seg.name}: rows and vectors out of step at {pid}")
            if pid not in deleted:
                yield p, np.array(vector)
