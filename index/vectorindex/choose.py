"""Which vector index a segment gets, by its size, and building or opening it by kind.

THRESHOLD (measured with ``bench/vectors.py``, see the figures beside EXACT_MAX_CELLS): exact
search costs time in proportion to passages × dimensions, an HNSW search barely grows with the
segment. The kind is recorded with the segment (the lead's manifest) and passed back to
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
# Exact search while passages × dimensions stays at or under this (20,000 passages at 384).
EXACT_MAX_CELLS = 20_000 * 384


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
