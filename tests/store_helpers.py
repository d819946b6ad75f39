"""Passages, manifests and published generations written by hand, for the test_store*.py modules."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from index.generations import new_generation, new_segment, publish
from index.manifest import FORMAT_VERSION, FileEntry, Manifest, write_manifest
from index.passage import Passage
from index.skips import SkipCode, Skipped
from index.writer import SegmentWriter

__all__ = [
    "DIM",
    "PASSAGES",
    "index_dir",
    "manifest",
    "passage",
    "publish_generation",
    "unit_vectors",
]

DIM = 8


def passage(pid: int, source: str, paragraph: int, text: str, **extra: object) -> Passage:
    fields: dict[str, object] = {
        "id": pid,
        "source": source,
        "paragraph": paragraph,
        "part": 1,
        "parts": 1,
        "start": 10 * paragraph,
        "end": 10 * paragraph + len(text),
        "line_start": paragraph,
        "line_end": paragraph,
        "heading_path": (),
        "kind": "text",
        "text": text,
        "content_hash": f"{pid:064x}",
    }
    fields.update(extra)
    return Passage(**fields)  # type: ignore[arg-type]


PASSAGES = [
    passage(2**40 + 7, "b.md", 1, "Zweiter Absatz mit Ümlauten.", heading_path=("Über", "Détails")),
    passage(3, "a.md", 2, "part two", part=2, parts=2, kind="code"),
    passage(1, "a.md", 1, "first", page=3, page_end=4, page_label="iii"),
    passage(2, "a.md", 2, "part one", part=1, parts=2, kind="code"),
]


def manifest(n: int, **extra: object) -> Manifest:
    fields: dict[str, object] = {
        "format_version": FORMAT_VERSION,
        "model": "fake",
        "dimension": DIM,
        "max_tokens": 16,
        "chunker_version": 1,
        "docs_root": "/docs",
        "built_at": "2024-01-01T00:00:00+00:00",
        "build_seconds": 0.5,
        "passages": n,
        "next_id": 2**40 + 8,
        "files": {"a.md": FileEntry("ab" * 32, 10, 123, 3, "markdown")},
        "skipped": [Skipped("x.pdf", SkipCode.UNSUPPORTED, "unsupported")],
        "docqa_version": "0.1.0",
    }
    fields.update(extra)
    return Manifest(**fields)  # type: ignore[arg-type]


def unit_vectors(n: int, seed: int = 0) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=(n, DIM)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def publish_generation(index_dir: Path, passages: list[Passage], vectors: np.ndarray) -> Path:
    """A generation of one segment holding ``passages`` (``vectors[i]`` for ``passages[i]``)."""
    order = sorted(range(len(passages)), key=lambda i: passages[i].id)
    writer = SegmentWriter(new_segment(index_dir), DIM)
    writer.add([passages[i] for i in order], vectors[order])
    entry = writer.finish()
    writer.close()
    folder = new_generation(index_dir)
    write_manifest(
        folder, manifest(len(passages), segments=[entry], next_segment=int(entry.name) + 1)
    )
    publish(index_dir, folder)
    return folder


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    """A published generation holding PASSAGES with unit_vectors(4)."""
    path = tmp_path / "index"
    publish_generation(path, PASSAGES, unit_vectors(len(PASSAGES)))
    return path
