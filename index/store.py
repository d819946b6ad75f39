"""A published generation as one read-only index: its segments searched together, less the
passages deleted from them since they were written.

Dense search asks every segment's vector index (:mod:`index.densesearch`) and keeps the best;
the word search (:mod:`index.wordsearch`) scores every segment's matches with BM25 statistics
summed over all segments (as Lucene does), so a passage scores the same whichever segment
holds it.
"""

from __future__ import annotations

import heapq
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from . import lexical, wordsearch
from .densesearch import DenseSearch
from .errors import IndexCorruptError, IndexFormatError
from .generations import current_generation
from .idarrays import member
from .manifest import FORMAT_VERSION, Manifest, SegmentEntry, read_manifest
from .passage import Passage
from .pointer import SEGMENTS
from .segment import Segment
from .subset import Subset

__all__ = ["IndexSnapshot", "open_snapshot"]

_ORDER = lambda p: (p.source, p.paragraph, p.part)  # noqa: E731 - document order


class IndexSnapshot:
    """A read-only view of one published generation: its segments, deletions and manifest.

    Safe to share between threads. Open with :func:`open_snapshot`; ``reuse`` hands over the
    segments of a snapshot already open, so opening the next generation opens only new segments.
    """

    def __init__(
        self,
        folder: Path,
        *,
        reuse: Mapping[str, Segment] | None = None,
        verify: bool = False,
        tolerate: bool = False,
        manifest: Manifest | None = None,
    ) -> None:
        self.folder = folder
        # ``manifest``: the folder's, already read (a large index's takes a while to parse).
        self.manifest: Manifest = manifest if manifest is not None else read_manifest(folder)
        if self.manifest.format_version != FORMAT_VERSION:
            index_dir = folder.parent.parent
            raise IndexFormatError(
                f"index {str(index_dir)!r} was built by an older docqa (format "
                f"{self.manifest.format_version}); upgrade it with docqa index "
                f"{self.manifest.docs_root} --index {index_dir} (its vectors are reused)"
            )
        self.segments: list[Segment] = []
        # Segments that could not be opened (with ``tolerate``): name -> what is wrong.
        self.damaged: dict[str, str] = {}
        try:
            self._open_segments(reuse or {}, verify=verify, tolerate=tolerate)
        except BaseException:
            self.close()
            raise
        self.entries: dict[str, SegmentEntry] = {
            e.name: e for e in self.manifest.segments if e.name not in self.damaged
        }
        self._deleted = {
            e.name: np.asarray(e.deleted, dtype=np.int64) for e in self.entries.values()
        }
        live = sum(e.live for e in self.entries.values())
        if self.damaged:
            self.manifest = self._without_damage()
        elif live != self.manifest.passages:
            self.close()
            raise IndexCorruptError(
                f"index generation {str(folder)!r} is inconsistent: its segments hold {live} "
                f"passages, its manifest says {self.manifest.passages}; run docqa index to repair it"
            )
        self._dense = DenseSearch(self._deleted)

    def _open_segments(self, reuse: Mapping[str, Segment], *, verify: bool, tolerate: bool) -> None:
        """Open the manifest's segments (reusing those of ``reuse`` unchanged since); with
        ``tolerate``, one that cannot be opened is set apart in ``damaged``."""
        root = self.folder.parent.parent / SEGMENTS
        for entry in self.manifest.segments:
            seg = reuse.get(entry.name)
            if seg is None or seg.entry.checksums != entry.checksums:
                try:
                    seg = Segment(root / entry.name, entry, self.manifest.dimension, verify=verify)
                except IndexCorruptError as exc:
                    if not tolerate:
                        raise
                    self.damaged[entry.name] = str(exc)
                    continue
            self.segments.append(seg.acquire())

    def _without_damage(self) -> Manifest:
        """The manifest of what survives: the healthy segments, and only the files all of
        whose passages they hold (a sync reads the others again)."""
        counts: dict[str, int] = {}
        for seg in self.segments:
            gone = set(self._deleted[seg.name].tolist())
            for source, pid in seg.sources_and_ids():
                if pid not in gone:
                    counts[source] = counts.get(source, 0) + 1
        files = {
            path: entry
            for path, entry in self.manifest.files.items()
            if counts.get(path) == entry.passages
        }
        segments = list(self.entries.values())
        return replace(
            self.manifest,
            files=files,
            segments=segments,
            passages=sum(e.live for e in segments),
        )

    @property
    def generation(self) -> str:
        return self.folder.name

    def __len__(self) -> int:
        return int(self.manifest.passages)

    def by_name(self) -> dict[str, Segment]:
        """The open segments by name (to hand to the next snapshot as ``reuse``)."""
        return {seg.name: seg for seg in self.segments}

    def resident_bytes(self) -> int:
        """Memory the query path holds: vector indexes, id arrays and deletions."""
        return sum(
            seg.index.resident_bytes() + seg.ids.nbytes + self._deleted[seg.name].nbytes
            for seg in self.segments
        )

    # dense

    def search(
        self, query: np.ndarray, k: int, *, within: Subset | None = None, exact: bool = False
    ) -> list[tuple[int, float]]:
        """The ``k`` nearest passage ids to one query vector, best first, with inner-product
        scores; only ids ``within`` the subset when one is given. ``exact`` searches by brute
        force whatever index the segments have (to measure an approximate one)."""
        k = min(k, len(self) if within is None else len(within))
        if k <= 0:
            return []
        q = np.ascontiguousarray(query, dtype=np.float32).reshape(-1)
        return self._dense.search(self._live_segments(), q, k, within, exact)

    # words

    def lexical_search(
        self, question: str, n: int, *, within: Subset | None = None
    ) -> list[lexical.LexicalHit]:
        """The ``n`` passages whose words best match the question's (BM25), best first; only
        passages ``within`` the subset when one is given (see :mod:`index.wordsearch`)."""
        parts = [(seg, self._deleted[seg.name]) for seg in self._live_segments()]
        return wordsearch.search(parts, question, n, within)

    def lexical_count(self) -> int:
        """Passages a word search may return."""
        return sum(seg.lexical_rows - len(self._deleted[seg.name]) for seg in self.segments)

    # rows

    def passages(self, ids: Iterable[int]) -> dict[int, Passage]:
        """Passages by id; ids not in this generation are absent from the result."""
        out: dict[int, Passage] = {}
        for seg, own in self._split(ids):
            out.update(seg.passages(own))
        return out

    def texts(self, ids: Iterable[int]) -> dict[int, tuple[str, str]]:
        """``(source, text)`` by id: cheaper than :meth:`passages` for many ids."""
        out: dict[int, tuple[str, str]] = {}
        for seg, own in self._split(ids):
            out.update(seg.texts(own))
        return out

    def subset(self, sources: Iterable[str], *, excluded: bool = False) -> Subset:
        """The passages of the files ``sources`` (paths as in :attr:`Passage.source`); with
        ``excluded``, every passage but those."""
        return Subset(self.live_ids_of(sources), excluded=excluded, total=len(self))

    def live_ids_of(self, sources: Iterable[str]) -> list[int]:
        """The ids of the passages of the files ``sources`` in this generation."""
        return [pid for ids in self.deleted_ids(sources).values() for pid in ids]

    def deleted_ids(self, sources: Iterable[str]) -> dict[str, list[int]]:
        """The ids of the passages of ``sources`` by segment: what deleting those files deletes."""
        names = json.dumps(list(sources))
        out: dict[str, list[int]] = {}
        for seg in self._live_segments():
            found = np.asarray(seg.ids_of_sources(names), dtype=np.int64)
            found = found[~np.isin(found, self._deleted[seg.name])]
            if len(found):
                out[seg.name] = found.tolist()
        return out

    def hashes(self, by_segment: Mapping[str, list[int]]) -> list[str]:
        """Content hashes of the given ids of each segment."""
        segs = self.by_name()
        return [h for name, ids in by_segment.items() for h in segs[name].hashes(ids)]

    def all_passages(self) -> list[Passage]:
        """Every passage, in document order."""
        return list(self._ordered())

    def source_passages(self, source: str) -> list[Passage]:
        """The passages of one file, in order."""
        return list(self._ordered("WHERE source = ?", (source,)))

    def ids_by_hash(self, hashes: Iterable[str]) -> dict[str, int]:
        """An id of a passage with each content hash that a segment holds (its vector is that
        content's, deleted or not)."""
        todo = list(dict.fromkeys(hashes))
        found: dict[str, int] = {}
        for seg in self.segments:
            if not todo:
                break
            found.update(seg.ids_by_hash(todo))
            todo = [h for h in todo if h not in found]
        return found

    def vectors(self, ids: Sequence[int]) -> np.ndarray:
        """The stored vectors of ``ids`` (deleted passages' too), one row each."""
        wanted = np.asarray(list(ids), dtype=np.int64)
        out = np.zeros((len(wanted), self.manifest.dimension), dtype=np.float32)
        for seg in self.segments:
            mask = seg.holds(wanted)
            if mask.any():
                out[mask] = seg.vectors(wanted[mask].tolist())
        return out

    def all_vectors(self) -> tuple[np.ndarray, np.ndarray]:
        """Every live vector at once: ``(ids, matrix)`` with ``matrix[i]`` the vector of ``ids[i]``."""
        return self._dense.all_vectors(self.segments, self.manifest.dimension)

    def close(self) -> None:
        """Let go of the segments (each closes when no other snapshot uses it)."""
        segments, self.segments = getattr(self, "segments", []), []
        for seg in segments:
            seg.release()

    def __del__(self) -> None:
        self.close()

    def _live_segments(self) -> Iterator[Segment]:
        return (seg for seg in self.segments if self.entries[seg.name].live > 0)

    def _split(self, ids: Iterable[int]) -> Iterator[tuple[Segment, list[int]]]:
        """``ids`` of this generation (deleted ones left out), grouped by their segment."""
        wanted = np.asarray(list(ids), dtype=np.int64)
        for seg in self._live_segments():
            if not len(wanted):
                return
            mask = seg.holds(wanted)
            own = wanted[mask]
            own = own[~member(self._deleted[seg.name], own)]
            if len(own):
                yield seg, own.tolist()
            wanted = wanted[~mask]

    def _ordered(self, where: str = "", args: tuple[object, ...] = ()) -> Iterator[Passage]:
        streams = [self._live_rows(seg, where, args) for seg in self._live_segments()]
        return heapq.merge(*streams, key=_ORDER)

    def _live_rows(self, seg: Segment, where: str, args: tuple[object, ...]) -> Iterator[Passage]:
        deleted = set(self._deleted[seg.name].tolist())
        return (p for p in seg.ordered(where, args) if p.id not in deleted)


def open_snapshot(
    index_dir: Path, *, attempts: int = 3, reuse: Mapping[str, Segment] | None = None
) -> IndexSnapshot:
    """Open the published generation. Retries when a concurrent publish removes it mid-open."""
    for attempt in range(attempts):
        folder = current_generation(index_dir)
        try:
            return IndexSnapshot(folder, reuse=reuse)
        except IndexFormatError:
            raise
        except IndexCorruptError:
            if attempt + 1 == attempts or current_generation(index_dir) == folder:
                raise
    raise AssertionError("unreachable")
