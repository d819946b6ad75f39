"""qa.retrieve / Retriever: ranking, citations, validation, model checks, reload on rebuild.
Follow-up questions, best sentences and retrieve_many: test_retriever_followup.py."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

import qa
from index import HashingEncoder, IndexConfig, build_index
from index.errors import IndexNotFoundError, ModelMismatchError


def test_retrieve_ranks_the_answering_paragraph_first(hashing_index: Path) -> None:
    results = qa.retrieve(
        "how do I rebuild the index after documents change", k=3, index=hashing_index
    )
    top = results[0]
    assert top.source == "guide.md"
    assert top.heading_path == ("docqa guide", "Indexing", "Rebuilding")
    assert top.text.startswith("To rebuild the index")
    assert [r.rank for r in results] == [1, 2, 3]
    assert results[0].score >= results[1].score >= results[2].score


def test_result_citation_fields_point_at_the_source(hashing_index: Path, corpus: Path) -> None:
    for r in qa.retrieve("capital of France", k=10, index=hashing_index):
        text = (corpus / r.source).read_text(encoding="utf-8")
        assert text[r.start : r.end] == r.text
        assert text.count("\n", 0, r.start) + 1 == r.line_start
        assert text.count("\n", 0, r.end - 1) + 1 == r.line_end
    best = qa.retrieve("capital of France", k=1, index=hashing_index)[0]
    assert best.source == "sub/notes.txt"
    assert best.paragraph == 2
    assert best.citation == "sub/notes.txt ¶2 · line 3"


def test_results_are_frozen_and_serialisable(hashing_index: Path) -> None:
    r = qa.retrieve("bananas", k=1, index=hashing_index)[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.score = 2.0  # type: ignore[misc]
    data = r.to_dict()
    for key in (
        "text",
        "score",
        "source",
        "paragraph",
        "start",
        "end",
        "line_start",
        "line_end",
        "heading_path",
        "citation",
        "rank",
        "stale",
    ):
        assert key in data
    assert data["citation"] == r.citation


@pytest.mark.parametrize("question", ["", "   ", "\n\t"])
def test_empty_question_is_a_value_error(hashing_index: Path, question: str) -> None:
    with pytest.raises(ValueError, match="question is empty"):
        qa.retrieve(question, index=hashing_index)


@pytest.mark.parametrize("k", [0, -1, True, 2.5, "3"])
def test_bad_k_is_a_value_error(hashing_index: Path, k: object) -> None:
    with pytest.raises(ValueError, match="k must be"):
        qa.retrieve("bananas", k=k, index=hashing_index)  # type: ignore[arg-type]


def test_k_above_passage_count_returns_all(hashing_index: Path) -> None:
    retriever = qa.Retriever(hashing_index)
    total = len(retriever.snapshot())
    results = retriever.retrieve("anything at all", k=total + 50, per_file=0)
    assert len(results) == total
    assert len({r.id for r in results}) == total


def test_missing_index_says_how_to_build(tmp_path: Path) -> None:
    with pytest.raises(IndexNotFoundError, match="docqa index"):
        qa.Retriever(tmp_path / "nowhere")


def test_model_mismatch_names_both_models(hashing_index: Path) -> None:
    with pytest.raises(ModelMismatchError) as info:
        qa.Retriever(hashing_index, model="hashing:dim=64")
    message = str(info.value)
    assert "hashing:dim=256,max_tokens=256" in message
    assert "hashing:dim=64,max_tokens=256" in message


def test_mismatch_is_raised_before_loading_the_model(hashing_index: Path) -> None:
    # The default model is not loaded (that would take seconds): the names alone disagree.
    with pytest.raises(ModelMismatchError, match="all-MiniLM-L6-v2"):
        qa.Retriever(hashing_index, model="all-MiniLM-L6-v2")


def test_retriever_answers_from_a_rebuilt_index_without_restart(
    corpus: Path, hashing_index: Path
) -> None:
    retriever = qa.Retriever(hashing_index, encoder=HashingEncoder())
    assert retriever.retrieve("zebra stripes", k=1)[0].source != "zebra.txt"
    (corpus / "zebra.txt").write_text("Zebra stripes confuse biting flies.\n", encoding="utf-8")
    build_index(corpus, IndexConfig(index_dir=hashing_index, model="hashing"))
    assert retriever.retrieve("zebra stripes", k=1)[0].source == "zebra.txt"


def test_changed_source_marks_result_stale(corpus: Path, hashing_index: Path) -> None:
    retriever = qa.Retriever(hashing_index)
    assert not retriever.retrieve("bananas potassium", k=1)[0].stale
    notes = corpus / "sub" / "notes.txt"
    notes.write_text("Bananas were edited.\n" + notes.read_text(encoding="utf-8"), encoding="utf-8")
    os.utime(notes, ns=(1, 1))
    top = retriever.retrieve("bananas potassium", k=1)[0]
    assert top.source == "sub/notes.txt"
    assert top.stale


def test_passage_context_highlights_the_span(hashing_index: Path, corpus: Path) -> None:
    retriever = qa.Retriever(hashing_index)
    # The first paragraph: the default window (600 characters before, 1500 after) holds the rest.
    r = retriever.retrieve("bananas potassium", k=1)[0]
    assert r.paragraph == 1
    ctx = qa.passage_context(retriever.manifest.docs_root, r)
    assert ctx.matches
    assert ctx.text == r.text
    full = (corpus / r.source).read_text(encoding="utf-8")
    assert full == ctx.before + ctx.text + ctx.after
    assert not ctx.truncated_before and not ctx.truncated_after


def test_passage_context_window_is_cut_at_line_ends(hashing_index: Path) -> None:
    retriever = qa.Retriever(hashing_index)
    r = retriever.retrieve("capital of France Paris", k=1)[0]
    ctx = qa.passage_context(retriever.manifest.docs_root, r, before=10, after=10)
    assert ctx.truncated_before and ctx.truncated_after
    assert ctx.before == "\n"  # the blank line just before; the previous paragraph is cut
    assert ctx.after == "\n"


def test_passage_context_of_a_changed_file_falls_back_to_indexed_text(
    hashing_index: Path, corpus: Path
) -> None:
    retriever = qa.Retriever(hashing_index)
    r = retriever.retrieve("photosynthesis sugar", k=1)[0]
    (corpus / r.source).write_text("All new content.\n", encoding="utf-8")
    ctx = qa.passage_context(retriever.manifest.docs_root, r)
    assert not ctx.matches
    assert ctx.text == r.text


def test_passage_context_of_a_deleted_file_is_a_clear_error(
    hashing_index: Path, corpus: Path
) -> None:
    retriever = qa.Retriever(hashing_index)
    r = retriever.retrieve("photosynthesis", k=1)[0]
    (corpus / r.source).unlink()
    with pytest.raises(qa.SourceUnavailableError, match=r.source):
        qa.passage_context(retriever.manifest.docs_root, r)


def test_passage_context_in_a_large_text_file_reads_only_around_the_passage(
    tmp_path: Path,
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    # Paragraphs long enough (>= 64 words) to be passages of their own, not joined.
    filler = " ".join(["Each paragraph of this report says a little more about its topic."] * 6)

    def para(n: int) -> str:
        return f"Paragraph {n} about topic {n}. {filler}"

    body = "".join(f"{para(n)}\n\n" for n in range(4_000))  # ~1.7 MB
    (docs / "big.txt").write_text(body, encoding="utf-8")
    build_index(docs, IndexConfig(index_dir=tmp_path / "i", model="hashing"))
    retriever = qa.Retriever(tmp_path / "i")
    r = next(p for p in retriever.snapshot().all_passages() if p.paragraph == 3_991)
    assert r.paragraph_end == 0
    ctx = qa.passage_context(retriever.manifest.docs_root, r, before=40, after=40)
    assert ctx.matches and ctx.text == para(3990)
    assert ctx.before == f"\n\n{para(3989)}\n\n"[-len(ctx.before) :]
    assert ctx.truncated_before and ctx.truncated_after
    assert (
        body[r.start - len(ctx.before) : r.end + len(ctx.after)]
        == ctx.before + ctx.text + ctx.after
    )
