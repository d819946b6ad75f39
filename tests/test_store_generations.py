"""index.generations: generations are numbered, published and swept, a snapshot lets go of its
files, and the write lock keeps a second writer out."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import store_helpers
from helpers import RecordingEncoder, build, write_files
from store_helpers import PASSAGES, publish_generation, unit_vectors

from index.errors import IndexBusyError
from index.generations import current_generation, new_generation, write_lock
from index.store import open_snapshot

# Fixtures from store_helpers, assigned rather than imported: ruff reads a test's parameter
# of the same name as redefining an import (F811).
index_dir = store_helpers.index_dir
ROOT = Path(__file__).resolve().parent.parent


# --- generations -----------------------------------------------------------------------------


def test_generations_are_numbered_and_only_current_and_previous_are_kept(tmp_path: Path) -> None:
    names = []
    for seed in range(4):
        folder = publish_generation(tmp_path, PASSAGES, unit_vectors(4, seed=seed))
        names.append(folder.name)
    assert names == ["000001", "000002", "000003", "000004"]
    assert (tmp_path / "CURRENT").read_text("utf-8").strip() == "000004"
    assert sorted(p.name for p in (tmp_path / "generations").iterdir()) == ["000003", "000004"]
    assert not (tmp_path / "CURRENT.tmp").exists()
    # Segments no kept generation lists are removed with their generations.
    assert sorted(p.name for p in (tmp_path / "segments").iterdir()) == ["000003", "000004"]


def test_unpublished_generation_is_invisible_and_removed_by_the_next_publish(
    tmp_path: Path,
) -> None:
    publish_generation(tmp_path, PASSAGES, unit_vectors(4))
    orphan = new_generation(tmp_path)  # a build that died before publishing
    (orphan / "half-written").write_bytes(b"x")
    assert current_generation(tmp_path).name == "000001"
    publish_generation(tmp_path, PASSAGES, unit_vectors(4))
    assert sorted(p.name for p in (tmp_path / "generations").iterdir()) == ["000001", "000003"]


def test_a_deleted_current_generation_is_never_reused_by_name(tmp_path: Path) -> None:
    import shutil

    publish_generation(tmp_path, PASSAGES, unit_vectors(4))
    reader = open_snapshot(tmp_path)
    try:
        shutil.rmtree(current_generation(tmp_path))  # lost to a mistake or a disk clean-up
        fresh = publish_generation(tmp_path, PASSAGES, unit_vectors(4, seed=1))
        assert fresh.name == "000002"  # not 000001 again: the reader can tell them apart
        assert fresh != reader.folder
    finally:
        reader.close()


def test_a_snapshot_let_go_closes_its_database_at_once(index_dir: Path) -> None:
    import gc
    import sqlite3

    gc.disable()  # the point: no wait for the cyclic collector (sqlite3 keeps a cycle)
    try:
        snap = open_snapshot(index_dir)
        db = snap.segments[0]._db
        assert db is not None
        db.execute("SELECT 1")
        del snap  # as a Retriever does when a newer generation is published
        with pytest.raises(sqlite3.ProgrammingError):
            db.execute("SELECT 1")
    finally:
        gc.enable()


# --- write lock ------------------------------------------------------------------------------

_HOLDER = textwrap.dedent(
    """
    import sys
    from index.generations import write_lock
    with write_lock(sys.argv[1]):
        print("locked", flush=True)
        sys.stdin.read()
    """
)


def start_holder(index_dir: Path) -> subprocess.Popen[str]:
    """Another process that holds the write lock until its stdin closes."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(index_dir)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "locked"
    return proc


def test_second_writer_gets_index_busy_naming_the_holder_pid(tmp_path: Path) -> None:
    proc = start_holder(tmp_path)
    try:
        with pytest.raises(IndexBusyError) as info, write_lock(tmp_path):
            pass
        assert f"pid {proc.pid}" in str(info.value)
        assert str(tmp_path) in str(info.value)
    finally:
        proc.communicate("", timeout=30)
    with write_lock(tmp_path):  # released when the holder finished
        pass


def test_lock_of_a_killed_holder_is_free(tmp_path: Path) -> None:
    proc = start_holder(tmp_path)
    proc.kill()
    proc.wait(timeout=30)
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.close()
    proc.stdout.close()
    with write_lock(tmp_path):
        pass


def test_build_while_locked_raises_and_changes_nothing(tmp_path: Path) -> None:
    docs = write_files(tmp_path / "docs", {"a.md": "First version."})
    index_dir = tmp_path / "index"
    build(docs, index_dir, RecordingEncoder())
    (docs / "a.md").write_text("Second version, longer.", encoding="utf-8")
    proc = start_holder(index_dir)
    try:
        encoder = RecordingEncoder()
        with pytest.raises(IndexBusyError, match=f"pid {proc.pid}"):
            build(docs, index_dir, encoder)
        assert encoder.calls == []
    finally:
        proc.communicate("", timeout=30)
    snap = open_snapshot(index_dir)
    try:
        assert [p.text for p in snap.all_passages()] == ["First version."]
    finally:
        snap.close()


def test_write_lock_is_exclusive_within_one_process_and_released_on_error(tmp_path: Path) -> None:
    busy = pytest.raises(IndexBusyError, match=f"pid {os.getpid()}")
    with write_lock(tmp_path), busy, write_lock(tmp_path):
        pass
    with pytest.raises(RuntimeError), write_lock(tmp_path):
        raise RuntimeError("boom")
    with write_lock(tmp_path):
        pass
