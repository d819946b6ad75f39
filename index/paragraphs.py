"""Text -> paragraphs: blocks between blank lines, with Markdown headings as their heading path.

A paragraph is a run of non-blank lines. In Markdown, heading lines are not paragraphs but set
the heading path of what follows; fenced and indented code blocks and tables stay whole even
across blank lines; thematic breaks, HTML comments and YAML front matter are not passages.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.token import Token

from .mdextensions import Unwrapped, unwrap
from .sentences import trim_span

__all__ = ["CHUNKER_VERSION", "Block", "Headings", "block_gaps", "split_blocks", "split_window"]

# Bump when the passages produced for the same text change, so old indexes are rebuilt.
CHUNKER_VERSION = 4  # 4: markup-only blocks dropped, short blocks joined, document title as context

_COMMENTS = re.compile(r"<!--.*?-->", re.S)
_YAML_KEY = re.compile(r"""^["']?[\w][\w .-]*["']?:(\s|$)""")
_ATOMIC = {"fence": "code", "code_block": "code", "table_open": "table"}


@dataclass(frozen=True)
class Block:
    """One paragraph: ``text[start:end]`` with surrounding whitespace trimmed.

    ``context`` is embedded before each part of the block without being part of its text
    (a table's header row, repeated for every part of a long table).
    """

    start: int
    end: int
    kind: str
    heading_path: tuple[str, ...]
    context: str = ""


# The open headings at a point of a Markdown document: (level, title), outermost first.
Headings = tuple[tuple[int, str], ...]


def split_blocks(text: str, syntax: str) -> list[Block]:
    """Split a document's text into paragraph blocks by the rules of ``syntax``: ``"markdown"``,
    or ``"text"`` (paragraphs between blank lines; any other value reads the same)."""
    return split_window(text, syntax)[0]


def split_window(
    text: str, syntax: str, open_headings: Headings = (), *, first: bool = True
) -> tuple[list[Block], Headings]:
    """Split one window of a document (see :mod:`index.textstream`) into blocks, given the headings
    open where it starts; also returns the headings open where it ends. Front matter is looked
    for only in the ``first`` window."""
    lines = text.split("\n")
    offsets = _line_offsets(lines)
    if syntax == "markdown":
        unwrapped = unwrap(lines)
        roles = _markdown_roles(unwrapped, first)
        contexts = unwrapped.context
    else:
        roles, contexts = [None] * len(lines), [()] * len(lines)

    blocks: list[Block] = []
    headings: list[tuple[int, str]] = list(open_headings)
    run_start: int | None = None

    def flush(stop: int, kind: str = "text") -> None:
        nonlocal run_start
        if run_start is not None:
            block = trim_span(text, offsets[run_start], offsets[stop - 1] + len(lines[stop - 1]))
            if block is not None:
                path = tuple(t for _, t in headings)
                blocks.append(Block(*block, kind, path, " > ".join(contexts[run_start])))
        run_start = None

    i = 0
    while i < len(lines):
        role = roles[i]
        if isinstance(role, _Atomic):
            flush(i)
            run_start = i
            flush(role.stop, role.kind)
            i = role.stop
            continue
        if isinstance(role, _Heading):
            flush(i)
            while headings and headings[-1][0] >= role.level:
                headings.pop()
            if role.title:
                headings.append((role.level, role.title))
            i = role.stop
            continue
        if role == "skip" or not lines[i].strip():
            flush(i)
        elif run_start is not None and contexts[i] != contexts[run_start]:
            flush(i)
            run_start = i
        elif run_start is None:
            run_start = i
        i += 1
    flush(len(lines))
    return blocks, tuple(headings)


def block_gaps(text: str, *, first: bool = True) -> list[int]:
    """Offsets in Markdown ``text`` (which starts at a block boundary) of the blank lines that lie
    between top-level blocks, before the last block (which may go on past the end of ``text``).
    Cutting the text at one of them changes none of its blocks: not a list, an indented code
    block, a fence, an HTML comment or a MkDocs container that holds blank lines."""
    lines = text.split("\n")
    unwrapped = unwrap(lines)  # never inside an admonition, a tab or a /// block
    covered = [bool(c) or m for c, m in zip(unwrapped.context, unwrapped.markup, strict=True)]
    front = _front_matter_end(lines) if first else 0
    for n in range(front):
        covered[n] = True
    # Parsed as the cutter reads it (markup lines blank): two indented code blocks around a
    # directive line are one block there, and the gap between them no place to cut.
    source = "\n".join([""] * front + unwrapped.lines[front:])
    tokens = MarkdownIt("commonmark").enable("table").parse(source)
    covered = [c or held for c, held in zip(covered, _held(tokens, len(lines)), strict=True)]
    last = max((t.map[0] for t in tokens if t.level == 0 and t.map is not None), default=0)
    offsets = _line_offsets(lines)
    return [offsets[n] for n in range(1, last) if not covered[n] and not lines[n].strip()]


@dataclass(frozen=True)
class _Atomic:
    stop: int
    kind: str


@dataclass(frozen=True)
class _Heading:
    stop: int
    level: int
    title: str


_Role = _Atomic | _Heading | str | None


def _markdown_roles(unwrapped: Unwrapped, first: bool) -> list[_Role]:
    """Per line: the start of a heading or atomic block, ``"skip"``, or None for prose. Lines
    that no block holds (link reference definitions) and markup-only lines are skipped."""
    lines = unwrapped.lines
    roles: list[_Role] = ["skip" if markup else None for markup in unwrapped.markup]
    front = _front_matter_end(lines) if first else 0
    for n in range(front):
        roles[n] = "skip"
    source = "\n".join([""] * front + lines[front:])
    tokens = MarkdownIt("commonmark").enable("table").parse(source)
    for n, held in enumerate(_held(tokens, len(lines))):
        if not held and lines[n].strip():
            roles[n] = "skip"
    for pos, tok in enumerate(tokens):
        if tok.map is None:
            continue
        a, b = tok.map
        if tok.type in _ATOMIC and roles[a] is None:
            roles[a] = _Atomic(b, _ATOMIC[tok.type])
        elif tok.level == 0 and tok.type == "heading_open":
            roles[a] = _Heading(b, int(tok.tag[1:]), _inline_text(tokens[pos + 1]))
        elif tok.level == 0 and (
            tok.type == "hr"
            or (tok.type == "html_block" and not _COMMENTS.sub("", tok.content).strip())
        ):
            for n in range(a, b):
                roles[n] = "skip"
    return roles


def _held(tokens: list[Token], count: int) -> list[bool]:
    """Per line of the parsed text: whether a top-level block holds it."""
    held = [False] * count
    for tok in tokens:
        if tok.level == 0 and tok.map is not None:
            held[tok.map[0] : tok.map[1]] = [True] * (tok.map[1] - tok.map[0])
    return held


def _front_matter_end(lines: list[str]) -> int:
    """Number of lines of a leading YAML front matter block (0 when there is none).

    Front matter opens with ``---`` directly followed by a ``key:`` line; a thematic break
    followed by prose is not front matter.
    """
    if len(lines) < 3 or lines[0].rstrip() != "---" or not _YAML_KEY.match(lines[1]):
        return 0
    for n in range(1, min(len(lines), 200)):
        if lines[n].rstrip() in ("---", "..."):
            return n + 1
    return 0


def _inline_text(tok: Token) -> str:
    """Plain text of a heading: markup dropped, code spans and link text kept."""
    parts = [
        " " if child.type in ("softbreak", "hardbreak") else child.content
        for child in tok.children or []
        if child.type in ("text", "code_inline", "softbreak", "hardbreak")
    ]
    return " ".join("".join(parts).split())


def _line_offsets(lines: list[str]) -> list[int]:
    offsets, pos = [], 0
    for line in lines:
        offsets.append(pos)
        pos += len(line) + 1
    return offsets
