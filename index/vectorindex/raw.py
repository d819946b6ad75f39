"""A segment's raw vectors on disk: ``ids.i64`` and ``vectors.f32``, read a few rows at a time.

Two headerless little-endian files anyone can read with ``np.fromfile``: the passage ids in
ascending order (int64) and one row of ``dimension`` float32 per id, in the same order. The
exact search builds from them, the approximate ones re-rank their candidates from them.

Rows are read with ``os.pread``, not a memory map: pages of a map the process touches count
in its resident size, while pages read with ``pread`` stay in the kernel's page cache, which
the kernel drops under pressure. Only the ids (8 bytes a passage) are held in memory.
"""

from __future__ import annotations

import os
import weakref
from collections.abc import Iterator
from pathlib import Path

import numpy as np

__all__ = ["IDS", "VECTORS", "RawVectors", "RawWriter"]

IDS = "ids.i64"
VECTORS = "vectors.f32"
_ID = np.dtype("<i8")
_FLOAT = np.dtype("<f4")
# Rows per chunk when a whole segment is streamed (16k rows × 384 dims = 24 MiB).
CHUNK_ROWS = 16384


class RawVectors:
    """The raw vectors of one segment folder, opened read-only. Safe to share between threads
    (``pread`` takes its own offset)."""

    def __init__(self, folder: str | os.PathLike[str], dimension: int) -> None:
        self.folder = Path(folder)
        if dimension <= 0:
            raise ValueError(f"dimension {dimension} is not positive")
        self.dimension = dimension
        self.ids: np.ndarray = np.fromfile(self.folder / IDS, dtype=_ID).astype(np.int64)
        self._row_bytes = dimension * _FLOAT.itemsize
        size = (self.folder / VECTORS).stat().st_size
        if size != len(self.ids) * self._row_bytes:
            raise ValueError(
                f"{self.folder / VECTORS} holds {size} bytes, not {len(self.ids)} ids × "
                f"{dimension} dimensions × 4: open it with the dimension it was written with"
            )
        if len(self.ids) > 1 and not bool(np.all(self.ids[1:] > self.ids[:-1])):
            raise ValueError(f"{self.folder / IDS}: the ids do not ascend; the segment is damaged")
        fd = os.open(self.folder / VECTORS, os.O_RDONLY)
        self._fd = fd
        self._closer = weakref.finalize(self, os.close, fd)

    def __len__(self) -> int:
        return len(self.ids)

    def positions(self, ids: np.ndarray) -> np.ndarray:
        """The row number of each of ``ids``; ``KeyError`` naming the first id not stored here."""
        ids = np.asarray(ids, dtype=np.int64).reshape(-1)
        pos = np.searchsorted(self.ids, ids)
        pos_ok = np.minimum(pos, max(len(self.ids) - 1, 0))
        missing = (
            (pos >= len(self.ids)) | (self.ids[pos_ok] != ids) if len(self.ids) else ids == ids
        )
        if bool(np.any(missing)):
            raise KeyError(f"passage id {int(ids[np.argmax(missing)])} is not in {self.folder}")
        return pos

    def rows(self, ids: np.ndarray) -> np.ndarray:
        """The vectors of ``ids`` as an ``(m, dimension)`` float32 matrix, in the order given.

        One ``pread`` per row, straight into the result: a query re-ranks ~100 candidates, and
        reading just those keeps the segment's vectors out of the process's memory.
        """
        pos = self.positions(ids)
        out = np.empty((len(pos), self.dimension), dtype=_FLOAT)
        fd, size = self._fd, self._row_bytes
        for i, p in enumerate(pos.tolist()):
            if os.preadv(fd, [out[i]], p * size) != size:
                raise OSError(f"{self.folder / VECTORS}: short read at row {p}")
        return out

    def chunks(self, rows: int = CHUNK_ROWS) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Every ``(ids, matrix)`` in order, at most ``rows`` at a time, so a whole segment
        streams through a bounded buffer."""
        if rows <= 0:
            raise ValueError(f"chunk size {rows} is not positive")
        path = self.folder / VECTORS
        for start in range(0, len(self.ids), rows):
            ids = self.ids[start : start + rows]
            flat = np.fromfile(
                path, dtype=_FLOAT, count=len(ids) * self.dimension, offset=start * self._row_bytes
            )
            yield ids, flat.reshape(len(ids), self.dimension)

    def close(self) -> None:
        """Close the file (also done when the object is collected)."""
        self._closer()

    def __enter__(self) -> RawVectors:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class RawWriter:
    """Write a new segment's ``ids.i64`` and ``vectors.f32`` in batches of ascending ids.

    ``finish`` flushes and fsyncs both files; fsyncing the folder entry is the caller's, who
    knows when the folder is complete. The files must not exist yet: a segment is written once.
    """

    def __init__(self, folder: str | os.PathLike[str], dimension: int) -> None:
        if dimension <= 0:
            raise ValueError(f"dimension {dimension} is not positive")
        self.folder, self.dimension, self.count = Path(folder), dimension, 0
        self._last = -1  # passage ids are >= 0
        self._ids = open(self.folder / IDS, "xb")  # noqa: SIM115 (closed by finish/close)
        self._vectors = open(self.folder / VECTORS, "xb")  # noqa: SIM115

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Append ``vectors[i]`` as the vector of ``ids[i]``; ids ascend, also across calls."""
        ids = np.asarray(ids)
        vectors = np.asarray(vectors)
        if ids.ndim != 1 or not np.issubdtype(ids.dtype, np.integer):
            raise ValueError(
                f"ids must be a 1-d integer array, not {ids.dtype} of shape {ids.shape}"
            )
        if vectors.ndim != 2 or vectors.shape != (len(ids), self.dimension):
            raise ValueError(
                f"vectors of shape {vectors.shape} do not match {len(ids)} ids × "
                f"{self.dimension} dimensions"
            )
        if not len(ids):
            return
        if int(ids[0]) <= self._last or not bool(np.all(ids[1:] > ids[:-1])):
            raise ValueError(
                f"ids must ascend strictly (got {int(ids[0])} after {self._last}, or out of order)"
            )
        self._ids.write(np.ascontiguousarray(ids, dtype=_ID).tobytes())
        self._vectors.write(np.ascontiguousarray(vectors, dtype=_FLOAT).tobytes())
        self._last = int(ids[-1])
        self.count += len(ids)

    def flush(self) -> None:
        """Hand what was added to the operating system, so that it can be read back."""
        self._ids.flush()
        self._vectors.flush()

    def finish(self) -> int:
        """Flush and fsync both files, close them; the number of rows written."""
        for f in (self._ids, self._vectors):
            f.flush()
            os.fsync(f.fileno())
        self.close()
        return self.count

    def close(self) -> None:
        """Close without fsyncing (an abandoned segment, to be collected)."""
        self._ids.close()
        self._vectors.close()

    def __enter__(self) -> RawWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
