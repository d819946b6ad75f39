"""Syncing an index with its folder, over later syncs: files read near the last scan are trusted
after one more sync, skipped files stay skipped unread until they change, and a new chunker
recuts every file but embeds only changed passages."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
import sync_helpers
from helpers import RecordingEncoder
from sync_helpers import ModelFreeEncoder, record_reads, sync, touch_later

import index.builder
import index.plan
from index import open_snapshot
from index.generations import current_generation
from index.manifest import read_manifest

# Fixtures from sync_helpers, assigned rather than imported: ruff reads a test's parameter
# of the same name as redefining an import (F811).
docs = sync_helpers.docs


def test_files_read_again_near_the_last_scan_are_trusted_after_one_more_sync(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "fresh.txt").write_text("Written just before the first sync.\n", encoding="utf-8")
    sync(docs, tmp_path / "i")  # the file's mtime is within the racy window of this scan
    reads = record_reads(monkeypatch)
    real_clock = time.time_ns
    monkeypatch.setattr(time, "time_ns", lambda: real_clock() + 5 * 10**9)  # 5 s later
    first = sync(docs, tmp_path / "i", ModelFreeEncoder())
    assert reads == ["fresh.txt"] and first.published  # read once more; this scan's time is kept
    second = sync(docs, tmp_path / "i", ModelFreeEncoder())
    assert reads == ["fresh.txt"] and not second.published  # from then on it is trusted


def test_renamed_passages_are_not_counted_as_removed(docs: Path, tmp_path: Path) -> None:
    sync(docs, tmp_path / "i")
    (docs / "a.md").rename(docs / "b.md")
    s = sync(docs, tmp_path / "i", ModelFreeEncoder())
    assert (s.files_renamed, s.removed, s.embedded) == (1, 0, 0)


def test_file_without_paragraphs_is_skipped_once_not_added_every_sync(
    docs: Path, tmp_path: Path
) -> None:
    sync(docs, tmp_path / "i")
    (docs / "headings.md").write_text("# Only\n\n## Headings\n", encoding="utf-8")
    first = sync(docs, tmp_path / "i")
    assert first.files_added == 0
    assert {
        "path": "headings.md",
        "reason": "no paragraphs (only headings or markup)",
        "code": "no_paragraphs",
    } in first.files_skipped
    second = sync(docs, tmp_path / "i", RecordingEncoder())
    assert (second.files_added, second.published) == (0, False)


def test_file_skipped_for_its_content_is_skipped_again_unread_until_it_changes(
    docs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    headings = docs / "headings.md"
    headings.write_text("# Only\n\n## Headings\n", encoding="utf-8")
    past = 1_600_000_000_000_000_000
    os.utime(headings, ns=(past, past))
    first = sync(docs, tmp_path / "i")
    reason = "no paragraphs (only headings or markup)"
    assert {"path": "headings.md", "reason": reason, "code": "no_paragraphs"} in first.files_skipped
    reads = record_reads(monkeypatch)
    again = sync(docs, tmp_path / "i", ModelFreeEncoder())
    assert reads == [] and not again.published  # not read, no model, nothing written
    assert {"path": "headings.md", "reason": reason, "code": "no_paragraphs"} in again.files_skipped
    headings.write_text("# Only\n\nNow a paragraph.\n", encoding="utf-8")
    fixed = sync(docs, tmp_path / "i")
    assert reads == ["headings.md"] and fixed.files_added == 1 and fixed.embedded == 1
    assert all(s["path"] != "headings.md" for s in fixed.files_skipped)


def test_new_chunker_version_recuts_every_file_but_embeds_only_changed_passages(
    docs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(index.builder, "CHUNKER_VERSION", index.builder.CHUNKER_VERSION - 1)
    first = sync(docs, tmp_path / "i")
    monkeypatch.undo()
    reads = record_reads(monkeypatch)
    encoder = RecordingEncoder()
    again = sync(docs, tmp_path / "i", encoder)
    assert sorted(reads) == ["a.md", "big.txt", "sub/b.txt"]  # every file cut again
    assert again.published and again.embedded == 0 and encoder.calls == []
    assert (again.files_added, again.files_changed, again.files_removed) == (0, 0, 0)
    assert again.passages == first.passages and again.removed == 0
    snap = open_snapshot(tmp_path / "i")
    try:
        assert snap.manifest.chunker_version == index.builder.CHUNKER_VERSION
    finally:
        snap.close()
    assert not sync(docs, tmp_path / "i", ModelFreeEncoder()).published  # and then settled


@pytest.mark.parametrize("content", ["   \n\n  \n", "# Only\n\n## Headings\n"])
def test_touching_a_skipped_file_needs_no_model_and_rewrites_no_data(
    docs: Path, tmp_path: Path, content: str
) -> None:
    skipped = docs / "skipped.md"
    skipped.write_text(content, encoding="utf-8")
    past = 1_600_000_000_000_000_000
    os.utime(skipped, ns=(past, past))
    sync(docs, tmp_path / "i")
    old = current_generation(tmp_path / "i")
    touch_later(skipped)
    s = sync(docs, tmp_path / "i", ModelFreeEncoder())  # same content: not cut again
    assert s.published and s.embedded == 0
    assert "skipped.md" in {x["path"] for x in s.files_skipped}
    new = current_generation(tmp_path / "i")
    assert read_manifest(new).segments == read_manifest(old).segments


def test_skipped_file_read_again_near_the_last_scan_is_trusted_after_one_more_sync(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "good.txt").write_text("A paragraph.\n", encoding="utf-8")
    (docs / "blank.md").write_text("  \n\n", encoding="utf-8")  # within the racy window
    past = 1_600_000_000_000_000_000
    os.utime(docs / "good.txt", ns=(past, past))
    sync(docs, tmp_path / "i")
    reads = record_reads(monkeypatch)
    real_clock = time.time_ns
    monkeypatch.setattr(time, "time_ns", lambda: real_clock() + 5 * 10**9)  # 5 s later
    first = sync(docs, tmp_path / "i", ModelFreeEncoder())
    assert reads == ["blank.md"] and first.published  # hashed once more; this scan's time is kept
    second = sync(docs, tmp_path / "i", ModelFreeEncoder())
    assert reads == ["blank.md"] and not second.published  # from then on it is trusted
