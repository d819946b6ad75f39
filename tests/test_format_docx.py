"""index.formats.docx.extract: body order, heading paths, tables, lists, title and bad files.

Every document is built here with python-docx; ``extract_ok`` checks each block's span.
"""

from __future__ import annotations

import io
import re
import threading
import zipfile
from collections.abc import Callable
from typing import Any

import docx
import pytest
from docx.document import Document as DocxDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index.formats import Extracted, ExtractError
from index.formats.docx import extract

Row = tuple[str, str, tuple[str, ...]]


def save(doc: DocxDocument) -> bytes:
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def extract_ok(doc: DocxDocument) -> Extracted:
    """Extract a document, checking that every block is a trimmed, non-empty span, in order."""
    ex = extract(save(doc))
    end = 0
    for b in ex.blocks:
        body = ex.text[b.start : b.end]
        assert body and body == body.strip(), "a block is trimmed and never empty"
        assert b.start >= end, "blocks are in order and do not overlap"
        end = b.end
    return ex


def rows(ex: Extracted) -> list[Row]:
    return [(b.kind, ex.text[b.start : b.end], b.heading_path) for b in ex.blocks]


def add_xml(doc: DocxDocument, xml: str) -> None:
    """Append a raw body element (w:p, w:sdt...) written with the ``w``, ``v`` and ``mc`` prefixes."""
    head, rest = xml.split(">", 1)
    namespaces = (
        f'{nsdecls("w")} xmlns:v="urn:schemas-microsoft-com:vml"'
        ' xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"'
    )
    doc.element.body.sectPr.addprevious(parse_xml(f"{head} {namespaces}>{rest}"))


def add_table(doc: DocxDocument, cells: list[list[str]]) -> None:
    table = doc.add_table(rows=len(cells), cols=len(cells[0]))
    for row, texts in zip(table.rows, cells, strict=True):
        for cell, text in zip(row.cells, texts, strict=True):
            cell.text = text


# --- headings and paragraphs ------------------------------------------------------------------


def test_headings_set_nested_paths_and_are_not_passages() -> None:
    doc = docx.Document()
    doc.add_paragraph("Before any heading.")
    doc.add_heading("Install", 1)
    doc.add_paragraph("Install it.")
    doc.add_heading("Linux", 2)
    doc.add_paragraph("Use apt.")
    doc.add_heading("Debian", 3)
    doc.add_paragraph("apt-get install.")
    doc.add_heading("Windows", 2)  # pops Linux and Debian
    doc.add_paragraph("Use the installer.")
    doc.add_heading("Usage", 1)  # pops everything
    doc.add_paragraph("Run it.")
    ex = extract_ok(doc)
    assert rows(ex) == [
        ("text", "Before any heading.", ()),
        ("text", "Install it.", ("Install",)),
        ("text", "Use apt.", ("Install", "Linux")),
        ("text", "apt-get install.", ("Install", "Linux", "Debian")),
        ("text", "Use the installer.", ("Install", "Windows")),
        ("text", "Run it.", ("Usage",)),
    ]
    assert "\n\nDebian\n\napt-get install." in ex.text, "headings are lines of the text"


def test_title_sits_above_heading_1_and_names_the_document() -> None:
    doc = docx.Document()
    doc.add_heading("Field Guide", 0)
    doc.add_paragraph("Preface.")
    doc.add_heading("Birds", 1)
    doc.add_paragraph("Many birds.")
    ex = extract_ok(doc)
    assert rows(ex) == [
        ("text", "Preface.", ("Field Guide",)),
        ("text", "Many birds.", ("Field Guide", "Birds")),
    ]
    assert ex.title == "Field Guide"


def test_title_prefers_document_properties_then_first_heading_1() -> None:
    doc = docx.Document()
    doc.add_heading("First chapter", 1)
    doc.add_heading("Second chapter", 1)
    assert extract_ok(doc).title == "First chapter"
    doc.core_properties.title = "  Annual   report "
    assert extract_ok(doc).title == "Annual report"
    plain = docx.Document()
    plain.add_paragraph("No headings here.")
    assert extract_ok(plain).title is None


