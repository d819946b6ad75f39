"""DOCX -> text with paragraphs, tables and heading paths, from the document body in order.

Paragraphs styled "Title" (level 0) or "Heading 1".."Heading 9" (also custom styles based on
them, or with an outline level) set the heading path of what follows, as Markdown headings do;
they are lines of the text but not passages. Every other non-empty paragraph is one block,
"list" for list styles and numbered paragraphs, else "text". A table is one "table" block with
a line per non-empty row, ``cell | cell`` (a merged cell once per row, a nested table flattened
into its cell), and its first row as the context of every part of it. The text keeps tabs, and
line breaks as single newlines; blocks and heading lines are joined by a blank line.

Read: runs, hyperlinks, tracked insertions, content controls, fields' shown results. Left out:
deleted and moved-from text, ruby annotations, text boxes, headers and footers, footnotes,
comments, and tables of contents.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from dataclasses import dataclass

import docx
from docx.exceptions import PythonDocxError
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.opc.parts.coreprops import CorePropertiesPart
from lxml import etree  # no lxml stubs in the venv

from ..paragraphs import Block
from . import Extracted, ExtractError

__all__ = ["extract"]

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_NS = {"w": _W, "mc": "http://schemas.openxmlformats.org/markup-compatibility/2006"}
_P, _TBL, _SDT, _CUSTOM_XML = (f"{{{_W}}}{t}" for t in ("p", "tbl", "sdt", "customXml"))
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# What a broken package makes python-docx, zipfile or lxml raise while loading.
_BROKEN = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    KeyError,
    ValueError,
    NotImplementedError,
    RuntimeError,
    etree.LxmlError,
    PythonDocxError,
)

# The text-bearing children of a paragraph's visible runs, in document order.
_RUN_PARTS = etree.XPath(
    ".//w:r[not(ancestor::w:del or ancestor::w:moveFrom or ancestor::w:txbxContent"
    " or ancestor::mc:Fallback or ancestor::w:rt)]/*[self::w:t or self::w:tab or self::w:ptab or self::w:br"
    " or self::w:cr or self::w:noBreakHyphen]",
    namespaces=_NS,
)
_CELL_PARAS = etree.XPath(".//w:p[not(ancestor::w:txbxContent)]", namespaces=_NS)
# Rows and cells, also those wrapped in content controls (repeating sections) or custom XML.
_ROWS, _CELLS = (
    etree.XPath(f"w:{t} | w:sdt/w:sdtContent/w:{t} | w:customXml/w:{t}", namespaces=_NS)
    for t in ("tr", "tc")
)
_RUN_TEXT = {"tab": "\t", "ptab": "\t", "br": "\n", "cr": "\n", "noBreakHyphen": "-"}
_HEADING = re.compile(r"heading ?([1-9])")
_TOC = re.compile(r"toc [1-9]")


@dataclass(frozen=True)
class _Style:
    """What a paragraph style makes of a paragraph: a heading level (Title: 0) and a kind."""

    level: int | None
    kind: str  # "text", "list", or "skip" (table of contents entries)


def extract(data: bytes) -> Extracted:
    """Read a DOCX file's body into paragraphs, tables, heading paths and title."""
    if data.startswith(_OLE_MAGIC):
        raise ExtractError("encrypted or not a DOCX file (Office encryption)")
    try:
        return _extract(data)
    except _BROKEN as exc:
        raise ExtractError(f"not a valid DOCX file ({_reason(exc)})") from exc


def _extract(data: bytes) -> Extracted:
    doc = docx.Document(io.BytesIO(data))
    styles = _Styles(doc.styles.element)
    text = _Text()
    headings: list[tuple[int, str]] = []
    first: dict[int, str] = {}  # first heading text of levels 0 and 1, for the title
    body = doc.element.find(f"{{{_W}}}body")
    for el in _body_items(body) if body is not None else ():
        if el.tag == _TBL:
            rows = _table_rows(el)
            context = rows[0] if len(rows) > 1 else ""
            text.add("\n".join(rows), "table", headings, context)
            continue
        style = styles.of(el)
        body_text = _paragraph_text(el)
        if style.level is None:
            if style.kind != "skip":
                text.add(body_text, style.kind, headings)
            continue
        title = " ".join(body_text.split())
        while headings and headings[-1][0] >= style.level:
            headings.pop()
        if title:
            headings.append((style.level, title))
            first.setdefault(style.level, title)
            text.add(title, "", headings)
    return Extracted(
        text="".join(text.parts),
        blocks=text.blocks,
        title=_core_title(doc) or first.get(0) or first.get(1),
    )


