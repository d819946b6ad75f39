"""Fixtures and fixture texts shared by test_builder.py and test_builder_repair.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from helpers import write_files

from index.passage import Passage
from index.store import open_snapshot

__all__ = [
    "ASK",
    "BANANAS",
    "EXPECTED_TEXTS",
    "FILES",
    "GUIDE",
    "INSTALL",
    "NOTES",
    "PARIS",
    "RUN",
    "docs",
    "index_dir",
    "snapshot_of",
    "snapshot_passages",
]

# Every paragraph has at least 16 words, a quarter of RecordingEncoder's max_tokens, so each is
# a passage of its own: shorter ones would be joined with their neighbours in the same section.
INSTALL = (
    "Install docqa with pip into a virtual environment; it needs Python 3.11 or later and "
    "downloads no model when it is installed."
)
RUN = (
    "Run docqa index on a folder. It reads every Markdown, text, HTML, PDF and Word file in it "
    "and embeds their paragraphs."
)
ASK = (
    "Ask with docqa ask. The answer lists the passages that match best, each with its file, "
    "paragraph and line."
)
BANANAS = (
    "Bananas are yellow. They are rich in potassium and ripen after picking, as the starch in "
    "the fruit turns to sugar."
)
PARIS = (
    "Paris is the capital of France. It lies on the Seine and has been the seat of the national "
    "government since the Middle Ages."
)
GUIDE = f"# Guide\n\n{INSTALL}\n\n## Usage\n\n{RUN}\n\n{ASK}\n"
NOTES = f"{BANANAS}\n\n{PARIS}\n"
FILES: dict[str, str | bytes] = {
    "guide.md": GUIDE,
    "sub/notes.txt": NOTES,
    "sheet.xlsx": b"%PDF-1.4",
    "empty.txt": "",
    ".hidden.md": "secret",
}


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    return write_files(tmp_path / "docs", FILES)


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    return tmp_path / "index"


def snapshot_passages(index_dir: Path) -> list[Passage]:
    snap = open_snapshot(index_dir)
    try:
        return snap.all_passages()
    finally:
        snap.close()


def snapshot_of(index_dir: Path) -> tuple[str, list[Passage], np.ndarray]:
    """(generation, passages, their vectors) of the published index."""
    snap = open_snapshot(index_dir)
    try:
        passages = snap.all_passages()
        return snap.generation, passages, snap.vectors([p.id for p in passages])
    finally:
        snap.close()


EXPECTED_TEXTS = [INSTALL, RUN, ASK, BANANAS, PARIS]
