"""index.store and index.manifest: one generation on disk, how it is found and checked.
Generations over time and the write lock are in test_store_generations.py."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import store_helpers
from store_helpers import DIM, PASSAGES, manifest, publish_generation, unit_vectors

from index.errors import IndexCorruptError, IndexNotFoundError
from index.generations import current_generation, new_segment
from index.manifest import FORMAT_VERSION, read_manifest
from index.segment import PASSAGES_DB
from index.store import IndexSnapshot, open_snapshot
from index.vectorindex import VECTORS
from index.writer import SegmentWriter

# Fixtures from store_helpers, assigned rather than imported: ruff reads a test's parameter
# of the same name as redefining an import (F811).
index_dir = store_helpers.index_dir


def segment_of(index_dir: Path) -> Path:
    """The folder of the published generation's (only) segment."""
    (entry,) = read_manifest(current_generation(index_dir)).segments
    return index_dir / "segments" / entry.name


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
