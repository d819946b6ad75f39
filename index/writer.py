"""Writing one segment as its passages arrive: SQLite rows (with their word index) and raw
vectors under the same ids, then the vector index over them, then checksums of every file.

Passages are added in ascending id order, a batch at a time, so a sync holds one batch of text
and of vectors rather than the whole corpus. Nothing is visible to readers until a generation
listing the finished segment is published (:func:`index.generations.publish`).
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from . import lexical
from .checksums import checksums
from .generations import fsync_path
from .manifest import SegmentEntry
from .passage import Passage
from .rows import INSERT, SCHEMA, ids_by_hash, row_of, sqlite_uri
from .segment import PASSAGES_DB
from .vectorindex import IDS, VECTORS, RawVectors, RawWriter, build_vector_index, choose_kind

__all__ = ["SegmentWriter"]

# Rows and vectors are handed to SQLite and the vector files this many at a time.
_FLUSH = 1024


class SegmentWriter:
    """Fill the empty ``folder`` with a segment; :meth:`finish` makes it complete.

    With ``vectors=False`` only the passage table is written (a dry run counts with it), not
    the vectors nor the word index.
    """

    def __init__(self, folder: Path, dimension: int, *, vectors: bool = True) -> None:
        self.folder, self.dimension, self.count = folder, dimension, 0
        self._db = sqlite3.connect(sqlite_uri(folder / PASSAGES_DB, "rwc"), uri=True)
        self._db.executescript(SCHEMA)
        self._db.execute("BEGIN")
        self._raw = RawWriter(folder, dimension) if vectors else None
        self._rows: list[Passage] = []
        self._vectors: list[np.ndarray] = []
        self._pending: list[np.ndarray] = []  # ids of the buffered vectors
        self._first = -1  # the first id written
        self._reader: int | None = None
        self._last = -1

    @property
    def has_vectors(self) -> bool:
        return self._raw is not None

    def add(self, passages: Sequence[Passage], vectors: np.ndarray | None) -> None:
        """Append passages (with final, ascending ids) and their vectors, ``vectors[i]`` for
        ``passages[i]``."""
        if self._raw is not None and (vectors is None or len(vectors) != len(passages)):
            raise ValueError("passages and vectors disagree on the count")
        if not passages:
            return
        ids = np.fromiter((p.id for p in passages), np.int64, len(passages))
        if ids[0] <= self._last or (len(ids) > 1 and bool(np.any(np.diff(ids) <= 0))):
            raise ValueError(f"passage ids must ascend within a segment; got {ids[:5].tolist()}...")
        self._last = int(ids[-1])
        if self._first < 0:
            self._first = int(ids[0])
        self._rows.extend(passages)
        if self._raw is not None and vectors is not None:
            self._pending.append(ids)
            self._vectors.append(np.asarray(vectors, dtype=np.float32).reshape(-1, self.dimension))
        self.count += len(passages)
        if len(self._rows) >= _FLUSH:
            self._flush()

    def ids_by_hash(self, hashes: Iterable[str]) -> dict[str, int]:
        """An id already written for each of ``hashes`` that has one."""
        self._flush()
        return ids_by_hash(self._db, hashes)

    def vectors(self, ids: Sequence[int]) -> np.ndarray:
        """Vectors already written, by id."""
        self._flush()
        out = np.zeros((len(ids), self.dimension), dtype=np.float32)
        if self._raw is None or not len(ids):
            return out
        self._raw.flush()
        if self._reader is None:
            self._reader = os.open(self.folder / VECTORS, os.O_RDONLY)
        row = self.dimension * 4
        for i, pos in enumerate(self._positions(np.asarray(ids, dtype=np.int64))):
            out[i] = np.frombuffer(os.pread(self._reader, row, int(pos) * row), "<f4")
        return out

    def _positions(self, ids: np.ndarray) -> np.ndarray:
        """Where ``ids`` were written: a sync's ids run without gaps, so the row is the
        offset from the first; otherwise they are looked up in the ids written so far."""
        if self._last - self._first + 1 == self.count:
            return ids - self._first
        assert self._raw is not None
        written = np.fromfile(self.folder / IDS, dtype="<i8")
        return np.searchsorted(written, ids)

    def hashes(self) -> list[str]:
        """The content hash of every passage written (with multiplicity)."""
        self._flush()
        return [h for (h,) in self._db.execute("SELECT content_hash FROM passages")]

    def finish(self, *, vector_index: str | None = None) -> SegmentEntry:
        """Write what is buffered, the vector index (``None``: the kind for the segment's size)
        and the checksums; make every file durable. Returns the segment's manifest entry."""
        self._flush()
        self._db.commit()
        self._db.close()
        if self._raw is None:
            return SegmentEntry(self.folder.name, self.count)
        self._raw.finish()
        names = [PASSAGES_DB, IDS, VECTORS]
        self._close_reader()
        kind = vector_index or choose_kind(self.count, self.dimension)
        with RawVectors(self.folder, self.dimension) as raw:
            names += build_vector_index(raw, kind).save(self.folder)
        for name in names:
            fsync_path(self.folder / name)
        fsync_path(self.folder)
        return SegmentEntry(self.folder.name, self.count, [], kind, checksums(self.folder, names))

    def close(self) -> None:
        """Stop without finishing (the folder stays incomplete, to be collected)."""
        self._db.close()
        if self._raw is not None:
            self._raw.close()
        self._close_reader()

    def _close_reader(self) -> None:
        if self._reader is not None:
            os.close(self._reader)
            self._reader = None

    def _flush(self) -> None:
        if self._rows:
            self._db.executemany(INSERT, (row_of(p) for p in self._rows))
            if self._raw is not None:
                self._db.executemany(lexical.INSERT, (lexical.row(p) for p in self._rows))
            self._rows = []
        if self._raw is not None and self._vectors:
            self._raw.add(np.concatenate(self._pending), np.concatenate(self._vectors))
            self._vectors, self._pending = [], []
