"""Syncing an index with its folder: only what changed is read and embedded, nothing is lost.
Later syncs (racy files, skipped files, a new chunker): test_sync_skipped.py."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import sync_helpers
from click.testing import CliRunner
from helpers import RecordingEncoder
from sync_helpers import ModelFreeEncoder, paragraph, paragraphs, record_reads, sync, touch_later

from index import IndexConfig, build_index, open_snapshot
from index.generations import current_generation
from index.manifest import read_manifest
from qa.cli import cli

# Fixtures from sync_helpers, assigned rather than imported: ruff reads a test's parameter
# of the same name as redefining an import (F811).
docs = sync_helpers.docs


def texts_by_source(index_dir: Path) -> dict[str, list[str]]:
    snap = open_snapshot(index_dir)
    out: dict[str, list[str]] = {}
    for p in snap.all_passages():
        out.setdefault(p.source, []).append(p.text)
    snap.close()
    return out


def test_first_sync_embeds_everything(docs: Path, tmp_path: Path) -> None:
    s = sync(docs, tmp_path / "i")
    assert (s.files_added, s.files_changed, s.files_removed, s.files_renamed) == (3, 0, 0, 0)
    assert s.embedded == s.passages == 207
    assert s.published


def test_editing_one_paragraph_embeds_only_that_paragraph(docs: Path, tmp_path: Path) -> None:
    sync(docs, tmp_path / "i")
    big = docs / "big.txt"
    big.write_text(
        big.read_text(encoding="utf-8").replace("topic big17.", "topic edited."), encoding="utf-8"
    )
    touch_later(big)
    enc = RecordingEncoder()
    s = sync(docs, tmp_path / "i", enc)
    assert s.embedded == 1
    edited = paragraph(17, "big").replace("topic big17.", "topic edited.")
    assert enc.embedded == [f"Big\n\n{edited}"]  # the title from the file name goes first
    assert (s.files_changed, s.files_added, s.files_removed) == (1, 0, 0)
    assert s.removed == 1
    assert s.passages == 207


def test_unchanged_files_are_not_read_and_nothing_is_written(
    docs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sync(docs, tmp_path / "i")
    before = current_generation(tmp_path / "i")
    reads = record_reads(monkeypatch)
    s = sync(docs, tmp_path / "i", ModelFreeEncoder())
    assert reads == []
    assert s.embedded == 0 and not s.published
    assert current_generation(tmp_path / "i") == before


def test_renamed_file_embeds_nothing_and_needs_no_model(docs: Path, tmp_path: Path) -> None:
    sync(docs, tmp_path / "i")
    (docs / "sub" / "b.txt").rename(docs / "moved-b.txt")
    s = sync(docs, tmp_path / "i", ModelFreeEncoder())
    assert s.files_renamed == 1
    assert s.changes["renamed"] == [{"from": "sub/b.txt", "to": "moved-b.txt"}]
    assert (s.files_added, s.files_removed, s.embedded, s.removed) == (0, 0, 0, 0)
    by_source = texts_by_source(tmp_path / "i")
    assert "sub/b.txt" not in by_source
    assert by_source["moved-b.txt"] == paragraphs(4, "b").strip().split("\n\n")


def test_copied_file_reuses_passages_and_vectors(docs: Path, tmp_path: Path) -> None:
    sync(docs, tmp_path / "i")
    (docs / "copy.md").write_bytes((docs / "a.md").read_bytes())
    s = sync(docs, tmp_path / "i", ModelFreeEncoder())
    assert (s.files_added, s.embedded) == (1, 0)
    by_source = texts_by_source(tmp_path / "i")
    assert by_source["copy.md"] == by_source["a.md"]


def test_rename_to_another_format_is_cut_again(docs: Path, tmp_path: Path) -> None:
    sync(docs, tmp_path / "i")
    (docs / "a.md").rename(docs / "a.txt")
    s = sync(docs, tmp_path / "i")
    # As text, the Markdown heading line is a short paragraph, joined with the one after it:
    # new content.
    assert (s.files_added, s.files_removed, s.files_renamed) == (1, 1, 0)
    assert texts_by_source(tmp_path / "i")["a.txt"][0] == f"# A\n\n{paragraph(0, 'a')}"


def test_deleted_file_leaves_no_trace(docs: Path, tmp_path: Path) -> None:
    sync(docs, tmp_path / "i")
    (docs / "sub" / "b.txt").unlink()
    s = sync(docs, tmp_path / "i", ModelFreeEncoder())
    assert (s.files_removed, s.removed, s.passages) == (1, 4, 203)
    snap = open_snapshot(tmp_path / "i")
    assert "sub/b.txt" not in snap.manifest.files
    assert all(p.source != "sub/b.txt" for p in snap.all_passages())
    assert len(snap.all_vectors()[0]) == 203
    snap.close()


def test_touched_file_is_read_once_then_trusted(
    docs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sync(docs, tmp_path / "i")
    old = current_generation(tmp_path / "i")
    touch_later(docs / "a.md")
    s = sync(docs, tmp_path / "i", ModelFreeEncoder())
    assert s.published and s.embedded == 0
    new = current_generation(tmp_path / "i")
    # Only the manifest is new: it lists the same segments as the previous generation.
    assert read_manifest(new).segments == read_manifest(old).segments
    reads = record_reads(monkeypatch)
    past = 1_700_000_000_000_000_000
    os.utime(docs / "a.md", ns=(past, past))  # any stat change is read again
    sync(docs, tmp_path / "i", ModelFreeEncoder())
    assert reads == ["a.md"]


def test_file_that_becomes_unreadable_is_removed_and_reported(docs: Path, tmp_path: Path) -> None:
    sync(docs, tmp_path / "i")
    (docs / "sub" / "b.txt").write_bytes(b"\x00\x01binary now")
    s = sync(docs, tmp_path / "i", ModelFreeEncoder())
    assert s.files_removed == 1
    assert {
        "path": "sub/b.txt",
        "reason": "binary file (contains NUL bytes), not text",
        "code": "binary",
    } in s.files_skipped


def test_dry_run_writes_nothing_and_predicts_the_sync(docs: Path, tmp_path: Path) -> None:
    sync(docs, tmp_path / "i")
    listing = sorted(p.name for p in (tmp_path / "i" / "generations").iterdir())
    big = docs / "big.txt"
    big.write_text(big.read_text(encoding="utf-8").replace("big3.", "three."), encoding="utf-8")
    touch_later(big)
    (docs / "new.txt").write_text("Brand new.\n", encoding="utf-8")
    (docs / "sub" / "b.txt").unlink()
    plan = sync(docs, tmp_path / "i", dry_run=True)
    assert plan.dry_run and not plan.published
    assert sorted(p.name for p in (tmp_path / "i" / "generations").iterdir()) == listing
    done = sync(docs, tmp_path / "i")
    for key in (
        "files_added",
        "files_changed",
        "files_removed",
        "files_renamed",
        "removed",
        "embedded",
        "passages",
        "files_indexed",
    ):
        assert getattr(plan, key) == getattr(done, key), key
    assert (done.embedded, done.files_added, done.files_changed, done.files_removed) == (2, 1, 1, 1)


def test_dry_run_on_a_new_index_creates_nothing(docs: Path, tmp_path: Path) -> None:
    s = sync(docs, tmp_path / "i", dry_run=True)
    assert s.embedded == 207 and s.files_added == 3
    assert not (tmp_path / "i").exists()


def test_model_change_re_embeds_everything_into_a_new_generation(
    docs: Path, tmp_path: Path
) -> None:
    sync(docs, tmp_path / "i")
    # max_tokens=64, as RecordingEncoder's, so that the same 207 paragraphs stand alone.
    model = "hashing:dim=16,max_tokens=64"
    s = build_index(docs, IndexConfig(index_dir=tmp_path / "i", model=model))
    assert s.embedded == 207
    assert open_snapshot(tmp_path / "i").manifest.dimension == 16


def test_a_model_of_the_same_name_but_another_shape_re_embeds_everything(
    docs: Path, tmp_path: Path
) -> None:
    first = sync(docs, tmp_path / "i")
    unchanged = RecordingEncoder(dimension=16)
    unchanged.name = RecordingEncoder().name  # the same name: only its vectors' shape differs
    assert not sync(docs, tmp_path / "i", unchanged).published  # nothing to embed: not loaded
    (docs / "a.md").write_text("# A\n\n" + paragraphs(3, "edited"), encoding="utf-8")
    reshaped = RecordingEncoder(dimension=16)
    reshaped.name = unchanged.name
    s = sync(docs, tmp_path / "i", reshaped)
    assert s.published and s.embedded == s.passages == first.passages
    assert (s.files_added, s.files_changed, s.files_removed) == (3, 0, 0)  # built from scratch
    snap = open_snapshot(tmp_path / "i")
    try:
        assert snap.manifest.dimension == 16 and snap.all_vectors()[1].shape == (207, 16)
    finally:
        snap.close()


def test_cli_json_has_the_sync_keys(docs: Path, tmp_path: Path) -> None:
    args = ["index", str(docs), "--index", str(tmp_path / "i"), "--model", "hashing", "--json"]
    CliRunner().invoke(cli, args)
    (docs / "a.md").rename(docs / "renamed.md")
    out = CliRunner().invoke(cli, args).stdout
    summary = json.loads(out)
    for key in (
        "files_indexed",
        "files_skipped",
        "passages",
        "embedded",
        "seconds",
        "files_added",
        "files_changed",
        "files_removed",
        "files_renamed",
        "removed",
    ):
        assert key in summary, key
    assert summary["files_renamed"] == 1 and summary["embedded"] == 0


def test_cli_dry_run_says_would(docs: Path, tmp_path: Path) -> None:
    res = CliRunner().invoke(
        cli, ["index", str(docs), "--index", str(tmp_path / "i"), "--model", "hashing", "--dry-run"]
    )
    assert res.exit_code == 0
    assert res.stdout.startswith("would index 3 files")
    assert not (tmp_path / "i").exists()
