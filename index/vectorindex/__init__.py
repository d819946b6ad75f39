"""TEMPORARY stub of the vector-index package (the real one lands from the vix branch)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["RawVectors", "RawWriter", "build_vector_index", "choose_kind", "load_vector_index"]

IDS, VECTORS = "ids.i64", "vectors.f32"


class RawWriter:
    def __init__(self, folder: Path, dimension: int) -> None:
        self.folder, self.dimension = Path(folder), dimension
        self._ids = open(self.folder / IDS, "wb")  # noqa: SIM115 - closed by finish/close
        self._vec = open(self.folder / VECTORS, "wb")  # noqa: SIM115
        self._last = -1

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        ids = np.asarray(ids, dtype="<i8")
        if len(ids) and (ids[0] <= self._last or np.any(np.diff(ids) <= 0)):
            raise ValueError("ids must ascend")
        if len(ids):
            self._last = int(ids[-1])
        self._ids.write(ids.tobytes())
        self._vec.write(np.ascontiguousarray(vectors, dtype="<f4").tobytes())

    vectors_name = VECTORS
    ids_name = IDS

    def flush(self) -> None:
        self._ids.flush()
        self._vec.flush()

    def finish(self) -> list[str]:
        for fh in (self._ids, self._vec):
            fh.flush()
            os.fsync(fh.fileno())
            fh.close()
        return [IDS, VECTORS]

    def close(self) -> None:
        self._ids.close()
        self._vec.close()


class RawVectors:
    def __init__(self, folder: Path, dimension: int) -> None:
        self.folder, self.dimension = Path(folder), dimension
        self.ids = np.fromfile(self.folder / IDS, dtype="<i8")
        self._fd = os.open(self.folder / VECTORS, os.O_RDONLY)

    def __len__(self) -> int:
        return len(self.ids)

    def rows(self, ids: np.ndarray) -> np.ndarray:
        pos = np.searchsorted(self.ids, ids)
        row = self.dimension * 4
        out = np.empty((len(ids), self.dimension), np.float32)
        for i, p in enumerate(pos):
            out[i] = np.frombuffer(os.pread(self._fd, row, int(p) * row), "<f4")
        return out

    def chunks(self, n: int = 65536) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        row = self.dimension * 4
        for lo in range(0, len(self.ids), n):
            hi = min(len(self.ids), lo + n)
            data = os.pread(self._fd, (hi - lo) * row, lo * row)
            yield self.ids[lo:hi], np.frombuffer(data, "<f4").reshape(-1, self.dimension)

    def close(self) -> None:
        os.close(self._fd)


class _Flat:
    kind = "flat"

    def __init__(self, raw: RawVectors) -> None:
        import faiss

        self.dimension = raw.dimension
        self._index = faiss.IndexIDMap2(faiss.IndexFlatIP(raw.dimension))
        for ids, m in raw.chunks():
            self._index.add_with_ids(np.ascontiguousarray(m), ids)

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def search(
        self, queries: np.ndarray, k: int, *, selector: Any = None
    ) -> tuple[np.ndarray, np.ndarray]:
        import faiss

        q = np.ascontiguousarray(queries, dtype=np.float32).reshape(-1, self.dimension)
        if selector is None:
            return self._index.search(q, k)
        return self._index.search(q, k, params=faiss.SearchParameters(sel=selector))  # type: ignore[call-arg]

    def save(self, folder: Path) -> list[str]:
        return []

    def resident_bytes(self) -> int:
        return len(self) * (self.dimension * 4 + 8)


def choose_kind(n: int, dimension: int) -> str:
    return "flat"


def build_vector_index(raw: RawVectors, kind: str | None = None) -> Any:
    return _Flat(raw)


def load_vector_index(folder: Path, raw: RawVectors, kind: str) -> Any:
    return _Flat(raw)
