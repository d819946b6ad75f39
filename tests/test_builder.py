"""index.build_index: what gets embedded, what is reused, what the manifest records, and that a
failed build leaves the published index as it was."""

from __future__ import annotations

import hashlib
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from helpers import FailingEncoder, RecordingEncoder, build, paragraph, rewrite, write_files

import index.builder
import index.writer
from index import IndexConfig, build_index
from index.cutting import document_title, embed_input
from index.errors import DocsNotFoundError, IndexCorruptError
from index.generations import current_generation
from index.manifest import FORMAT_VERSION, read_manifest
from index.paragraphs import CHUNKER_VERSION
from index.passage import Passage
from index.store import IndexSnapshot, open_snapshot

# Every paragraph has at least 16 words, a quarter of RecordingEncoder's max_tokens, so each is
# a passage of its own: shorter ones would be joined with their neighbours in the same section.
INSTALL = (
    "Install docqa with pip into a virtual environment; it needs Python 3.11 or later and "
    "downloads no model when it is installed."
)
RUN = (
    "Run docqa index on a folder. It reads every Markdown, text, HTML, PDF and Word file in it "
    "and embeds their paragraphs."
)
ASK = (
    "Ask with docqa ask. The answer lists the passages that match best, each with its file, "
    "paragraph and line."
)
BANANAS = (
    "Bananas are yellow. They are rich in potassium and ripen after picking, as the starch in "
    "the fruit turns to sugar."
)
PARIS = (
    "Paris is the capital of France. It lies on the Seine and has been the seat of the national "
    "government since the Middle Ages."
)
GUIDE = f"# Guide\n\n{INSTALL}\n\n## Usage\n\n{RUN}\n\n{ASK}\n"
NOTES = f"{BANANAS}\n\n{PARIS}\n"
FILES: dict[str, str | bytes] = {
    "guide.md": GUIDE,
    "sub/notes.txt": NOTES,
    "sheet.xlsx": b"%PDF-1.4",
    "empty.txt": "",
    ".hidden.md": "secret",
}


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    return write_files(tmp_path / "docs", FILES)


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    return tmp_path / "index"


def snapshot_passages(index_dir: Path) -> list[Passage]:
    snap = open_snapshot(index_dir)
    try:
        return snap.all_passages()
    finally:
        snap.close()


def snapshot_of(index_dir: Path) -> tuple[str, list[Passage], np.ndarray]:
    """(generation, passages, their vectors) of the published index."""
    snap = open_snapshot(index_dir)
    try:
        passages = snap.all_passages()
        return snap.generation, passages, snap.vectors([p.id for p in passages])
    finally:
        snap.close()


EXPECTED_TEXTS = [INSTALL, RUN, ASK, BANANAS, PARIS]


def test_first_build_embeds_every_paragraph_once(docs: Path, index_dir: Path) -> None:
    encoder = RecordingEncoder()
    summary = build(docs, index_dir, encoder)
    assert summary.files_indexed == 2
    assert summary.passages == 5
    assert summary.embedded == 5 == len(encoder.embedded)
    assert summary.reused == 0
    assert summary.model == encoder.name
    assert summary.generation == "000001"
    assert sorted(encoder.embedded) == sorted(
        [
            # guide.md's title "Guide" is its first heading already: it is not repeated.
            f"Guide\n\n{INSTALL}",
            f"Guide > Usage\n\n{RUN}",
            f"Guide > Usage\n\n{ASK}",
            # sub/notes.txt has no headings: the title from its file name goes first.
            f"Notes\n\n{BANANAS}",
            f"Notes\n\n{PARIS}",
        ]
    )
    assert [p.text for p in snapshot_passages(index_dir)] == EXPECTED_TEXTS


def test_skipped_files_are_listed_with_reasons(docs: Path, index_dir: Path) -> None:
    summary = build(docs, index_dir, RecordingEncoder())
    reasons = {s["path"]: s["reason"] for s in summary.files_skipped}
    assert set(reasons) == {"empty.txt", "sheet.xlsx"}
    assert reasons["empty.txt"] == "empty file"
    assert "unsupported" in reasons["sheet.xlsx"]


def test_passages_cite_their_source_exactly(docs: Path, index_dir: Path) -> None:
    build(docs, index_dir, RecordingEncoder())
    passages = snapshot_passages(index_dir)
    assert len({p.id for p in passages}) == len(passages)
    for p in passages:
        text = (docs / p.source).read_text(encoding="utf-8")
        assert text[p.start : p.end] == p.text
        assert p.line_start == text.count("\n", 0, p.start) + 1
    usage = [p for p in passages if p.source == "guide.md"]
    assert [(p.paragraph, p.heading_path) for p in usage] == [
        (1, ("Guide",)),
        (2, ("Guide", "Usage")),
        (3, ("Guide", "Usage")),
    ]


