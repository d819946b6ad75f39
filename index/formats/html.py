"""Reading HTML: the visible text of a page as paragraphs, with h1-h6 as the heading path.

Block elements (p, li, div text, blockquote...) become paragraphs with their white space
collapsed; inline elements stay inside their paragraph and ``<br>`` becomes a newline (two in a
row end the paragraph). ``<pre>`` is kept exactly, a table becomes one block of ``a | b`` rows.
Scripts, styles, navigation, page header/footer and hidden elements are not read. Headings are
written into the text on their own line but are not passages. The tree is walked with an
explicit stack, so deep nesting cannot exhaust Python's recursion limit.
"""

from __future__ import annotations

import codecs
import contextlib
import re
from collections.abc import Iterable

from selectolax.lexbor import LexborHTMLParser, LexborNode

from ..paragraphs import Block
from ..sentences import trim_span
from . import Extracted

__all__ = ["extract"]

# Not part of the page's text: code, metadata, embedded media, site chrome, form widgets.
_DROP = frozenset(
    "head title script style noscript template svg iframe object embed canvas audio video "
    "select datalist textarea nav".split()
)
# The page's banner and footer, unless inside an article/section (then the article's own).
_CHROME = frozenset({"header", "footer"})
_SECTIONING = frozenset({"article", "aside", "main", "section"})
# Elements whose start and end break the paragraph (tables, pre and headings are handled apart).
_BLOCK = frozenset(
    "address article aside blockquote body center dd details dialog dir div dl dt fieldset "
    "figcaption figure footer form header hgroup hr html legend li main menu ol p search section "
    "summary ul".split()
)
_LIST_KIND = {"li": "list", "dd": "list", "dt": "list"}
_HEADINGS = {f"h{n}": n for n in range(1, 7)}
_CODE = frozenset({"pre", "listing", "xmp", "plaintext"})
# Elements whose text is not run together with the text around them inside a cell or heading.
_SEPARATE = _BLOCK | _HEADINGS.keys() | _CODE | {"table", "caption", "tr", "td", "th", "img"}
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_META_CHARSET = re.compile(rb"<meta[^>]*?charset\s*=\s*[\"']?\s*([\w.:()+-]+)", re.I)
_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Browsers read "latin-1" and "ascii" as windows-1252, whose 5 undefined bytes map to C1 controls.
_WIN1252 = {c: bytes([c]).decode("cp1252", "ignore") or chr(c) for c in range(0x80, 0xA0)}

_Piece = str | None  # None stands for a <br>


def extract(data: bytes) -> Extracted:
    """Read an HTML page; a page without visible text gives ``blocks == []``."""
    html, warning = _decode(data)
    parser = LexborHTMLParser(html)
    title_node = parser.css_first("head > title")
    title = " ".join(title_node.text().split()) if title_node is not None else ""
    doc = _Doc()
    if parser.root is not None:
        doc.walk(parser.root)
    return Extracted(
        text="".join(doc.parts), blocks=doc.blocks, title=title or None, warning=warning
    )


def _decode(data: bytes) -> tuple[str, str | None]:
    """Decode by BOM, else the ``<meta>`` charset in the first 1024 bytes, else UTF-8."""
    encoding, skip = "utf-8", 0
    for bom, name in _BOMS:
        if data.startswith(bom):
            encoding, skip = name, len(bom)
            break
    else:
        m = _META_CHARSET.search(data[:1024])
        if m:
            with contextlib.suppress(LookupError):
                encoding = codecs.lookup(m.group(1).decode("ascii")).name
            if encoding.startswith(("utf-16", "utf-32", "utf-7")):  # as the HTML standard says
                encoding = "utf-8"
    if encoding in ("ascii", "iso8859-1", "cp1252"):
        return data[skip:].decode("latin-1").translate(_WIN1252), None
    try:
        return data[skip:].decode(encoding), None
    except UnicodeDecodeError as exc:
        warning = (
            f"invalid {encoding.upper()} at byte {exc.start + skip}; bad bytes shown as \ufffd"
        )
        return data[skip:].decode(encoding, errors="replace"), warning


