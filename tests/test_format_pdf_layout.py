"""PDF extraction, where paragraphs begin and end: across page breaks (and the page each passage
cites), without spacing between paragraphs, and for random laid-out paragraphs."""

from __future__ import annotations

import io
from collections.abc import Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pdf_helpers import BODY, SPACED, block_texts, canvas_pdf, letters, platypus_pdf, prose
from reportlab.lib.enums import TA_JUSTIFY, TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfgen import canvas

from index.cutting import document_passages
from index.documents import Document
from index.encoders import HashingEncoder
from index.formats import Extracted
from index.formats.pdf import extract
from index.passage import Passage

# Paragraphs told apart only by a first-line indent, as in books and LaTeX articles.
INDENTED = {
    align: ParagraphStyle(f"i{align}", BODY, alignment=align, spaceBefore=0, firstLineIndent=18)
    for align in (TA_LEFT, TA_JUSTIFY)
}


# Lines of a paragraph cut by a page break: the last is the widest, so it reaches the edge.
CUT = [
    "This paragraph is cut by the page break and the last of its lines on",
    "the first page is the widest line that is drawn on that page, with no stop",
]


def passages_of(ex: Extracted, max_tokens: int = 256) -> list[Passage]:
    doc = Document(
        path="r.pdf",
        format="pdf",
        text=ex.text,
        sha256="",
        size=0,
        mtime_ns=0,
        blocks=ex.blocks,
        pages=ex.pages,
    )
    return [p for p, _ in document_passages(doc, HashingEncoder().count_tokens, max_tokens)]


@pytest.mark.parametrize("start", ["Paris, where it goes on.", "1990 is where it goes on."])
def test_a_paragraph_cut_on_a_full_line_goes_on_whatever_the_case_of_the_next_word(
    start: str,
) -> None:
    pages = [[["Opening words."], CUT], [[start], ["Closing words."]]]
    ex = extract(canvas_pdf(pages))
    assert block_texts(ex) == ["Opening words.", " ".join([*CUT, start]), "Closing words."]
    # "Opening words." is too short to stand alone: it is joined with the paragraph after it on
    # its page, which goes on to page 2. "Closing words." starts page 2: it is not joined.
    citations = [p.citation for p in passages_of(ex)]
    assert citations == ["r.pdf pp. 1–2 ¶1–2", "r.pdf p. 2 ¶1"]