@pytest.mark.parametrize(
    ("part", "edit"),
    [
        ("_rels/.rels", lambda b: re.sub(rb"<Relationship [^>]*core-properties[^>]*/>", b"", b)),
        ("[Content_Types].xml", lambda b: b.replace(b"package.core-properties+xml", b"x+xml")),
    ],
    ids=["no-core-part", "core-part-of-wrong-type"],
)
def test_missing_document_properties_do_not_invent_a_title(
    part: str, edit: Callable[[bytes], bytes]
) -> None:
    doc = docx.Document()
    doc.add_paragraph("Text only.")
    doc.core_properties.title = "Lost"
    ex = extract(_rewrite(save(doc), part, edit))
    assert (ex.title, ex.text) == (None, "Text only."), "python-docx's default is 'Word Document'"


def test_empty_heading_closes_sections_without_adding_to_the_path() -> None:
    doc = docx.Document()
    doc.add_heading("A", 1)
    doc.add_heading("B", 2)
    doc.add_heading("   ", 2)
    doc.add_paragraph("under A only")
    assert rows(extract_ok(doc)) == [("text", "under A only", ("A",))]


def test_custom_style_based_on_a_heading_and_outline_levels_are_headings() -> None:
    doc = docx.Document()
    custom = doc.styles.add_style("Chapter Head", WD_STYLE_TYPE.PARAGRAPH)
    custom.base_style = doc.styles["Heading 1"]
    sub = doc.styles.add_style("Sub Head", WD_STYLE_TYPE.PARAGRAPH)
    sub.base_style = custom  # two steps from Heading 1: still level 1
    part = doc.styles.add_style("Part", WD_STYLE_TYPE.PARAGRAPH)  # outline level 2 = heading 3
    part.element.get_or_add_pPr().append(parse_xml(f'<w:outlineLvl {nsdecls("w")} w:val="2"/>'))
    doc.add_paragraph("Chapter one", style="Chapter Head")
    doc.add_paragraph("Body one.")
    add_xml(
        doc, '<w:p><w:pPr><w:outlineLvl w:val="1"/></w:pPr><w:r><w:t>Outlined</w:t></w:r></w:p>'
    )
    doc.add_paragraph("Body two.")
    doc.add_paragraph("Part three", style="Part")
    doc.add_paragraph("Body three.")
    demoted = doc.add_heading("Demoted to body text", 1)
    demoted._p.get_or_add_pPr().append(parse_xml(f'<w:outlineLvl {nsdecls("w")} w:val="9"/>'))
    doc.add_paragraph("Chapter two", style="Sub Head")
    doc.add_paragraph("Body four.")
    assert rows(extract_ok(doc)) == [
        ("text", "Body one.", ("Chapter one",)),
        ("text", "Body two.", ("Chapter one", "Outlined")),
        ("text", "Body three.", ("Chapter one", "Outlined", "Part three")),
        ("text", "Demoted to body text", ("Chapter one", "Outlined", "Part three")),
        ("text", "Body four.", ("Chapter two",)),
    ]


def test_cyclic_based_on_styles_are_read_as_plain_paragraphs() -> None:
    doc = docx.Document()
    a = doc.styles.add_style("Loop A", WD_STYLE_TYPE.PARAGRAPH)
    b = doc.styles.add_style("Loop B", WD_STYLE_TYPE.PARAGRAPH)
    a.base_style, b.base_style = b, a
    doc.add_paragraph("Still read.", style="Loop A")
    done: list[Extracted] = []
    worker = threading.Thread(target=lambda: done.append(extract(save(doc))), daemon=True)
    worker.start()
    worker.join(timeout=20)
    assert done, "a basedOn cycle must not loop forever"
    assert rows(done[0]) == [("text", "Still read.", ())]


def test_empty_paragraphs_separate_and_are_never_passages() -> None:
    doc = docx.Document()
    doc.add_paragraph("One.")
    doc.add_paragraph("")
    doc.add_paragraph("   \t ")
    doc.add_paragraph("Two.")
    ex = extract_ok(doc)
    assert [text for _, text, _ in rows(ex)] == ["One.", "Two."]
    assert ex.text == "One.\n\nTwo."


def test_tabs_and_line_breaks_stay_inside_one_paragraph() -> None:
    doc = docx.Document()
    p = doc.add_paragraph("Name:\tAda")
    p.add_run().add_break()
    p.add_run().add_break()  # a blank line inside a paragraph does not split it
    p.add_run("  second line ")
    add_xml(doc, '<w:p><w:r><w:t>end of page</w:t><w:br w:type="page"/><w:t>next</w:t></w:r></w:p>')
    assert [text for _, text, _ in rows(extract_ok(doc))] == [
        "Name:\tAda\n  second line",
        "end of page\nnext",
    ]


