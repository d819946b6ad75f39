"""Markup without content is never a passage; short blocks join their neighbours (chunker 4)."""

from __future__ import annotations

import pytest
from helpers import RecordingEncoder

from index.cutting import document_passages, document_title, embed_input
from index.documents import Document
from index.mdextensions import unwrap
from index.paragraphs import split_blocks


def block_texts(text: str) -> list[tuple[str, str]]:
    """(text, context) of every block of a Markdown document."""
    return [(text[b.start : b.end], b.context) for b in split_blocks(text, "markdown")]


def passages(text: str, path: str = "doc.md", fmt: str = "markdown", max_tokens: int = 256):
    enc = RecordingEncoder(max_tokens=max_tokens)
    doc = Document(path, fmt, text, "", len(text), 0)
    return document_passages(doc, enc.count_tokens, enc.max_tokens)


LONG = " ".join(f"word{n}" for n in range(70)) + "."  # stands alone: 70 tokens


# --- markup that carries no content ---------------------------------------------------------


@pytest.mark.parametrize(
    "markup",
    [
        "{!> ../../docs_src/app.py !}",
        '--8<-- "snippets/common.md"',
        '{% include "partials/footer.md" %}',
        "{{ devtools_example }}",
        "[](){#my-anchor}",
        "[pydantic]: https://docs.pydantic.dev",
        "<!-- a comment -->",
        "---",
        "::: pydantic.main.BaseModel\n    options:\n        show_root_heading: true",
    ],
)
def test_markup_only_lines_are_never_passages(markup: str) -> None:
    text = f"Real text before.\n\n{markup}\n\nReal text after."
    assert [t for t, _ in block_texts(text)] == ["Real text before.", "Real text after."]


def test_admonition_body_is_a_passage_with_its_title_as_context() -> None:
    text = (
        "Intro paragraph.\n\n"
        '!!! warning "Mind the gap"\n'
        "    Trains stop here.\n\n"
        "    ```python\n    x = 1\n    ```\n\n"
        "After the note."
    )
    got = split_blocks(text, "markdown")
    assert [(text[b.start : b.end], b.context, b.kind) for b in got] == [
        ("Intro paragraph.", "", "text"),
        ("Trains stop here.", "Mind the gap", "text"),
        ("```python\n    x = 1\n    ```", "Mind the gap", "code"),
        ("After the note.", "", "text"),
    ]


@pytest.mark.parametrize(
    ("opener", "context"),
    [
        ("??? tip", "Tip"),
        ("???+ example 'Worked example'", "Worked example"),
        ('=== "Python 3.9+"', "Python 3.9+"),
        ("!!! version-added", "Version added"),
    ],
)
def test_collapsible_admonitions_and_tabs_take_their_title(opener: str, context: str) -> None:
    text = f"{opener}\n\n    Inside the container.\n\nOutside."
    assert block_texts(text) == [("Inside the container.", context), ("Outside.", "")]


def test_nested_tabs_inside_an_admonition_keep_both_titles_and_code_stays_code() -> None:
    text = (
        '!!! note "Setup"\n'
        '    === "pip"\n\n'
        "        ```bash\n        pip install x\n        ```\n\n"
        '    === "uv"\n\n'
        "        Use uv instead.\n"
    )
    got = split_blocks(text, "markdown")
    assert [(b.kind, b.context) for b in got] == [("code", "Setup > pip"), ("text", "Setup > uv")]
    assert text[got[1].start : got[1].end] == "Use uv instead."


def test_slash_blocks_are_fences_whose_text_is_kept() -> None:
    text = (
        "/// tip | Good to know\n"
        "Blocks hold text.\n"
        "///\n\n"
        "//// tab | Python 3.9+\n"
        "Tabbed text.\n"
        "////\n\n"
        "Free text."
    )
    assert block_texts(text) == [
        ("Blocks hold text.", "Good to know"),
        ("Tabbed text.", "Python 3.9+"),
        ("Free text.", ""),
    ]


