"""index.formats.docx.extract on whole documents: empty, deterministic, every span round-trips,
invalid files raise ExtractError with a reason, and random documents keep order and heading
paths."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import docx
import pytest
from docx_helpers import Row, add_table, extract_ok, rewrite, rows, save
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index.formats import ExtractError
from index.formats.docx import extract

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


BLANK = save(docx.Document())


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "not a zip file"),
        (b"Hello, this is plain text.", "not a zip file"),
        (BLANK[:500], "not a zip file"),
        (_zip({"a.txt": "x"}), "[Content_Types].xml"),
        (rewrite(BLANK, "word/document.xml", lambda _: None), "word/document.xml"),
        (
            rewrite(BLANK, "word/document.xml", lambda b: b.replace(b"<w:body>", b"<w:body")),
            "XMLSyntaxError",
        ),
        (
            rewrite(
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
