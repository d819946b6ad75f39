"""Generations of formats 2 and 3 (one SQLite file and one FAISS file each), read only to
upgrade them: a sync cuts every file again and takes each passage's vector from here by its
content hash, so an upgrade embeds only passages whose text the new cut changed."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from .errors import IndexCorruptError
from .manifest import Manifest
from .rows import ids_by_hash, sqlite_uri
from .vectorindex.base import faiss_module

__all__ = ["LegacyVectors"]

_PASSAGES, _VECTORS = "passages.sqlite", "vectors.faiss"


class LegacyVectors:
    """The vectors of an old-format generation, found by content hash."""

    def __init__(self, folder: Path, manifest: Manifest) -> None:
        self.folder = folder
        self.manifest = manifest
        try:
            self._vectors = faiss_module().read_index(str(folder / _VECTORS))
            self._db = sqlite3.connect(sqlite_uri(folder / _PASSAGES, "ro"), uri=True)
            self._db.execute("SELECT count(*) FROM passages").fetchone()
        except (RuntimeError, sqlite3.Error) as exc:
            self.close()
            raise IndexCorruptError(
                f"cannot read old index generation {str(folder)!r} ({exc})"
            ) from exc

    def ids_by_hash(self, hashes: Iterable[str]) -> dict[str, int]:
        return ids_by_hash(self._db, hashes)

    def vectors(self, ids: Sequence[int]) -> np.ndarray:
        out = np.zeros((len(ids), self.manifest.dimension), dtype=np.float32)
        for row, pid in enumerate(ids):
            out[row] = self._vectors.reconstruct(int(pid))
        return out

    def hashes(self) -> list[str]:
        """Every passage's content hash (with multiplicity)."""
        return [h for (h,) in self._db.execute("SELECT content_hash FROM passages")]

    def close(self) -> None:
        db = getattr(self, "_db", None)
        if db is not None:
            with contextlib.suppress(sqlite3.Error):
                db.close()
