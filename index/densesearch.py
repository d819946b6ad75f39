"""Nearest-neighbour search over a generation's segments, the passages deleted from each left
out inside the search (see :mod:`index.wordsearch` for the word search)."""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping

import numpy as np

from .segment import Segment
from .subset import Subset
from .vectorindex.base import Removed

__all__ = ["DenseSearch"]

_CHUNK = 65536


class DenseSearch:
    """Searches segments whose deleted ids are ``deleted`` (by segment name); safe to share
    between threads (a selector built twice by a race is the same selector)."""

    def __init__(self, deleted: Mapping[str, np.ndarray]) -> None:
        self._deleted = deleted
        self._removed = {name: Removed(ids) for name, ids in deleted.items()}

    def search(
        self,
        segments: Iterable[Segment],
        q: np.ndarray,
        k: int,
        within: Subset | None,
        exact: bool,
    ) -> list[tuple[int, float]]:
        """The ``k`` nearest live ids to ``q``, best first, with inner-product scores."""
        found: list[tuple[float, int]] = []
        for seg in segments:
            if exact:
                found += self._exact(seg, q, k, within)
                continue
            # Deleted passages are left out whatever the subset (one of excluded ids has them).
            selector = self._removed[seg.name].selector(within.selector if within else None)
            scores, ids = seg.search(q, k, selector)
            found += [(float(s), int(i)) for s, i in zip(scores, ids, strict=True) if i >= 0]
        best = heapq.nlargest(k, found, key=lambda pair: (pair[0], -pair[1]))
        return [(i, s) for s, i in best]

    def all_vectors(
        self, segments: Iterable[Segment], dimension: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """Every live vector at once: ``(ids, matrix)`` with ``matrix[i]`` the vector of ``ids[i]``."""
        ids, rows = [np.zeros(0, np.int64)], [np.zeros((0, dimension), np.float32)]
        for seg in segments:
            for chunk_ids, matrix in seg.chunks(_CHUNK):
                keep = ~np.isin(chunk_ids, self._deleted[seg.name])
                ids.append(chunk_ids[keep])
                rows.append(np.asarray(matrix[keep], dtype=np.float32))
        return np.concatenate(ids), np.concatenate(rows)

    def _exact(
        self, seg: Segment, q: np.ndarray, k: int, within: Subset | None
    ) -> list[tuple[float, int]]:
        out: list[tuple[float, int]] = []
        for ids, matrix in seg.chunks(_CHUNK):
            scores = matrix @ q
            keep = ~np.isin(ids, self._deleted[seg.name])
            if within is not None:
                keep &= np.isin(ids, within.ids) != within.excluded
            ids, scores = ids[keep], scores[keep]
            top = np.argsort(-scores, kind="stable")[:k]
            out += [(float(scores[t]), int(ids[t])) for t in top]
        return heapq.nlargest(k, out)
