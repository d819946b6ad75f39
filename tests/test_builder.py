"""index.build_index: what gets embedded and what is reused. What the manifest records and failed
or damaged builds are in test_builder_repair.py."""

from __future__ import annotations

from pathlib import Path

import builder_helpers
import numpy as np
from builder_helpers import (
    ASK,
    BANANAS,
    EXPECTED_TEXTS,
    GUIDE,
    INSTALL,
    PARIS,
    RUN,
    snapshot_of,
    snapshot_passages,
)
from helpers import RecordingEncoder, build, paragraph, rewrite, write_files

from index.cutting import document_title, embed_input
from index.store import open_snapshot

# Fixtures from builder_helpers, assigned rather than imported: ruff reads a test's parameter
# of the same name as redefining an import (F811).
docs = builder_helpers.docs
index_dir = builder_helpers.index_dir


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
