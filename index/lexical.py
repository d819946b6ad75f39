"""The lexical index: an SQLite FTS5 table beside the passages, searched with BM25.

It lives in the generation's ``passages.sqlite`` under the passages' ids (its rowid), so it is
written with them, a batch at a time, and published with them in one rename. The table is
contentless (``content=''``): the text is stored once, in ``passages``; FTS5 keeps only its
inverted index. Indexed per passage: the heading path, the ``context`` (a table's header row...),
the text and the file's name stem.
"""

from __future__ import annotations

import math
import re
import sqlite3
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from .passage import Passage

__all__ = [
    "COLUMNS",
    "INSERT",
    "SCHEMA",
    "STOPWORDS",
    "TABLE",
    "WEIGHTS",
    "LexicalHit",
    "document_frequency",
    "has_lexical",
    "idf",
    "lexical_count",
    "match_expression",
    "query_terms",
    "ranked",
    "row",
    "search",
    "term_scores",
]

TABLE = "lexical"
COLUMNS = ("heading", "context", "text", "name")
# Porter stemming after Unicode folding: "indexing" finds "indexed", "café" finds "cafe".
SCHEMA = (
    f"CREATE VIRTUAL TABLE {TABLE} USING fts5({', '.join(COLUMNS)}, content='', "
    "tokenize='porter unicode61 remove_diacritics 2');"
)
INSERT = f"INSERT INTO {TABLE} (rowid, {', '.join(COLUMNS)}) VALUES (?, ?, ?, ?, ?)"
# BM25 weight of a match in each column, in COLUMNS order. Measured: the file name stem as a
# column lifts SQuAD (titles name the subject) and a heading match counting double helps realdocs.
WEIGHTS = (2.0, 1.0, 1.0, 1.0)

# Word tokens as FTS5's unicode61 tokenizer sees them: runs of letters and digits.
_WORD = re.compile(r"[^\W_]+")

STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from further
    had has have having he her here hers herself him himself his how i if in into is it its itself
    just me more most my myself no nor not of off on once only or other our ours ourselves out over
    own s same she should so some such t than that the their theirs them themselves then there
    these they this those through to too under until up very was we were what when where which
    while who whom why will with would you your yours yourself yourselves""".split()
)


@dataclass(frozen=True)
class LexicalHit:
    """A passage that matched: its id, BM25 score (higher is better) and the query terms it holds."""

    id: int
    score: float
    terms: tuple[str, ...]


def row(p: Passage) -> tuple[object, ...]:
    """The values :data:`INSERT` takes for one passage."""
    return (p.id, " ".join(p.heading_path), p.context, p.text, PurePosixPath(p.source).stem)


def query_terms(question: str) -> tuple[str, ...]:
    """The question's distinct lowercase words without English stopwords; all its words when
    every one is a stopword ("how to"), none when it has no words at all."""
    words = _WORD.findall(unicodedata.normalize("NFKC", question).lower())
    unique = tuple(dict.fromkeys(words))
    return tuple(w for w in unique if w not in STOPWORDS) or unique


def match_expression(terms: Sequence[str]) -> str:
    """An FTS5 query matching any of ``terms``. Each is quoted, so nothing in it is FTS5 syntax
    (a term is letters and digits only, so it holds no quote to escape)."""
    return " OR ".join(f'"{t}"' for t in terms)


def has_lexical(db: sqlite3.Connection) -> bool:
    """Whether the database holds the lexical table (format-2 generations do not)."""
    found = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (TABLE,)
    ).fetchone()
    return found is not None


def lexical_count(db: sqlite3.Connection) -> int:
    """How many passages the lexical table indexes (one row of sizes per passage)."""
    return int(db.execute(f"SELECT count(*) FROM {TABLE}_docsize").fetchone()[0])


def search(
    db: sqlite3.Connection, question: str, n: int, *, within: tuple[str, str] | None = None
) -> list[LexicalHit]:
    """The ``n`` passages that best match the question's terms, best first (BM25). ``within``:
    an SQL condition on ``rowid`` and its one argument, which a passage must meet."""
    terms = query_terms(question)
    ranked_ = ranked(db, terms, n, within=within)
    found = term_scores(db, terms, [pid for pid, _ in ranked_])
    return [LexicalHit(pid, s, tuple(found.get(pid, ()))) for pid, s in ranked_]


def ranked(
    db: sqlite3.Connection, terms: Sequence[str], n: int, *, within: tuple[str, str] | None = None
) -> list[tuple[int, float]]:
    """``(id, BM25 score)`` of the ``n`` rows best matching any of ``terms``, best first."""
    if not terms or n < 1:
        return []
    weights = ", ".join(str(w) for w in WEIGHTS)
    # The condition filters FTS5's matches before the sort and the LIMIT, so n results come
    # back whenever n passages that meet it match.
    only, args = ("", ()) if within is None else (f" AND {within[0]}", (within[1],))
    rows = db.execute(
        f"SELECT rowid, -bm25({TABLE}, {weights}) AS score FROM {TABLE} "
        f"WHERE {TABLE} MATCH ?{only} ORDER BY score DESC, rowid LIMIT ?",
        (match_expression(terms), *args, n),
    ).fetchall()
    return [(int(pid), float(s)) for pid, s in rows]


def term_scores(
    db: sqlite3.Connection, terms: Sequence[str], ids: list[int]
) -> dict[int, dict[str, float]]:
    """For each of ``ids``, the terms it matches with each one's share of its BM25 score (BM25
    sums over the query's terms, so a one-term query gives that term's share): one query per
    term over those ids only."""
    if not ids:
        return {}
    marks = ", ".join("?" * len(ids))
    weights = ", ".join(str(w) for w in WEIGHTS)
    found: dict[int, dict[str, float]] = {}
    for term in terms:
        # "+rowid": SQLite filters the term's matches by id itself. Handed to FTS5 as a
        # constraint, the IN list would become one lookup per id, ten times slower.
        sql = (
            f"SELECT rowid, -bm25({TABLE}, {weights}) FROM {TABLE} "
            f"WHERE {TABLE} MATCH ? AND +rowid IN ({marks})"
        )
        for pid, score in db.execute(sql, (f'"{term}"', *ids)):
            found.setdefault(int(pid), {})[term] = float(score)
    return found


def document_frequency(db: sqlite3.Connection, term: str) -> int:
    """How many rows hold ``term`` (BM25's n(q))."""
    return int(
        db.execute(
            f"SELECT count(*) FROM {TABLE} WHERE {TABLE} MATCH ?", (f'"{term}"',)
        ).fetchone()[0]
    )


def idf(rows: int, df: int) -> float:
    """BM25's inverse document frequency exactly as FTS5 computes it (floored at 1e-6)."""
    value = math.log((rows - df + 0.5) / (df + 0.5))
    return value if value > 0 else 1e-6
