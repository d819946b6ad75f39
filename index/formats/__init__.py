"""Reading rich formats (PDF, DOCX, HTML) into text with paragraphs, headings and pages.

Which formats docqa reads, and how, is the registry in :mod:`index.formats.registry`. Each
extractor module here has one function, ``extract(data: bytes) -> Extracted``, that raises
:class:`ExtractError` with a reason a user can act on when the file cannot be read. The
extracted text is what passages' ``start``/``end`` index into: extraction is deterministic, so
the same bytes always give the same text (the app re-extracts to show a passage in context).
"""

from __future__ import annotations

from dataclasses import dataclass

from ..paragraphs import Block

__all__ = ["ExtractError", "Extracted"]


class ExtractError(Exception):
    """The file cannot be turned into text; the message is the reason shown to the user."""


@dataclass(frozen=True)
class Extracted:
    """A document as docqa reads it.

    ``blocks`` are the paragraphs in order, each ``text[b.start:b.end]`` trimmed of white
    space, with their heading path and kind ("text", "code", "table", "list"...). A block's
    ``context`` (e.g. a table's header row) is embedded in front of each of its parts but is not
    part of the passage text. ``pages`` holds the offset in ``text`` where each physical page
    starts (PDF only: ``pages[0] == 0``), ``page_labels`` the printed label of each page where
    the PDF defines labels. ``warning`` reports a degraded but indexed file (e.g. "no text layer
    on pages 3-4").
    """

    text: str
    blocks: list[Block]
    pages: list[int] | None = None
    page_labels: list[str] | None = None
    title: str | None = None
    warning: str | None = None