def two_pages(last: Sequence[str], first: str, *, size: float = 11, indent: float = 0) -> bytes:
    """``last`` as the lines at the foot of page 1, ``first`` atop page 2 in ``size`` points,
    moved right by ``indent``."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.setFont("Helvetica", 11)
    for k, line in enumerate(last):
        c.drawString(72, 200 - 14 * k, line)
    c.showPage()
    c.setFont("Helvetica", size)
    c.drawString(72 + indent, 760, first)
    c.drawString(72, 760 - 1.3 * size, "and a second line under it.")
    c.showPage()
    c.save()
    return buf.getvalue()


@pytest.mark.parametrize(
    ("last", "first", "options"),
    [
        ([CUT[0], "short and without a stop"], "Capital start", {}),
        ([CUT[0], CUT[1] + "."], "Capital start", {}),  # a full line that ends a sentence
        (CUT, "Capital start", {"size": 16}),  # a heading in larger type
        (CUT, "Capital start", {"indent": 18}),  # a first-line indent
        (CUT, "• Capital start", {}),
        ([CUT[1]], "Capital start", {}),  # a lone line: no edge to tell it is full
    ],
    ids=["short-line", "sentence-end", "larger-type", "indent", "bullet", "lone-line"],
)
def test_a_new_paragraph_atop_a_page_is_not_joined_to_the_last_one(
    last: list[str], first: str, options: dict[str, float]
) -> None:
    ex = extract(two_pages(last, first, **options))
    texts = block_texts(ex)
    assert len(texts) == 2 and texts[1].startswith(first)
    assert [p.citation for p in passages_of(ex)] == ["r.pdf p. 1 ¶1", "r.pdf p. 2 ¶1"]


def test_each_part_of_a_long_paragraph_across_pages_cites_the_page_it_starts_on() -> None:
    body = [f"line {k} of the long paragraph that goes on and on past the edge" for k in range(8)]
    pages = [[["Opening words."], body[:4]], [[*body[4:], "and ends here."], ["Closing."]]]
    ex = extract(canvas_pdf(pages))
    assert len(ex.blocks) == 3
    passages = passages_of(ex, max_tokens=30)
    long = [p for p in passages if p.parts > 1]
    assert len(long) >= 3 and passages[-1].text == "Closing."
    n = len(long)
    assert [p.citation for p in long][-1] == f"r.pdf pp. 1–2 ¶2 (part {n}/{n})"
    assert all(p.page == 1 and p.paragraph == 2 for p in long)
    assert long[0].page_end == 1 and long[-1].page_end == 2  # where each part ends
    assert passages[-1].citation == "r.pdf p. 2 ¶1"


def sentences(seed: int, words: int) -> str:
    """Like :func:`prose`, with a full stop after every seventh word and words of many lengths."""
    out = [
        f"w{letters(seed)}{'q' * (k % 9)}{letters(k)}" + ("." if k % 7 == 6 else "")
        for k in range(words)
    ]
    return "Paragraph " + " ".join(out).rstrip(".") + "."


@pytest.mark.parametrize("align", [TA_LEFT, TA_JUSTIFY])
def test_paragraphs_without_spacing_are_told_apart_by_their_first_line_indent(align: int) -> None:
    paragraphs = [sentences(i, 20 + 37 * (i % 4)) for i in range(24)]
    ex = extract(platypus_pdf(paragraphs, INDENTED[align]))
    assert block_texts(ex) == paragraphs


def test_without_spacing_or_indent_a_sentence_ending_short_of_the_edge_ends_a_paragraph() -> None:
    lines = [
        "The longest line of this page sets the right edge of the text.",
        "So this line goes on in the same paragraph and stops",
        "short.",
        "A one-line paragraph stops short.",
        "Then the last one.",
    ]
    assert block_texts(extract(canvas_pdf([[lines]]))) == [
        " ".join(lines[:3]),
        "A one-line paragraph stops short.",
        "Then the last one.",
    ]


def test_a_line_starting_with_a_bullet_starts_a_block() -> None:
    lines = ["Supported types are", "• INTEGER and", "• BOOLEAN;", "• NULL."]
    assert block_texts(extract(canvas_pdf([[lines]]))) == [
        "Supported types are",
        "• INTEGER and",
        "• BOOLEAN;",
        "• NULL.",
    ]


# Two pages and more of fixed text first, so that every example has running lines to remove.
FILLER = [prose(900 + i, 600) for i in range(2)]


@settings(
    max_examples=15,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    st.lists(
        st.lists(st.from_regex(r"[a-z]{1,12}\.?", fullmatch=True), min_size=1, max_size=120),
        min_size=1,
        max_size=8,
    ),
    st.sampled_from([*SPACED.values(), *INDENTED.values()]),
)
def test_random_paragraphs_come_back_one_block_each(
    words: list[list[str]], style: ParagraphStyle
) -> None:
    # A letter tag keeps every word distinct, so that a paragraph is found only where it is.
    tagged = [
        w.replace(".", "") + "q" + letters(k) + "." * w.endswith(".")
        for k, w in enumerate(w for para in words for w in para)
    ]
    paragraphs, pos = [], 0
    for para in words:
        paragraphs.append(" ".join(tagged[pos : pos + len(para)]).rstrip(".") + ".")
        pos += len(para)
    ex = extract(platypus_pdf(FILLER + paragraphs, style))
    assert ex.pages is not None and len(ex.pages) >= 3
    texts = block_texts(ex)
    for para in paragraphs:  # the words of each paragraph, in order, in exactly one block
        assert sum(para in t for t in texts) == 1
    if style in SPACED.values():
        assert texts == FILLER + paragraphs
    else:  # a page of one-line paragraphs has no unindented line to compare with: may merge
        assert " ".join(texts) == " ".join(FILLER + paragraphs)
