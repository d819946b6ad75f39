"""A documents folder and sync helpers shared by the test_sync*.py modules."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from helpers import RecordingEncoder, build

import index.builder
import index.plan
from index import BuildSummary

__all__ = [
    "ModelFreeEncoder",
    "docs",
    "paragraph",
    "paragraphs",
    "record_reads",
    "sync",
    "touch_later",
]


class ModelFreeEncoder(RecordingEncoder):
    """Fails if the sync needs the model at all (no cutting into passages, no embedding)."""

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        raise AssertionError(f"embedded {list(texts)!r}")

    def count_tokens(self, text: str) -> int:
        raise AssertionError(f"tokenized {text!r}")


def paragraph(i: int, tag: str) -> str:
    # 21 words: over a quarter of RecordingEncoder's 64 tokens, so it is a passage of its own.
    return (
        f"Paragraph {i} of {tag} talks about topic {tag}{i}. It says a little more about that "
        "topic, in a few plain words."
    )


def paragraphs(n: int, tag: str = "p") -> str:
    return "\n\n".join(paragraph(i, tag) for i in range(n)) + "\n"


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    root = tmp_path / "docs"
    (root / "sub").mkdir(parents=True)
    (root / "big.txt").write_text(paragraphs(200, "big"), encoding="utf-8")
    (root / "a.md").write_text("# A\n\n" + paragraphs(3, "a"), encoding="utf-8")
    (root / "sub" / "b.txt").write_text(paragraphs(4, "b"), encoding="utf-8")
    past = 1_600_000_000_000_000_000  # files older than the racy window of the first scan
    for path in root.rglob("*.*"):
        os.utime(path, ns=(past, past))
    return root


def sync(
    docs: Path, index_dir: Path, encoder: RecordingEncoder | None = None, **kw: object
) -> BuildSummary:
    return build(docs, index_dir, encoder or RecordingEncoder(), **kw)


def record_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths a sync reads (hashes) from now on, in order."""
    reads: list[str] = []
    real = index.plan.fingerprint
    monkeypatch.setattr(index.plan, "fingerprint", lambda ref: reads.append(ref.path) or real(ref))
    return reads


def touch_later(path: Path) -> None:
    st = path.stat()
    os.utime(path, ns=(st.st_mtime_ns + 10**9, st.st_mtime_ns + 10**9))
