"""Vector indexes for one segment each: exact while small, HNSW with exact re-ranking when large.

A segment's raw vectors (``ids.i64``, ``vectors.f32``) are written once by :class:`RawWriter`
and read by :class:`RawVectors`; :func:`build_vector_index` indexes them (the kind chosen by
:func:`choose_kind` unless given), ``save`` writes the index's files beside them and
:func:`load_vector_index` opens them again. FAISS is imported when an index is first made.
"""

from __future__ import annotations

from .base import VectorIndex
from .choose import KINDS, build_vector_index, choose_kind, load_vector_index
from .flat import FlatIndex
from .hnsw import HNSWIndex
from .raw import IDS, VECTORS, RawVectors, RawWriter

__all__ = [
    "IDS",
    "KINDS",
    "VECTORS",
    "FlatIndex",
    "HNSWIndex",
    "RawVectors",
    "RawWriter",
    "VectorIndex",
    "build_vector_index",
    "choose_kind",
    "load_vector_index",
]
