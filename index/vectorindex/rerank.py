"""Exact re-ranking of an approximate index's candidates from the segment's raw vectors.

An approximate index compares a query with compressed vectors (8 bits a dimension), so its
order near the top is a little off; it is asked for a few times more candidates than wanted,
and these are scored again with their full vectors, read from disk (``pread``, usually from the
page cache: ~100 rows of 1.5 kB). The scores returned are then exact inner products.
"""

from __future__ import annotations

import numpy as np

from .raw import RawVectors

__all__ = ["rerank"]


def rerank(
    raw: RawVectors, queries: np.ndarray, candidates: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    """The best ``k`` of each row of ``candidates`` (``-1`` = none) for the matching query, by
    exact inner product: ``(scores, ids)``, ``-inf``/``-1`` past the last."""
    m = len(queries)
    scores = np.full((m, k), -np.inf, np.float32)
    ids = np.full((m, k), -1, np.int64)
    wanted = np.unique(candidates[candidates >= 0])
    if not len(wanted):
        return scores, ids
    vectors = raw.rows(wanted)  # each candidate read once, however many queries share it
    for row in range(m):
        found = candidates[row][candidates[row] >= 0]
        if not len(found):
            continue
        exact = vectors[np.searchsorted(wanted, found)] @ queries[row]
        order = np.argsort(-exact, kind="stable")[:k]
        scores[row, : len(order)] = exact[order]
        ids[row, : len(order)] = found[order]
    return scores, ids
