"""index.store, index.manifest and index.generations: one generation on disk, how it is found and
checked, and the write lock."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from helpers import RecordingEncoder, build, write_files

from index.errors import IndexBusyError, IndexCorruptError, IndexNotFoundError
from index.generations import (
    current_generation,
    new_generation,
    new_segment,
    publish,
    write_lock,
)
from index.manifest import FORMAT_VERSION, FileEntry, Manifest, read_manifest, write_manifest
from index.passage import Passage
from index.segment import PASSAGES_DB
from index.skips import SkipCode, Skipped
from index.store import IndexSnapshot, open_snapshot
from index.vectorindex import VECTORS
from index.writer import SegmentWriter

DIM = 8
ROOT = Path(__file__).resolve().parent.parent


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


def segment_of(index_dir: Path) -> Path:
    """The folder of the published generation's (only) segment."""
    (entry,) = read_manifest(current_generation(index_dir)).segments
    return index_dir / "segments" / entry.name


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    """A published generation holding PASSAGES with unit_vectors(4)."""
    path = tmp_path / "index"
    publish_generation(path, PASSAGES, unit_vectors(len(PASSAGES)))
    return path


# --- round trip ------------------------------------------------------------------------------


def test_snapshot_round_trips_passages_vectors_and_manifest(index_dir: Path) -> None:
    snap = open_snapshot(index_dir)
    try:
        assert snap.generation == "000001"
        assert len(snap) == 4
        assert replace(snap.manifest, segments=[], next_segment=1) == manifest(4)
        # The manifest records each segment file's size and CRC-32.
        (entry,) = snap.manifest.segments
        folder = index_dir / "segments" / entry.name
        assert entry.checksums[VECTORS][0] == (folder / VECTORS).stat().st_size == 4 * DIM * 4
        assert set(entry.checksums) >= {PASSAGES_DB, VECTORS, "ids.i64"}
        by_order = sorted(PASSAGES, key=lambda p: (p.source, p.paragraph, p.part))
        assert snap.all_passages() == by_order
        ids = [p.id for p in PASSAGES]
        np.testing.assert_array_equal(snap.vectors(ids), unit_vectors(4))
        assert snap.passages(ids) == {p.id: p for p in PASSAGES}
    finally:
        snap.close()


def test_ids_are_int64_and_come_back_unchanged(index_dir: Path) -> None:
    snap = open_snapshot(index_dir)
    try:
        big = 2**40 + 7
        got = snap.passages([big])[big]
        assert type(got.id) is int and got.id == big
        assert got.heading_path == ("Über", "Détails")
        hits = snap.search(unit_vectors(4)[0], k=1)
        assert hits[0][0] == big and type(hits[0][0]) is int
    finally:
        snap.close()


def test_search_ranks_by_inner_product(index_dir: Path) -> None:
    vectors = unit_vectors(4)
    snap = open_snapshot(index_dir)
    try:
        for row, p in enumerate(PASSAGES):
            hits = snap.search(vectors[row], k=4)
            assert hits[0][0] == p.id
            assert hits[0][1] == pytest.approx(1.0, abs=1e-5)
            assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)
            assert sorted(i for i, _ in hits) == sorted(q.id for q in PASSAGES)
        assert len(snap.search(vectors[0], k=100)) == 4
        assert snap.search(vectors[0], k=0) == []
    finally:
        snap.close()


def test_passages_ignores_unknown_ids(index_dir: Path) -> None:
    snap = open_snapshot(index_dir)
    try:
        assert snap.passages([]) == {}
        assert set(snap.passages([1, 999_999])) == {1}
    finally:
        snap.close()


def test_empty_generation_round_trips(tmp_path: Path) -> None:
    publish_generation(tmp_path, [], np.zeros((0, DIM), dtype=np.float32))
    snap = open_snapshot(tmp_path)
    try:
        assert len(snap) == 0
        assert snap.all_passages() == []
        assert snap.search(unit_vectors(1)[0], k=5) == []
    finally:
        snap.close()


def test_segment_writer_refuses_counts_that_disagree_and_ids_out_of_order(tmp_path: Path) -> None:
    writer = SegmentWriter(new_segment(tmp_path), DIM)
    try:
        with pytest.raises(ValueError, match="disagree"):
            writer.add(PASSAGES, unit_vectors(3))
        with pytest.raises(ValueError):
            writer.add(PASSAGES, unit_vectors(4))  # ids 2**40+7, 3, 1, 2: not ascending
    finally:
        writer.close()


