"""Extracting an HTML page and viewing its blocks, for the test_format_html*.py modules."""

from __future__ import annotations

from index.formats import Extracted
from index.formats.html import extract

__all__ = ["blocks", "read", "texts"]


def read(page: str | bytes) -> Extracted:
    """Extract a page, checking every block's span on the way."""
    out = extract(page.encode() if isinstance(page, str) else page)
    end = 0
    for b in out.blocks:
        body = out.text[b.start : b.end]
        assert body and body == body.strip(), "a block is trimmed and never empty"
        assert end <= b.start < b.end <= len(out.text), "blocks are ordered, apart, in the text"
        end = b.end
    return out


def texts(page: str | bytes) -> list[str]:
    out = read(page)
    return [out.text[b.start : b.end] for b in out.blocks]


def blocks(page: str | bytes) -> list[tuple[str, str, tuple[str, ...]]]:
    """(kind, text, heading path) of every block."""
    out = read(page)
    return [(b.kind, out.text[b.start : b.end], b.heading_path) for b in out.blocks]
