"""Which vector index a segment gets, by its size, and building or opening it by kind.

Exact search costs time in proportion to passages × dimensions and holds 1.55 kB a passage
(384 dims); an HNSW search barely grows with the segment and holds 0.67 kB, but takes seconds
to build and finds 0.88-0.99 of the exact top 10. Measured by ``bench/vectors.py --sizes
10000,100000,1000000 --queries 400 --threads 1,2`` (384 dims, 1 thread, load average 4.1-4.9
from other benchmarks on the 2 cores), single-query p50: exact 1.17 ms at 10k, 15.5 ms at
100k, 165 ms at 1M; HNSW 0.89 ms at 10k (built in 4.1 s), 1.18 ms at 100k (31 s), 0.90 ms at
1M (346 s). So a segment is searched exactly up to 10,000 passages of 384 dimensions (the same
work for other dimensions), where the two cost about the same, and gets HNSW beyond. Several
small exact segments add up: a store should merge them before their total passes ~20k, or
exact search alone takes ~2 ms or more a query.

The kind is recorded with the segment (in the store's manifest) and passed back to
:func:`load_vector_index`, so a threshold changed later never reinterprets old segments.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .base import VectorIndex
from .flat import FlatIndex
from .hnsw import HNSWIndex
from .raw import RawVectors

__all__ = ["EXACT_MAX_CELLS", "KINDS", "build_vector_index", "choose_kind", "load_vector_index"]

KINDS: dict[str, Any] = {FlatIndex.kind: FlatIndex, HNSWIndex.kind: HNSWIndex}
# Exact search while passages × dimensions stays at or under this (10,000 passages at 384).
EXACT_MAX_CELLS = 10_000 * 384


def choose_kind(n: int, dimension: int) -> str:
    """The kind of index for a segment of ``n`` vectors of ``dimension``."""
    return FlatIndex.kind if n * dimension <= EXACT_MAX_CELLS else HNSWIndex.kind


def build_vector_index(raw: RawVectors, kind: str | None = None) -> VectorIndex:
    """A new index over every vector of ``raw``: of ``kind``, or the one its size calls for."""
    chosen = kind if kind is not None else choose_kind(len(raw), raw.dimension)
    return _backend(chosen).build(raw)


def load_vector_index(folder: str | Path, raw: RawVectors, kind: str) -> VectorIndex:
    """The index of ``kind`` saved in ``folder`` (by its ``save``) over ``raw``."""
    return _backend(kind).load(Path(folder), raw)


def _backend(kind: str) -> Any:
    try:
        return KINDS[kind]
    except KeyError:
        known = ", ".join(sorted(KINDS))
        raise ValueError(f"unknown vector index kind {kind!r}; known kinds: {known}") from None
