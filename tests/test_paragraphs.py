"""index.paragraphs.split_blocks: paragraphs, heading paths and atomic blocks in text and Markdown."""

from __future__ import annotations

import itertools

import pytest

from index.documents import decode_text
from index.paragraphs import Block, split_blocks


def blocks(text: str, fmt: str = "markdown") -> list[tuple[str, str, tuple[str, ...]]]:
    """(kind, text, heading path) of every block, checking each block's span on the way."""
    out = []
    for b in split_blocks(text, fmt):
        assert isinstance(b, Block)
        body = text[b.start : b.end]
        assert body and body == body.strip(), "a block is trimmed and never empty"
        out.append((b.kind, body, b.heading_path))
    return out


def texts(text: str, fmt: str = "markdown") -> list[str]:
    return [body for _, body, _ in blocks(text, fmt)]


# --- paragraphs ------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_blank_lines_separate_paragraphs(fmt: str) -> None:
    text = "First line\nstill first.\n\nSecond.\n\n\n   \n\t\nThird."
    assert texts(text, fmt) == ["First line\nstill first.", "Second.", "Third."]


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_paragraph_offsets_skip_surrounding_whitespace(fmt: str) -> None:
    text = "\n\n   indented start\nend here   \n\n"
    [block] = split_blocks(text, fmt)
    assert (block.start, block.end) == (text.index("indented"), text.index("here") + 4)
    assert block.kind == "text"
    assert block.heading_path == ()


@pytest.mark.parametrize("fmt", ["text", "markdown"])
@pytest.mark.parametrize("text", ["", "\n", "   \n\t\n\n"])
def test_blank_text_has_no_blocks(fmt: str, text: str) -> None:
    assert split_blocks(text, fmt) == []


def test_plain_text_ignores_markdown_syntax() -> None:
    text = "# not a heading\n\n```\ncode\n\nmore\n```\n\n---"
    assert blocks(text, "text") == [
        ("text", "# not a heading", ()),
        ("text", "```\ncode", ()),
        ("text", "more\n```", ()),
        ("text", "---", ()),
    ]


def test_blocks_are_in_document_order_and_disjoint() -> None:
    text = "# A\n\none\n\n```\nx\n\ny\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\ntwo\n"
    spans = [(b.start, b.end) for b in split_blocks(text, "markdown")]
    assert len(spans) == 4
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))


# --- headings --------------------------------------------------------------------------------


def test_atx_headings_are_not_passages_but_set_the_heading_path() -> None:
    text = "# Guide\n\nIntro.\n\n## Install\n\nRun pip.\n"
    assert blocks(text) == [
        ("text", "Intro.", ("Guide",)),
        ("text", "Run pip.", ("Guide", "Install")),
    ]


def test_setext_headings_set_the_heading_path() -> None:
    text = "Guide\n=====\n\nIntro.\n\nInstall\n-------\n\nRun pip.\n"
    assert blocks(text) == [
        ("text", "Intro.", ("Guide",)),
        ("text", "Run pip.", ("Guide", "Install")),
    ]


def test_heading_levels_nest_and_pop() -> None:
    text = "# A\n\na\n\n## B\n\nb\n\n### C\n\nc\n\n## D\n\nd\n\n#### E\n\ne\n\n# F\n\nf\n\n### G\n\ng\n"
    assert [(body, path) for _, body, path in blocks(text)] == [
        ("a", ("A",)),
        ("b", ("A", "B")),
        ("c", ("A", "B", "C")),
        ("d", ("A", "D")),
        ("e", ("A", "D", "E")),
        ("f", ("F",)),
        ("g", ("F", "G")),
    ]


def test_text_before_the_first_heading_has_no_heading_path() -> None:
    assert blocks("Preface.\n\n# One\n\nBody.") == [
        ("text", "Preface.", ()),
        ("text", "Body.", ("One",)),
    ]


def test_heading_interrupting_a_paragraph_ends_it() -> None:
    assert blocks("before\n# H\nafter") == [("text", "before", ()), ("text", "after", ("H",))]


def test_heading_markup_is_dropped_from_the_heading_path() -> None:
    text = "# *Fast* `docqa` [guide](http://example.com) ##\n\nBody."
    assert blocks(text) == [("text", "Body.", ("Fast docqa guide",))]


def test_empty_heading_closes_deeper_sections_without_adding_a_level() -> None:
    text = "# A\n\n## B\n\nb\n\n##\n\nafter empty\n"
    assert blocks(text) == [("text", "b", ("A", "B")), ("text", "after empty", ("A",))]


def test_heading_inside_a_blockquote_is_prose() -> None:
    text = "> # quoted\n> text\n\nafter"
    assert blocks(text) == [("text", "> # quoted\n> text", ()), ("text", "after", ())]


