"""The word (FTS5) index beside the passages, and the hybrid/dense/lexical rankings over it.
Upgrading an index written before it: test_lexical_upgrade.py."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import RecordingEncoder, build, paragraph, rewrite, write_files
from lexical_helpers import in_step

import qa
from index import open_snapshot
from index.lexical import match_expression, query_terms
from index.store import IndexSnapshot
from qa.cli import cli

PARAGRAPHS = [
    "Bananas are yellow fruit rich in potassium.",
    "The river flows north through the old town.",
    "Photosynthesis turns sunlight, water and carbon dioxide into sugar.",
    "Glaciers carve valleys over thousands of years.",
]
ZEBRAS = "An added sentence about zebras crossing the river."


def text_of(paragraphs: list[str]) -> str:
    return "\n\n".join(paragraphs) + "\n"


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    root = write_files(
        tmp_path / "docs",
        {
            "nature.txt": text_of(PARAGRAPHS),
            "guide.md": "# Setup\n\nInstall the tool.\n\n## Keys\n\nRotate the keys monthly.\n",
            "other.txt": "Potatoes grow underground.\n\nCarrots are orange roots.\n",
        },
    )
    past = 1_600_000_000_000_000_000  # older than the racy window of the first scan
    for path in root.rglob("*.*"):
        os.utime(path, ns=(past, past))
    return root


def top_sources(snap: IndexSnapshot, question: str) -> list[int]:
    return [hit.id for hit in snap.lexical_search(question, 10)]


def test_word_index_in_step_after_build_edit_delete_and_rename(docs: Path, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    build(docs, index_dir, RecordingEncoder())
    snap = in_step(index_dir)
    assert top_sources(snap, "zebras") == []
    glaciers = snap.lexical_search("glaciers", 10)
    assert [snap.passages([h.id])[h.id].source for h in glaciers] == ["nature.txt"]

    rewrite(
        docs / "nature.txt",
        text_of([*PARAGRAPHS[:1], PARAGRAPHS[1] + " " + ZEBRAS, *PARAGRAPHS[2:]]),
    )
    encoder = RecordingEncoder()
    build(docs, index_dir, encoder)
    assert len(encoder.embedded) == 1  # the edited paragraph only
    snap = in_step(index_dir)
    (hit,) = snap.lexical_search("zebras", 10)
    assert ZEBRAS in snap.passages([hit.id])[hit.id].text

    (docs / "other.txt").unlink()
    os.rename(docs / "guide.md", docs / "renamed.md")
    build(docs, index_dir, RecordingEncoder())
    snap = in_step(index_dir)
    assert snap.lexical_search("potatoes", 10) == []
    (hit,) = snap.lexical_search("rotate keys", 10)
    assert snap.passages([hit.id])[hit.id].source == "renamed.md"


@pytest.mark.parametrize("mode", ["hybrid", "lexical"])
def test_a_rare_added_sentence_is_found_first(docs: Path, tmp_path: Path, mode: str) -> None:
    index_dir = tmp_path / "index"
    build(docs, index_dir, RecordingEncoder())
    rewrite(
        docs / "nature.txt",
        text_of([*PARAGRAPHS[:1], PARAGRAPHS[1] + " " + ZEBRAS, *PARAGRAPHS[2:]]),
    )
    build(docs, index_dir, RecordingEncoder())
    top = qa.Retriever(index_dir).retrieve("zebras crossing the river", k=3, mode=mode)[0]
    assert ZEBRAS in top.text
    assert top.matched_terms == ("zebras", "crossing", "river")


def test_query_terms_drop_stopwords_and_fall_back_to_all_words() -> None:
    assert query_terms("How do I rotate the KEYS?") == ("rotate", "keys")
    assert query_terms("how to") == ("how", "to")
    assert query_terms("model_dump vs model_dump") == ("model", "dump", "vs")
    assert query_terms("?!") == ()
    assert match_expression(("a", "b")) == '"a" OR "b"'


@pytest.mark.parametrize(
    "question",
    ['"', '"unbalanced', "river*", "NEAR(river flows", "-river", "text:river", "river AND OR NOT"],
)
def test_fts_syntax_in_a_question_is_only_words(hashing_index: Path, question: str) -> None:
    retriever = qa.Retriever(hashing_index)
    for mode in qa.MODES:
        results = retriever.retrieve(question, k=3, mode=mode)
        assert all(r.mode == mode for r in results)


def test_a_question_of_only_stopwords_still_searches_its_words(tmp_path: Path) -> None:
    first = paragraph("Where to go.")
    docs = write_files(tmp_path / "docs", {"a.txt": f"{first}\n\n{paragraph('Nothing here.')}\n"})
    build(docs, tmp_path / "index", RecordingEncoder())
    (top,) = qa.Retriever(tmp_path / "index").retrieve("where to", k=1, mode="lexical")
    assert top.text == first
    assert top.matched_terms == ("where", "to")


def test_a_question_without_words_finds_nothing_lexically(hashing_index: Path) -> None:
    retriever = qa.Retriever(hashing_index)
    assert retriever.retrieve("?!", k=3, mode="lexical") == []
    assert len(retriever.retrieve("?!", k=3, mode="hybrid")) == 3  # dense still ranks


@pytest.mark.parametrize("mode", ["bm25", "", "Hybrid", None])
def test_an_unknown_mode_names_the_choices(hashing_index: Path, mode: object) -> None:
    with pytest.raises(ValueError, match=r"hybrid, dense, lexical; got " + re.escape(repr(mode))):
        qa.retrieve("bananas", k=1, index=hashing_index, mode=mode)  # type: ignore[arg-type]


@pytest.mark.parametrize("per_file", [-1, 1.5, True])
def test_a_bad_per_file_is_a_value_error(hashing_index: Path, per_file: object) -> None:
    with pytest.raises(ValueError, match="per_file"):
        qa.retrieve("bananas", index=hashing_index, per_file=per_file)  # type: ignore[arg-type]


def test_per_file_caps_results_from_one_file_and_zero_lifts_it(tmp_path: Path) -> None:
    many = text_of([paragraph(f"Paragraph {i} mentions lanterns and lamps.") for i in range(8)])
    docs = write_files(tmp_path / "docs", {"many.txt": many, "one.txt": "Lanterns at dusk.\n"})
    build(docs, tmp_path / "index", RecordingEncoder())
    retriever = qa.Retriever(tmp_path / "index")
    capped = retriever.retrieve("lanterns", k=6)
    assert [r.source for r in capped].count("many.txt") == 3
    assert "one.txt" in {r.source for r in capped}
    assert [r.source for r in retriever.retrieve("lanterns", k=6, per_file=1)].count(
        "many.txt"
    ) == 1
    for off in (0, None):
        uncapped = retriever.retrieve("lanterns", k=6, per_file=off)
        assert len(uncapped) == 6
        assert [r.source for r in uncapped].count("many.txt") >= 5
    assert [r.rank for r in capped] == list(range(1, len(capped) + 1))


def test_identical_texts_collapse_into_one_result_citing_the_others(tmp_path: Path) -> None:
    shared = "Always back up the vault before upgrading, every single time, on every server that you run in production."
    spaced = shared.replace("up the", "up\n the").replace("single", "   single")
    docs = write_files(
        tmp_path / "docs",
        {
            "a.md": f"# Upgrading\n\n{shared}\n\n{paragraph('Other words here.')}\n",
            "b.txt": f"{paragraph('Unrelated opening.')}\n\n{shared}\n",
            "c.txt": "Back  up\nthe vault? " + spaced + "\n",
            "d.txt": f"{spaced}\n",
        },
    )
    build(docs, tmp_path / "index", RecordingEncoder())
    results = qa.Retriever(tmp_path / "index").retrieve("back up the vault upgrading", k=5)
    texts = [" ".join(r.text.split()) for r in results]
    assert texts.count(shared) == 1
    top = results[texts.index(shared)]
    snap = open_snapshot(tmp_path / "index")
    places = {p.citation for p in snap.all_passages() if " ".join(p.text.split()) == shared}
    assert len(places) == 3
    assert {top.citation, *top.also_in} == places
    assert top.citation not in top.also_in
    assert all(r.also_in == () for r in results if r is not top)


def test_each_mode_explains_what_it_saw(docs: Path, tmp_path: Path) -> None:
    build(docs, tmp_path / "index", RecordingEncoder())
    retriever = qa.Retriever(tmp_path / "index")
    question = "glaciers carve valleys"

    dense = retriever.retrieve(question, k=3, mode="dense")
    assert [r.dense_rank for r in dense] == [1, 2, 3]
    assert all(r.score == r.dense_score for r in dense)
    assert all(r.lexical_score is None and r.lexical_rank is None for r in dense)
    assert all(r.matched_terms == () for r in dense)

    lexical = retriever.retrieve(question, k=3, mode="lexical")
    assert len(lexical) == 1  # the one passage holding any of the words
    (only,) = lexical
    assert (only.lexical_rank, only.score) == (1, only.lexical_score)
    assert only.lexical_score is not None and only.lexical_score > 0
    assert only.dense_score is None and only.dense_rank is None
    assert only.matched_terms == ("glaciers", "carve", "valleys")

    hybrid = retriever.retrieve(question, k=3, mode="hybrid")
    assert hybrid[0].id == only.id == dense[0].id
    assert (hybrid[0].dense_rank, hybrid[0].lexical_rank) == (1, 1)
    assert hybrid[0].dense_score == dense[0].dense_score
    assert hybrid[0].lexical_score == only.lexical_score
    for r in hybrid[1:]:
        assert r.lexical_rank is None and r.matched_terms == () and r.dense_rank is not None
    assert [r.score for r in hybrid] == sorted((r.score for r in hybrid), reverse=True)
    assert {r.mode for r in hybrid} == {"hybrid"}
    data = hybrid[0].to_dict()
    assert data["matched_terms"] == ["glaciers", "carve", "valleys"]
    assert data["also_in"] == [] and data["mode"] == "hybrid" and data["lexical_rank"] == 1


def test_cli_ask_mode_explain_and_json(hashing_index: Path) -> None:
    def run(*args: str) -> str:
        result = CliRunner().invoke(cli, ["ask", *args, "--index", str(hashing_index)])
        assert result.exit_code == 0, result.output
        return result.stdout

    out = run("capital of France", "-k", "2", "--explain")
    assert "dense " in out and "lexical " in out and "[capital, france]" in out and "fused " in out
    out = run("capital of France", "-k", "1", "--mode", "lexical", "--explain")
    assert "dense " not in out and "lexical " in out and "(#1)" in out
    items = json.loads(
        run("capital of France", "-k", "3", "--mode", "dense", "--json", "--per-file", "0")
    )
    assert len(items) == 3
    assert {"text", "score", "citation", "heading_path", "stale"} <= items[0].keys()
    assert items[0]["mode"] == "dense" and items[0]["lexical_score"] is None
    assert items[0]["dense_rank"] == 1 and items[0]["matched_terms"] == []
    bad = CliRunner().invoke(cli, ["ask", "x", "--index", str(hashing_index), "--mode", "bm25"])
    assert bad.exit_code != 0 and "bm25" in bad.output
