"""index.formats.docx.extract: tables stay in body order, cells are collapsed, merged cells appear
once, and rows in content controls and nested tables are read."""

from __future__ import annotations

import docx
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from docx_helpers import add_table, extract_ok, rows

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
