"""One index generation on disk: passage metadata in SQLite, vectors in FAISS under the same ids.

The generation is written once and never modified; readers open it read-only.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import replace
from itertools import groupby
from pathlib import Path

import numpy as np

from . import lexical
from .errors import IndexCorruptError, LexicalIndexMissingError
from .generations import current_generation, fsync_path
from .manifest import Manifest, read_manifest, write_manifest
from .passage import Passage
from .subset import Subset
from .writer import (
    COLUMNS,
    PASSAGES_DB,
    VECTORS,
    data_sizes,
    faiss_module,
    ids_by_hash,
    sqlite_uri,
    write_generation,
)

__all__ = [
    "IndexSnapshot",
    "check_sizes",
    "data_sizes",
    "link_generation",
    "open_snapshot",
    "write_generation",
]

# Columns that an older format's table lacks, and what they read as there.
_DEFAULTS = {"paragraph_end": "0"}
# Rows fetched at a time when a sync walks a whole generation.
_FETCH = 2048


def link_generation(folder: Path, source: Path, manifest: Manifest) -> None:
    """A generation whose passages and vectors are those of ``source``: the data files are
    hard-linked (they are never modified once written), only the manifest is new."""
    for name in (PASSAGES_DB, VECTORS):
        try:
            os.link(source / name, folder / name)
        except OSError:  # a file system without hard links
            shutil.copy2(source / name, folder / name)
            fsync_path(folder / name)
    write_manifest(folder, replace(manifest, data_sizes=data_sizes(folder)))


def check_sizes(folder: Path, manifest: Manifest) -> None:
    """A cheap integrity check: the data files exist with the sizes the manifest recorded."""
    try:
        actual = data_sizes(folder)
    except OSError as exc:
        raise IndexCorruptError(
            f"index generation {str(folder)!r} is missing a data file ({exc.strerror or exc}); "
            "rebuild with docqa index --full"
        ) from exc
    if manifest.data_sizes and actual != manifest.data_sizes:
        raise IndexCorruptError(
            f"index generation {str(folder)!r} has data files of unexpected size {actual}, "
            f"manifest says {manifest.data_sizes}; rebuild with docqa index --full"
        )


class IndexSnapshot:
    """A read-only view of one published generation: vectors, passages and manifest.

    Safe to share between threads. Open with :func:`open_snapshot`.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.manifest: Manifest = read_manifest(folder)
        check_sizes(folder, self.manifest)
        try:
            self._vectors = faiss_module().read_index(str(folder / VECTORS))
            uri = sqlite_uri(folder / PASSAGES_DB, "ro")
            self._db = sqlite3.connect(uri, uri=True, check_same_thread=False)
            count = self._db.execute("SELECT count(*) FROM passages").fetchone()[0]
            self._select = _select(self._db)
            self.has_lexical = lexical.has_lexical(self._db)
        except (RuntimeError, sqlite3.Error) as exc:
            self._close_quietly()
            raise IndexCorruptError(
                f"cannot read index generation {str(folder)!r} ({exc}); rebuild with docqa index --full"
            ) from exc
        if self._vectors.d != self.manifest.dimension:
            self._close_quietly()
            raise IndexCorruptError(
                f"index generation {str(folder)!r} holds {self._vectors.d}-dimensional vectors but its "
                f"manifest says {self.manifest.dimension}; rebuild with docqa index --full"
            )
        if not (count == self._vectors.ntotal == self.manifest.passages):
            self._close_quietly()
            raise IndexCorruptError(
                f"index generation {str(folder)!r} is inconsistent: {count} passages, "
                f"{self._vectors.ntotal} vectors, manifest says {self.manifest.passages}; rebuild with --full"
            )
        self._lock = threading.Lock()

    def _close_quietly(self) -> None:
        db = getattr(self, "_db", None)
        if db is not None:
            db.close()

    def __del__(self) -> None:
        # Python's sqlite3 connection sits in a reference cycle (its statement cache), so it
        # would stay open, holding a retired generation's deleted file, until the cyclic
        # collector runs. Close it as soon as no caller holds the snapshot.
        with contextlib.suppress(Exception):
            self._close_quietly()

    @property
    def db_path(self) -> Path:
        return self.folder / PASSAGES_DB

    @property
    def generation(self) -> str:
        return self.folder.name

    def __len__(self) -> int:
        return int(self.manifest.passages)

    def search(
        self, query: np.ndarray, k: int, *, within: Subset | None = None
    ) -> list[tuple[int, float]]:
        """The ``k`` nearest passage ids to one query vector, best first, with inner-product
        scores; only ids ``within`` the subset when one is given."""
        k = min(k, len(self) if within is None else len(within))
        if k <= 0:
            return []
        q = np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1)
        if within is None:
            scores, ids = self._vectors.search(q, k)
        else:
            scores, ids = self._vectors.search(q, k, params=within.search_parameters)
        return [(int(i), float(s)) for i, s in zip(ids[0], scores[0], strict=True) if i >= 0]

    def lexical_search(
        self, question: str, n: int, *, within: Subset | None = None
    ) -> list[lexical.LexicalHit]:
        """The ``n`` passages whose words best match the question's (BM25), best first; only
        passages ``within`` the subset when one is given.

        Raises LexicalIndexMissingError for a generation written before the lexical index.
        """
        if not self.has_lexical:
            index_dir = self.folder.parent.parent
            raise LexicalIndexMissingError(
                f"index {str(index_dir)!r} has no word index (an older docqa built it); add it with "
                f"docqa index {self.manifest.docs_root} --index {index_dir} (it re-reads the files and "
                "embeds only what the new chunker cut differently), or ask with --mode dense"
            )
        with self._lock:
            return lexical.search(
                self._db, question, n, within=None if within is None else within.sql
            )

    def lexical_count(self) -> int:
        """Passages in the lexical index (0 when the generation has none)."""
        if not self.has_lexical:
            return 0
        with self._lock:
            return lexical.lexical_count(self._db)

    def passages(self, ids: Iterable[int]) -> dict[int, Passage]:
        """Passages by id; ids not in this generation are absent from the result."""
        wanted = list(ids)
        if not wanted:
            return {}
        marks = ", ".join("?" * len(wanted))
        with self._lock:
            rows = self._db.execute(f"{self._select} WHERE id IN ({marks})", wanted).fetchall()
        return {row[0]: _passage(row) for row in rows}

    def subset(self, sources: Iterable[str], *, excluded: bool = False) -> Subset:
        """The passages of the files ``sources`` (paths as in :attr:`Passage.source`); with
        ``excluded``, every passage but those."""
        names = json.dumps(list(sources))
        sql = "SELECT id FROM passages WHERE source IN (SELECT value FROM json_each(?))"
        with self._lock:
            ids = [pid for (pid,) in self._db.execute(sql, (names,))]
        return Subset(ids, excluded=excluded, total=len(self))

    def texts(self, ids: Iterable[int]) -> dict[int, tuple[str, str]]:
        """``(source, text)`` by id: cheaper than :meth:`passages` for many ids."""
        wanted = list(ids)
        if not wanted:
            return {}
        marks = ", ".join("?" * len(wanted))
        sql = f"SELECT id, source, text FROM passages WHERE id IN ({marks})"
        with self._lock:
            return {pid: (source, text) for pid, source, text in self._db.execute(sql, wanted)}

    def all_passages(self) -> list[Passage]:
        """Every passage, in document order."""
        with self._lock:
            rows = self._db.execute(f"{self._select} ORDER BY source, paragraph, part").fetchall()
        return [_passage(r) for r in rows]

    def by_source(self) -> Iterator[tuple[str, list[Passage]]]:
        """Every file's passages, file by file in path order, read a batch of rows at a time."""
        with self._lock:
            cursor = self._db.execute(f"{self._select} ORDER BY source, paragraph, part")
        rows = self._fetched(cursor)
        for source, group in groupby((_passage(r) for r in rows), key=lambda p: p.source):
            yield source, list(group)

    def source_passages(self, source: str) -> list[Passage]:
        """The passages of one file, in order."""
        with self._lock:
            rows = self._db.execute(
                f"{self._select} WHERE source = ? ORDER BY paragraph, part", (source,)
            ).fetchall()
        return [_passage(r) for r in rows]

    def ids_by_hash(self, hashes: Iterable[str]) -> dict[str, int]:
        """An id of a passage with each content hash that this generation holds."""
        with self._lock:
            return ids_by_hash(self._db, hashes)

    def _fetched(self, cursor: sqlite3.Cursor) -> Iterator[tuple[object, ...]]:
        while True:
            with self._lock:
                rows = cursor.fetchmany(_FETCH)
            if not rows:
                return
            yield from rows

    def vectors(self, ids: Sequence[int]) -> np.ndarray:
        """The stored vectors of ``ids``, one row each."""
        out = np.zeros((len(ids), self.manifest.dimension), dtype=np.float32)
        for row, pid in enumerate(ids):
            out[row] = self._vectors.reconstruct(int(pid))
        return out

    def all_vectors(self) -> tuple[np.ndarray, np.ndarray]:
        """Every stored vector at once: ``(ids, matrix)`` with ``matrix[i]`` the vector of ``ids[i]``."""
        faiss = faiss_module()
        ids = faiss.vector_to_array(self._vectors.id_map).astype(np.int64)
        inner = faiss.downcast_index(self._vectors.index)
        matrix = (
            inner.reconstruct_n(0, inner.ntotal)
            if inner.ntotal
            else np.zeros((0, inner.d), np.float32)
        )
        return ids, np.asarray(matrix, dtype=np.float32)

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _select(db: sqlite3.Connection) -> str:
    """The SELECT of every passage column; a column an older generation lacks gets its default."""
    have = {row[1] for row in db.execute("PRAGMA table_info(passages)")}
    cols = [f'"{c}"' if c in have else f'{_DEFAULTS[c]} AS "{c}"' for c in COLUMNS]
    return "SELECT " + ", ".join(cols) + " FROM passages"


def _passage(row: tuple[object, ...]) -> Passage:
    values = dict(zip(COLUMNS, row, strict=True))
    values["heading_path"] = tuple(json.loads(str(values["heading_path"])))
    return Passage(**values)  # type: ignore[arg-type]


def open_snapshot(index_dir: Path, *, attempts: int = 3) -> IndexSnapshot:
    """Open the published generation. Retries when a concurrent publish removes it mid-open."""
    for attempt in range(attempts):
        folder = current_generation(index_dir)
        try:
            return IndexSnapshot(folder)
        except IndexCorruptError:
            if attempt + 1 == attempts or current_generation(index_dir) == folder:
                raise
    raise AssertionError("unreachable")
