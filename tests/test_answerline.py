"""qa.answerline: the sentence (or line) of a passage that answers the question, as file spans."""

from __future__ import annotations

import pytest
from helpers import RecordingEncoder

from qa.answerline import answer_spans, sentence_scores, sentence_units

PROSE = (
    "The Eiffel Tower stands in Paris on the Champ de Mars. "
    "It was designed by the engineering company of Gustave Eiffel for the 1889 World's Fair. "
    "Today millions of visitors climb the iron lattice tower every year to see the city."
)


def _file(prefix: str, passage: str) -> tuple[str, int]:
    """A file text holding ``passage`` after ``prefix``, and the passage's start offset."""
    return prefix + passage + "\n\nA last paragraph.\n", len(prefix)


def test_spans_are_file_offsets_of_the_answering_sentence() -> None:
    file_text, start = _file("# Heading\n\nAn earlier paragraph about bridges.\n\n", PROSE)
    spans = answer_spans("Which fair was the tower designed for?", PROSE, start, neighbours=False)
    assert len(spans) == 1
    a, b = spans[0]
    line = file_text[a:b]
    assert (
        line
        == "It was designed by the engineering company of Gustave Eiffel for the 1889 World's Fair."
    )
    assert (a - start, b - start) in sentence_units(PROSE)
    assert "1889" in line


def test_top_gives_several_sentences_best_first() -> None:
    spans = answer_spans("how many visitors climb the tower?", PROSE, 0, top=2, neighbours=False)
    assert len(spans) == 2
    assert PROSE[spans[0][0] : spans[0][1]].startswith("Today millions of visitors")
    assert spans[0] != spans[1]
    assert all((a, b) in sentence_units(PROSE) for a, b in spans)


def test_a_sentence_opening_with_a_pronoun_is_shown_with_the_one_before() -> None:
    a, b = answer_spans("Which fair was the tower designed for?", PROSE, 0)[0]
    assert PROSE[a:b].startswith("The Eiffel Tower stands")
    assert PROSE[a:b].endswith("World's Fair.")


def test_a_line_of_a_multi_line_code_passage() -> None:
    code = (
        "```bash\n"
        "docqa index ~/notes --index idx\n"
        'docqa ask "how do I rotate the keys?" --index idx\n'
        "docqa serve --docs ~/notes\n"
        "```"
    )
    file_text, start = _file("Some text before.\n\n", code)
    ((a, b),) = answer_spans("how do I serve the app for my notes?", code, start)
    assert file_text[a:b] == "docqa serve --docs ~/notes"


def test_list_items_are_units_but_wrapped_prose_is_not_cut_at_line_ends() -> None:
    items = "Options:\n- --full re-embeds everything.\n- --dry-run writes nothing"
    assert [items[a:b] for a, b in sentence_units(items)] == [
        "Options:",
        "- --full re-embeds everything.",
        "- --dry-run writes nothing",
    ]
    wrapped = "The index is rebuilt when\nthe documents change. Nothing else\nhappens."
    assert [wrapped[a:b] for a, b in sentence_units(wrapped)] == [
        "The index is rebuilt when\nthe documents change.",
        "Nothing else\nhappens.",
    ]


def test_empty_and_one_sentence_passages() -> None:
    assert answer_spans("anything?", "", 10) == ()
    assert answer_spans("anything?", "   \n ", 10) == ()
    text = "  Only one sentence without an end  "
    assert answer_spans("what sentence?", text, 50) == ((52, 52 + len(text.strip())),)
    assert answer_spans("unrelated words", "Bananas are yellow.", 0, top=3) == ((0, 19),)


def test_top_must_be_positive() -> None:
    with pytest.raises(ValueError, match="top"):
        answer_spans("q", PROSE, 0, top=0)


def test_the_encoder_embeds_question_and_sentences_in_one_call() -> None:
    encoder = RecordingEncoder()
    spans = answer_spans("visitors climb tower", PROSE, 0, encoder=encoder, neighbours=False)
    assert len(encoder.calls) == 1
    assert encoder.calls[0][0] == "visitors climb tower"
    assert len(encoder.calls[0]) == 1 + len(sentence_units(PROSE))
    assert PROSE[spans[0][0] : spans[0][1]].startswith("Today millions")


def test_lexical_scores_weight_rare_words_and_use_idf() -> None:
    sentences = ["The tower is tall.", "The tower is in Paris.", "The tower is iron."]
    scores = sentence_scores("where is the tower, in Paris?", sentences)
    assert scores.index(max(scores)) == 1
    flat = sentence_scores("Paris", sentences, idf=lambda w: 0.0, answer_type=False)
    assert flat == [0.0, 0.0, 0.0]
    assert sentence_scores("q", []) == []