def test_list_items_are_paragraphs_of_their_own() -> None:
    doc = docx.Document()
    doc.add_heading("Shopping", 1)
    doc.add_paragraph("Buy:")
    doc.add_paragraph("Milk", style="List Bullet")
    doc.add_paragraph("Bread", style="List Number")
    doc.add_paragraph("Butter", style="List Paragraph")  # a list style without numbering
    add_xml(  # numbered through direct numbering, not a list style
        doc,
        '<w:p><w:pPr><w:numPr><w:ilvl w:val="0"/><w:numId w:val="1"/></w:numPr></w:pPr>'
        "<w:r><w:t>Eggs</w:t></w:r></w:p>",
    )
    add_xml(  # numId 0 switches numbering off
        doc,
        '<w:p><w:pPr><w:numPr><w:numId w:val="0"/></w:numPr></w:pPr><w:r><w:t>Done.</w:t></w:r></w:p>',
    )
    assert rows(extract_ok(doc)) == [
        ("text", "Buy:", ("Shopping",)),
        ("list", "Milk", ("Shopping",)),
        ("list", "Bread", ("Shopping",)),
        ("list", "Butter", ("Shopping",)),
        ("list", "Eggs", ("Shopping",)),
        ("text", "Done.", ("Shopping",)),
    ]


def test_tracked_changes_read_as_accepted_and_text_boxes_left_out() -> None:
    doc = docx.Document()
    add_xml(
        doc,
        "<w:p><w:r><w:t xml:space='preserve'>Keep </w:t></w:r>"
        "<w:ins w:id='1' w:author='a'><w:r><w:t>added</w:t></w:r></w:ins>"
        "<w:del w:id='2' w:author='a'><w:r><w:delText>gone</w:delText><w:tab/></w:r></w:del>"
        "<w:hyperlink><w:r><w:t xml:space='preserve'> link</w:t></w:r></w:hyperlink>"
        "<w:ruby><w:rubyPr/><w:rt><w:r><w:t>kan</w:t></w:r></w:rt>"
        "<w:rubyBase><w:r><w:t xml:space='preserve'> 漢</w:t></w:r></w:rubyBase></w:ruby>"
        "<w:r><w:pict><v:shape><v:textbox><w:txbxContent><w:p><w:r><w:t>In a box</w:t></w:r>"
        "</w:p></w:txbxContent></v:textbox></v:shape></w:pict></w:r></w:p>",
    )
    assert [text for _, text, _ in rows(extract_ok(doc))] == ["Keep added link 漢"]


def test_content_controls_are_read_and_a_table_of_contents_is_not() -> None:
    doc = docx.Document()
    add_xml(
        doc,
        "<w:sdt><w:sdtPr><w:docPartObj><w:docPartGallery w:val='Table of Contents'/>"
        "</w:docPartObj></w:sdtPr><w:sdtContent><w:p><w:r><w:t>Intro\t1</w:t></w:r></w:p>"
        "</w:sdtContent></w:sdt>",
    )
    doc.add_paragraph("Chapter\t2", style=doc.styles.add_style("TOC 1", WD_STYLE_TYPE.PARAGRAPH))
    add_xml(
        doc,
        "<w:sdt><w:sdtPr/><w:sdtContent><w:p><w:r><w:t>Filled-in field.</w:t></w:r></w:p>"
        "</w:sdtContent></w:sdt>",
    )
    add_xml(
        doc, "<w:customXml w:element='note'><w:p><w:r><w:t>Tagged.</w:t></w:r></w:p></w:customXml>"
    )
    assert [text for _, text, _ in rows(extract_ok(doc))] == ["Filled-in field.", "Tagged."]


def test_alternate_content_is_read_once() -> None:
    doc = docx.Document()
    add_xml(
        doc,
        "<w:p><w:r><w:t xml:space='preserve'>Shape: </w:t></w:r><mc:AlternateContent>"
        "<mc:Choice Requires='wps'><w:r><w:t>modern</w:t></w:r></mc:Choice>"
        "<mc:Fallback><w:r><w:t>legacy</w:t></w:r></mc:Fallback></mc:AlternateContent></w:p>",
    )
    assert [text for _, text, _ in rows(extract_ok(doc))] == ["Shape: modern"]


# --- tables -----------------------------------------------------------------------------------


