"""A segment's passage table in SQLite: its schema, how a passage becomes a row and back."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import quote

from . import lexical
from .passage import Passage

__all__ = [
    "COLUMNS",
    "INSERT",
    "SCHEMA",
    "ids_by_hash",
    "passage_of",
    "row_of",
    "select_sql",
    "sqlite_uri",
]

SCHEMA = (
    """
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
    + lexical.SCHEMA
)
COLUMNS = (
    "id source paragraph part parts start end line_start line_end page page_end page_label "
    "context heading_path kind text content_hash paragraph_end"
).split()
INSERT = f"INSERT INTO passages VALUES ({', '.join('?' * len(COLUMNS))})"
# Columns that an older format's table lacks, and what they read as there.
_DEFAULTS = {"paragraph_end": "0"}


def row_of(p: Passage) -> tuple[object, ...]:
    """The values :data:`INSERT` takes for one passage."""
    values = {name: getattr(p, name) for name in COLUMNS}
    values["heading_path"] = json.dumps(list(p.heading_path), ensure_ascii=False)
    return tuple(values[c] for c in COLUMNS)


def passage_of(row: Iterable[object]) -> Passage:
    """The passage a row of :func:`select_sql` holds."""
    values = dict(zip(COLUMNS, row, strict=True))
    values["heading_path"] = tuple(json.loads(str(values["heading_path"])))
    return Passage(**values)  # type: ignore[arg-type]


def select_sql(db: sqlite3.Connection) -> str:
    """The SELECT of every passage column; a column an older table lacks gets its default."""
    have = {row[1] for row in db.execute("PRAGMA table_info(passages)")}
    cols = [f'"{c}"' if c in have else f'{_DEFAULTS[c]} AS "{c}"' for c in COLUMNS]
    return "SELECT " + ", ".join(cols) + " FROM passages"


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
    opens are ``immutable``: a segment is never modified once written."""
    uri = f"file:{quote(str(path.resolve()))}?mode={mode}"
    return uri + "&immutable=1" if mode == "ro" else uri
