"""Helpers shared by the index tests: a recording fake encoder and tiny corpora written on demand."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index import HashingEncoder, IndexConfig, build_index
from index.builder import BuildSummary

# Sentences that pad a fixture paragraph to a realistic length (see ``paragraph``).
_FILLER = (
    "It says a little more about the same subject, in plain words.",
    "A reader who finds it alone still knows what it is about.",
    "Nothing in it depends on the paragraphs around it.",
)


def words(text: str) -> int:
    """``text``'s length in the test encoders' tokens (``\\w+`` words)."""
    return len(re.findall(r"\w+", text))


def paragraph(sentence: str, min_words: int = 16) -> str:
    """``sentence`` followed by plain sentences until it has at least ``min_words`` words.

    The chunker joins a paragraph shorter than a quarter of the encoder's ``max_tokens`` with its
    neighbours; a fixture paragraph meant to be a passage of its own needs 16 words for
    RecordingEncoder (max_tokens=64) and 64 for the default HashingEncoder (256)."""
    out, n = [sentence], 0
    while words(" ".join(out)) < min_words:
        out.append(_FILLER[n % len(_FILLER)])
        n += 1
    return " ".join(out)


class RecordingEncoder:
    """A HashingEncoder that remembers every list of texts it was asked to embed."""

    def __init__(self, dimension: int = 32, max_tokens: int = 64) -> None:
        self._inner = HashingEncoder(dimension=dimension, max_tokens=max_tokens)
        self.name = self._inner.name
        self.dimension = self._inner.dimension
        self.max_tokens = self._inner.max_tokens
        self.calls: list[list[str]] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(list(texts))
        return self._inner.embed(texts)

    def count_tokens(self, text: str) -> int:
        return self._inner.count_tokens(text)

    @property
    def embedded(self) -> list[str]:
        """Every text embedded so far, in order, flattened over calls."""
        return [t for call in self.calls for t in call]


class FailingEncoder(RecordingEncoder):
    """Counts tokens like RecordingEncoder but raises as soon as it is asked to embed."""

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(list(texts))
        raise RuntimeError("simulated crash while embedding")


def write_files(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write ``files`` (relative path -> text or bytes) under ``root`` and return ``root``."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_bytes(content.encode("utf-8"))
    return root


def rewrite(path: Path, text: str) -> None:
    """Replace a file's text and move its mtime forward, so a rebuild cannot mistake it for
    unchanged even when the file system's clock did not tick between the two writes."""
    before = path.stat().st_mtime_ns
    path.write_bytes(text.encode("utf-8"))
    os.utime(path, ns=(before + 10**9, before + 10**9))


def build(docs: Path, index_dir: Path, encoder: object, **kwargs: object) -> BuildSummary:
    """build_index with an injected encoder."""
    config = IndexConfig(index_dir=index_dir, model="hashing")
    return build_index(docs, config, encoder=encoder, **kwargs)  # type: ignore[arg-type]
