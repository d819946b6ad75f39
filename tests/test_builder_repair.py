"""index.build_index: what the manifest records and the build reports, and that a failed or damaged
build leaves the published index as it was or is repaired."""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import builder_helpers
import numpy as np
import pytest
from builder_helpers import BANANAS, EXPECTED_TEXTS, NOTES, snapshot_of, snapshot_passages
from helpers import FailingEncoder, RecordingEncoder, build, rewrite, write_files

import index.builder
import index.writer
from index import IndexConfig, build_index
from index.errors import DocsNotFoundError, IndexCorruptError
from index.generations import current_generation
from index.manifest import FORMAT_VERSION, read_manifest
from index.paragraphs import CHUNKER_VERSION
from index.store import IndexSnapshot, open_snapshot

# Fixtures from builder_helpers, assigned rather than imported: ruff reads a test's parameter
# of the same name as redefining an import (F811).
docs = builder_helpers.docs
index_dir = builder_helpers.index_dir


def test_manifest_records_how_the_index_was_built(docs: Path, index_dir: Path) -> None:
    encoder = RecordingEncoder(dimension=32, max_tokens=50)
    started = datetime.now(UTC).replace(microsecond=0)
    summary = build(docs, index_dir, encoder)
    snap = open_snapshot(index_dir)
    try:
        m = snap.manifest
    finally:
        snap.close()
    assert m.format_version == FORMAT_VERSION
    assert (m.model, m.dimension, m.max_tokens) == (encoder.name, 32, 50)
    assert m.chunker_version == CHUNKER_VERSION
    assert m.docs_root == str(docs.resolve())
    assert m.docqa_version == index.__version__
    built = datetime.fromisoformat(m.built_at)
    assert started <= built <= datetime.now(UTC) + timedelta(seconds=1)
    assert m.build_seconds >= 0
    assert m.passages == summary.passages == 5
    assert m.next_id > max(p.id for p in snapshot_passages(index_dir))
    assert sorted(m.files) == ["guide.md", "sub/notes.txt"]
    for rel, entry in m.files.items():
        data = (docs / rel).read_bytes()
        assert entry.sha256 == hashlib.sha256(data).hexdigest()
        assert entry.size == len(data)
        assert entry.mtime_ns == (docs / rel).stat().st_mtime_ns
    assert (m.files["guide.md"].passages, m.files["guide.md"].format) == (3, "markdown")
    assert (m.files["sub/notes.txt"].passages, m.files["sub/notes.txt"].format) == (2, "text")
    assert [
        {"path": s.path, "reason": s.reason, "code": s.code} for s in m.skipped
    ] == summary.files_skipped


def test_degraded_files_are_reported(tmp_path: Path, index_dir: Path) -> None:
    docs = write_files(tmp_path / "docs", {"latin1.txt": "caf\xe9 ol\xe9".encode("latin-1")})
    summary = build(docs, index_dir, RecordingEncoder())
    assert summary.files_indexed == 1
    [degraded] = summary.files_degraded
    assert degraded["path"] == "latin1.txt"
    assert "invalid UTF-8" in degraded["reason"]


def test_progress_reports_reading_and_embedding(docs: Path, index_dir: Path) -> None:
    calls: list[tuple[str, int, int]] = []
    build(docs, index_dir, RecordingEncoder(), progress=lambda *a: calls.append(a))
    # guide.md, empty.txt and sub/notes.txt are read; sheet.xlsx is not a candidate
    # Each stage reports 0 first, so a progress bar shows before the first unit of work.
    assert [c for c in calls if c[0] == "reading"] == [("reading", n, 3) for n in (0, 1, 2, 3)]
    # Embedding progress counts the bytes of the files read into passages.
    total = sum((docs / name).stat().st_size for name in ("guide.md", "sub/notes.txt"))
    embedding = [c for c in calls if c[0] == "embedding"]
    assert embedding[0] == ("embedding", 0, total)
    assert embedding[-1] == ("embedding", total, total)
    assert [c[1] for c in embedding] == sorted(c[1] for c in embedding)


def test_build_with_model_spec_uses_hashing_encoder(docs: Path, index_dir: Path) -> None:
    # max_tokens=64, as RecordingEncoder's: the fixture's paragraphs stand alone at that size.
    spec = "hashing:dim=16,max_tokens=64"
    summary = build_index(docs, IndexConfig(index_dir=index_dir, model=spec))
    assert summary.model == spec
    assert summary.embedded == 5


def test_missing_docs_folder_raises_and_creates_no_index(tmp_path: Path, index_dir: Path) -> None:
    with pytest.raises(DocsNotFoundError):
        build(tmp_path / "missing", index_dir, RecordingEncoder())
    assert not index_dir.exists()


# --- crash safety ----------------------------------------------------------------------------


def test_build_that_fails_while_embedding_leaves_the_old_index(docs: Path, index_dir: Path) -> None:
    build(docs, index_dir, RecordingEncoder())
    generation, before, vectors = snapshot_of(index_dir)
    rewrite(docs / "sub" / "notes.txt", "Completely new text.\n")
    failing = FailingEncoder()
    with pytest.raises(RuntimeError, match="simulated crash"):
        build(docs, index_dir, failing)
    assert failing.calls == [["Notes\n\nCompletely new text."]]
    assert snapshot_of(index_dir)[0] == generation
    assert snapshot_of(index_dir)[1] == before
    np.testing.assert_array_equal(snapshot_of(index_dir)[2], vectors)
    assert sorted(p.name for p in (index_dir / "generations").iterdir()) == [generation]
    summary = build(docs, index_dir, RecordingEncoder())  # the lock was released
    assert summary.embedded == 1