def test_admonition_syntax_inside_a_code_fence_is_code() -> None:
    text = "```markdown\n!!! note\n    Not a real note.\n```"
    assert block_texts(text) == [(text, "")]


def test_unwrap_keeps_every_line_in_place() -> None:
    lines = ["!!! note", "    body", "", "after"]
    got = unwrap(lines)
    assert got.lines == ["", "body", "", "after"]
    assert got.markup == [True, False, False, False]
    assert got.context == [(), ("Note",), ("Note",), ()]


# --- joining short blocks ---------------------------------------------------------------------


def test_lead_in_list_and_code_join_into_one_passage_citing_the_range() -> None:
    text = (
        "# Guide\n\n"
        f"{LONG}\n\n"
        "## Install\n\n"
        "Install it with pip:\n\n"
        "```bash\npip install docqa\n```\n\n"
        "- then run it\n- and ask\n"
    )
    out = passages(text, "guide.md")
    assert [p.citation for p, _ in out] == [
        "guide.md ¶1 · line 3 · Guide",
        "guide.md ¶2–4 · lines 7–14 · Guide > Install",
    ]
    joined = out[1][0]
    assert joined.text == text[joined.start : joined.end]
    assert joined.text.startswith("Install it with pip:") and joined.text.endswith("- and ask")
    assert (joined.paragraph, joined.last_paragraph) == (2, 4)
    assert joined.to_dict()["paragraph_end"] == 4


def test_blocks_of_different_sections_or_containers_never_join() -> None:
    text = "## A\n\nshort a\n\n## B\n\nshort b\n\n!!! note\n    short note\n"
    out = passages(text)
    assert [p.text for p, _ in out] == ["short a", "short b", "short note"]
    assert [p.context for p, _ in out] == ["", "", "Note"]


def test_long_paragraphs_stand_alone() -> None:
    text = f"{LONG}\n\n{LONG.replace('word', 'term')}"
    assert len(passages(text)) == 2


def test_joining_stops_at_the_models_input_length() -> None:
    text = "\n\n".join(f"Short paragraph number {n} here." for n in range(40))
    out = passages(text, max_tokens=40)
    enc = RecordingEncoder(max_tokens=40)
    assert len(out) > 1
    assert all(enc.count_tokens(embedded) <= 40 for _, embedded in out)
    assert "".join(p.text for p, _ in out).replace("\n", "") == text.replace("\n", "")


def test_a_title_line_joins_the_paragraph_after_it() -> None:
    text = "Annual report 2025\n\nRevenue grew by a third, driven by exports."
    [(p, _)] = passages(text, "report.txt", "text")
    assert p.text == text and p.citation == "report.txt ¶1–2 · lines 1–3"


# --- context -------------------------------------------------------------------------------


def test_passages_are_embedded_with_the_document_title_kept_out_of_text_and_citation() -> None:
    text = "## Timeouts\n\nHTTPX enforces timeouts by default."
    [(p, embedded)] = passages(text, "advanced/client_timeouts.md")
    assert embedded == "Client timeouts > Timeouts\n\nHTTPX enforces timeouts by default."
    assert p.text == "HTTPX enforces timeouts by default."
    assert "Client timeouts" not in p.citation


def test_a_title_that_is_the_first_heading_is_not_repeated() -> None:
    assert (
        embed_input(("Quickstart", "Install"), "x", "", "QuickStart") == "Quickstart > Install\n\nx"
    )


@pytest.mark.parametrize(
    ("path", "title"),
    [
        ("concepts/json_schema.md", "Json schema"),
        ("00_Super_Bowl_50.txt", "Super Bowl 50"),
        ("guide/index.md", "Guide"),
        ("README.md", ""),
        ("4983.txt", ""),
        ("notes/2024-05-01-standup.md", "Standup"),
    ],
)
def test_document_title_from_the_file_name(path: str, title: str) -> None:
    assert document_title(path) == title


def test_a_documents_own_title_wins_over_its_file_name() -> None:
    assert document_title("x/page.html", "  The  Real Title ") == "The Real Title"
