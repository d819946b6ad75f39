"""Checking that the word index is in step with the passages, for the test_lexical*.py modules."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from index import open_snapshot
from index.store import IndexSnapshot
from index.verify import verify_index

__all__ = ["in_step"]


def in_step(index_dir: Path) -> IndexSnapshot:
    """The published snapshot, after checking its word index covers exactly its passages."""
    snap = open_snapshot(index_dir)
    ids = {p.id for p in snap.all_passages()}
    words: set[int] = set()
    for seg in snap.segments:
        db = sqlite3.connect(seg.folder / "passages.sqlite")
        try:
            words |= {row[0] for row in db.execute("SELECT id FROM lexical_docsize")}
        finally:
            db.close()
        words -= set(snap.entries[seg.name].deleted)
    assert words == ids
    assert snap.lexical_count() == len(snap) == len(ids)
    assert verify_index(index_dir).problems == []
    return snap