def test_manifest_is_plain_json(index_dir: Path) -> None:
    data = json.loads((current_generation(index_dir) / "manifest.json").read_text("utf-8"))
    assert data["format_version"] == FORMAT_VERSION
    assert data["files"]["a.md"]["sha256"] == "ab" * 32
    assert data["dimension"] == DIM


# --- missing and corrupt indexes -------------------------------------------------------------


@pytest.mark.parametrize("exists", [True, False])
def test_open_snapshot_without_an_index_says_how_to_build(tmp_path: Path, exists: bool) -> None:
    index_dir = tmp_path / "idx"
    if exists:
        index_dir.mkdir()
    with pytest.raises(IndexNotFoundError) as info:
        open_snapshot(index_dir)
    message = str(info.value)
    assert str(index_dir) in message
    assert "docqa index" in message


def corrupt(index_dir: Path, how: str) -> None:
    folder = segment_of(index_dir)
    mf = current_generation(index_dir) / "manifest.json"
    if how == "no vectors":
        (folder / VECTORS).unlink()
    elif how == "no passages":
        (folder / PASSAGES_DB).unlink()
    elif how == "no manifest":
        mf.unlink()
    elif how == "truncated manifest":
        mf.write_bytes(mf.read_bytes()[: mf.stat().st_size // 2])
    elif how == "empty manifest":
        mf.write_bytes(b"")
    elif how == "truncated vectors":
        data = (folder / VECTORS).read_bytes()
        (folder / VECTORS).write_bytes(data[: len(data) // 2])
    elif how == "garbage passages":
        (folder / PASSAGES_DB).write_bytes(b"not a database" * 100)
    elif how == "future format":
        data = json.loads(mf.read_text("utf-8"))
        data["format_version"] = FORMAT_VERSION + 1
        mf.write_text(json.dumps(data), encoding="utf-8")
    elif how == "unknown field":
        data = json.loads(mf.read_text("utf-8"))
        data["surprise"] = 1
        mf.write_text(json.dumps(data), encoding="utf-8")
    elif how == "count mismatch":
        data = json.loads(mf.read_text("utf-8"))
        data["passages"] += 1
        mf.write_text(json.dumps(data), encoding="utf-8")
    elif how == "dangling CURRENT":
        (index_dir / "CURRENT").write_text("000099\n", encoding="utf-8")
    else:  # pragma: no cover
        raise AssertionError(how)


_CORRUPTIONS = [
    "no vectors",
    "no passages",
    "no manifest",
    "truncated manifest",
    "empty manifest",
    "truncated vectors",
    "garbage passages",
    "future format",
    "unknown field",
    "count mismatch",
    "dangling CURRENT",
]


@pytest.mark.parametrize("how", _CORRUPTIONS)
def test_inconsistent_generation_raises_index_corrupt_error(index_dir: Path, how: str) -> None:
    corrupt(index_dir, how)
    with pytest.raises(IndexCorruptError) as info:
        open_snapshot(index_dir)
    assert str(index_dir) in str(info.value), "the message names the index"


@pytest.mark.parametrize("how", _CORRUPTIONS)
def test_index_corrupt_error_says_how_to_recover(index_dir: Path, how: str) -> None:
    corrupt(index_dir, how)
    with pytest.raises(IndexCorruptError, match="docqa index"):
        open_snapshot(index_dir)


@pytest.mark.parametrize("content", ["[]", "null", '{"format_version": 1, "files": []}'])
def test_manifest_that_is_not_an_object_raises_index_corrupt_error(
    index_dir: Path, content: str
) -> None:
    (current_generation(index_dir) / "manifest.json").write_text(content, encoding="utf-8")
    with pytest.raises(IndexCorruptError):
        read_manifest(current_generation(index_dir))


def test_dimension_mismatch_raises_index_corrupt_error(index_dir: Path) -> None:
    mf = current_generation(index_dir) / "manifest.json"
    data = json.loads(mf.read_text("utf-8"))
    data["dimension"] = DIM * 2
    mf.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(IndexCorruptError):
        open_snapshot(index_dir).close()


def test_snapshot_keeps_working_after_a_newer_generation_is_published(index_dir: Path) -> None:
    old = open_snapshot(index_dir)
    try:
        newer = [dataclasses.replace(p, text=p.text.upper()) for p in PASSAGES]
        publish_generation(index_dir, newer, unit_vectors(4, seed=1))
        assert [p.text for p in old.all_passages()] == [
            p.text for p in sorted(PASSAGES, key=lambda p: (p.source, p.paragraph, p.part))
        ]
        fresh = IndexSnapshot(current_generation(index_dir))
        assert fresh.generation == "000002"
        assert fresh.passages([1])[1].text == "FIRST"
        fresh.close()
    finally:
        old.close()


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
