"""PDF extraction: paragraphs from line geometry, running headers left out, pages and errors.
Where paragraphs begin and end across pages and without spacing: test_format_pdf_layout.py.

Every PDF is generated in the test with reportlab: the canvas for exact control over lines and
pages, platypus for paragraphs laid out (wrapped, justified, split across pages) by a real
layout engine.
"""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from pdf_helpers import SPACED, block_texts, canvas_pdf, platypus_pdf, prose
from reportlab.lib.enums import TA_JUSTIFY
from reportlab.lib.pagesizes import A4
from reportlab.lib.pdfencrypt import StandardEncryption
from reportlab.pdfgen import canvas

from index.formats import Extracted, ExtractError
from index.formats.pdf import extract


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


def page_of(ex: Extracted, offset: int) -> int:
    """0-based page holding ``offset``."""
    assert ex.pages is not None
    return max(i for i, start in enumerate(ex.pages) if start <= offset)


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