def test_build_that_fails_while_writing_leaves_the_old_index(
    docs: Path, index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    build(docs, index_dir, RecordingEncoder())
    generation, before, _ = snapshot_of(index_dir)
    rewrite(docs / "guide.md", "# Guide\n\nRewritten.\n")
    real_finish = index.writer.SegmentWriter.finish

    def finish_then_die(self: index.writer.SegmentWriter, **kwargs: object) -> object:
        real_finish(self, **kwargs)  # type: ignore[arg-type]
        raise OSError("disk full")

    monkeypatch.setattr(index.writer.SegmentWriter, "finish", finish_then_die)
    with pytest.raises(OSError, match="disk full"):
        build(docs, index_dir, RecordingEncoder())
    assert snapshot_of(index_dir)[:2] == (generation, before)

    monkeypatch.setattr(index.writer.SegmentWriter, "finish", real_finish)
    summary = build(docs, index_dir, RecordingEncoder())
    assert summary.embedded == 1
    assert "Rewritten." in [p.text for p in snapshot_passages(index_dir)]
    kept = sorted(p.name for p in (index_dir / "generations").iterdir())
    assert len(kept) == 2 and kept[-1] == summary.generation
    listed = {s.name for g in kept for s in read_manifest(index_dir / "generations" / g).segments}
    assert {p.name for p in (index_dir / "segments").iterdir()} == listed, "no orphan segment"


def test_only_current_and_previous_generations_remain(docs: Path, index_dir: Path) -> None:
    names = [build(docs, index_dir, RecordingEncoder(), full=True).generation for _ in range(4)]
    assert names == ["000001", "000002", "000003", "000004"]
    assert sorted(p.name for p in (index_dir / "generations").iterdir()) == names[-2:]
    IndexSnapshot(index_dir / "generations" / names[-2]).close()  # the previous still opens


def only_segment(index_dir: Path) -> Path:
    (entry,) = read_manifest(current_generation(index_dir)).segments
    return index_dir / "segments" / entry.name


@pytest.mark.parametrize("full", [True, False])
def test_build_recovers_from_a_corrupt_index(docs: Path, index_dir: Path, full: bool) -> None:
    build(docs, index_dir, RecordingEncoder())
    (only_segment(index_dir) / "vectors.f32").write_bytes(b"garbage")
    with pytest.raises(IndexCorruptError):
        open_snapshot(index_dir)
    encoder = RecordingEncoder()
    summary = build(docs, index_dir, encoder, full=full)
    assert summary.embedded == len(encoder.embedded) == 5
    assert [p.text for p in snapshot_passages(index_dir)] == EXPECTED_TEXTS


def test_same_size_edit_with_the_same_mtime_is_indexed(docs: Path, index_dir: Path) -> None:
    path = docs / "sub" / "notes.txt"
    stamp = path.stat().st_mtime_ns
    build(docs, index_dir, RecordingEncoder())
    path.write_text(NOTES.replace("yellow", "purple"), encoding="utf-8")
    os.utime(path, ns=(stamp, stamp))
    build(docs, index_dir, RecordingEncoder())
    assert BANANAS.replace("yellow", "purple") in [p.text for p in snapshot_passages(index_dir)]


def test_damage_of_the_same_size_is_found_by_repair_and_only_what_it_held_is_embedded(
    docs: Path, index_dir: Path
) -> None:
    # Same byte size, so opening (which checks sizes) trusts the segment; --repair reads every
    # byte against the checksums, drops the damaged segment and reads its files again.
    build(docs, index_dir, RecordingEncoder())
    (docs / "extra.txt").write_text("One more paragraph.\n", encoding="utf-8")
    build(docs, index_dir, RecordingEncoder())  # extra.txt gets a segment of its own
    first = index_dir / "segments" / read_manifest(current_generation(index_dir)).segments[0].name
    vectors = first / "vectors.f32"
    vectors.write_bytes(b"\0" * vectors.stat().st_size)
    encoder = RecordingEncoder()
    assert build(docs, index_dir, encoder).embedded == 0  # a plain sync trusts the sizes
    summary = build(docs, index_dir, encoder, repair=True)
    assert summary.embedded == len(encoder.embedded) == 5, "extra.txt's passage was intact"
    assert sorted(p.text for p in snapshot_passages(index_dir)) == sorted(
        [*EXPECTED_TEXTS, "One more paragraph."]
    )
    assert first.name not in {s.name for s in read_manifest(current_generation(index_dir)).segments}


def test_index_folder_whose_path_needs_quoting_in_a_uri(docs: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "odd ?name#1 %20"
    build(docs, index_dir, RecordingEncoder())
    rewrite(docs / "guide.md", "# Guide\n\nRewritten.\n")
    summary = build(docs, index_dir, RecordingEncoder())  # attaches the old generation by URI
    assert summary.published and summary.removed > 0
    assert "Rewritten." in [p.text for p in snapshot_passages(index_dir)]
    assert not any(p.name.startswith("file:") for p in Path.cwd().iterdir())