def test_vectors_are_the_encoders_embeddings(docs: Path, index_dir: Path) -> None:
    encoder = RecordingEncoder()
    build(docs, index_dir, encoder)
    _, passages, vectors = snapshot_of(index_dir)
    notes = [i for i, p in enumerate(passages) if p.source == "sub/notes.txt"]
    expected = RecordingEncoder().embed(
        [embed_input((), passages[i].text, "", document_title("sub/notes.txt")) for i in notes]
    )
    np.testing.assert_allclose(vectors[notes], expected, rtol=1e-6)


def test_rebuild_without_changes_embeds_nothing(docs: Path, index_dir: Path) -> None:
    build(docs, index_dir, RecordingEncoder())
    _, before, vectors_before = snapshot_of(index_dir)
    encoder = RecordingEncoder()
    summary = build(docs, index_dir, encoder)
    assert summary.embedded == 0
    assert summary.reused == summary.passages == 5
    assert encoder.calls == []
    generation, after, vectors_after = snapshot_of(index_dir)
    assert generation == "000001", "nothing changed: no new generation is written"
    assert not summary.published
    assert after == before, "ids and every field stay the same"
    np.testing.assert_array_equal(vectors_after, vectors_before)


def test_touched_but_unchanged_file_is_reread_but_not_embedded(docs: Path, index_dir: Path) -> None:
    build(docs, index_dir, RecordingEncoder())
    before = snapshot_passages(index_dir)
    rewrite(docs / "guide.md", GUIDE)
    encoder = RecordingEncoder()
    assert build(docs, index_dir, encoder).embedded == 0
    assert encoder.calls == []
    assert snapshot_passages(index_dir) == before


def test_editing_one_paragraph_embeds_exactly_that_paragraph(docs: Path, index_dir: Path) -> None:
    build(docs, index_dir, RecordingEncoder())
    before = {p.text: p for p in snapshot_passages(index_dir)}
    edited = ASK.replace("Ask with docqa ask.", "Ask questions with docqa ask.")
    rewrite(docs / "guide.md", GUIDE.replace(ASK, edited))
    encoder = RecordingEncoder()
    summary = build(docs, index_dir, encoder)
    assert summary.embedded == 1
    assert encoder.calls == [[f"Guide > Usage\n\n{edited}"]]
    after = {p.text: p for p in snapshot_passages(index_dir)}
    assert set(after) == set(EXPECTED_TEXTS) - {ASK} | {edited}
    for text, p in after.items():
        if text in before and p.source != "guide.md":
            assert p.id == before[text].id, "passages of untouched files stay where they are"
    assert after[edited].id > max(p.id for p in before.values())


def test_editing_a_heading_re_embeds_the_paragraphs_under_it(docs: Path, index_dir: Path) -> None:
    build(docs, index_dir, RecordingEncoder())
    rewrite(docs / "guide.md", GUIDE.replace("## Usage", "## How to use it"))
    encoder = RecordingEncoder()
    assert build(docs, index_dir, encoder).embedded == 2
    assert all(t.startswith("Guide > How to use it\n\n") for t in encoder.embedded)


def test_duplicate_content_is_embedded_once(tmp_path: Path, index_dir: Path) -> None:
    shared = paragraph("The same paragraph appears in two files.")
    only_a, only_b = paragraph("Only in a."), paragraph("Only in b.")
    # Both files are titled "Notes" (from their names), so the same text is the same input.
    docs = write_files(
        tmp_path / "docs",
        {
            "a/notes.txt": f"{shared}\n\n{only_a}",
            "b/notes.txt": f"{only_b}\n\n{shared}\n\n{shared}",
        },
    )
    encoder = RecordingEncoder()
    summary = build(docs, index_dir, encoder)
    assert summary.passages == 5
    assert summary.embedded == 3
    assert sorted(encoder.embedded) == sorted(f"Notes\n\n{t}" for t in (shared, only_a, only_b))
    _, passages, vectors = snapshot_of(index_dir)
    copies = [i for i, p in enumerate(passages) if p.text == shared]
    assert [(passages[i].source, passages[i].paragraph) for i in copies] == [
        ("a/notes.txt", 1),
        ("b/notes.txt", 2),
        ("b/notes.txt", 3),
    ]
    assert len({passages[i].id for i in copies}) == 3, "each copy is its own citable passage"
    np.testing.assert_array_equal(vectors[copies[0]], vectors[copies[2]])


def test_content_moved_to_another_file_is_not_embedded_again(
    tmp_path: Path, index_dir: Path
) -> None:
    # Both files are titled "Notes" (from their names): the moved text is the same input.
    moving, stays = paragraph("Moving paragraph."), paragraph("Stays in a.")
    docs = write_files(tmp_path / "docs", {"a/notes.txt": f"{moving}\n\n{stays}"})
    build(docs, index_dir, RecordingEncoder())
    rewrite(docs / "a" / "notes.txt", stays)
    write_files(docs, {"b/notes.txt": moving})
    encoder = RecordingEncoder()
    assert build(docs, index_dir, encoder).embedded == 0
    assert encoder.calls == []
    assert [(p.source, p.text) for p in snapshot_passages(index_dir)] == [
        ("a/notes.txt", stays),
        ("b/notes.txt", moving),
    ]


