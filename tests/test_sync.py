"""Syncing an index with its folder: only what changed is read and embedded, nothing is lost."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from helpers import RecordingEncoder

import index.builder
import index.plan
from index import IndexConfig, build_index, open_snapshot
from index.generations import current_generation
from index.manifest import read_manifest
from qa.cli import cli


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


def sync(docs: Path, index_dir: Path, encoder: RecordingEncoder | None = None, **kw: object):  # type: ignore[no-untyped-def]
    return build_index(
        docs,
        IndexConfig(index_dir=index_dir, model="hashing"),
        encoder=encoder or RecordingEncoder(),
        **kw,
    )  # type: ignore[arg-type]


def texts_by_source(index_dir: Path) -> dict[str, list[str]]:
    snap = open_snapshot(index_dir)
    out: dict[str, list[str]] = {}
    for p in snap.all_passages():
        out.setdefault(p.source, []).append(p.text)
    snap.close()
    return out


def record_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The paths a sync reads (hashes) from now on, in order."""
    reads: list[str] = []
    real = index.plan.fingerprint
    monkeypatch.setattr(index.plan, "fingerprint", lambda ref: reads.append(ref.path) or real(ref))
    return reads


def touch_later(path: Path) -> None:
    st = path.stat()
    os.utime(path, ns=(st.st_mtime_ns + 10**9, st.st_mtime_ns + 10**9))


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
