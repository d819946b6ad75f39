"""Document -> passages: paragraph blocks, split to fit the model, with every citation field."""

from __future__ import annotations

import hashlib
import re
from bisect import bisect_right
from collections.abc import Callable, Sequence

from .documents import Document
from .formats.registry import BUILTIN_FORMATS
from .joining import MIN_TOKENS, join_short
from .paragraphs import Block, split_blocks
from .passage import Passage
from .sentences import sentence_spans, split_to_fit

__all__ = ["cut_passages", "document_passages", "document_title", "embed_input"]

# A heading path longer than this share of the model's window is left out of the embedded text.
_MAX_HEADING_SHARE = 0.5
# A paragraph's first sentence is repeated before its later parts only when it is this short.
_MAX_LEAD_SHARE = 0.25


def embed_input(
    heading_path: tuple[str, ...], text: str, context: str = "", title: str = ""
) -> str:
    """What the model sees for a passage: the document's title and its heading path (prose
    only), the block's context (a table's header row, an admonition's title), then its text."""
    if title and (not heading_path or heading_path[0].casefold() != title.casefold()):
        heading_path = (title, *heading_path)
    return "\n\n".join(filter(None, (" > ".join(heading_path), context, text)))


def document_title(path: str, title: str | None = None) -> str:
    """A document's title for its passages' context: its own (HTML ``<title>``, PDF or DOCX
    metadata), else its file name as words (``concepts/json_schema.md`` -> ``Json schema``;
    ``index.md`` and ``README.md`` take their folder's name; a name of digits only gives none)."""
    if title and title.strip():
        return " ".join(title.split())
    parts = path.replace("\\", "/").split("/")
    stem = parts[-1].rsplit(".", 1)[0] if "." in parts[-1] else parts[-1]
    if stem.casefold() in ("index", "readme") and len(parts) > 1:
        stem = parts[-2]
    words = re.sub(r"^(?:\d+[\s._-]+)+", "", stem)  # 01_intro, 2024-05-01-standup
    words = " ".join(re.sub(r"[_\-.]+", " ", words).split())
    if not re.search(r"[^\W\d_]", words) or words.casefold() in ("index", "readme"):
        return ""
    return words[0].upper() + words[1:]


def document_passages(
    doc: Document, count_tokens: Callable[[str], int], max_tokens: int
) -> list[tuple[Passage, str]]:
    """All passages of a document, in order, each with the exact text to embed (see
    :func:`cut_passages`)."""
    return cut_passages(doc, count_tokens, max_tokens)[0]


