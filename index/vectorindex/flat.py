"""Exact search: every vector in memory, every query compared with all of them.

Nothing is saved but the removed ids: the index is rebuilt from the segment's raw files when
the segment is opened (a read of ``vectors.f32``, a few milliseconds for the small segments
that are searched exactly; see ``bench/vectors.py``). Also :func:`scan`, the exact search of
raw files without an index, which an approximate index falls back on when a selector leaves
it fewer results than asked for.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .base import (
    Removed,
    as_ids,
    as_matrix,
    check_k,
    check_stored,
    faiss_module,
    read_meta,
    search_threads,
    write_meta,
)
from .raw import RawVectors

__all__ = ["FlatIndex", "scan"]

META = "flat.json"
REMOVED = "flat.removed.i64"


class FlatIndex:
    """Exact inner-product search over one segment (FAISS ``IndexIDMap(IndexFlatIP)``)."""

    kind = "flat"

    def __init__(self, raw: RawVectors) -> None:
        faiss = faiss_module()
        self.raw, self.dimension = raw, raw.dimension
        self._index = faiss.IndexIDMap(faiss.IndexFlatIP(raw.dimension))
        self._removed = Removed()

    @classmethod
    def build(cls, raw: RawVectors) -> FlatIndex:
        """Every vector of ``raw``, read a chunk at a time."""
        index = cls(raw)
        for ids, matrix in raw.chunks():
            index.add(ids, matrix)
        return index

    @classmethod
    def load(cls, folder: Path, raw: RawVectors) -> FlatIndex:
        """The index :meth:`save` described, rebuilt from ``raw``."""
        read_meta(Path(folder), META, cls.kind, raw)
        index = cls.build(raw)
        index._removed = Removed.load(Path(folder), REMOVED)
        return index

    def __len__(self) -> int:
        return int(self._index.ntotal) - len(self._removed)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        ids = as_ids(ids)
        matrix = as_matrix(vectors, self.dimension, "vectors")
        if len(ids) != len(matrix):
            raise ValueError(f"{len(ids)} ids for {len(matrix)} vectors")
        check_stored(self.raw, ids)  # load rebuilds from the raw files
        self._index.add_with_ids(matrix, ids)

    def remove(self, ids: np.ndarray) -> int:
        return self._removed.add(as_ids(ids), self.raw.ids)

    def search(
        self, queries: np.ndarray, k: int, *, selector: Any = None
    ) -> tuple[np.ndarray, np.ndarray]:
        check_k(k)
        matrix = as_matrix(queries, self.dimension)
        with search_threads():
            return _search(self._index, matrix, k, self._removed.selector(selector))

    def save(self, folder: Path) -> list[str]:
        folder = Path(folder)
        meta = {"kind": self.kind, "dimension": self.dimension, "count": len(self.raw)}
        meta["faiss"] = faiss_module().__version__
        return [write_meta(folder, META, meta), *self._removed.save(folder, REMOVED)]

    def resident_bytes(self) -> int:
        n = int(self._index.ntotal)
        return n * (self.dimension * 4 + 8) + self.raw.ids.nbytes + self._removed.resident_bytes()


def scan(
    raw: RawVectors, queries: np.ndarray, k: int, selector: Any = None
) -> tuple[np.ndarray, np.ndarray]:
    """Exact search of ``raw`` without an index, a chunk at a time (a fallback: it reads the
    whole file)."""
    faiss = faiss_module()
    m = len(queries)
    best_s = np.full((m, k), -np.inf, np.float32)
    best_i = np.full((m, k), -1, np.int64)
    for ids, matrix in raw.chunks():
        chunk = faiss.IndexIDMap(faiss.IndexFlatIP(raw.dimension))
        chunk.add_with_ids(matrix, ids)
        s, i = _search(chunk, queries, k, selector)
        s, i = np.hstack([best_s, s]), np.hstack([best_i, i])
        order = np.argsort(-s, axis=1, kind="stable")[:, :k]
        best_s, best_i = np.take_along_axis(s, order, 1), np.take_along_axis(i, order, 1)
    return best_s, best_i


def _search(
    index: Any, queries: np.ndarray, k: int, selector: Any
) -> tuple[np.ndarray, np.ndarray]:
    faiss = faiss_module()
    params = None
    if selector is not None:
        params = faiss.SearchParameters()
        params.sel = selector
    scores, ids = index.search(queries, k, params=params)
    scores[ids < 0] = -np.inf
    return scores, ids