def test_table_stays_where_it_is_between_paragraphs() -> None:
    doc = docx.Document()
    doc.add_heading("Prices", 1)
    doc.add_paragraph("Before the table.")
    add_table(doc, [["Item", "Price"], ["Tea", "3"], ["Cake", "4"]])
    doc.add_paragraph("After the table.")
    ex = extract_ok(doc)
    assert rows(ex) == [
        ("text", "Before the table.", ("Prices",)),
        ("table", "Item | Price\nTea | 3\nCake | 4", ("Prices",)),
        ("text", "After the table.", ("Prices",)),
    ]
    assert ex.blocks[1].context == "Item | Price", "the header row goes with every part"
    assert [b.context for b in ex.blocks if b.kind != "table"] == ["", ""]


def test_table_cells_are_whitespace_collapsed_and_empty_rows_dropped() -> None:
    doc = docx.Document()
    add_table(doc, [["", ""], ["A  name", "two\nlines"], [" ", ""], ["", "right only"]])
    [block] = extract_ok(doc).blocks
    assert block.context == "A name | two lines", "the first non-empty row is the header"
    assert extract_ok(doc).text == "A name | two lines\n| right only"


def test_single_row_table_has_no_separate_header_and_empty_table_no_block() -> None:
    doc = docx.Document()
    add_table(doc, [["only", "row"]])
    add_table(doc, [["", ""], ["", ""]])
    ex = extract_ok(doc)
    assert [(b.kind, ex.text[b.start : b.end], b.context) for b in ex.blocks] == [
        ("table", "only | row", "")
    ]


def test_merged_cells_appear_once_per_row() -> None:
    doc = docx.Document()
    table = doc.add_table(rows=3, cols=3)
    for r, row in enumerate(table.rows):
        for c, cell in enumerate(row.cells):
            cell.text = f"{r}{c}"
    table.cell(0, 0).merge(table.cell(0, 2)).text = "Wide header"  # across a row
    table.cell(1, 0).merge(table.cell(1, 1)).text = "Pair"
    table.cell(1, 2).merge(table.cell(2, 2)).text = "Tall"  # down a column, after a wide cell
    [block] = extract_ok(doc).blocks
    assert extract_ok(doc).text == "Wide header\nPair | Tall\n20 | 21 | Tall"
    assert block.context == "Wide header"


def test_rows_and_cells_in_content_controls_are_read() -> None:
    doc = docx.Document()
    add_table(doc, [["Name", "Role"]])
    tbl = doc.tables[0]._tbl
    tbl.append(  # a repeating-section row, and a cell wrapped in a content control
        parse_xml(
            f"<w:sdt {nsdecls('w')}><w:sdtContent><w:tr><w:tc><w:p><w:r><w:t>Ada</w:t></w:r></w:p>"
            "</w:tc><w:sdt><w:sdtContent><w:tc><w:p><w:r><w:t>Engineer</w:t></w:r></w:p></w:tc>"
            "</w:sdtContent></w:sdt></w:tr></w:sdtContent></w:sdt>"
        )
    )
    assert extract_ok(doc).text == "Name | Role\nAda | Engineer"


def test_nested_table_text_is_flattened_into_its_cell() -> None:
    doc = docx.Document()
    table = doc.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Key", "Value"
    table.cell(1, 0).text = "Sizes"
    outer = table.cell(1, 1)
    outer.text = "See:"
    inner = outer.add_table(rows=2, cols=1)
    inner.cell(0, 0).text, inner.cell(1, 0).text = "S 10", "M 12"
    assert extract_ok(doc).text == "Key | Value\nSizes | See: S 10 M 12"


# --- whole documents and bad files ------------------------------------------------------------


def test_empty_document_has_no_blocks() -> None:
    ex = extract_ok(docx.Document())
    assert (ex.text, ex.blocks, ex.title, ex.pages) == ("", [], None, None)


def test_same_bytes_give_the_same_extraction() -> None:
    doc = docx.Document()
    doc.add_heading("H", 1)
    doc.add_paragraph("p")
    add_table(doc, [["a", "b"], ["c", "d"]])
    data = save(doc)
    assert extract(data) == extract(data)


def test_every_block_of_a_mixed_document_round_trips_its_span() -> None:
    doc = docx.Document()
    doc.add_heading("Guide", 0)
    doc.add_paragraph("  Leading and trailing spaces  ")
    doc.add_paragraph("Ünïcödé — 日本語 ✓")
    add_table(doc, [["h1", "h2"], ["x", "y"]])
    doc.add_paragraph("item", style="List Bullet")
    ex = extract_ok(doc)
    texts = [text for _, text, _ in rows(ex)]
    assert texts == ["Leading and trailing spaces", "Ünïcödé — 日本語 ✓", "h1 | h2\nx | y", "item"]
    assert "\n\n".join(["Guide", *texts]) == ex.text