class _Doc:
    """The text being built: blocks joined by blank lines, and the current heading path."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.length = 0
        self.blocks: list[Block] = []
        self.headings: list[tuple[int, str]] = []
        self.pending: list[_Piece] = []  # inline text of the paragraph being read
        self.kinds = ["text"]
        self.sectioning = 0  # how many article/aside/main/section elements we are inside

    def walk(self, root: LexborNode) -> None:
        """Read ``root``'s subtree in document order; a tag name on the stack closes that block."""
        stack: list[LexborNode | str] = [root]
        while stack:
            node = stack.pop()
            if isinstance(node, str):
                self.flush()
                self.kinds.pop()
                self.sectioning -= node in _SECTIONING
            elif node.is_text_node:
                self.pending.append(node.text_content or "")
            elif not node.is_element_node or _skipped(node, chrome=not self.sectioning):
                continue
            elif node.tag == "br":
                self.pending.append(None)
            elif node.tag in _HEADINGS:
                self.flush()
                self.heading(_HEADINGS[node.tag], _collapse(_pieces(node)))
            elif node.tag in _CODE:
                self.flush()
                self.add(_verbatim(_pieces(node, gap="")), "code")
            elif node.tag == "table":
                self.flush()
                self.table(node)
            else:
                tag = node.tag or ""
                if tag in _BLOCK:
                    self.flush()
                    self.kinds.append(_LIST_KIND.get(tag, self.kinds[-1]))
                    self.sectioning += tag in _SECTIONING
                    stack.append(tag)
                stack.extend(reversed(_children(node)))
        self.flush()

    def flush(self) -> None:
        """End the current paragraph; an empty line (two ``<br>`` in a row) splits it in two."""
        lines: list[str] = []
        words: list[str] = []
        for piece in [*self.pending, None, None]:
            if piece is not None:
                words.append(piece)
            else:
                lines.append(" ".join("".join(words).split()))
                words = []
        self.pending = []
        group: list[str] = []
        for line in lines:
            if line:
                group.append(line)
            elif group:
                self.add("\n".join(group), self.kinds[-1])
                group = []

    def heading(self, level: int, title: str) -> None:
        while self.headings and self.headings[-1][0] >= level:
            self.headings.pop()
        if title:
            self.headings.append((level, title))
            self._write(title)

    def table(self, table: LexborNode) -> None:
        """The caption as a paragraph, then the rows as one block, header rows first."""
        head: list[str] = []
        body: list[str] = []
        for part in _children(table):
            if _skipped(part):
                continue
            if part.tag == "caption":
                self.add(_collapse(_pieces(part)), "text")
            rows = [part] if part.tag == "tr" else _children(part)
            for row in rows:
                cells = [c for c in _children(row) if c.tag in ("td", "th") and not _skipped(c)]
                if row.tag != "tr" or _skipped(row) or not cells:
                    continue
                texts = [_collapse(_pieces(c)) for c in cells]
                if any(texts):
                    header = part.tag == "thead" or all(c.tag == "th" for c in cells)
                    (head if header else body).append(" | ".join(texts))
        self.add("\n".join(head + body), "table", "\n".join(head))

    def add(self, text: str, kind: str, context: str = "") -> None:
        """Append a block; its span is ``text`` less surrounding white space (none: dropped)."""
        span = trim_span(text, 0, len(text))
        if span is not None:
            start = self._write(text)
            path = tuple(t for _, t in self.headings)
            self.blocks.append(Block(start + span[0], start + span[1], kind, path, context))

    def _write(self, text: str) -> int:
        if self.parts:
            self.parts.append("\n\n")
            self.length += 2
        self.parts.append(text)
        self.length += len(text)
        return self.length - len(text)


def _skipped(node: LexborNode, *, chrome: bool = True) -> bool:
    """Dropped elements (with ``chrome``, header and footer too) and hidden ones (``hidden``,
    ``aria-hidden``, ``display: none``)."""
    if node.tag in _DROP or (chrome and node.tag in _CHROME):
        return True
    attrs = node.attributes
    return bool(attrs) and (
        ("hidden" in attrs and (attrs["hidden"] or "").lower() != "until-found")
        or (attrs.get("aria-hidden") or "").strip().lower() == "true"
        or bool(_HIDDEN_STYLE.search(attrs.get("style") or ""))
    )


def _children(node: LexborNode) -> list[LexborNode]:
    out = []
    child = node.child
    while child is not None:
        out.append(child)
        child = child.next
    return out


def _pieces(root: LexborNode, gap: str = " ") -> list[_Piece]:
    """Text of the visible nodes under ``root`` in order: None for a ``<br>``, ``gap`` around
    block elements, so that ``<td>a<p>b</p></td>`` does not read as "ab"."""
    out: list[_Piece] = []
    stack: list[LexborNode | str] = [*reversed(_children(root))]
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            out.append(node)
        elif node.is_text_node:
            out.append(node.text_content or "")
        elif node.is_element_node and not _skipped(node):
            if node.tag == "br":
                out.append(None)
            elif node.tag in _SEPARATE:
                out.append(gap)
                stack.append(gap)
            stack.extend(reversed(_children(node)))
    return out


def _join(pieces: Iterable[_Piece], br: str) -> str:
    return "".join(br if p is None else p for p in pieces)


def _collapse(pieces: Iterable[_Piece]) -> str:
    return " ".join(_join(pieces, " ").split())


def _verbatim(pieces: Iterable[_Piece]) -> str:
    """Preformatted text as written, less leading blank lines and trailing white space."""
    lines = _join(pieces, "\n").split("\n")
    first = next((n for n, line in enumerate(lines) if line.strip()), len(lines))
    return "\n".join(lines[first:]).rstrip()
