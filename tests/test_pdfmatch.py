"""Finding a passage's words among a PDF page's printed words, whatever the line ends, hyphens,
ligatures and case: the match the page view marks."""

from __future__ import annotations

from webapp.pdfmatch import locate

# Alignment of a passage's text with the page's characters, which pdfium reads unrewritten.


def test_line_ends_hyphens_ligatures_and_case_do_not_stop_a_match() -> None:
    chars = "Heading\r\nThe e\ufb03cient exam\ufffeple\r\nreads well.\r\n12"
    ranges = locate(chars, "the efficient example reads well")
    assert ranges == [(chars.index("The"), chars.index("well") + 4)]


def test_the_match_follows_the_passage_beginning_not_a_phrase_repeated_earlier() -> None:
    chars = "public key first. Later: the part that starts here and the public key ends.\r\n7"
    text = "the part that starts here and the public key ends on the next page with more words"
    ((a, b),) = locate(chars, text, whole=False)
    assert chars[a:b] == "the part that starts here and the public key ends"


def test_a_passage_mostly_absent_is_not_found() -> None:
    chars = "An unrelated page about something else entirely, with some words in common."
    assert locate(chars, "A passage about something else that this page never printed") == []
    assert locate("", "anything") == [] and locate(chars, " .. ") == []


def test_the_mark_takes_in_the_punctuation_around_the_passage_and_no_more() -> None:
    chars = "((• Item text here.)) Next"
    ((a, b),) = locate(chars, "• Item text here.")
    assert chars[a:b] == "• Item text here."
    ((a, b),) = locate(chars, "• Item text here.", whole=False)  # goes on: its end is not here
    assert chars[a:b] == "• Item text here"
