"""index.sentences: sentence bounds, and splitting a long block into parts that fit, losing nothing."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from index.sentences import sentence_spans, split_to_fit, trim_span


def sentences(text: str) -> list[str]:
    return [text[a:b] for a, b in sentence_spans(text, 0, len(text))]


def max_words(n: int) -> Callable[[str], bool]:
    return lambda s: len(s.split()) <= n


def max_chars(n: int) -> Callable[[str], bool]:
    return lambda s: len(s) <= n


def check_parts(
    text: str, start: int, end: int, parts: list[tuple[int, int]], fits: Callable[[str], bool]
) -> None:
    """Every part fits, lies inside the block, parts are in order and disjoint, and together they
    cover every non-whitespace character of the block."""
    assert parts
    for a, b in parts:
        assert start <= a < b <= end
        assert fits(text[a:b]), text[a:b]
    for (_, b1), (a2, _) in itertools.pairwise(parts):
        assert b1 <= a2
    covered = {i for a, b in parts for i in range(a, b)}
    lost = [i for i in range(start, end) if not text[i].isspace() and i not in covered]
    assert lost == [], [text[i] for i in lost]


# --- trim_span -------------------------------------------------------------------------------


def test_trim_span_moves_inwards_past_whitespace() -> None:
    assert trim_span("  ab c \n", 0, 8) == (2, 6)
    assert trim_span("xx  yy", 2, 6) == (4, 6)
    assert trim_span(" \t\n ", 0, 4) is None
    assert trim_span("abc", 1, 1) is None


# --- sentence_spans --------------------------------------------------------------------------


def test_sentences_split_at_terminal_punctuation() -> None:
    assert sentences("One. Two! Three? Four… Five") == ["One.", "Two!", "Three?", "Four…", "Five"]


def test_sentence_keeps_closing_quotes_and_brackets() -> None:
    assert sentences('He said "Stop." Then (he left.) Done.') == [
        'He said "Stop."',
        "Then (he left.)",
        "Done.",
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Use a fruit, e.g. a banana, daily.",
        "That is, i.e. the yellow one.",
        "Ask Dr. Smith and Mr. Jones today.",
        "Apples vs. pears etc. are fruit.",
        "See Fig. 3 and cf. the appendix.",
        "Made in the U.S. by J. R. Tolkien.",
        "(e.g. this) is fine.",
    ],
)
def test_abbreviations_and_initials_do_not_end_a_sentence(text: str) -> None:
    assert sentences(text) == [text]


def test_abbreviation_check_is_case_insensitive_and_only_for_full_stops() -> None:
    assert sentences("Call DR. Who now. Next") == ["Call DR. Who now.", "Next"]
    assert sentences("Is it dr? Yes") == ["Is it dr?", "Yes"]


def test_punctuation_without_following_space_does_not_split() -> None:
    assert sentences("Version 3.14 is out.Really, see docqa.io today.") == [
        "Version 3.14 is out.Really, see docqa.io today."
    ]


def test_sentence_spans_are_trimmed_and_relative_to_the_whole_text() -> None:
    text = "IGNORED.  One.   Two.  \n  TAIL"
    start, end = text.index("One"), text.index("TAIL")
    spans = sentence_spans(text, start, end)
    assert [text[a:b] for a, b in spans] == ["One.", "Two."]
    assert spans[0][0] == start


def test_whitespace_only_range_has_no_sentences() -> None:
    assert sentence_spans("a    b", 1, 5) == []


# --- split_to_fit ----------------------------------------------------------------------------


def test_block_that_fits_is_returned_whole() -> None:
    text = "One. Two. Three."
    assert split_to_fit(text, 0, len(text), max_words(3), code=False) == [(0, len(text))]


def test_prose_splits_between_sentences_greedily() -> None:
    text = "One two. Three four. Five six. Seven."
    parts = split_to_fit(text, 0, len(text), max_words(4), code=False)
    assert [text[a:b] for a, b in parts] == ["One two. Three four.", "Five six. Seven."]
    check_parts(text, 0, len(text), parts, max_words(4))


def test_abbreviation_is_not_a_split_point() -> None:
    text = "Ask Dr. Smith now. Then go home."
    parts = split_to_fit(text, 0, len(text), max_words(4), code=False)
    assert [text[a:b] for a, b in parts] == ["Ask Dr. Smith now.", "Then go home."]


def test_long_sentence_splits_between_words() -> None:
    text = "alpha beta gamma delta epsilon zeta eta."
    parts = split_to_fit(text, 0, len(text), max_words(3), code=False)
    check_parts(text, 0, len(text), parts, max_words(3))
    # As few parts as greedy needs (3), but even: no one-word tail like "eta." alone.
    assert sorted(len(text[a:b].split()) for a, b in parts) == [2, 2, 3]


def test_long_sentence_among_short_ones_is_split_in_place() -> None:
    text = "Short. a b c d e f gg hh. Tail."
    parts = split_to_fit(text, 0, len(text), max_words(3), code=False)
    check_parts(text, 0, len(text), parts, max_words(3))
    # Four parts, as greedy needs; the long sentence's words fill the parts around it in order.
    assert len(parts) == 4
    assert " ".join(text[a:b] for a, b in parts) == text


def test_code_splits_at_line_boundaries() -> None:
    lines = [f"x{i} = {i}  # set x{i}. Really." for i in range(8)]
    text = "\n".join(lines)
    fits = max_chars(70)
    parts = split_to_fit(text, 0, len(text), fits, code=True)
    assert len(parts) > 1
    check_parts(text, 0, len(text), parts, fits)
    for a, b in parts:
        assert a == 0 or text[a - 1] == "\n", "a part starts at a line start"
        assert b == len(text) or text[b] == "\n", "a part ends at a line end"
    assert "\n".join(text[a:b] for a, b in parts) == text


def test_code_with_blank_lines_keeps_every_line() -> None:
    text = "def f():\n    a = 1\n\n\n    return a\n\nprint(f())"
    fits = max_chars(19)
    parts = split_to_fit(text, 0, len(text), fits, code=True)
    check_parts(text, 0, len(text), parts, fits)
    assert [text[a:b] for a, b in parts] == ["def f():\n    a = 1", "return a", "print(f())"]


def test_code_line_too_long_for_the_model_splits_inside_the_line() -> None:
    text = "short()\n" + " ".join(f"arg{i}" for i in range(20)) + "\nend()"
    fits = max_chars(30)
    parts = split_to_fit(text, 0, len(text), fits, code=True)
    check_parts(text, 0, len(text), parts, fits)
    assert text[parts[0][0] : parts[0][1]].startswith("short()")
    assert text[parts[-1][0] : parts[-1][1]].endswith("end()")


def test_single_giant_word_is_split_by_characters() -> None:
    word = "".join(chr(ord("a") + i % 26) for i in range(100))
    fits = max_chars(30)
    parts = split_to_fit(word, 0, len(word), fits, code=False)
    assert [b - a for a, b in parts] == [30, 30, 30, 10]
    assert "".join(word[a:b] for a, b in parts) == word


def test_character_split_takes_the_longest_prefix_that_fits() -> None:
    word = "a" * 10 + "-" * 50 + "b" * 10

    def fits(s: str) -> bool:  # punctuation is free, letters cost one each
        return sum(c.isalpha() for c in s) <= 4

    parts = split_to_fit(word, 0, len(word), fits, code=False)
    check_parts(word, 0, len(word), parts, fits)
    for a, b in parts[:-1]:
        assert not fits(word[a : b + 1]), "each part but the last is as long as it can be"


def test_character_split_makes_progress_when_nothing_fits() -> None:
    parts = split_to_fit("abc", 0, 3, lambda s: False, code=False)
    assert parts == [(0, 1), (1, 2), (2, 3)]


def test_split_respects_the_block_bounds() -> None:
    text = "BEFORE one two three four five AFTER"
    start, end = text.index("one"), text.index(" AFTER")
    parts = split_to_fit(text, start, end, max_words(2), code=False)
    check_parts(text, start, end, parts, max_words(2))
    assert len(parts) == 3
    assert parts[0][0] == start and parts[-1][1] == end


_WORD = st.one_of(
    st.text(alphabet="abcdefghijklmnopqrstuvwxyzé日本", min_size=1, max_size=25),
    st.sampled_from(["Dr.", "e.g.", "end.", "Why?", "Yes!", '"quoted."', "(x.)", "…", "3.14"]),
)
_SEP = st.sampled_from([" ", "  ", "\n", "\t", "\n\n", " \u00a0"])


@st.composite
def _blocks(draw: st.DrawFn) -> str:
    words = draw(st.lists(_WORD, min_size=1, max_size=40))
    seps = draw(st.lists(_SEP, min_size=len(words) - 1, max_size=len(words) - 1))
    return "".join(w + s for w, s in zip(words, [*seps, ""], strict=True))


@settings(max_examples=200, deadline=None, database=None)
@given(
    block=_blocks(),
    limit=st.integers(min_value=1, max_value=12),
    code=st.booleans(),
    by_chars=st.booleans(),
)
def test_split_to_fit_properties(block: str, limit: int, code: bool, by_chars: bool) -> None:
    text = "«" + block + "»"
    fits = max_chars(limit * 3) if by_chars else (lambda s: len(re.findall(r"\w+", s)) <= limit)
    parts = split_to_fit(text, 1, len(text) - 1, fits, code=code)
    check_parts(text, 1, len(text) - 1, parts, fits)


def test_parts_are_even_not_greedy_with_a_short_tail() -> None:
    sentences = [f"Sentence number {i} is here." for i in range(9)]  # 5 words each
    text = " ".join(sentences)
    parts = split_to_fit(text, 0, len(text), max_words(20), code=False)
    check_parts(text, 0, len(text), parts, max_words(20))
    # Greedy would give 4 + 4 + 1 sentences; even parts give 3 + 3 + 3.
    assert [len(text[a:b].split()) for a, b in parts] == [15, 15, 15]