# --- atomic blocks ---------------------------------------------------------------------------


@pytest.mark.parametrize("fence", ["```", "~~~", "````"])
def test_fenced_code_with_blank_lines_stays_whole(fence: str) -> None:
    code = f"{fence}python\ndef f():\n\n    return 1\n\n\n# not a heading\n{fence}"
    text = f"# Code\n\nBefore.\n\n{code}\n\nAfter.\n"
    assert blocks(text) == [
        ("text", "Before.", ("Code",)),
        ("code", code, ("Code",)),
        ("text", "After.", ("Code",)),
    ]


def test_fence_directly_after_a_paragraph_line_is_its_own_block() -> None:
    assert blocks("Intro:\n```\nx\n\ny\n```") == [
        ("text", "Intro:", ()),
        ("code", "```\nx\n\ny\n```", ()),
    ]


def test_unclosed_fence_runs_to_the_end_of_the_document() -> None:
    assert blocks("Intro.\n\n```\nx\n\n# y\n") == [
        ("text", "Intro.", ()),
        ("code", "```\nx\n\n# y", ()),
    ]


def test_indented_code_block_with_blank_lines_stays_whole() -> None:
    text = "Para.\n\n    line one\n\n    line two\n\nAfter."
    assert blocks(text) == [
        ("text", "Para.", ()),
        ("code", "line one\n\n    line two", ()),
        ("text", "After.", ()),
    ]


def test_table_is_one_block_of_kind_table() -> None:
    table = "| Name | Size |\n|------|-----:|\n| a    | 1    |\n| b    | 2    |"
    assert blocks(f"Sizes:\n\n{table}\n\nDone.") == [
        ("text", "Sizes:", ()),
        ("table", table, ()),
        ("text", "Done.", ()),
    ]


# --- markup that is not a passage ------------------------------------------------------------


@pytest.mark.parametrize("rule", ["---", "***", "___", "* * *", "- - -"])
def test_thematic_breaks_are_not_passages(rule: str) -> None:
    assert texts(f"One.\n\n{rule}\n\nTwo.") == ["One.", "Two."]


def test_html_comments_are_not_passages_even_across_blank_lines() -> None:
    text = "One.\n\n<!-- a note\n\n# not a heading\n\nstill comment -->\n\nTwo."
    assert blocks(text) == [("text", "One.", ()), ("text", "Two.", ())]


def test_other_html_blocks_are_kept() -> None:
    assert texts("<div>\nhello\n</div>\n\nafter") == ["<div>\nhello\n</div>", "after"]


@pytest.mark.parametrize("close", ["---", "..."])
def test_yaml_front_matter_is_not_a_passage(close: str) -> None:
    text = f"---\ntitle: Guide\ntags: [a, b]\n\nsummary: x\n{close}\n\n# Guide\n\nBody.\n"
    assert blocks(text) == [("text", "Body.", ("Guide",))]


def test_front_matter_only_counts_at_the_very_start() -> None:
    text = "Intro.\n\n---\ntitle: x\n---\n\nBody."
    # The first rule is a thematic break; "title: x" then "---" is a setext heading.
    assert blocks(text) == [("text", "Intro.", ()), ("text", "Body.", ("title: x",))]


def test_unclosed_front_matter_is_prose_after_a_rule() -> None:
    assert texts("---\ntitle: x\n\nBody.") == ["title: x", "Body."]


def test_front_matter_is_ignored_in_plain_text() -> None:
    assert texts("---\ntitle: x\n---\n\nBody.", "text") == ["---\ntitle: x\n---", "Body."]


def test_leading_thematic_break_does_not_swallow_paragraphs() -> None:
    text = "---\n\nImportant paragraph.\n\n---\n\nOther.\n"
    assert texts(text) == ["Important paragraph.", "Other."]


def test_text_after_a_comment_on_the_same_line_is_kept() -> None:
    assert "visible text." in " ".join(texts("<!-- note --> visible text.\n\nnext\n"))


# --- newlines --------------------------------------------------------------------------------


@pytest.mark.parametrize("newline", ["\r\n", "\r"])
@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_crlf_and_cr_input_after_decode_matches_lf(newline: str, fmt: str) -> None:
    lf = "# T\n\nOne\ntwo.\n\n```\nx\n\ny\n```\n\n| a |\n|---|\n| 1 |\n\nEnd.\n"
    decoded, warning = decode_text(lf.replace("\n", newline).encode())  # type: ignore[misc]
    assert warning is None
    assert decoded == lf
    assert split_blocks(decoded, fmt) == split_blocks(lf, fmt)
    assert all("\r" not in decoded[b.start : b.end] for b in split_blocks(decoded, fmt))