def _zip(files: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, content in files.items():
            z.writestr(name, content)
    return buf.getvalue()


def _rewrite(data: bytes, name: str, edit: Callable[[bytes], bytes | None]) -> bytes:
    """The zip archive ``data`` with part ``name`` edited (dropped where ``edit`` gives None)."""
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for info in src.infolist():
            part = src.read(info)
            edited = edit(part) if info.filename == name else part
            if edited is not None:
                z.writestr(info, edited)
    return buf.getvalue()


BLANK = save(docx.Document())


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "not a zip file"),
        (b"Hello, this is plain text.", "not a zip file"),
        (BLANK[:500], "not a zip file"),
        (_zip({"a.txt": "x"}), "[Content_Types].xml"),
        (_rewrite(BLANK, "word/document.xml", lambda _: None), "word/document.xml"),
        (
            _rewrite(BLANK, "word/document.xml", lambda b: b.replace(b"<w:body>", b"<w:body")),
            "XMLSyntaxError",
        ),
        (
            _rewrite(
                BLANK,
                "[Content_Types].xml",
                lambda b: b.replace(b"wordprocessingml.document", b"spreadsheetml.sheet"),
            ),
            "not a Word file",
        ),
    ],
    ids=["empty", "text", "truncated", "other-zip", "no-document-part", "bad-xml", "spreadsheet"],
)
def test_invalid_files_raise_extract_error_with_a_reason(data: bytes, reason: str) -> None:
    with pytest.raises(ExtractError) as err:
        extract(data)
    message = str(err.value)
    assert message.startswith("not a valid DOCX file (") and message.endswith(")")
    assert reason in message
    assert "0x" not in message and "\n" not in message, "short and stable: no object addresses"


def test_ole_compound_file_is_reported_as_encrypted() -> None:
    ole = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + "EncryptedPackage".encode("utf-16-le")
    )
    with pytest.raises(ExtractError, match=r"^encrypted or not a DOCX file \(Office encryption\)$"):
        extract(ole)


# --- property ---------------------------------------------------------------------------------

_TEXT = st.text(
    st.characters(exclude_categories=("Cs", "Cc", "Cn")) | st.sampled_from("\t\n  "), max_size=20
)
_HEADING = st.tuples(st.just("h"), st.integers(1, 3), _TEXT)
_PARAGRAPH = st.tuples(st.just("p"), st.just(0), _TEXT)
_TABLE = st.tuples(
    st.just("t"),
    st.just(0),
    st.integers(1, 3).flatmap(
        lambda cols: st.lists(st.lists(_TEXT, min_size=cols, max_size=cols), min_size=1, max_size=3)
    ),
)


def _paragraph(text: str) -> str:
    return "\n".join(line for line in text.split("\n") if line.strip()).strip()


def _table(cells: list[list[str]]) -> str:
    lines = [[" ".join(c.split()) for c in row] for row in cells]
    return "\n".join(" | ".join(row).strip() for row in lines if any(row))


@settings(
    max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(items=st.lists(st.one_of(_HEADING, _PARAGRAPH, _TABLE), max_size=12))
def test_random_documents_keep_order_spans_and_heading_paths(
    items: list[tuple[str, int, Any]],
) -> None:
    doc = docx.Document()
    expected: list[Row] = []
    contexts: list[str] = []  # a table's context is its first row when it has more than one
    stack: list[tuple[int, str]] = []
    first_h1 = None
    for kind, level, content in items:
        path = tuple(t for _, t in stack)
        if kind == "h":
            doc.add_heading(content, level)
            stack = [(lv, t) for lv, t in stack if lv < level]
            if title := " ".join(content.split()):
                stack.append((level, title))
                first_h1 = first_h1 or (title if level == 1 else None)
        elif kind == "p":
            doc.add_paragraph(content)
            if _paragraph(content):
                expected.append(("text", _paragraph(content), path))
        else:
            add_table(doc, content)
            if table := _table(content):
                expected.append(("table", table, path))
                contexts.append(table.split("\n")[0] if "\n" in table else "")
    ex = extract_ok(doc)
    assert rows(ex) == expected
    assert [b.context for b in ex.blocks if b.kind == "table"] == contexts
    assert not any(b.context for b in ex.blocks if b.kind != "table")
    assert ex.title == first_h1
