"""One immutable segment, opened read-only: a batch of passages with their word index (SQLite),
their raw vectors and a vector index over them.

    INDEX_DIR/segments/NNNNNN/passages.sqlite   rows + FTS5 word index, under the passage ids
    INDEX_DIR/segments/NNNNNN/ids.i64           the ids, ascending
    INDEX_DIR/segments/NNNNNN/vectors.f32       one unit vector per id, same order
    INDEX_DIR/segments/NNNNNN/...               the vector index's own files, if it has any

A segment is written once (:mod:`index.writer`) and never modified; a generation lists the
segments it uses and the passages deleted from each since (:class:`index.manifest.SegmentEntry`).
Several generations, and so several snapshots, share one open segment.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from . import lexical
from .checksums import check_files
from .errors import IndexCorruptError
from .idarrays import member
from .manifest import SegmentEntry
from .oserrors import denied_error
from .passage import Passage
from .rows import ids_by_hash, passage_of, select_sql, sqlite_uri
from .vectorindex import VECTORS, RawVectors, load_vector_index

__all__ = ["PASSAGES_DB", "Segment"]

PASSAGES_DB = "passages.sqlite"
# Rows fetched at a time when a whole segment is walked.
_FETCH = 2048


class Segment:
    """A read-only segment. Safe to share between threads and snapshots: each snapshot that
    uses it calls :meth:`acquire` and :meth:`release`; the last release closes it.

    Opening checks every file's size against ``entry``; ``verify=True`` checks the CRC-32 of
    every byte too (before a merge copies the segment, and in ``docqa verify``).
    """

    def __init__(self, folder: Path, entry: SegmentEntry, dimension: int, *, verify: bool = False):
        self.folder, self.entry = folder, entry
        check_files(folder, entry.checksums, full=verify)
        self._db: sqlite3.Connection | None = None
        self._raw: RawVectors | None = None
        try:
            self._raw = RawVectors(folder, dimension)
            self._db = sqlite3.connect(
                sqlite_uri(folder / PASSAGES_DB, "ro"), uri=True, check_same_thread=False
            )
            self._select = select_sql(self._db)  # also fails at once on a file that is no database
        except (OSError, RuntimeError, ValueError, sqlite3.Error) as exc:
            self._close()
            if isinstance(exc, PermissionError):  # not damage: the index is someone else's
                raise denied_error(exc, folder.parent.parent, writing=False) from None
            raise IndexCorruptError(
                f"cannot read index segment {str(folder)!r} ({exc}); run docqa index to repair it"
            ) from exc
        vector_bytes = (folder / VECTORS).stat().st_size
        if vector_bytes != entry.rows * dimension * 4:
            self._close()
            raise IndexCorruptError(
                f"index segment {str(folder)!r} holds {vector_bytes} bytes of vectors, not "
                f"{entry.rows} of dimension {dimension}; run docqa index to repair it"
            )
        # (The rows are counted by docqa verify: a count reads the whole table.)
        if len(self._raw) != entry.rows:
            self._close()
            raise IndexCorruptError(
                f"index segment {str(folder)!r} is inconsistent: {len(self._raw)} vectors, "
                f"manifest says {entry.rows}; run docqa index to repair it"
            )
        self._lock = threading.Lock()
        self._index: Any = None  # loaded at the first search: a sync never needs it
        self._users = 0
        self._df: dict[str, int] = {}
        self._fts_rows: int | None = None

    @property
    def name(self) -> str:
        return self.folder.name

    @property
    def ids(self) -> np.ndarray:
        """Every passage id written into the segment, ascending (deleted ones included)."""
        assert self._raw is not None
        return self._raw.ids

    def __len__(self) -> int:
        return self.entry.rows

    def acquire(self) -> Segment:
        with self._lock:
            self._users += 1
        return self

    def release(self) -> None:
        with self._lock:
            self._users -= 1
            last = self._users <= 0
        if last:
            self._close()

    def holds(self, ids: np.ndarray) -> np.ndarray:
        """A mask: which of ``ids`` were written into this segment."""
        return member(self.ids, ids)

    # dense

    @property
    def index(self) -> Any:
        """The segment's vector index (:mod:`index.vectorindex`), loaded on first use."""
        if self._index is None:
            with self._lock:
                if self._index is None:
                    assert self._raw is not None
                    try:
                        self._index = load_vector_index(
                            self.folder, self._raw, self.entry.vector_index
                        )
                    except (OSError, RuntimeError, ValueError) as exc:
                        raise IndexCorruptError(
                            f"cannot read the vector index of segment {str(self.folder)!r} "
                            f"({exc}); run docqa index --repair"
                        ) from exc
        return self._index

    def search(
        self, query: np.ndarray, k: int, selector: Any = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The ``k`` best ``(scores, ids)`` for one query vector among the ids ``selector`` admits."""
        scores, ids = self.index.search(query.reshape(1, -1), k, selector=selector)
        return scores[0], ids[0]

    def vectors(self, ids: Sequence[int]) -> np.ndarray:
        """The stored vectors of ``ids`` (all written into this segment), one row each."""
        assert self._raw is not None
        return self._raw.rows(np.asarray(ids, dtype=np.int64))

    def chunks(self, n: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """``(ids, vectors)`` of every written passage, ``n`` at a time, in id order."""
        assert self._raw is not None
        return self._raw.chunks(n)

    # words

    def lexical_ranked(
        self, terms: Sequence[str], n: int, within: tuple[str, str] | None
    ) -> list[tuple[int, float]]:
        with self._locked() as db:
            return lexical.ranked(db, terms, n, within=within)

    def term_scores(self, terms: Sequence[str], ids: list[int]) -> dict[int, dict[str, float]]:
        with self._locked() as db:
            return lexical.term_scores(db, terms, ids)

    def document_frequency(self, term: str) -> int:
        """Rows of the segment whose words hold ``term`` (cached: the segment never changes)."""
        if term not in self._df:
            with self._locked() as db:
                self._df[term] = lexical.document_frequency(db, term)
        return self._df[term]

    @property
    def lexical_rows(self) -> int:
        if self._fts_rows is None:
            with self._locked() as db:
                self._fts_rows = lexical.lexical_count(db) if lexical.has_lexical(db) else 0
        return self._fts_rows

    # rows

    def passages(self, ids: Iterable[int]) -> dict[int, Passage]:
        wanted = list(ids)
        out: dict[int, Passage] = {}
        for lo in range(0, len(wanted), 500):
            chunk = wanted[lo : lo + 500]
            marks = ", ".join("?" * len(chunk))
            with self._locked() as db:
                rows = db.execute(f"{self._select} WHERE id IN ({marks})", chunk).fetchall()
            out.update((row[0], passage_of(row)) for row in rows)
        return out

    def texts(self, ids: Iterable[int]) -> dict[int, tuple[str, str]]:
        wanted = list(ids)
        marks = ", ".join("?" * len(wanted))
        sql = f"SELECT id, source, text FROM passages WHERE id IN ({marks})"
        with self._locked() as db:
            return {pid: (source, text) for pid, source, text in db.execute(sql, wanted)}

    def ids_of_sources(self, sources: str) -> list[int]:
        """Ids of the passages of the files ``sources`` (a JSON list of paths)."""
        sql = "SELECT id FROM passages WHERE source IN (SELECT value FROM json_each(?))"
        with self._locked() as db:
            return [pid for (pid,) in db.execute(sql, (sources,))]

    def sources_and_ids(self) -> list[tuple[str, int]]:
        """``(source, id)`` of every written passage."""
        with self._locked() as db:
            return db.execute("SELECT source, id FROM passages").fetchall()

    def hashes(self, ids: list[int]) -> list[str]:
        """The content hashes of ``ids`` (with multiplicity)."""
        out: list[str] = []
        for lo in range(0, len(ids), 500):
            chunk = ids[lo : lo + 500]
            marks = ", ".join("?" * len(chunk))
            with self._locked() as db:
                rows = db.execute(
                    f"SELECT content_hash FROM passages WHERE id IN ({marks})", chunk
                ).fetchall()
            out += [h for (h,) in rows]
        return out

    def ids_by_hash(self, hashes: Iterable[str]) -> dict[str, int]:
        with self._locked() as db:
            return ids_by_hash(db, hashes)

    def ordered(self, where: str = "", args: tuple[object, ...] = ()) -> Iterator[Passage]:
        """Passages in (source, paragraph, part) order, a batch of rows at a time."""
        return self._rows(f"{self._select} {where} ORDER BY source, paragraph, part", args)

    def in_id_order(self) -> Iterator[Passage]:
        """Every written passage in id order (a merge walks its inputs so)."""
        return self._rows(f"{self._select} ORDER BY id", ())

    def _rows(self, sql: str, args: tuple[object, ...]) -> Iterator[Passage]:
        with self._locked() as db:
            cursor = db.execute(sql, args)
        while True:
            with self._locked():
                rows = cursor.fetchmany(_FETCH)
            if not rows:
                return
            yield from (passage_of(r) for r in rows)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._db is None:
                raise IndexCorruptError(f"index segment {str(self.folder)!r} was closed")
            yield self._db

    def _close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
        if self._raw is not None:
            self._raw.close()
            self._raw = None

    def __del__(self) -> None:
        # sqlite3 connections sit in a reference cycle; close at once when let go, so a
        # retired segment's deleted files are not kept open until the cyclic collector runs.
        with contextlib.suppress(Exception):
            self._close()
