"""Arrays of passage ids kept ascending (a segment's ids, the ids deleted from it): which of
some ids they hold, by binary search, without building a set of them on every question."""

from __future__ import annotations

import numpy as np

__all__ = ["member"]


def member(ascending: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """A mask over ``ids``: which of them are in ``ascending`` (sorted ascending)."""
    ids = np.asarray(ids, dtype=np.int64)
    if not len(ascending):
        return np.zeros(len(ids), bool)
    pos = np.minimum(np.searchsorted(ascending, ids), len(ascending) - 1)
    return np.asarray(ascending[pos] == ids)
