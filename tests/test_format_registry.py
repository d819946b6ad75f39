"""The format registry: one entry per format, and a new format added by an entry alone.

The throwaway formats here (``.rst`` read as plain text, ``.csv`` through an extractor of its
own) live in a test-local registry passed through ``IndexConfig(formats=...)``: no other module
of docqa is touched, and the built-in registry does not read them.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import qa
from index import (
    BUILTIN_FORMATS,
    FORMATS,
    Format,
    FormatRegistry,
    IndexConfig,
    Locator,
    SourceUnavailableError,
    SourceView,
    build_index,
    format_citation,
    walk_folder,
)
from index.formats import Extracted, ExtractError
from index.paragraphs import Block
from index.verify import verify_index
from qa.context import passage_context

RST = """Release notes
=============

The frobnicator now accepts a tolerance of seven millimetres on every axis, which the old
version rejected outright with an error about alignment.

Older configuration files keep working: the missing tolerance defaults to one millimetre and
the frobnicator logs a note that says so.
"""
RST_FORMAT = Format("rst", (".rst",), locator=Locator.LINES)


def extract_csv(data: bytes) -> Extracted:
    """Each row of a comma-separated file as one paragraph; the header row as its context."""
    text = data.decode("utf-8")
    if not text.strip():
        raise ExtractError("no rows in this CSV file")
    lines = text.splitlines(keepends=True)
    header = lines[0].strip().replace(",", " | ")
    blocks, pos = [], len(lines[0])
    for line in lines[1:]:
        if line.strip():
            blocks.append(Block(pos, pos + len(line.rstrip()), "table", (), header))
        pos += len(line)
    return Extracted(text=text, blocks=blocks)


CSV_FORMAT = Format("csv", (".csv",), extract_csv)


def registry() -> FormatRegistry:
    return BUILTIN_FORMATS.with_format(RST_FORMAT).with_format(CSV_FORMAT)


def test_the_builtin_registry_reads_the_formats_it_always_did() -> None:
    assert FORMATS == {
        ".txt": "text",
        ".text": "text",
        ".md": "markdown",
        ".markdown": "markdown",
        ".html": "html",
        ".htm": "html",
        ".docx": "docx",
        ".pdf": "pdf",
    }
    assert BUILTIN_FORMATS.names == ("docx", "html", "markdown", "pdf", "text")
    markdown = BUILTIN_FORMATS.for_path("guides/Intro.MD")
    assert markdown is not None and markdown.name == "markdown" and markdown.streamed
    assert markdown.view is SourceView.MARKDOWN and markdown.syntax == "markdown"
    pdf = BUILTIN_FORMATS.named("pdf")
    assert pdf is not None and not pdf.streamed and pdf.view is SourceView.PAGE
    assert BUILTIN_FORMATS.for_path("notes.rst") is None
    assert BUILTIN_FORMATS.named("rst") is None


def test_with_format_copies_and_leaves_the_builtin_registry_alone() -> None:
    extended = registry()
    assert extended.for_suffix(".RST") is RST_FORMAT
    assert extended.named("csv") is CSV_FORMAT
    assert ".rst" in extended.suffixes and ".rst" not in BUILTIN_FORMATS.suffixes
    assert extended != BUILTIN_FORMATS


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Format("rst", ("rst",)), "extension 'rst' must be lowercase with its dot"),
        (lambda: Format("rst", (".RST",)), "extension '.RST' must be lowercase"),
        (lambda: Format("rst", ".rst"), "give extensions as a tuple"),  # type: ignore[arg-type]
        (lambda: Format("rst", ()), "give extensions as a tuple"),
        (lambda: Format("Rst", (".rst",)), "format name 'Rst' must be a lowercase word"),
        (lambda: Format("rst", (".rst",), syntax="rest"), "syntax 'rest' is not one of"),
        (
            lambda: BUILTIN_FORMATS.with_format(Format("notes", (".md",))),
            "extension '.md' of format 'notes' is already read as 'markdown'",
        ),
        (
            lambda: BUILTIN_FORMATS.with_format(Format("pdf", (".pdfx",))),
            "format 'pdf' is registered twice",
        ),
    ],
)
def test_a_bad_entry_is_refused_with_the_fix(make: object, message: str) -> None:
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        make()  # type: ignore[operator]


def write_corpus(docs: Path) -> None:
    docs.mkdir()
    (docs / "notes.rst").write_text(RST, encoding="utf-8")
    (docs / "parts.csv").write_text(
        "part,colour\nwidget,bright vermilion red\ngizmo,pale cerulean\n", encoding="utf-8"
    )
    (docs / "empty.csv").write_text("\n", encoding="utf-8")
    (docs / "guide.md").write_text("# Guide\n\nInstall it with pip and run it.\n")


def test_a_registered_format_is_indexed_retrieved_cited_shown_and_verified(
    tmp_path: Path,
) -> None:
    docs, index_dir, formats = tmp_path / "docs", tmp_path / "index", registry()
    write_corpus(docs)
    summary = build_index(docs, IndexConfig(index_dir=index_dir, model="hashing", formats=formats))
    assert summary.files_indexed == 3
    assert [(s["path"], s["reason"]) for s in summary.files_skipped] == [
        ("empty.csv", "no rows in this CSV file")
    ]

    results = qa.Retriever(index_dir).retrieve("tolerance of seven millimetres frobnicator", 3)
    top = results[0]
    assert top.source == "notes.rst"
    # Plain-text paragraph rules: three short paragraphs of one section, joined (as in a .txt
    # file), cited with line numbers since the format's locator says so.
    assert top.text == RST.strip() and RST[top.start : top.end] == top.text
    assert format_citation(top, formats) == "notes.rst ¶1–3 · lines 1–8"
    assert format_citation(top) == "notes.rst ¶1–3"  # the built-in registry has no .rst

    ctx = passage_context(docs, top, formats=formats)
    assert ctx.matches and ctx.text == top.text
    with pytest.raises(SourceUnavailableError, match=r"docqa reads no file of type '\.rst'"):
        passage_context(docs, top)  # the built-in registry cannot show it

    row = qa.Retriever(index_dir).retrieve("widget bright vermilion", 1)[0]
    assert (row.source, row.text, row.context) == (
        "parts.csv",
        "widget,bright vermilion red",
        "part | colour",
    )
    assert format_citation(row, formats) == "parts.csv ¶1"

    assert verify_index(index_dir, docs=docs, formats=formats).ok
    (docs / "notes.rst").write_text(RST.replace("seven", "eight"), encoding="utf-8")
    assert verify_index(index_dir, docs=docs, formats=formats).changed == ["notes.rst"]


def test_a_registered_format_can_be_asked_for_by_type(tmp_path: Path) -> None:
    docs, index_dir, formats = tmp_path / "docs", tmp_path / "index", registry()
    write_corpus(docs)
    build_index(docs, IndexConfig(index_dir=index_dir, model="hashing", formats=formats))
    retriever = qa.Retriever(index_dir, formats=formats)
    for kind in ("rst", ".rst"):
        found = retriever.retrieve("widget tolerance", 5, types=[kind])
        assert found and {r.source for r in found} == {"notes.rst"}
    with pytest.raises(qa.QueryError, match=r"unknown file type 'rst'"):
        qa.Retriever(index_dir).retrieve("widget tolerance", 5, types=["rst"])  # built-in only


def test_the_builtin_registry_skips_a_format_it_does_not_know(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    write_corpus(docs)
    found, skipped = walk_folder(docs)
    assert [f.path for f in found] == ["guide.md"]
    assert {s.path: s.reason for s in skipped}["notes.rst"] == (
        "unsupported file type '.rst'; docqa reads " + ", ".join(sorted(FORMATS))
    )
    found, _ = walk_folder(docs, formats=registry())
    assert [(f.path, f.format.name if f.format else None) for f in found] == [
        ("empty.csv", "csv"),
        ("guide.md", "markdown"),
        ("notes.rst", "rst"),
        ("parts.csv", "csv"),
    ]