class _Text:
    """The document's text as it is built, and the blocks that index into it."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.blocks: list[Block] = []
        self._pos = 0

    def add(self, body: str, kind: str, headings: list[tuple[int, str]], context: str = "") -> None:
        """Append ``body`` as a paragraph of the text; a block unless ``kind`` is "" (heading)."""
        if not body:
            return
        if self.parts:
            self.parts.append("\n\n")
            self._pos += 2
        start, self._pos = self._pos, self._pos + len(body)
        self.parts.append(body)
        if kind:
            path = tuple(t for _, t in headings)
            self.blocks.append(Block(start, self._pos, kind, path, context))


class _Styles:
    """Paragraph styles by id, resolved through their ``basedOn`` chain once each."""

    def __init__(self, styles: etree._Element) -> None:
        self._raw: dict[str, etree._Element] = {}
        for s in styles.iterfind("w:style", _NS):
            sid = s.get(f"{{{_W}}}styleId") or ""
            self._raw.setdefault(sid, s)
        self._resolved: dict[str, _Style] = {}

    def of(self, p: etree._Element) -> _Style:
        """The heading level and kind of paragraph ``p``, its own outline level and numbering first."""
        sid = _val(p, "w:pPr/w:pStyle") or ""
        style = self._resolved.get(sid)
        if style is None:
            style = self._resolved[sid] = self._resolve(sid)
        outline = _int(_val(p, "w:pPr/w:outlineLvl"))
        level = style.level if outline is None else (outline + 1 if 0 <= outline <= 8 else None)
        kind = "list" if style.kind == "text" and _numbered(p) else style.kind
        return _Style(level, kind)

    def _resolve(self, sid: str) -> _Style:
        level, kind, seen = None, "text", set()
        while sid in self._raw and sid not in seen:  # a cycle of basedOn ends the walk
            seen.add(sid)
            s = self._raw[sid]
            name = (_val(s, "w:name") or "").lower()
            heading = _HEADING.fullmatch(name)
            if level is None and (heading or name == "title"):
                level = int(heading.group(1)) if heading else 0
            outline = _int(_val(s, "w:pPr/w:outlineLvl"))
            if level is None and outline is not None and 0 <= outline <= 8:
                level = outline + 1
            if _TOC.fullmatch(name) and kind == "text":
                kind = "skip"
            elif kind == "text" and (name.startswith("list") or _numbered(s)):
                kind = "list"
            sid = _val(s, "w:basedOn") or ""
        return _Style(level, kind)


def _body_items(container: etree._Element) -> list[etree._Element]:
    """The body's paragraphs and tables in order, including those in content controls."""
    items: list[etree._Element] = []
    for el in container:
        if el.tag in (_P, _TBL):
            items.append(el)
        elif el.tag == _SDT and "Table of Contents" not in el.xpath(
            "w:sdtPr/w:docPartObj/w:docPartGallery/@w:val", namespaces=_NS
        ):
            for content in el.iterfind("w:sdtContent", _NS):
                items.extend(_body_items(content))
        elif el.tag == _CUSTOM_XML:
            items.extend(_body_items(el))
    return items


def _paragraph_text(p: etree._Element) -> str:
    """A paragraph's visible text: tabs kept, line breaks as one newline, ends trimmed."""
    raw = "".join(
        (el.text or "")
        if etree.QName(el).localname == "t"
        else _RUN_TEXT[etree.QName(el).localname]
        for el in _RUN_PARTS(p)
    )
    lines = raw.replace("\r", "\n").split("\n")
    return "\n".join(line for line in lines if line.strip()).strip()


def _table_rows(tbl: etree._Element) -> list[str]:
    """One ``a | b | c`` line per non-empty row; a merged cell once per row it spans."""
    rows: list[str] = []
    above: dict[int, str] = {}  # grid column -> text of the cell over it in the row above
    for tr in _ROWS(tbl):
        col = _int(_val(tr, "w:trPr/w:gridBefore")) or 0
        cells: list[str] = []
        here: dict[int, str] = {}
        for tc in _CELLS(tr):
            span = max(1, min(_int(_val(tc, "w:tcPr/w:gridSpan")) or 1, 64))
            merge = tc.find("w:tcPr/w:vMerge", _NS)
            if merge is not None and merge.get(f"{{{_W}}}val", "continue") == "continue":
                cell = above.get(col, "")
            else:
                cell = " ".join(" ".join(_paragraph_text(p) for p in _CELL_PARAS(tc)).split())
            cells.append(cell)
            here.update(dict.fromkeys(range(col, col + span), cell))
            col += span
        above = here
        if any(cells):
            rows.append(" | ".join(cells).strip())
    return rows


def _numbered(el: etree._Element) -> bool:
    """Whether a paragraph or style has list numbering (``numId`` 0 switches it off)."""
    num = _val(el, "w:pPr/w:numPr/w:numId")
    return num is not None and num != "0"


def _val(el: etree._Element, path: str) -> str | None:
    """The ``w:val`` attribute of the element at ``path`` under ``el``, or None."""
    found = el.find(path, _NS)
    return None if found is None else found.get(f"{{{_W}}}val")


def _int(value: str | None) -> int | None:
    try:
        return None if value is None else int(value)
    except ValueError:
        return None


def _core_title(doc: docx.document.Document) -> str:
    """The title in the document properties; "" when there is none (python-docx would invent one)."""
    try:
        part = doc.part.package.part_related_by(RT.CORE_PROPERTIES)
    except KeyError:
        return ""
    if not isinstance(part, CorePropertiesPart):  # e.g. a wrong content type: no properties
        return ""
    return " ".join((part.core_properties.title or "").split())


def _reason(exc: BaseException) -> str:
    """A short, stable reason: no object addresses, one line."""
    msg = str(exc.args[0]) if exc.args else ""
    msg = re.sub(r"file '<[^>]*>' ", "", msg).splitlines()[0] if msg.strip() else ""
    return f"{type(exc).__name__}: {msg[:150]}" if msg else type(exc).__name__
