"""Writing one generation as its passages arrive: SQLite rows and FAISS vectors under the same ids.

Passages are added in document order, a batch at a time, so a sync holds one batch of text
(plus the vectors, which the index is made of) rather than the whole corpus. Nothing is visible
to readers until :func:`index.generations.publish` switches to the finished folder.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np

from . import lexical
from .generations import fsync_path
from .manifest import Manifest, write_manifest
from .passage import Passage

__all__ = [
    "COLUMNS",
    "PASSAGES_DB",
    "VECTORS",
    "GenerationWriter",
    "sqlite_uri",
    "write_generation",
]

PASSAGES_DB = "passages.sqlite"
VECTORS = "vectors.faiss"

_SCHEMA = """
CREATE TABLE passages (
    id INTEGER PRIMARY KEY,
    source TEXT NOT NULL,
    paragraph INTEGER NOT NULL,
    part INTEGER NOT NULL,
    parts INTEGER NOT NULL,
    start INTEGER NOT NULL,
    "end" INTEGER NOT NULL,
    line_start INTEGER NOT NULL,
    line_end INTEGER NOT NULL,
    page INTEGER,
    page_end INTEGER,
    page_label TEXT,
    context TEXT NOT NULL,
    heading_path TEXT NOT NULL,
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    paragraph_end INTEGER NOT NULL  -- last paragraph of a joined passage; 0 for one paragraph
);
CREATE INDEX passages_source ON passages (source, paragraph, part);
CREATE INDEX passages_hash ON passages (content_hash);
"""
_SCHEMA += lexical.SCHEMA
COLUMNS = (
    "id source paragraph part parts start end line_start line_end page page_end page_label "
    "context heading_path kind text content_hash paragraph_end"
).split()
_INSERT = f"INSERT INTO passages VALUES ({', '.join('?' * len(COLUMNS))})"
# Rows and vectors are handed to SQLite and FAISS this many at a time.
_FLUSH = 1024


def faiss_module() -> Any:
    import faiss  # imported on use: it is heavy and not needed to read metadata

    return faiss


class GenerationWriter:
    """Fill the empty ``folder`` with a generation; ``finish`` makes it complete.

    With ``vectors=False`` only the passage table is written (a dry run counts with it), not
    the vectors nor the lexical index.
    """

    def __init__(self, folder: Path, dimension: int, *, vectors: bool = True) -> None:
        self.folder, self.dimension, self.count = folder, dimension, 0
        # A URI connection, so that ATTACH in ``removed_from`` takes a read-only URI too.
        self._db = sqlite3.connect(sqlite_uri(folder / PASSAGES_DB, "rwc"), uri=True)
        self._db.executescript(_SCHEMA)
        self._db.execute("BEGIN")
        self._index = None
        if vectors:
            faiss = faiss_module()
            self._index = faiss.IndexIDMap2(faiss.IndexFlatIP(dimension))
        self._rows: list[Passage] = []
        self._vectors: list[np.ndarray] = []
        self._ids: list[np.ndarray] = []

    @property
    def has_vectors(self) -> bool:
        return self._index is not None

    def add(self, passages: Sequence[Passage], vectors: np.ndarray | None) -> None:
        """Append passages (with final ids) and their vectors, ``vectors[i]`` for ``passages[i]``."""
        if self._index is not None and (vectors is None or len(vectors) != len(passages)):
            raise ValueError("passages and vectors disagree on the count")
        self._rows.extend(passages)
        if self._index is not None and vectors is not None and len(passages):
            self._vectors.append(np.asarray(vectors, dtype=np.float32).reshape(-1, self.dimension))
            self._ids.append(np.fromiter((p.id for p in passages), np.int64, len(passages)))
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
        if self._index is not None:
            for row, pid in enumerate(ids):
                out[row] = self._index.reconstruct(int(pid))
        return out

    def removed_from(self, old_db: Path) -> int:
        """How many passages of ``old_db`` have no counterpart here (by content, with multiplicity)."""
        self._flush()
        self._db.commit()
        self._db.execute("ATTACH DATABASE ? AS old", (sqlite_uri(old_db, "ro"),))
        try:
            (removed,) = self._db.execute(
                "SELECT COALESCE(SUM(o.n - COALESCE(m.n, 0)), 0) FROM "
                "(SELECT content_hash AS h, count(*) AS n FROM old.passages GROUP BY h) AS o "
                "LEFT JOIN (SELECT content_hash AS h, count(*) AS n FROM main.passages GROUP BY h)"
                " AS m ON o.h = m.h WHERE o.n > COALESCE(m.n, 0)"
            ).fetchone()
        finally:
            self._db.execute("DETACH DATABASE old")
        return int(removed)

    def finish(self, manifest: Manifest) -> None:
        """Write the vectors and the manifest (last: its presence marks a complete generation)."""
        if manifest.passages != self.count:
            raise ValueError("the manifest and the written passages disagree on the count")
        self._flush()
        self._db.commit()
        self._db.close()
        if self._index is None:
            return
        faiss_module().write_index(self._index, str(self.folder / VECTORS))
        for name in (PASSAGES_DB, VECTORS):
            fsync_path(self.folder / name)
        write_manifest(self.folder, replace(manifest, data_sizes=data_sizes(self.folder)))

    def close(self) -> None:
        """Stop without finishing (the folder stays incomplete, to be collected)."""
        self._db.close()

    def _flush(self) -> None:
        if self._rows:
            self._db.executemany(_INSERT, (_row(p) for p in self._rows))
            if self._index is not None:
                self._db.executemany(lexical.INSERT, (lexical.row(p) for p in self._rows))
            self._rows = []
        if self._index is not None and self._vectors:
            matrix = np.ascontiguousarray(np.concatenate(self._vectors))
            self._index.add_with_ids(matrix, np.concatenate(self._ids))
            self._vectors, self._ids = [], []


def write_generation(
    folder: Path, manifest: Manifest, passages: Sequence[Passage], vectors: np.ndarray
) -> None:
    """Write a complete generation into the empty ``folder``; ``vectors[i]`` belongs to ``passages[i]``."""
    if len(passages) != len(vectors) or manifest.passages != len(passages):
        raise ValueError("passages, vectors and manifest disagree on the passage count")
    writer = GenerationWriter(folder, manifest.dimension)
    try:
        writer.add(passages, vectors)
        writer.finish(manifest)
    finally:
        writer.close()


def ids_by_hash(db: sqlite3.Connection, hashes: Iterable[str]) -> dict[str, int]:
    """One id per content hash found in the ``passages`` table of ``db``."""
    wanted = list(dict.fromkeys(hashes))
    found: dict[str, int] = {}
    for lo in range(0, len(wanted), 500):
        chunk = wanted[lo : lo + 500]
        marks = ", ".join("?" * len(chunk))
        sql = (
            "SELECT content_hash, min(id) FROM passages "
            f"WHERE content_hash IN ({marks}) GROUP BY content_hash"
        )
        found.update(db.execute(sql, chunk).fetchall())
    return found


def sqlite_uri(path: Path, mode: str) -> str:
    """A SQLite URI for a file path (quoted: a path may hold ``?``, ``#`` or ``%``). Read-only
    opens are ``immutable``: a generation is never modified once written."""
    uri = f"file:{quote(str(path.resolve()))}?mode={mode}"
    return uri + "&immutable=1" if mode == "ro" else uri


def data_sizes(folder: Path) -> dict[str, int]:
    """Byte sizes of a generation's data files, as its manifest records them."""
    return {name: (folder / name).stat().st_size for name in (PASSAGES_DB, VECTORS)}


def _row(p: Passage) -> tuple[object, ...]:
    values = {name: getattr(p, name) for name in COLUMNS}
    values["heading_path"] = json.dumps(list(p.heading_path), ensure_ascii=False)
    return tuple(values[c] for c in COLUMNS)
