"""PDF extraction: paragraphs from line geometry, running headers left out, pages and errors.

Every PDF is generated in the test with reportlab: the canvas for exact control over lines and
pages, platypus for paragraphs laid out (wrapped, justified, split across pages) by a real
layout engine.
"""

from __future__ import annotations

import io
import string
from collections.abc import Callable, Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reportlab.lib.enums import TA_JUSTIFY, TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.pdfencrypt import StandardEncryption
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.pdfgen import canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate

from index.cutting import document_passages
from index.documents import Document
from index.encoders import HashingEncoder
from index.formats import Extracted, ExtractError
from index.formats.pdf import extract
from index.passage import Passage

Page = Sequence[Sequence[str]]  # paragraphs, each a list of printed lines


def canvas_pdf(
    pages: Sequence[Page],
    *,
    header: str | None = None,
    footer: str | None = None,
    leading: float = 14,
    gap: float = 10,
    title: str | None = None,
    encrypt: object = None,
    labels: Sequence[tuple[int, str, int]] = (),
) -> bytes:
    """Draw each line where asked: ``gap`` points between paragraphs; an empty page gets a
    filled rectangle and no text. ``header``/``footer`` may use ``{n}``, the page number."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, encrypt=encrypt)
    if title:
        c.setTitle(title)
    for n, page in enumerate(pages, 1):
        c.setFont("Helvetica", 9)
        if header:
            c.drawString(72, 800, header.format(n=n))
        if footer:
            c.drawString(72, 40, footer.format(n=n))
        c.setFont("Helvetica", 11)
        y = 760.0
        for paragraph in page:
            for line in paragraph:
                c.drawString(72, y, line)
                y -= leading
            y -= gap
        if not page:
            c.rect(100, 300, 300, 300, fill=1)  # a "scanned" page: an image, no text
        c.showPage()
    for index, style, start in labels:
        c.addPageLabel(index, style=style, start=start)
    c.save()
    return buf.getvalue()


_BODY = getSampleStyleSheet()["BodyText"]  # 6 points of space between paragraphs
SPACED = {
    align: ParagraphStyle(f"s{align}", _BODY, alignment=align) for align in (TA_LEFT, TA_JUSTIFY)
}
# Paragraphs told apart only by a first-line indent, as in books and LaTeX articles.
INDENTED = {
    align: ParagraphStyle(f"i{align}", _BODY, alignment=align, spaceBefore=0, firstLineIndent=18)
    for align in (TA_LEFT, TA_JUSTIFY)
}


def platypus_pdf(paragraphs: Sequence[str], style: ParagraphStyle = SPACED[TA_LEFT]) -> bytes:
    """Paragraphs laid out by reportlab on A4, with a running header and numbered footer."""

    def on_page(c: canvas.Canvas, doc: SimpleDocTemplate) -> None:
        c.setFont("Helvetica", 9)
        c.drawString(72, A4[1] - 40, "ACME Corp Annual Report 2024")
        c.drawRightString(A4[0] - 72, 30, f"Page {doc.page}")

    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, title="Annual report")
    doc.build([Paragraph(p, style) for p in paragraphs], onFirstPage=on_page, onLaterPages=on_page)
    return buf.getvalue()


def halve(data: bytes) -> bytes:
    return data[: len(data) // 2]


def no_pages_pdf() -> bytes:
    """A well-formed PDF whose page tree is empty (written by hand: reportlab adds a page)."""
    objects = [b"<</Type/Catalog/Pages 2 0 R>>", b"<</Type/Pages/Kids[]/Count 0>>"]
    out = bytearray(b"%PDF-1.7\n")
    offsets = []
    for n, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (n, body)
    xref = len(out)
    out += b"xref\n0 3\n0000000000 65535 f \n"
    out += b"".join(b"%010d 00000 n \n" % off for off in offsets)
    out += b"trailer\n<</Size 3/Root 1 0 R>>\nstartxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def block_texts(ex: Extracted) -> list[str]:
    """The blocks' texts, after checking every span round trip."""
    texts = []
    previous_end = 0
    for b in ex.blocks:
        text = ex.text[b.start : b.end]
        assert text and text == text.strip()
        assert b.start >= previous_end
        assert (b.kind, b.heading_path, b.context) == ("text", (), "")
        previous_end = b.end
        texts.append(text)
    return texts


