"""Failures a user can cause or meet, each one line naming the file and the fix, exit status 1:
a full disk (the previous index keeps answering, nothing half-written stays), missing
permissions, a damaged INDEX/CURRENT (a sync repairs it), a question that is not valid text."""

from __future__ import annotations

import errno
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from click.testing import CliRunner

import index.merging
import index.vectorindex.raw
import index.writer
from index import HashingEncoder, IndexConfig, build_index
from index.errors import DiskFullError, IndexPointerError
from index.generations import current_generation
from qa import Retriever, retrieve
from qa.cli import cli

ROOT = Path(__file__).resolve().parent.parent
BANANAS = "Bananas are yellow fruit rich in potassium, which keeps the heart beating steadily."
# Enough new text that a sync writes a segment of many rows.
PLANTS = "\n\n".join(
    f"Photosynthesis step {i} turns sunlight, water and carbon dioxide into sugar and oxygen."
    for i in range(400)
)


@pytest.fixture
def indexed(tmp_path: Path) -> tuple[Path, Path]:
    """A documents folder and its index (hashing model), built once."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "fruit.md").write_text(f"# Fruit\n\n{BANANAS}\n", encoding="utf-8")
    index_dir = tmp_path / "index"
    build_index(docs, IndexConfig(index_dir=index_dir, model="hashing"))
    return docs, index_dir


def _layout(index_dir: Path) -> tuple[set[str], set[str], set[str]]:
    """The generations, the segments and the loose files in an index folder."""
    names = lambda p: {c.name for c in p.iterdir()} if p.is_dir() else set()  # noqa: E731
    return names(index_dir / "generations"), names(index_dir / "segments"), names(index_dir)


def _one_line_error(args: Sequence[str]) -> str:
    """Run the CLI expecting a docqa error: exit status 1 and one line on stderr."""
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 1, result.output
    lines = [line for line in result.stderr.splitlines() if "\r" not in line and "%|" not in line]
    errors = [line for line in lines if line.startswith("docqa: error: ")]
    assert len(errors) == 1 and "Traceback" not in result.stderr, result.stderr
    return errors[0]


def _answers(index_dir: Path, retriever: Retriever | None = None) -> None:
    """The index (through an open retriever and a new one) still finds the bananas."""
    for r in (retriever, Retriever(index_dir)):
        if r is not None:
            assert r.retrieve("bananas potassium", 1)[0].source == "fruit.md"


# -- a full disk ------------------------------------------------------------------------------


def _full_disk_sync(docs: Path, index_dir: Path) -> str:
    """Sync a new file into ``index_dir`` under an injected full disk: the sync fails with
    one line, the previous index still answers and nothing it wrote is left behind."""
    before = _layout(index_dir)
    generation = current_generation(index_dir)
    retriever = Retriever(index_dir)
    (docs / "plants.md").write_text(PLANTS, encoding="utf-8")
    line = _one_line_error(["index", str(docs), "--index", str(index_dir)])
    assert str(index_dir) in line and "disk" in line and "free some space" in line
    assert "--index" in line and "B free" in line
    assert _layout(index_dir) == before
    assert current_generation(index_dir) == generation
    _answers(index_dir, retriever)
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
    line = _one_line_error(["index", str(docs), "--index", str(index_dir)])
    assert str(index_dir) in line and "free some space" in line
    listed = {s.name for s in Retriever(index_dir).manifest.segments}
    assert listed == {"000001", "000002"} and _layout(index_dir)[1] == listed
    _answers(index_dir)


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
    _answers(index_dir, retriever)


def test_read_only_disk(tmp_path: Path, small_disk: Path) -> None:
    """An index on a disk mounted read-only answers; a sync says the disk is read-only."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "fruit.md").write_text(f"# Fruit\n\n{BANANAS}\n", encoding="utf-8")
    index_dir = small_disk / "index"
    build_index(docs, IndexConfig(index_dir=index_dir, model="hashing"))
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    line = _one_line_error(["index", str(docs), "--index", str(index_dir)])
    assert f"cannot write index {str(index_dir)!r}" in line
    assert "read-only disk; use --index on a writable disk" in line
    _answers(index_dir)