def test_deleting_a_file_removes_its_passages(docs: Path, index_dir: Path) -> None:
    build(docs, index_dir, RecordingEncoder())
    (docs / "sub" / "notes.txt").unlink()
    encoder = RecordingEncoder()
    summary = build(docs, index_dir, encoder)
    assert summary.embedded == 0
    assert summary.files_indexed == 1
    assert {p.source for p in snapshot_passages(index_dir)} == {"guide.md"}
    snap = open_snapshot(index_dir)
    try:
        assert set(snap.manifest.files) == {"guide.md"}
        assert snap.manifest.passages == 3
    finally:
        snap.close()


def test_file_emptied_since_last_build_is_skipped_and_its_passages_removed(
    docs: Path, index_dir: Path
) -> None:
    build(docs, index_dir, RecordingEncoder())
    rewrite(docs / "sub" / "notes.txt", "   \n")
    summary = build(docs, index_dir, RecordingEncoder())
    assert {
        "path": "sub/notes.txt",
        "reason": "no text (only whitespace)",
        "code": "no_text",
    } in summary.files_skipped
    assert {p.source for p in snapshot_passages(index_dir)} == {"guide.md"}


def test_file_with_only_headings_is_skipped(tmp_path: Path, index_dir: Path) -> None:
    docs = write_files(tmp_path / "docs", {"a.md": "# Title\n\n## Sub\n", "b.txt": "Body."})
    summary = build(docs, index_dir, RecordingEncoder())
    assert summary.files_indexed == 1
    assert [s["path"] for s in summary.files_skipped] == ["a.md"]


def test_another_model_re_embeds_everything(docs: Path, index_dir: Path) -> None:
    first = RecordingEncoder(dimension=32)
    build(docs, index_dir, first)
    encoder = RecordingEncoder(dimension=64)
    summary = build(docs, index_dir, encoder)
    assert summary.embedded == summary.passages == 5
    assert sorted(encoder.embedded) == sorted(first.embedded)
    _, _passages, vectors = snapshot_of(index_dir)
    assert vectors.shape == (5, 64)
    snap = open_snapshot(index_dir)
    try:
        assert (snap.manifest.model, snap.manifest.dimension) == (encoder.name, 64)
    finally:
        snap.close()


def test_another_max_tokens_re_embeds_everything(docs: Path, index_dir: Path) -> None:
    build(docs, index_dir, RecordingEncoder(max_tokens=64))
    assert build(docs, index_dir, RecordingEncoder(max_tokens=63)).embedded == 5


def test_full_rebuild_re_embeds_everything(docs: Path, index_dir: Path) -> None:
    build(docs, index_dir, RecordingEncoder())
    encoder = RecordingEncoder()
    assert build(docs, index_dir, encoder, full=True).embedded == 5
    assert len(encoder.embedded) == 5


def test_long_paragraph_is_embedded_in_parts_that_fit(tmp_path: Path, index_dir: Path) -> None:
    sentences = " ".join(f"Sentence number {i} is here." for i in range(12))
    docs = write_files(tmp_path / "docs", {"long.txt": sentences})
    encoder = RecordingEncoder(max_tokens=12)
    build(docs, index_dir, encoder)
    assert all(encoder.count_tokens(t) <= 12 for t in encoder.embedded)
    passages = snapshot_passages(index_dir)
    assert len(passages) > 1
    assert [p.part for p in passages] == list(range(1, len(passages) + 1))
    assert {p.parts for p in passages} == {len(passages)}
    assert " ".join(p.text for p in passages) == sentences


def test_heading_path_longer_than_half_the_window_is_not_embedded(
    tmp_path: Path, index_dir: Path
) -> None:
    six = " ".join(f"h{i}" for i in range(6))  # exactly half of max_tokens=12: kept
    seven = " ".join(f"h{i}" for i in range(7))
    docs = write_files(
        tmp_path / "docs", {"a.md": f"# {six}\n\nFirst body.\n\n# {seven}\n\nSecond body.\n"}
    )
    encoder = RecordingEncoder(max_tokens=12)
    build(docs, index_dir, encoder)
    # The title from the file name ("A") goes first; the seven-word heading path is left out.
    assert sorted(encoder.embedded) == sorted([f"A > {six}\n\nFirst body.", "A\n\nSecond body."])
    passages = snapshot_passages(index_dir)
    assert [p.heading_path for p in passages] == [(six,), (seven,)], "the citation keeps it"


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
