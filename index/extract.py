"""Document -> passages: paragraph blocks, split to fit the model, with every citation field."""

from __future__ import annotations

import hashlib
from bisect import bisect_right
from collections.abc import Callable

from .chunking import split_blocks
from .documents import Document
from .passage import Passage
from .splitting import split_to_fit

__all__ = ["document_passages", "embed_input"]

# A heading path longer than this share of the model's window is left out of the embedded text.
_MAX_HEADING_SHARE = 0.5


def embed_input(heading_path: tuple[str, ...], text: str) -> str:
    """What the model sees for a passage: its heading path (prose only), then its text."""
    return f"{' > '.join(heading_path)}\n\n{text}" if heading_path else text


def document_passages(
    doc: Document, count_tokens: Callable[[str], int], max_tokens: int
) -> list[tuple[Passage, str]]:
    """All passages of a document, in order, each with the exact text to embed, which fits
    ``max_tokens`` of the model. Passages get ``id=0``; the index assigns ids when storing them.
    """
    text = doc.text
    line_starts = _line_starts(text)
    out: list[tuple[Passage, str]] = []
    for number, block in enumerate(split_blocks(text, doc.format), start=1):
        # Headings give prose its subject; a code block speaks for itself, and with the heading
        # in front a one-line command would outrank the paragraph that explains it.
        context = block.heading_path if block.kind != "code" else ()
        if context and count_tokens(" > ".join(context)) > max_tokens * _MAX_HEADING_SHARE:
            context = ()

        def fits(candidate: str, context: tuple[str, ...] = context) -> bool:
            return count_tokens(embed_input(context, candidate)) <= max_tokens

        spans = split_to_fit(text, block.start, block.end, fits, code=block.kind == "code")
        for part, (start, end) in enumerate(spans, start=1):
            body = text[start:end]
            embedded = embed_input(context, body)
            passage = Passage(
                id=0,
                source=doc.path,
                paragraph=number,
                part=part,
                parts=len(spans),
                start=start,
                end=end,
                line_start=_line_of(line_starts, start),
                line_end=_line_of(line_starts, end - 1),
                heading_path=block.heading_path,
                kind=block.kind,
                text=body,
                content_hash=hashlib.sha256(embedded.encode()).hexdigest(),
            )
            out.append((passage, embedded))
    return out


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
