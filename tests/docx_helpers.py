"""Building Word documents with python-docx and checking their extraction, for the
test_format_docx*.py modules."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable

from docx.document import Document as DocxDocument

from index.formats import Extracted
from index.formats.docx import extract

__all__ = ["Row", "add_table", "extract_ok", "rewrite", "rows", "save"]

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


def add_table(doc: DocxDocument, cells: list[list[str]]) -> None:
    table = doc.add_table(rows=len(cells), cols=len(cells[0]))
    for row, texts in zip(table.rows, cells, strict=True):
        for cell, text in zip(row.cells, texts, strict=True):
            cell.text = text


def rewrite(data: bytes, name: str, edit: Callable[[bytes], bytes | None]) -> bytes:
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
