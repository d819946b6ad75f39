"""Approximate search for large segments: an HNSW graph over 8-bit scalar-quantised vectors
(FAISS ``IndexHNSWSQ``), its candidates re-ranked exactly from the raw files.

Chosen over IVF (SQ8, re-ranked) by measurement on clustered vectors (``bench/vectors.py``'s
data, 300 queries, 1 thread): at 100k × 384, HNSW (M=32, efConstruction 40, efSearch 64)
found 0.968 of the exact top 10 at p50 0.43 ms, where IVF with 1024 lists found 0.83 probing
64 of them at 0.87 ms (re-ranking 40 or 100 candidates alike: the misses were in lists it did
not probe). IVF also trains k-means and assigns with BLAS, which FAISS's bundled OpenBLAS runs
~14× slower than numpy's on this machine (it falls back to "Prescott" kernels); HNSW needs none. Memory: 384 B of codes + 2·M·4 = 256 B of graph
links + 16 B of ids a passage, ≈ 0.66 kB, read whole into memory on load.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from ..generations import fsync_path
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
from .flat import scan
from .raw import RawVectors
from .rerank import rerank

__all__ = ["HNSWIndex", "ef_search"]

FILE = "hnsw.faiss"
META = "hnsw.json"
REMOVED = "hnsw.removed.i64"
M = 32  # graph links a node (twice that on the bottom level)
# Candidates kept while linking a node. At 100k (load ~6, efSearch 64): 40 (FAISS's default)
# built in 73 s with recall@10 0.975, 80 in 87 s with 0.993, 128 in 118 s with 0.992.
EF_CONSTRUCTION = 80
OVERFETCH = 2  # candidates re-ranked per result wanted (at least MIN_CANDIDATES); 4 or 8
# found no more of the exact top 10 at 100k or 1M: what the walk misses it never reaches
MIN_CANDIDATES = 40
TRAIN_ROWS = 16384  # sample the 8-bit ranges (per dimension) are fitted on, drawn evenly


class HNSWIndex:
    """HNSW over SQ8 codes with exact re-ranking from ``raw``."""

    kind = "hnsw"

    def __init__(self, raw: RawVectors, index: Any, meta: dict[str, Any]) -> None:
        self.raw, self.dimension = raw, raw.dimension
        self._index, self._meta = index, meta
        self._hnsw = faiss_module().downcast_index(index.index)
        self.ef_search = ef_search(len(raw))  # a search setting: a later tuning applies to all
        self._removed = Removed()

    @classmethod
    def build(cls, raw: RawVectors) -> HNSWIndex:
        """Index every vector of ``raw``, streamed a chunk at a time: the memory held is the
        index itself, one chunk and the training sample."""
        faiss = faiss_module()
        started = time.perf_counter()
        hnsw = faiss.IndexHNSWSQ(
            raw.dimension, faiss.ScalarQuantizer.QT_8bit, M, faiss.METRIC_INNER_PRODUCT
        )
        hnsw.hnsw.efConstruction = EF_CONSTRUCTION
        hnsw.train(_sample(raw, TRAIN_ROWS))
        _reserve(hnsw, len(raw))
        meta = {"kind": cls.kind, "dimension": raw.dimension, "count": len(raw), "m": M}
        meta["ef_construction"] = EF_CONSTRUCTION
        index = cls(raw, faiss.IndexIDMap(hnsw), meta)
        for ids, matrix in raw.chunks():
            index.add(ids, matrix)
        meta["build_seconds"] = round(time.perf_counter() - started, 3)
        return index

    @classmethod
    def load(cls, folder: Path, raw: RawVectors) -> HNSWIndex:
        """The index :meth:`save` wrote, read whole into memory, over ``raw``."""
        folder = Path(folder)
        meta = read_meta(folder, META, cls.kind, raw)
        index = faiss_module().read_index(str(folder / FILE))
        if index.d != raw.dimension or index.ntotal != len(raw):
            raise ValueError(f"{folder / FILE} does not index the raw vectors beside it")
        loaded = cls(raw, index, meta)
        loaded._removed = Removed.load(folder, REMOVED)
        return loaded

    def __len__(self) -> int:
        return int(self._index.ntotal) - len(self._removed)

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        ids = as_ids(ids)
        matrix = as_matrix(vectors, self.dimension, "vectors")
        if len(ids) != len(matrix):
            raise ValueError(f"{len(ids)} ids for {len(matrix)} vectors")
        check_stored(self.raw, ids)  # candidates are re-ranked from there
        self._index.add_with_ids(matrix, ids)

    def remove(self, ids: np.ndarray) -> int:
        return self._removed.add(as_ids(ids), self.raw.ids)

    def search(
        self, queries: np.ndarray, k: int, *, selector: Any = None
    ) -> tuple[np.ndarray, np.ndarray]:
        check_k(k)
        matrix = as_matrix(queries, self.dimension)
        selector = self._removed.selector(selector)
        wanted = max(k * OVERFETCH, MIN_CANDIDATES)
        params = faiss_module().SearchParametersHNSW()
        params.efSearch = max(self.ef_search, wanted)
        if selector is not None:
            params.sel = selector
        with search_threads():
            count = min(wanted, max(1, self._index.ntotal))
            _, candidates = self._index.search(matrix, count, params=params)
            scores, ids = rerank(self.raw, matrix, candidates, k)
            # A selector that passes few passages can leave the graph walk short of k of them;
            # those queries are answered by an exact scan, so k come back whenever k pass.
            short = np.flatnonzero((ids >= 0).sum(axis=1) < min(k, len(self)))
            if len(short) and selector is not None:
                scores[short], ids[short] = scan(self.raw, matrix[short], k, selector)
        return scores, ids

    def save(self, folder: Path) -> list[str]:
        folder = Path(folder)
        faiss = faiss_module()
        faiss.write_index(self._index, str(folder / FILE))
        fsync_path(folder / FILE)
        meta = self._meta | {"faiss": faiss.__version__}
        return [FILE, write_meta(folder, META, meta), *self._removed.save(folder, REMOVED)]

    def resident_bytes(self) -> int:
        faiss = faiss_module()
        graph = self._hnsw.hnsw
        codes = faiss.downcast_index(self._hnsw.storage).codes.size()
        links = graph.neighbors.size() * 4 + graph.levels.size() * 4 + graph.offsets.size() * 8
        id_map = self._index.id_map.size() * 8
        return int(codes + links + id_map + self.raw.ids.nbytes + self._removed.resident_bytes())


def ef_search(n: int) -> int:
    """Candidates a search of ``n`` vectors keeps, for recall@10 >= 0.95 with a margin.

    Measured (efConstruction 80; 400 queries a setting, settings interleaved, each on its own
    queries so none finds the caches warmed by another; 1 thread; load ~4.8): 100k: ef 32 →
    0.970 (p50 0.60 ms), 48 → 0.978 (0.57), 64 → 0.980 (0.66), 96 → 0.992 (0.80); 1M: 64 →
    0.972 (0.71), 96 → 0.993 (0.75), 128 → 0.994 (0.80), 192 → 0.997 (0.97), 256 → 0.997
    (1.72). Recall falls slowly as a segment grows; past 1M it is not measured.
    """
    return 64 if n <= 200_000 else 128 if n <= 2_000_000 else 256


def _sample(raw: RawVectors, rows: int) -> np.ndarray:
    """About ``rows`` vectors spread evenly over ``raw``, read chunk by chunk."""
    step, start, parts = max(1, len(raw) // rows), 0, [np.zeros((0, raw.dimension), np.float32)]
    for ids, matrix in raw.chunks():
        parts.append(matrix[(-start) % step :: step].copy())  # a copy lets the chunk go
        start += len(ids)
    return np.concatenate(parts)


def _reserve(hnsw: Any, n: int) -> None:
    """Allocate the codes and links of ``n`` vectors at once: grown chunk by chunk, each
    std::vector doubles, and while it copies it holds up to 3× its size (1.5× the index)."""
    faiss = faiss_module()
    for vector, size in (
        (faiss.downcast_index(hnsw.storage).codes, n * hnsw.storage.sa_code_size()),
        (hnsw.hnsw.neighbors, n * (2 * M + 2)),  # expected 2M + M/(M-1) links a node
    ):
        vector.resize(size)
        vector.resize(0)  # a std::vector keeps its capacity when it shrinks
