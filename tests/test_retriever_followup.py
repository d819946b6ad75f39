"""qa.retrieve / Retriever with a conversation: a follow-up is searched with the question it refers
to, each result carries its best sentence and the set one confidence flag, and retrieve_many."""

from __future__ import annotations

from pathlib import Path

import pytest

import qa
from index import HashingEncoder, IndexConfig, build_index

TOWERS = {
    "eiffel.txt": "The Eiffel Tower was designed by the engineering firm of Gustave Eiffel and "
    "completed in 1889 for the World's Fair in Paris. It stands 330 metres tall on the Champ "
    "de Mars and was the tallest structure in the world for forty-one years.\n",
    "pisa.txt": "The Leaning Tower of Pisa is the bell tower of the cathedral of Pisa. Its "
    "construction began in 1173 and took almost two hundred years, because wars stopped the "
    "work twice; the soft ground under it made it lean during the building.\n",
}


@pytest.fixture
def towers(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir()
    for name, text in TOWERS.items():
        (docs / name).write_text(text, encoding="utf-8")
    build_index(docs, IndexConfig(index_dir=tmp_path / "index", model="hashing"))
    return tmp_path / "index"


def test_a_follow_up_is_searched_with_the_question_it_refers_to(towers: Path) -> None:
    retriever = qa.Retriever(towers)
    follow_up = "and how long did its construction take?"
    with_history = retriever.retrieve(follow_up, k=1, history=["Who designed the Eiffel Tower?"])
    assert with_history[0].source == "eiffel.txt"
    assert retriever.retrieve(follow_up, k=1)[0].source == "pisa.txt"  # "construction" alone


def test_a_self_contained_question_ignores_the_history(towers: Path) -> None:
    retriever = qa.Retriever(towers)
    question = "Why does the Leaning Tower of Pisa lean?"
    alone = retriever.retrieve(question, k=2)
    after = retriever.retrieve(question, k=2, history=["Who designed the Eiffel Tower?"])
    assert [r.citation for r in after] == [r.citation for r in alone]
    assert after[0].source == "pisa.txt"


def test_each_result_carries_its_best_sentence_as_file_offsets(towers: Path) -> None:
    docs = Path(qa.Retriever(towers).manifest.docs_root)
    for mode in ("hybrid", "dense", "lexical"):
        top = qa.Retriever(towers).retrieve("How tall is it on the Champ de Mars?", k=2, mode=mode)[
            0
        ]
        (a, b), *_ = top.answer_spans
        source = (docs / top.source).read_text(encoding="utf-8")
        assert top.start <= a < b <= top.end
        assert source[a:b] == top.answer
        assert "330 metres tall" in top.answer
        assert top.to_dict()["answer_spans"][0] == [a, b]


def test_confident_is_one_flag_for_the_whole_result_set(towers: Path) -> None:
    retriever = qa.Retriever(towers)
    good = retriever.retrieve("Who designed the Eiffel Tower in Paris?", k=2)
    assert {r.confident for r in good} == {True}
    weak = retriever.retrieve("quantum chromodynamics lattice", k=2)
    assert {r.confident for r in weak} == {False}


@pytest.mark.parametrize("history", ["Who designed it?", [None], [1, "a"]])
def test_history_of_anything_but_strings_is_a_value_error(towers: Path, history: object) -> None:
    with pytest.raises(ValueError, match="history"):
        qa.Retriever(towers).retrieve("and when?", history=history)  # type: ignore[arg-type]


def test_no_history_is_the_same_as_an_empty_one(towers: Path) -> None:
    retriever = qa.Retriever(towers)
    assert retriever.retrieve("and when?", k=2, history=None) == retriever.retrieve(
        "and when?", k=2
    )


def test_a_long_history_costs_no_more_than_a_short_one(towers: Path) -> None:
    import time

    retriever = qa.Retriever(towers)
    started = time.perf_counter()
    results = retriever.retrieve("and it?", k=1, history=["and it?"] * 3000)
    assert time.perf_counter() - started < 2.0  # was exponential in the turns, then RecursionError
    assert results


class CountingEncoder(HashingEncoder):
    """The hashing encoder, counting its model calls."""

    def __init__(self) -> None:
        super().__init__()
        self.calls = 0

    def embed(self, texts):  # type: ignore[no-untyped-def]
        self.calls += 1
        return super().embed(texts)


def test_retrieve_many_answers_each_question_as_retrieve_does_in_one_model_call(
    hashing_index: Path,
) -> None:
    encoder = CountingEncoder()
    retriever = qa.Retriever(hashing_index, encoder=encoder)
    questions = ["bananas", "capital of France", "how do I rebuild the index", "bananas"]
    for mode in ("hybrid", "dense", "lexical"):
        encoder.calls = 0
        many = retriever.retrieve_many(questions, k=3, mode=mode)
        assert encoder.calls == 1
        assert many == [retriever.retrieve(q, k=3, mode=mode) for q in questions]
    assert retriever.retrieve_many([], k=3) == []


@pytest.mark.parametrize("questions", ["one string", ["fine", "  "], ["fine", 3]])
def test_retrieve_many_checks_every_question_before_searching(
    hashing_index: Path, questions: object
) -> None:
    encoder = CountingEncoder()
    retriever = qa.Retriever(hashing_index, encoder=encoder)
    with pytest.raises(ValueError):
        retriever.retrieve_many(questions, k=3)  # type: ignore[arg-type]
    assert encoder.calls == 0
