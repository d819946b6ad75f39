"""The passage: one citable piece of a document, and how its citation reads."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .formats.registry import BUILTIN_FORMATS, FormatRegistry, Locator

__all__ = ["Passage", "format_citation"]


@dataclass(frozen=True, kw_only=True)
class Passage:
    """A paragraph (or one part of a long paragraph) with everything a reader needs to find it.

    ``text == document_text[start:end]`` where ``document_text`` is the file's decoded text
    (see :func:`index.documents.read_document`). ``paragraph`` counts paragraphs as a reader
    does (1-based, headings not counted); ``part``/``parts`` number the pieces of a paragraph
    that was too long for the model (both 1 when it fits whole). ``content_hash`` is the
    SHA-256 of exactly what was embedded (heading path, ``context`` and text), so identical
    content is embedded once. A passage that joins several short paragraphs of one section
    (a lead-in, its list, its code block) covers ``paragraph`` to ``paragraph_end``.
    """

    id: int
    source: str
    paragraph: int
    part: int
    parts: int
    start: int
    end: int
    line_start: int
    line_end: int
    heading_path: tuple[str, ...]
    kind: str
    text: str
    content_hash: str
    page: int | None = None
    page_end: int | None = None
    page_label: str | None = None
    context: str = ""  # embedded before the text besides the heading path (a table's header row...)
    paragraph_end: int = 0  # last paragraph of a passage joining several short ones; else 0

    @property
    def last_paragraph(self) -> int:
        """The last paragraph the passage covers (``paragraph`` unless it joins several)."""
        return max(self.paragraph, self.paragraph_end)

    @property
    def citation(self) -> str:
        """Human-readable citation, e.g. ``guide.md ¶4 · lines 20–24 · Indexing > Rebuilding``."""
        return format_citation(self)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields, ``heading_path`` both as a list and joined, plus ``citation``."""
        data = {name: getattr(self, name) for name in self.__dataclass_fields__}
        data["paragraph_end"] = self.last_paragraph
        data["heading_path"] = list(self.heading_path)
        data["heading"] = " > ".join(self.heading_path)
        data["citation"] = self.citation
        return data


def format_citation(p: Passage, formats: FormatRegistry = BUILTIN_FORMATS) -> str:
    """How a reader finds the passage.

    ``guide.md ¶4 · lines 20–24 · Indexing > Rebuilding`` for text files, ``report.pdf p. 4 ¶2``
    (``pp. 4–5`` across a page break; the printed label too where it differs) for PDFs, and
    ``page.html ¶3 · Heading`` where lines of the extracted text would mean nothing: the
    source's format in ``formats`` says whether its line numbers are given
    (:attr:`~index.formats.registry.Locator.LINES`).
    """
    if p.last_paragraph > p.paragraph:
        para = f"¶{p.paragraph}–{p.last_paragraph}"
    elif p.parts == 1:
        para = f"¶{p.paragraph}"
    else:
        para = f"¶{p.paragraph} (part {p.part}/{p.parts})"
    if p.page is not None:
        end = p.page_end if p.page_end is not None else p.page
        pages = f"p. {p.page}" if end == p.page else f"pp. {p.page}–{end}"
        if p.page_label and p.page_label != str(p.page):
            pages += f" (printed {p.page_label})"
        bits = [f"{p.source} {pages} {para}"]
    else:
        bits = [f"{p.source} {para}"]
        fmt = formats.for_path(p.source)
        if fmt is not None and fmt.locator is Locator.LINES:
            lines = p.line_start == p.line_end
            bits.append(f"line {p.line_start}" if lines else f"lines {p.line_start}–{p.line_end}")
    if p.heading_path:
        bits.append(" > ".join(p.heading_path))
    return " · ".join(bits)
