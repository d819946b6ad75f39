"""What every vector-index backend offers, and the small parts they share.

A backend indexes the raw vectors of one segment (:class:`~index.vectorindex.raw.RawVectors`):
``build`` streams them in, ``save`` writes what cannot be rebuilt cheaply beside them, ``load``
opens it again. Searches may run in many threads at once; ``add`` and ``remove`` may not run
during a search.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from .raw import RawVectors

__all__ = [
    "Removed",
    "VectorIndex",
    "as_ids",
    "as_matrix",
    "check_k",
    "faiss_module",
    "read_meta",
    "search_threads",
    "write_file",
    "write_meta",
]


@runtime_checkable
class VectorIndex(Protocol):
    """An index over one segment's vectors; inner product of unit vectors = cosine."""

    kind: str
    dimension: int

    def __len__(self) -> int:
        """Passages a search can return (indexed, less removed)."""
        ...

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Index ``vectors[i]`` under ``ids[i]``; the ids must be stored in the segment's raw files."""
        ...

    def remove(self, ids: np.ndarray) -> int:
        """Stop returning ``ids``; how many of them were searchable until now."""
        ...

    def search(
        self, queries: np.ndarray, k: int, *, selector: Any = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """``(scores, ids)``, both ``(m, k)``, best first, exact inner products; ids ``-1`` (score
        ``-inf``) past the last result. ``selector`` (a FAISS ``IDSelector`` on passage ids) is
        applied inside the search: ``k`` results come back whenever ``k`` passages pass it."""
        ...

    def save(self, folder: Path) -> list[str]:
        """Write the index's own files into ``folder`` (fsynced); their names."""
        ...

    def resident_bytes(self) -> int:
        """Bytes of memory the index holds for searching (the raw files are read, not held)."""
        ...


# OpenMP threads a search runs with. One: a single query gains nothing from a second thread,
# and when another process keeps a core busy, FAISS's parallel region waits for the thread
# that lost its core. Measured by bench/vectors.py --threads 1,2 (single queries, p50):
# at 1M under load ~4.5, HNSW 0.90 ms with 1 thread and 11.1 ms with 2, exact 165 and 375 ms;
# with a busy process beside it (--hog), HNSW 0.80 and 10.7 ms; at 100k, 1.21 and 6.83 ms.
SEARCH_THREADS = 1


@contextmanager
def search_threads() -> Iterator[None]:
    """Run the body with ``SEARCH_THREADS`` OpenMP threads, then restore the caller's count.

    libgomp keeps the count per calling thread, so setting it once at start-up would miss the
    threads (a web server's) that run the searches; it is set around each search instead.
    """
    faiss = faiss_module()
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(SEARCH_THREADS)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


def faiss_module() -> Any:
    import faiss  # imported on use: it is heavy and not needed to read metadata

    return faiss


def as_matrix(vectors: Any, dimension: int, what: str = "queries") -> np.ndarray:
    """``vectors`` as a C-contiguous float32 ``(m, dimension)`` matrix (one row may be 1-d)."""
    matrix = np.asarray(vectors, dtype=np.float32)
    if matrix.ndim == 1:
        matrix = matrix.reshape(1, -1)
    if matrix.ndim != 2 or matrix.shape[1] != dimension:
        raise ValueError(
            f"{what} of shape {matrix.shape} do not have {dimension} dimensions, the index's: "
            "encode them with the model the index was built with"
        )
    return np.ascontiguousarray(matrix)


def as_ids(ids: Any) -> np.ndarray:
    """``ids`` as a 1-d int64 array."""
    array = np.asarray(ids)
    if array.ndim != 1 or (len(array) and not np.issubdtype(array.dtype, np.integer)):
        raise ValueError(
            f"ids must be a 1-d integer array, not {array.dtype} of shape {array.shape}"
        )
    return array.astype(np.int64, copy=False)


def check_stored(raw: RawVectors, ids: np.ndarray) -> None:
    """``ValueError`` unless every one of ``ids`` is in the segment's raw files: an index is
    rebuilt, or re-ranks, from there."""
    try:
        raw.positions(ids)
    except KeyError as exc:
        raise ValueError(f"{exc.args[0]}: write it to the segment's raw files first") from None


def check_k(k: int) -> None:
    if k <= 0:
        raise ValueError(f"k of {k} is not positive: ask for at least one result")


class Removed:
    """Passage ids removed from an index whose structure cannot drop them (an HNSW graph, or a
    flat index rebuilt from raw files that still hold them). Searches skip them through a
    FAISS selector, inside the search, so removals never shorten a result list."""

    def __init__(self, ids: np.ndarray | None = None) -> None:
        self.ids = np.unique(ids) if ids is not None else np.zeros(0, np.int64)
        self._selector: Any = None

    def __len__(self) -> int:
        return len(self.ids)

    def add(self, ids: np.ndarray, stored: np.ndarray) -> int:
        """Remove those of ``ids`` that are in ``stored`` (ascending); how many were not yet."""
        ids = np.unique(ids)
        pos = np.minimum(np.searchsorted(stored, ids), max(len(stored) - 1, 0))
        ids = ids[stored[pos] == ids] if len(stored) else ids[:0]
        new = np.setdiff1d(ids, self.ids, assume_unique=True)
        if len(new):
            self.ids = np.union1d(self.ids, new)
            self._selector = None
        return len(new)

    def selector(self, selector: Any) -> Any:
        """``selector`` narrowed to passages not removed (``None`` when neither restricts)."""
        if not len(self.ids):
            return selector
        if self._selector is None:
            faiss = faiss_module()
            batch = faiss.IDSelectorBatch(self.ids)
            self._selector = faiss.IDSelectorNot(batch)
            self._selector.referenced = batch  # FAISS holds a bare pointer to it
        if selector is None:
            return self._selector
        both = faiss_module().IDSelectorAnd(self._selector, selector)
        both.referenced = (self._selector, selector)
        return both

    def save(self, folder: Path, name: str) -> list[str]:
        if not len(self.ids):
            return []
        write_file(folder / name, self.ids.astype("<i8").tobytes())
        return [name]

    @classmethod
    def load(cls, folder: Path, name: str) -> Removed:
        path = folder / name
        return cls(np.fromfile(path, dtype="<i8").astype(np.int64)) if path.exists() else cls()

    def resident_bytes(self) -> int:
        return int(self.ids.nbytes)


def write_file(path: Path, data: bytes) -> None:
    with open(path, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def write_meta(folder: Path, name: str, meta: dict[str, Any]) -> str:
    """Write the index's JSON description (kind, sizes, parameters, FAISS version); its name."""
    write_file(folder / name, (json.dumps(meta, indent=1, sort_keys=True) + "\n").encode())
    return name


def read_meta(folder: Path, name: str, kind: str, raw: RawVectors) -> dict[str, Any]:
    """The JSON description, checked against the raw files it indexes."""
    meta: dict[str, Any] = json.loads((folder / name).read_text(encoding="utf-8"))
    if meta.get("kind") != kind:
        raise ValueError(f"{folder / name} describes a {meta.get('kind')!r} index, not {kind!r}")
    if meta.get("dimension") != raw.dimension or meta.get("count") != len(raw):
        raise ValueError(
            f"{folder / name} indexes {meta.get('count')} vectors of {meta.get('dimension')} "
            f"dimensions, the raw files hold {len(raw)} of {raw.dimension}: "
            "open it with the dimension it was built with"
        )
    return meta