def cut_passages(
    doc: Document, count_tokens: Callable[[str], int], max_tokens: int, *, hold_last: bool = False
) -> tuple[list[tuple[Passage, str]], int]:
    """All passages of a document, in order, each with the exact text to embed, which fits
    ``max_tokens`` of the model. Passages get ``id=0``; the index assigns ids when storing them.

    Paragraphs are numbered as a reader counts them: through the document, or, in a paged
    document (PDF), from 1 on each page, counting the paragraphs that start on it. Blocks too
    short to stand alone are joined with their neighbours in the same section (and page) into
    one passage citing ``¶first–last`` (see :mod:`index.joining`). Every part of a long
    paragraph is cited from the page where the paragraph starts (where its number was counted)
    to the page of the part's last character: a part printed on page 5 of a paragraph that starts
    on page 4 as its 7th reads ``pp. 4–5 ¶7``, and a reader finds it by counting on page 4.

    With ``hold_last`` the last group of blocks, which the text that follows ``doc`` (the next
    window of a streamed file) might join, is not cut; the second value is its block count.
    """
    cut = _Cut(doc, count_tokens, max_tokens)
    short = min(MIN_TOKENS, max_tokens // 4)
    groups = join_short(
        doc.text, cut.blocks, cut.fits, count_tokens, min_tokens=short, together=cut.together
    )
    held = len(groups.pop()) if hold_last and groups else 0
    return [pair for group in groups for pair in cut.passages(group)], held


class _Cut:
    """One document being cut: its blocks, each block's paragraph number as a reader counts
    it, and the title embedded in front of its passages."""

    def __init__(self, doc: Document, count_tokens: Callable[[str], int], max_tokens: int) -> None:
        self.doc, self.text = doc, doc.text
        self.count, self.max_tokens = count_tokens, max_tokens
        self.line_starts = _line_starts(doc.text)
        self.blocks = _blocks(doc)
        title = document_title(doc.path, doc.title)
        if count_tokens(title) > max_tokens * _MAX_HEADING_SHARE / 2:
            title = ""  # a "title" that long is not one
        self.title = title
        self.numbers = _paragraph_numbers(doc, self.blocks)

    def fits(self, group: Sequence[Block]) -> bool:
        first, last = group[0], group[-1]
        span = self.text[first.start : last.end]
        embedded = embed_input(_heading(first), span, first.context, self.title)
        return self.count(embedded) <= self.max_tokens

    def together(self, a: Block, b: Block) -> bool:
        return _pages(self.doc, a.start, a.end)[0] == _pages(self.doc, b.start, b.end)[0]

    def passages(self, group: Sequence[Block]) -> list[tuple[Passage, str]]:
        """The passages of one group of blocks: the group whole, or a long block's parts."""
        first, last = group[0], group[-1]
        if len(group) == 1:
            parts = _block_parts(self.text, first, self.count, self.max_tokens, self.title)
        else:
            span = self.text[first.start : last.end]
            embedded = embed_input(_heading(first), span, first.context, self.title)
            parts = [(first.start, last.end, first.context, embedded)]
        page, _ = _pages(self.doc, first.start, first.end)
        kind = first.kind if all(b.kind == first.kind for b in group) else "text"
        out: list[tuple[Passage, str]] = []
        for part, (start, end, context, embedded) in enumerate(parts, start=1):
            # Not the part's own first page: the paragraph number belongs to the start page.
            _, page_end = _pages(self.doc, start, end)
            passage = Passage(
                id=0,
                source=self.doc.path,
                paragraph=self.numbers[first.start],
                paragraph_end=self.numbers[last.start] if len(group) > 1 else 0,
                part=part,
                parts=len(parts),
                start=start,
                end=end,
                line_start=_line_of(self.line_starts, start),
                line_end=_line_of(self.line_starts, end - 1),
                heading_path=first.heading_path,
                kind=kind,
                text=self.text[start:end],
                content_hash=hashlib.sha256(embedded.encode()).hexdigest(),
                page=page,
                page_end=page_end,
                page_label=_label(self.doc, page),
                context=context,
            )
            out.append((passage, embedded))
        return out


def _blocks(doc: Document) -> list[Block]:
    """The document's paragraphs: its own (extracted formats, streamed windows), else its text
    cut by the paragraph rules of its built-in format (text rules for any other name)."""
    if doc.blocks is not None:
        return doc.blocks
    fmt = BUILTIN_FORMATS.named(doc.format)
    return split_blocks(doc.text, fmt.syntax if fmt is not None else "text")


def _paragraph_numbers(doc: Document, blocks: Sequence[Block]) -> dict[int, int]:
    """Block start -> paragraph number: through the document, or from 1 on each page."""
    numbers: dict[int, int] = {}
    number, page_of_number = 0, 0
    for block in blocks:
        page, _ = _pages(doc, block.start, block.end)
        if page is not None and page != page_of_number:
            number, page_of_number = 0, page
        number += 1
        numbers[block.start] = number
    return numbers


def _heading(block: Block) -> tuple[str, ...]:
    """Headings give prose its subject; a code block speaks for itself, and with the heading
    in front a one-line command would outrank the paragraph that explains it."""
    return block.heading_path if block.kind != "code" else ()


def _block_parts(
    text: str, block: Block, count_tokens: Callable[[str], int], max_tokens: int, title: str
) -> list[tuple[int, int, str, str]]:
    """A block as ``(start, end, context, text to embed)`` parts that each fit the model."""
    short = max_tokens * _MAX_HEADING_SHARE
    heading = _heading(block)
    if heading and count_tokens(" > ".join(heading)) > short:
        heading = ()
    context = block.context if count_tokens(block.context) <= short else ""
    # A table that opens with its header row does not need it again in front.
    first_context = "" if text[block.start : block.end].startswith(context) else context
    whole = embed_input(heading, text[block.start : block.end], first_context, title)
    if count_tokens(whole) <= max_tokens:
        return [(block.start, block.end, first_context, whole)]
    by_lines = block.kind in ("code", "table")
    lead = "" if by_lines else _lead(text, block.start, block.end, count_tokens, max_tokens)
    later = "\n\n".join(filter(None, (context, lead)))  # given to parts 2, 3, ...

    def fits(candidate: str) -> bool:
        return count_tokens(embed_input(heading, candidate, later, title)) <= max_tokens

    spans = split_to_fit(text, block.start, block.end, fits, code=by_lines)
    contexts = [first_context] + [later] * (len(spans) - 1)
    return [
        (a, b, ctx, embed_input(heading, text[a:b], ctx, title))
        for (a, b), ctx in zip(spans, contexts, strict=True)
    ]


def _lead(
    text: str, start: int, end: int, count_tokens: Callable[[str], int], max_tokens: int
) -> str:
    """The first sentence of a long paragraph, given to its later parts so they keep its subject
    (a part that starts mid-paragraph often never names what it is about)."""
    sentences = sentence_spans(text, start, end)
    if len(sentences) < 2:
        return ""
    a, b = sentences[0]
    first = text[a:b]
    return first if count_tokens(first) <= max_tokens * _MAX_LEAD_SHARE else ""


def _pages(doc: Document, start: int, end: int) -> tuple[int | None, int | None]:
    """Physical pages (1-based) of the first and last character of a span, in a paged document."""
    if not doc.pages:
        return None, None
    return bisect_right(doc.pages, start), bisect_right(doc.pages, end - 1)


def _label(doc: Document, page: int | None) -> str | None:
    if page is None or not doc.page_labels or page > len(doc.page_labels):
        return None
    return doc.page_labels[page - 1]


def _line_starts(text: str) -> list[int]:
    starts = [0]
    pos = text.find("\n")
    while pos >= 0:
        starts.append(pos + 1)
        pos = text.find("\n", pos + 1)
    return starts


def _line_of(line_starts: list[int], offset: int) -> int:
    """1-based line number of a character offset."""
    return bisect_right(line_starts, offset)