# -- permissions ------------------------------------------------------------------------------


def test_lock_permission_injected(
    indexed: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A read-only index folder, as a root test can see it: the lock cannot be opened."""
    docs, index_dir = indexed
    real = os.open

    def deny(path: object, *args: object, **kwargs: object) -> int:
        if str(path).endswith("lock"):
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", deny)
    line = _one_line_error(["index", str(docs), "--index", str(index_dir)])
    assert f"cannot write index {str(index_dir)!r}" in line
    assert f"permission denied on {str(index_dir / 'lock')!r}" in line
    assert "chown -R $USER" in line and "--index elsewhere" in line


@pytest.fixture
def shared(tmp_path: Path) -> Iterator[Path]:
    """A folder another user can reach (pytest's own temporary folders are private)."""
    folder = Path(tempfile.mkdtemp(prefix="docqa-perm-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _as_nobody(*args: str) -> subprocess.CompletedProcess[str]:
    """``docqa ARGS`` run by an unprivileged user, so that file permissions apply."""
    if os.geteuid() != 0:
        prefix: list[str] = []
    elif shutil.which("setpriv"):
        prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    else:
        pytest.skip("running as root without setpriv: permissions are not enforced")
    env = {**os.environ, "HOME": "/tmp", "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [*prefix, sys.executable, "-m", "qa.cli", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _denied(proc: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("docqa: error: "), proc.stderr
    for needle in needles:
        assert needle in lines[0]


def test_index_folder_not_writable(shared: Path) -> None:
    docs, index_dir = shared / "docs", shared / "index"
    docs.mkdir()
    (docs / "fruit.md").write_text(BANANAS, encoding="utf-8")
    build_index(docs, IndexConfig(index_dir=index_dir, model="hashing"))  # owned by root
    proc = _as_nobody("index", str(docs), "--index", str(index_dir), "--model", "hashing")
    _denied(proc, f"cannot write index {str(index_dir)!r}", "lock", "write access", "chown")
    proc = _as_nobody("ask", "bananas", "--index", str(index_dir))  # reading is allowed
    assert proc.returncode == 0 and "fruit.md" in proc.stdout, proc.stderr


def test_documents_folder_not_readable(shared: Path) -> None:
    docs, index_dir = shared / "docs", shared / "index"
    docs.mkdir(mode=0o700)
    (docs / "fruit.md").write_text(BANANAS, encoding="utf-8")
    index_dir.mkdir()
    os.chown(index_dir, 65534, 65534)
    proc = _as_nobody("index", str(docs), "--index", str(index_dir), "--model", "hashing")
    _denied(
        proc, f"cannot read documents folder {str(docs)!r}", "read access", f"chmod -R a+rX {docs}"
    )


@pytest.mark.parametrize(
    ("command", "private", "mode"),
    [
        ("ask", ".", 0o700),
        ("ask", "generations", 0o700),
        ("ask", "segments", 0o700),
        ("ask", "segments/000001/vectors.f32", 0o600),
        ("status", ".", 0o700),
        ("status", "CURRENT", 0o600),
        ("status", "generations/000001/manifest.json", 0o600),
    ],
)
def test_index_not_readable(shared: Path, command: str, private: str, mode: int) -> None:
    docs, index_dir = shared / "docs", shared / "index"
    docs.mkdir()
    (docs / "fruit.md").write_text(BANANAS, encoding="utf-8")
    build_index(docs, IndexConfig(index_dir=index_dir, model="hashing"))
    (index_dir / private).chmod(mode)
    args = ["bananas"] if command == "ask" else []
    proc = _as_nobody(command, *args, "--index", str(index_dir))
    _denied(
        proc,
        f"cannot read index {str(index_dir)!r}",
        "permission denied",
        f"chmod -R a+rX {index_dir}",
    )


# -- a damaged CURRENT ------------------------------------------------------------------------

DAMAGE = {
    "folder": None,
    "invalid UTF-8": b"\xff\xfe000001\n",
    "empty": b"",
    "missing generation": b"000042\n",
    "garbage": b"hello, world\n",
}


def _damage(index_dir: Path, kind: str) -> None:
    pointer = index_dir / "CURRENT"
    pointer.unlink()
    content = DAMAGE[kind]
    if content is None:
        pointer.mkdir()
    else:
        pointer.write_bytes(content)


@pytest.mark.parametrize("kind", list(DAMAGE))
def test_damaged_current(
    indexed: tuple[Path, Path], kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    docs, index_dir = indexed
    generation = current_generation(index_dir).name
    _damage(index_dir, kind)
    pointer = str(index_dir / "CURRENT")
    for args in (["status"], ["ask", "bananas"], ["verify"]):
        line = _one_line_error([*args, "--index", str(index_dir)])
        assert repr(pointer) in line and f"docqa index DOCS --index {index_dir}" in line
    with pytest.raises(IndexPointerError, match="CURRENT"):
        Retriever(index_dir)
    # A sync repairs it from the newest intact generation, reusing every vector, and says so.
    result = CliRunner().invoke(cli, ["index", str(docs), "--index", str(index_dir), "--json"])
    assert result.exit_code == 0, result.output
    assert "repaired" in caplog.text and pointer in caplog.text  # a warning line on stderr
    assert (index_dir / "CURRENT").is_file()
    assert '"embedded": 0' in result.stdout
    summary = json.loads(result.stdout)
    assert "repaired" in summary["repaired"] and pointer in summary["repaired"]
    assert int(current_generation(index_dir).name) >= int(generation)
    _answers(index_dir)


def test_damaged_current_without_intact_generation(indexed: tuple[Path, Path]) -> None:
    docs, index_dir = indexed
    _damage(index_dir, "garbage")
    for manifest in (index_dir / "generations").glob("*/manifest.json"):
        manifest.unlink()
    summary = build_index(docs, IndexConfig(index_dir=index_dir, model="hashing"))
    assert summary.published and summary.embedded == 1
    assert "no generation is intact" in summary.repaired
    assert build_index(docs, IndexConfig(index_dir=index_dir, model="hashing")).repaired == ""
    _answers(index_dir)


# -- undecodable questions --------------------------------------------------------------------


class StrictEncoder(HashingEncoder):
    """Refuses text that is no valid Unicode, as the real model's tokenizer does."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        for text in texts:
            text.encode("utf-8")  # a lone surrogate raises, as in the tokenizer
            self.seen.append(text)
        return super().embed(texts)


@pytest.mark.parametrize("question", ["\ud800 bananas", "bananas \udcff", "\x00bananas\x1b[2J"])
def test_question_cleaned(indexed: tuple[Path, Path], question: str) -> None:
    _, index_dir = indexed
    encoder = StrictEncoder()
    results = Retriever(index_dir, encoder=encoder).retrieve(question, 1)
    assert results[0].source == "fruit.md"
    assert encoder.seen and "\x00" not in encoder.seen[0] and "\x1b" not in encoder.seen[0]
    assert retrieve(question, 1, index=index_dir)[0].source == "fruit.md"


def test_question_with_nothing_left(indexed: tuple[Path, Path]) -> None:
    _, index_dir = indexed
    with pytest.raises(ValueError, match="question is empty"):
        retrieve("\udcff\udcfe \x00", index=index_dir)
    line = _one_line_error(["ask", "\ud800\x07", "--index", str(index_dir)])
    assert "question is empty" in line


def test_question_bytes_from_a_terminal(indexed: tuple[Path, Path]) -> None:
    """Bytes that are not UTF-8 on the command line reach the search as U+FFFD."""
    _, index_dir = indexed
    proc = subprocess.run(
        [sys.executable, "-m", "qa.cli", "ask", b"bananas \xff\xfe", "--index", index_dir],
        cwd=ROOT,
        capture_output=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    assert b"fruit.md" in proc.stdout and b"Traceback" not in proc.stderr
