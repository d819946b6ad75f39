"""Failures a user can cause or meet, each one line naming the file and the fix, exit status 1:
a full disk (the previous index keeps answering, nothing half-written stays). Missing
permissions are in test_failures_permissions.py; a damaged INDEX/CURRENT (a sync repairs it)
and a question that is not valid text in test_failures_input.py."""

from __future__ import annotations

import errno
import os
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import failures_helpers
import numpy as np
import pytest
from failures_helpers import BANANAS, answers, one_line_error

import index.merging
import index.vectorindex.raw
import index.writer
from index import IndexConfig, build_index
from index.errors import DiskFullError
from index.generations import current_generation
from qa import Retriever

# Fixtures from failures_helpers, assigned rather than imported: ruff reads a test's parameter
# of the same name as redefining an import (F811).
indexed = failures_helpers.indexed

# Enough new text that a sync writes a segment of many rows.
PLANTS = "\n\n".join(
    f"Photosynthesis step {i} turns sunlight, water and carbon dioxide into sugar and oxygen."
    for i in range(400)
)


def _layout(index_dir: Path) -> tuple[set[str], set[str], set[str]]:
    """The generations, the segments and the loose files in an index folder."""
    names = lambda p: {c.name for c in p.iterdir()} if p.is_dir() else set()  # noqa: E731
    return names(index_dir / "generations"), names(index_dir / "segments"), names(index_dir)


# -- a full disk ------------------------------------------------------------------------------


def _full_disk_sync(docs: Path, index_dir: Path) -> str:
    """Sync a new file into ``index_dir`` under an injected full disk: the sync fails with
    one line, the previous index still answers and nothing it wrote is left behind."""
    before = _layout(index_dir)
    generation = current_generation(index_dir)
    retriever = Retriever(index_dir)
    (docs / "plants.md").write_text(PLANTS, encoding="utf-8")
    line = one_line_error(["index", str(docs), "--index", str(index_dir)])
    assert str(index_dir) in line and "disk" in line and "free some space" in line
    assert "--index" in line and "B free" in line
    assert _layout(index_dir) == before
    assert current_generation(index_dir) == generation
    answers(index_dir, retriever)
    return line


def test_sqlite_full_disk(indexed: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite's own 'database or disk is full' (a page limit: SQLITE_FULL for real)."""

    def tiny(*args: object, **kwargs: object) -> sqlite3.Connection:
        db = sqlite3.connect(*args, **kwargs)  # type: ignore[arg-type]
        db.execute("PRAGMA max_page_count = 12")
        return db

    monkeypatch.setattr(index.writer, "sqlite3", SimpleNamespace(connect=tiny))
    _full_disk_sync(*indexed)
    monkeypatch.undo()
    assert build_index(indexed[0], IndexConfig(index_dir=indexed[1], model="hashing")).published


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EDQUOT, errno.EFBIG])
def test_vector_file_full_disk(
    indexed: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    def add(self: object, ids: np.ndarray, vectors: np.ndarray) -> None:
        raise OSError(code, os.strerror(code), "vectors.f32")

    monkeypatch.setattr(index.vectorindex.raw.RawWriter, "add", add)
    _full_disk_sync(*indexed)


def test_faiss_full_disk(indexed: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """FAISS says it in a RuntimeError."""
    import faiss

    def write_index(index: object, path: str) -> None:
        raise RuntimeError(
            "Error in faiss::FileIOWriter::operator() at impl/io.cpp:96: "
            f"write error in {path}: 0 != 1 (No space left on device)"
        )

    monkeypatch.setattr(index.writer, "choose_kind", lambda count, dimension: "hnsw")
    monkeypatch.setattr(faiss, "write_index", write_index)
    _full_disk_sync(*indexed)


@pytest.mark.parametrize("name", ["manifest.json.tmp", "CURRENT.tmp", "passages.sqlite"])
def test_durable_write_full_disk(
    indexed: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """The manifest, the CURRENT pointer and the segment files are made durable by fsync,
    where a full disk (delayed allocation) shows last."""
    real = os.fsync

    def fsync(fd: int) -> None:
        if os.readlink(f"/proc/self/fd/{fd}").endswith(name):
            raise OSError(errno.ENOSPC, "No space left on device")
        real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    _full_disk_sync(*indexed)


def test_merge_full_disk(indexed: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    """A merge after the sync published: the sync's generation answers, the merge's
    unfinished segment is gone."""
    docs, index_dir = indexed

    class FullWriter(index.writer.SegmentWriter):
        def add(self, passages: object, vectors: object) -> None:
            raise OSError(errno.ENOSPC, "No space left on device", str(self.folder))

    monkeypatch.setattr(index.merging, "plan_merge", lambda s: [e.name for e in s][:2])
    monkeypatch.setattr(index.merging, "SegmentWriter", FullWriter)
    (docs / "plants.md").write_text(PLANTS, encoding="utf-8")
    line = one_line_error(["index", str(docs), "--index", str(index_dir)])
    assert str(index_dir) in line and "free some space" in line
    listed = {s.name for s in Retriever(index_dir).manifest.segments}
    assert listed == {"000001", "000002"} and _layout(index_dir)[1] == listed
    answers(index_dir)


@pytest.fixture
def small_disk() -> Iterator[Path]:
    """A real 256 KB file system (tmpfs; needs root and a kernel that lets us mount)."""
    folder = Path(tempfile.mkdtemp(prefix="docqa-small-disk-"))
    mount = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(folder)],
        capture_output=True,
        check=False,
    )
    if mount.returncode:
        folder.rmdir()
        pytest.skip(f"cannot mount a small tmpfs here: {mount.stderr.decode().strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)
        folder.rmdir()


def test_real_full_disk(tmp_path: Path, small_disk: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "fruit.md").write_text(f"# Fruit\n\n{BANANAS}\n", encoding="utf-8")
    index_dir = small_disk / "index"
    config = IndexConfig(index_dir=index_dir, model="hashing")
    build_index(docs, config)
    retriever = Retriever(index_dir)
    before, generation = _layout(index_dir), current_generation(index_dir)
    words = " ".join(f"w{i}" for i in range(40_000))  # 250 KB: more than the disk holds
    (docs / "big.txt").write_text(words, encoding="utf-8")
    with pytest.raises(
        DiskFullError, match=r"is full \(\d+(\.\d)? [kMG]B free\); .*free some space"
    ):
        build_index(docs, config)
    assert _layout(index_dir) == before and current_generation(index_dir) == generation
    answers(index_dir, retriever)


def test_read_only_disk(tmp_path: Path, small_disk: Path) -> None:
    """An index on a disk mounted read-only answers; a sync says the disk is read-only."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "fruit.md").write_text(f"# Fruit\n\n{BANANAS}\n", encoding="utf-8")
    index_dir = small_disk / "index"
    build_index(docs, IndexConfig(index_dir=index_dir, model="hashing"))
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    line = one_line_error(["index", str(docs), "--index", str(index_dir)])
    assert f"cannot write index {str(index_dir)!r}" in line
    assert "read-only disk; use --index on a writable disk" in line
    answers(index_dir)
