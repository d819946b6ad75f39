"""qa.followup: follow-up questions borrow the previous turn's subject; others stay as asked."""

from __future__ import annotations

import pytest

from qa.followup import contextualize, is_followup

HISTORY = ["When was the Eiffel Tower built?"]


@pytest.mark.parametrize(
    "question",
    [
        "and who designed it?",
        "what about its height?",
        "When did they win?",
        "How many people live there?",
        "Who designed it?",
        "height?",
    ],
)
def test_a_follow_up_is_expanded_with_the_previous_question(question: str) -> None:
    assert is_followup(question)
    query = contextualize(question, HISTORY)
    assert query.startswith(question)
    assert "Eiffel Tower" in query
    assert "built" in query


@pytest.mark.parametrize(
    "question",
    [
        "Who designed the Sydney Opera House?",
        "What is the capital of France?",
        "When did Beyoncé release her first album?",
        "How long did it take to build the Panama Canal?",
    ],
)
def test_a_self_contained_question_is_unchanged(question: str) -> None:
    assert not is_followup(question)
    assert contextualize(question, HISTORY) == question


def test_no_history_leaves_any_question_unchanged() -> None:
    assert contextualize("and who designed it?", []) == "and who designed it?"
    assert contextualize("and who designed it?", ["", "?"]) == "and who designed it?"


def test_a_chain_of_follow_ups_keeps_its_subject() -> None:
    query = contextualize("and how tall is it?", [*HISTORY, "who designed it?"])
    assert "Eiffel Tower" in query


def test_a_long_assistant_turn_lends_only_its_names() -> None:
    answer = (
        "The tower was designed by the engineers Maurice Koechlin and Emile Nouguier of the "
        "company of Gustave Eiffel, and built between 1887 and 1889 as the entrance arch to "
        "the World's Fair held in Paris that year, which marked the centenary of the revolution."
    )
    query = contextualize("when did he die?", [*HISTORY, answer])
    assert "Maurice Koechlin" in query
    assert "centenary" not in query


def test_words_the_question_has_are_not_repeated() -> None:
    query = contextualize("what about the Eiffel Tower's height?", HISTORY)
    assert query.count("Eiffel") == 1