def page_of(ex: Extracted, offset: int) -> int:
    """0-based page holding ``offset``."""
    assert ex.pages is not None
    return max(i for i, start in enumerate(ex.pages) if start <= offset)


def letters(n: int) -> str:
    """``n`` spelt in letters: words that differ only in digits look alike to the
    running-line detector, which reads every number as '#'."""
    return "".join(string.ascii_lowercase[int(d)] for d in str(n))


def prose(seed: int, words: int) -> str:
    """A paragraph of distinct lower-case words, one capital at the start, full stop at the end."""
    body = " ".join(f"w{letters(seed)}q{letters(k)}" for k in range(words))
    return f"Paragraph {body}."


def test_laid_out_paragraphs_are_one_block_each_without_running_header_and_footer() -> None:
    paragraphs = [prose(i, 90 + 13 * i) for i in range(10)]
    ex = extract(platypus_pdf(paragraphs))
    assert block_texts(ex) == paragraphs
    assert ex.pages is not None and len(ex.pages) >= 3
    assert "ACME" not in ex.text
    assert "Page" not in ex.text
    assert ex.title == "Annual report"
    assert ex.warning is None and ex.page_labels is None


def test_a_paragraph_split_by_the_layout_across_pages_is_one_block_spanning_both() -> None:
    paragraphs = [prose(i, 300) for i in range(6)]
    ex = extract(platypus_pdf(paragraphs, SPACED[TA_JUSTIFY]))
    assert block_texts(ex) == paragraphs
    assert ex.pages is not None
    spanning = [b for b in ex.blocks if page_of(ex, b.start) < page_of(ex, b.end - 1)]
    assert spanning, "the layout was expected to split a paragraph across a page break"
    for b in spanning:
        assert b.start < ex.pages[page_of(ex, b.end - 1)] < b.end


def test_lines_join_by_geometry_not_by_blank_lines() -> None:
    lines = ["The first line", "the second line."]
    together = extract(canvas_pdf([[lines]]))
    apart = extract(canvas_pdf([[lines[:1], lines[1:]]], gap=8))
    assert block_texts(together) == ["The first line the second line."]
    assert block_texts(apart) == ["The first line", "the second line."]


def test_line_end_hyphens_are_dropped_only_inside_a_word_broken_across_lines() -> None:
    lines = [
        "This is an exam-",
        "ple of co-",
        "Operation on pages 10-",
        "12, a dash -",
        "and a word, high-",
        "and low-level, two-",
        "to threefold, state-of-",
        "the-art work.",
    ]
    (text,) = block_texts(extract(canvas_pdf([[lines]])))
    assert text == (
        "This is an example of co-Operation on pages 10-12, a dash - and a word,"
        " high- and low-level, two- to threefold, state-of-the-art work."
    )


def test_page_offsets_point_at_each_page_and_empty_pages_warn() -> None:
    pages = [[["First page text."]], [], [["Third page text."], ["More."]], [], []]
    ex = extract(canvas_pdf(pages))
    assert block_texts(ex) == ["First page text.", "Third page text.", "More."]
    assert ex.text == "First page text.\n\nThird page text.\n\nMore."
    third = len("First page text.\n\n")
    assert ex.pages == [0, third - 2, third, len(ex.text), len(ex.text)]  # empty: where it falls
    assert ex.warning == "no text on pages 2, 4-5"


def test_an_unfinished_paragraph_continues_on_the_next_page() -> None:
    pages = [
        [["Opening words."], ["This sentence runs on past the", "bottom of the page and an exam-"]],
        [["ple follows on the next page."], ["Closing words."]],
    ]
    ex = extract(canvas_pdf(pages))
    assert ex.pages is not None
    texts = block_texts(ex)
    joined = (
        "This sentence runs on past the bottom of the page and an example follows on the next page."
    )
    assert texts == ["Opening words.", joined, "Closing words."]
    block = ex.blocks[1]
    assert block.start < ex.pages[1] < block.end
    assert ex.text[ex.pages[1] :].startswith("ple follows")


WIDE = "A first paragraph on a line that reaches far across to the right."


@pytest.mark.parametrize(
    ("end", "start"),
    [
        ("ends with a sentence.", "lower case start."),
        ("no full stop", "Capital start."),  # a short line: the next word would have fitted
        ("4.2 Field functions", "asn1_read_value reads a field."),  # a short line: a heading
    ],
)
def test_a_finished_paragraph_or_a_short_last_line_begins_a_new_block(end: str, start: str) -> None:
    ex = extract(canvas_pdf([[[WIDE], [end]], [[start]]]))
    assert block_texts(ex) == [WIDE, end, start]
    assert ex.pages == [0, len(WIDE) + len(end) + 4]


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


