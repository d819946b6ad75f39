"""Document -> passages: paragraph blocks, split to fit the model, with every citation field."""

from __future__ import annotations

import hashlib
from bisect import bisect_right
from collections.abc import Callable

from .chunking import Block, split_blocks
from .documents import Document
from .passage import Passage
from .splitting import sentence_spans, split_to_fit

__all__ = ["document_passages", "embed_input"]

# A heading path longer than this share of the model's window is left out of the embedded text.
_MAX_HEADING_SHARE = 0.5
# A paragraph's first sentence is repeated before its later parts only when it is this short.
_MAX_LEAD_SHARE = 0.25


def embed_input(heading_path: tuple[str, ...], text: str, context: str = "") -> str:
    """What the model sees for a passage: its heading path (prose only), the block's context
    (a table's header row), then its text."""
    return "\n\n".join(filter(None, (" > ".join(heading_path), context, text)))


def document_passages(
    doc: Document, count_tokens: Callable[[str], int], max_tokens: int
) -> list[tuple[Passage, str]]:
    """All passages of a document, in order, each with the exact text to embed, which fits
    ``max_tokens`` of the model. Passages get ``id=0``; the index assigns ids when storing them.

    Paragraphs are numbered as a reader counts them: through the document, or, in a paged
    document (PDF), from 1 on each page, counting the paragraphs that start on it. Every part of
    a paragraph is cited from the page where the paragraph starts (where its number was counted)
    to the page of the part's last character: a part printed on page 5 of a paragraph that starts
    on page 4 as its 7th reads ``pp. 4–5 ¶7``, and a reader finds it by counting on page 4.
    """
    text = doc.text
    line_starts = _line_starts(text)
    blocks = doc.blocks if doc.blocks is not None else split_blocks(text, doc.format)
    out: list[tuple[Passage, str]] = []
    number, page_of_number = 0, 0
    for block in blocks:
        page, _ = _pages(doc, block.start, block.end)
        if page is not None and page != page_of_number:
            number, page_of_number = 0, page
        number += 1
        parts = _block_parts(text, block, count_tokens, max_tokens)
        for part, (start, end, context, embedded) in enumerate(parts, start=1):
            # Not the part's own first page: the paragraph number belongs to the start page.
            _, page_end = _pages(doc, start, end)
            passage = Passage(
                id=0,
                source=doc.path,
                paragraph=number,
                part=part,
                parts=len(parts),
                start=start,
                end=end,
                line_start=_line_of(line_starts, start),
                line_end=_line_of(line_starts, end - 1),
                heading_path=block.heading_path,
                kind=block.kind,
                text=text[start:end],
                content_hash=hashlib.sha256(embedded.encode()).hexdigest(),
                page=page,
                page_end=page_end,
                page_label=_label(doc, page),
                context=context,
            )
            out.append((passage, embedded))
    return out


def _block_parts(
    text: str, block: Block, count_tokens: Callable[[str], int], max_tokens: int
) -> list[tuple[int, int, str, str]]:
    """A block as ``(start, end, context, text to embed)`` parts that each fit the model."""
    short = max_tokens * _MAX_HEADING_SHARE
    # Headings give prose its subject; a code block speaks for itself, and with the heading
    # in front a one-line command would outrank the paragraph that explains it.
    heading = block.heading_path if block.kind != "code" else ()
    if heading and count_tokens(" > ".join(heading)) > short:
        heading = ()
    context = block.context if count_tokens(block.context) <= short else ""
    # A table that opens with its header row does not need it again in front.
    first_context = "" if text[block.start : block.end].startswith(context) else context
    whole = embed_input(heading, text[block.start : block.end], first_context)
    if count_tokens(whole) <= max_tokens:
        return [(block.start, block.end, first_context, whole)]
    by_lines = block.kind in ("code", "table")
    lead = "" if by_lines else _lead(text, block.start, block.end, count_tokens, max_tokens)
    later = "\n\n".join(filter(None, (context, lead)))  # given to parts 2, 3, ...

    def fits(candidate: str) -> bool:
        return count_tokens(embed_input(heading, candidate, later)) <= max_tokens

    spans = split_to_fit(text, block.start, block.end, fits, code=by_lines)
    contexts = [first_context] + [later] * (len(spans) - 1)
    return [
        (a, b, ctx, embed_input(heading, text[a:b], ctx))
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