def test_running_lines_need_three_pages_and_most_of_them() -> None:
    body = [[[f"Body of the {name} page."]] for name in ("first", "second", "third", "last")]
    kept = extract(canvas_pdf(body[:2], header="Chapter 1: Notes", footer="Page {n} of 2"))
    assert "Chapter 1: Notes" in kept.text and "Page 2 of 2" in kept.text
    ex = extract(canvas_pdf(body, header="Chapter 1: Notes", footer="- {n} -"))
    assert block_texts(ex) == [page[0][0] for page in body]
    once = [[["Preface"], *body[0]], *body[1:]]
    assert "Preface" in extract(canvas_pdf(once)).text  # top of one page only


def test_running_heads_may_alternate_and_change_by_chapter_around_the_page_number() -> None:
    names = ["ant", "bee", "cat", "dog", "eel", "fox", "gnu", "hen"]
    bodies = [f"The {name} is an animal." for name in names]
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    for i, body in enumerate(bodies):
        c.setFont("Helvetica", 9)
        if i == 4:  # a chapter's first page: no running head, its number at the foot
            c.drawString(300, 40, str(i + 1))
        elif i % 2 == 0:
            c.drawString(72, 800, "Field Guide to Animals")  # on 3 of 8 pages: every other
        else:
            c.drawRightString(520, 800, f"Chapter {1 + i // 4}: {names[i].title()}    {i + 1}")
        c.setFont("Helvetica", 11)
        c.drawString(72, 760, body)
        c.showPage()
    c.save()
    assert block_texts(extract(buf.getvalue())) == bodies


def test_page_labels_from_the_document_catalog() -> None:
    pages = [[[f"Text on the {name} sheet."]] for name in ("first", "second", "third", "last")]
    labelled = canvas_pdf(pages, labels=[(0, "ROMAN_LOWER", 1), (2, "ARABIC", 1)])
    assert extract(labelled).page_labels == ["i", "ii", "1", "2"]
    assert extract(canvas_pdf(pages)).page_labels is None


def test_title_comes_from_metadata_and_placeholders_are_ignored() -> None:
    page = [[["Some text."]]]
    assert extract(canvas_pdf(page, title="  Field   Guide ")).title == "Field Guide"
    assert extract(canvas_pdf(page)).title is None  # reportlab writes "untitled"


def test_extraction_is_deterministic() -> None:
    data = platypus_pdf([prose(i, 120) for i in range(5)])
    assert extract(data) == extract(data)


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda: canvas_pdf([[], []]), "no text layer (scanned PDF?); docqa does not OCR"),
        (
            lambda: canvas_pdf([[], [], []], footer="Scanned by ACME, sheet {n}"),
            "no text layer (scanned PDF?); docqa does not OCR",
        ),
        (lambda: canvas_pdf([[["secret"]]], encrypt="pw"), "encrypted PDF (password protected)"),
        (
            lambda: canvas_pdf([[["secret"]]], encrypt=StandardEncryption("pw", "owner")),
            "encrypted PDF (password protected)",
        ),
        (
            lambda: halve(platypus_pdf([prose(i, 80) for i in range(6)])),
            "not a readable PDF (corrupt or truncated)",
        ),
        (
            lambda: b"%PDF-1.7\n" + bytes(range(256)) * 8,
            "not a readable PDF (corrupt or truncated)",
        ),
        (lambda: b"", "not a readable PDF (corrupt or truncated)"),
        (lambda: no_pages_pdf(), "empty PDF (no pages)"),
    ],
    ids=[
        "scanned",
        "scanned-stamped",
        "password",
        "encrypt-obj",
        "truncated",
        "garbage",
        "empty-bytes",
        "no-pages",
    ],
)
def test_unreadable_pdfs_raise_with_a_reason(make: Callable[[], bytes], reason: str) -> None:
    with pytest.raises(ExtractError) as err:
        extract(make())
    assert str(err.value) == reason


def test_a_pdf_with_only_an_owner_password_is_read() -> None:
    data = canvas_pdf([[["Open to read."]]], encrypt=StandardEncryption("", "owner", canCopy=0))
    assert block_texts(extract(data)) == ["Open to read."]


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
