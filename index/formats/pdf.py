"""PDF -> text with paragraphs and page offsets, from the PDF's text layer (docqa does not OCR).

pdfium gives each page's characters in reading order, in lines. A paragraph ends at an empty
line, a step down clearly larger than the page's usual line spacing, a move back up the page
(a new column), a bulleted line, or, in text set without spacing, a sentence that ends short of
the column's edge or is followed by an indented line. Lines are joined with a space; ``exam-``
/ ``ple`` gives ``example``. Running heads and feet (the same text up to its numbers, or the
page number, at the same height atop or below most pages) are left out. A paragraph that ends
a page on a full line without sentence punctuation is one block across the break (see
``_goes_on``). Pages are joined with a blank line; ``pages[i]`` is where page ``i`` starts.
"""

from __future__ import annotations

import ctypes
import re
import threading
from collections import defaultdict
from contextlib import closing
from dataclasses import dataclass
from itertools import groupby, pairwise

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from ..chunking import Block
from . import Extracted, ExtractError

__all__ = ["extract"]

# pdfium is not thread-safe: one document at a time in this process.
_PDFIUM_LOCK = threading.Lock()

# A step down over this many times the usual line step (learnt from at least _MIN_STEPS
# steps on the page, else in the document; else _DEFAULT_GAP line heights) starts a paragraph.
_PARAGRAPH_GAP, _MIN_STEPS, _DEFAULT_GAP = 1.2, 3, 1.4
# A line among the _RUNNING_DEPTH at either end of a page is running when it recurs within
# _RUNNING_DRIFT points of the same height on this share of pages (and on 3 pages at least).
_RUNNING_SHARE, _RUNNING_MIN_PAGES, _RUNNING_DEPTH, _RUNNING_DRIFT = 0.6, 3, 2, 2.0

# pdfium marks a hyphen it joined across a line end as U+FFFE in text, 0x02 per character.
_LINE_END = re.compile(r"\r\n|[\r\n\ufffe\x02]")
_HYPHENS = "-\u2010\u00ad"
# A hyphen at a line end is kept, not taken for a word broken across lines, before a word that
# goes on with a suspended compound ("high- and low-level", "two- to threefold"): "highand"
# is no word, and hyphenation seldom leaves these as a word's tail (TeX leaves three letters or
# more; "and" ends few words). Longer ones that do ("mi-nor", "de-but") are not listed.
_SUSPENDED = frozenset({"and", "or", "to", "versus"})
# ...and at the end of a word that already holds a hyphen: such compounds are broken only at
# their hyphens (TeX does not hyphenate them elsewhere), so the hyphen is part of the word.
_HYPHENS_IN_WORD = re.compile(r"[-\u2010]\w*$")
_BULLETS = "•◦▪▫‣●○■□➢✓"
_SENTENCE_END = re.compile(r"[.!?…:][\"'”’)\]]*$")
_CLEAN = {c: " " for c in range(32)} | {0xAD: None, 0xFEFF: None, 0xFFFE: None}
_CLEAN |= {ord(k): v for k, v in {"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl"}.items()}
_PLACEHOLDER_TITLES = {"", "untitled", "(untitled)"}


@dataclass(frozen=True)
class _Line:
    """One printed line: its text, baseline height, left and right ends, line height (0: unknown)."""

    text: str
    y: float
    x0: float
    x1: float
    height: float


def extract(data: bytes) -> Extracted:
    """Read a PDF's text layer into paragraphs, page offsets, page labels and title."""
    with _PDFIUM_LOCK:
        pdf = _open(data)
        try:
            pages = [_page_lines(pdf, i) for i in range(len(pdf))]
            labels = [pdf.get_page_label(i) for i in range(len(pages))]
            title = " ".join(pdf.get_metadata_value("Title").replace("\x00", "").split())
        finally:
            pdf.close()
    pages = _drop_running_lines(pages)
    usual = _usual_step([r for lines in pages for r in _steps(lines)])
    paragraphs = [_paragraphs(lines, usual) for lines in pages]
    empty = [i for i, page in enumerate(paragraphs) if not page.paragraphs]
    if len(empty) == len(paragraphs):
        raise ExtractError("no text layer (scanned PDF?); docqa does not OCR")
    text, blocks, offsets = _assemble(paragraphs)
    return Extracted(
        text=text,
        blocks=blocks,
        pages=offsets,
        page_labels=[lb or str(i + 1) for i, lb in enumerate(labels)] if any(labels) else None,
        title=None if title.lower() in _PLACEHOLDER_TITLES else title,
        warning=f"no text on page{'s' if len(empty) > 1 else ''} {_page_ranges(empty)}"
        if empty
        else None,
    )


def _open(data: bytes) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError:
        pass
    # Load again for a fresh error code: pdfium sets it only when loading fails, so the one
    # pypdfium2 reports for a document without pages (which it refuses) is left over.
    raw = pdfium_c.FPDF_LoadMemDocument64(data, len(data), None)
    if raw:
        pdfium_c.FPDF_CloseDocument(raw)
        raise ExtractError("empty PDF (no pages)")
    code = pdfium_c.FPDF_GetLastError()
    if code in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY):
        scheme = "password protected" if code == pdfium_c.FPDF_ERR_PASSWORD else "unsupported"
        raise ExtractError(f"encrypted PDF ({scheme})")
    reason = "corrupt or truncated" if code == pdfium_c.FPDF_ERR_FORMAT else f"pdfium error {code}"
    raise ExtractError(f"not a readable PDF ({reason})")


def _page_lines(pdf: pdfium.PdfDocument, index: int) -> list[_Line]:
    try:
        page = pdf[index]
    except pdfium.PdfiumError:
        return []  # an unreadable page is reported as a page without text
    with closing(page), closing(page.get_textpage()) as textpage:
        return _lines(textpage)


def _lines(textpage: pdfium.PdfTextPage) -> list[_Line]:
    n = textpage.count_chars()
    if n <= 0:
        return []
    text = textpage.get_text_range(0, n)
    if len(text) != n:  # rare: text and character indices differ; read characters one by one
        codes = (pdfium_c.FPDFText_GetUnicode(textpage, k) for k in range(n))
        # One character per index keeps them aligned; a lone UTF-16 surrogate is unreadable.
        text = "".join("\ufffd" if 0xD800 <= c <= 0xDFFF or c > 0x10FFFF else chr(c) for c in codes)
    lines, start = [], 0
    for m in _LINE_END.finditer(text):
        lines.append(_line(textpage, text, start, m.start(), m.group() in "\ufffe\x02"))
        start = m.end()
    lines.append(_line(textpage, text, start, n, False))
    return lines


def _line(textpage: pdfium.PdfTextPage, text: str, a: int, b: int, hyphen: bool) -> _Line:
    raw = text[a:b]
    hyphen = hyphen or raw.rstrip().endswith("\u00ad")  # a soft hyphen shows only at a line end
    line = " ".join(raw.translate(_CLEAN).split()) + ("-" if hyphen else "")
    visible = [k for k in range(a, b) if not text[k].isspace()]
    if not line or not visible:
        return _Line(line, 0.0, 0.0, 0.0, 0.0)
    x, y, box = ctypes.c_double(), ctypes.c_double(), pdfium_c.FS_RECTF()
    origins, boxes = [], []
    # Three characters are enough to place a line and cheap even for long documents.
    for k in sorted({visible[0], visible[len(visible) // 2], visible[-1]}):
        if pdfium_c.FPDFText_GetCharOrigin(textpage, k, x, y):
            origins.append((x.value, y.value))
        if pdfium_c.FPDFText_GetLooseCharBox(textpage, k, box):
            boxes.append((box.right, box.top - box.bottom))
    if not origins or not boxes:
        return _Line(line, 0.0, 0.0, 0.0, 0.0)  # no geometry: joined to its neighbours
    baseline = sorted(y for _, y in origins)[len(origins) // 2]
    return _Line(line, baseline, origins[0][0], boxes[-1][0], max(h for _, h in boxes))


def _drop_running_lines(pages: list[list[_Line]]) -> list[list[_Line]]:
    """Leave out the lines atop or below pages that recur at the same height on most pages, or
    most odd or even ones: the same text up to its numbers, or the page number (in a heading)."""
    if len(pages) < _RUNNING_MIN_PAGES:
        return pages
    places: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for i, lines in enumerate(pages):
        shown = sorted((ln for ln in lines if ln.text), key=lambda ln: ln.y)
        for line in shown[:_RUNNING_DEPTH] + shown[-_RUNNING_DEPTH:]:
            for key in _keys(line, i):
                places[key].append((line.y, i))
    running: set[tuple[int, float]] = set()
    for key, spots in places.items():
        usual_y = sorted(spots)[len(spots) // 2][0]
        here = {(i, y) for y, i in spots if abs(y - usual_y) <= _RUNNING_DRIFT}
        if key and _on_most_pages({i for i, _ in here}, len(pages)):
            running |= here
            if key[0] == "\x00":  # and the page number alone wherever it is (a chapter's foot)
                running |= {(i, y) for y, i in places.get("\x01" + key[1:], [])}
    return [[ln for ln in lines if (i, ln.y) not in running] for i, lines in enumerate(pages)]


def _keys(line: _Line, page: int) -> set[str]:
    """What a running line keeps from page to page: its text with numbers as '#', and for a
    number at its start or end, that number less the page index (after NUL; after SOH too
    when the line is just that number)."""
    keys = {re.sub(r"\d+", "#", line.text.lower())}
    for m in (re.match(r"\d+", line.text), re.search(r"\d+$", line.text)):
        if m:
            keys.add(f"\x00{int(m.group()) - page}")
            if m.group() == line.text:
                keys.add(f"\x01{int(m.group()) - page}")
    return keys


def _on_most_pages(found: set[int], n: int) -> bool:
    # Books alternate running heads (title on even pages, chapter on odd): count each parity.
    even = sum(1 for i in found if i % 2 == 0)
    share = max(even / ((n + 1) // 2), (len(found) - even) / max(n // 2, 1))
    return len(found) >= _RUNNING_MIN_PAGES and share >= _RUNNING_SHARE


def _step(prev: _Line, cur: _Line) -> float | None:
    """How far down ``cur`` is from ``prev``, in line heights; None without geometry."""
    # The smaller height: a heading's large type must not make the gap after it look small.
    unit = min(prev.height, cur.height)
    return (prev.y - cur.y) / unit if unit > 0 and prev.text and cur.text else None


def _steps(lines: list[_Line]) -> list[float]:
    """Steps down between consecutive lines that could be line spacing."""
    steps = (_step(prev, cur) for prev, cur in pairwise(lines))
    return [s for s in steps if s is not None and 0.8 <= s <= 3]


def _usual_step(steps: list[float]) -> float | None:
    """The lower quartile of the steps, or None when there are too few to tell."""
    # The lower quartile, not the median: most steps are within paragraphs, but a page of
    # short paragraphs has nearly as many paragraph gaps as line steps.
    return sorted(steps)[len(steps) // 4] if len(steps) >= _MIN_STEPS else None


@dataclass(frozen=True)
class _Page:
    """A page's paragraphs, with what tells whether the last one goes on onto the next page:
    ``room``, how many characters would still fit after the last line (0: unknown or none), and
    the first and last printed lines, ``full_end`` when the last line's column has other lines
    (so its right edge is known: a lone line is as wide as its own column)."""

    paragraphs: list[str]
    room: float = 0.0
    first: _Line | None = None
    last: _Line | None = None
    full_end: bool = False
    first_indented: bool = False


def _paragraphs(lines: list[_Line], doc_usual: float | None) -> _Page:
    """The page's paragraphs, and how its first and last lines sit in their columns."""
    usual = _usual_step(_steps(lines)) or doc_usual
    limit = usual * _PARAGRAPH_GAP if usual is not None else _DEFAULT_GAP
    paragraphs: list[list[str]] = []
    prev: _Line | None = None
    first: tuple[_Line, float] | None = None
    last: tuple[_Line, float, float, int] | None = None
    for line, (left, right, placed) in zip(lines, _columns(lines), strict=True):
        if not line.text:
            prev = None  # an empty line ends the paragraph
            continue
        if prev is None or _is_break(prev, line, limit, left, right):
            paragraphs.append([])
        paragraphs[-1].append(line.text)
        prev = line
        first = first or (line, left)
        last = (line, left, right, placed)
    if first is None or last is None:
        return _Page([])
    line, _, right, placed = last
    room = (right - line.x1) / _char_width(line) if line.height > 0 else 0.0
    top, left = first
    return _Page(
        [_join(parts) for parts in paragraphs],
        room=room,
        first=top,
        last=line,
        full_end=line.height > 0 and placed > 1,
        first_indented=top.height > 0 and top.x0 > left + 0.8 * top.height,
    )


def _columns(lines: list[_Line]) -> list[tuple[float, float, int]]:
    """Per line, the left and right edges of its column and how many of its lines have
    geometry: the extent of the lines printed between two moves back up the page (to a new
    column or region)."""
    edges: list[tuple[float, float, int]] = []
    start = 0
    for k in range(1, len(lines) + 1):
        step = _step(lines[k - 1], lines[k]) if k < len(lines) else -1.0
        if step is not None and step < -0.2:
            placed = [ln for ln in lines[start:k] if ln.height > 0]
            shown = placed or [lines[k - 1]]
            edge = (min(ln.x0 for ln in shown), max(ln.x1 for ln in shown), len(placed))
            edges += [edge] * (k - start)
            start = k
    return edges


def _char_width(line: _Line) -> float:
    return max((line.x1 - line.x0) / len(line.text), 0.1)


def _has_room(room: float, word: str) -> bool:
    """Whether ``room`` characters would have held ``word``: then the line was ended on purpose."""
    return room > 1.4 * len(word) + 2


def _is_break(prev: _Line, line: _Line, limit: float, left: float, right: float) -> bool:
    step = _step(prev, line)
    if step is None or abs(step) <= 0.2:
        return False  # no geometry, or the same printed line split by pdfium at a wide space
    if step < 0 or step > limit or line.text[0] in _BULLETS:
        return True
    # Without spacing: a sentence ends a line that had room for the next line's first word
    # (a paragraph's short last line), or the next line is indented (a first-line indent).
    if not _SENTENCE_END.search(prev.text):
        return False
    room = (right - prev.x1) / _char_width(prev)
    return line.x0 > left + 0.8 * line.height or _has_room(room, line.text.split(" ", 1)[0])


def _join(parts: list[str]) -> str:
    out = [parts[0]]
    for part in parts[1:]:
        out[-1], glue = _glue(out[-1], part)
        out.append(glue + part)
    return "".join(out)


def _glue(before: str, after: str) -> tuple[str, str]:
    """``before`` (without a hyphen it loses) and the separator to put between it and ``after``."""
    if len(before) > 1 and before[-1] in _HYPHENS and before[-2].isalnum():
        word = re.match(r"\w+\b", after)
        if word and word.group().lower() in _SUSPENDED:
            return before, " "  # high- / and low-level -> high- and low-level
        if _HYPHENS_IN_WORD.search(before[:-1]):
            return before, ""  # state-of- / the-art -> state-of-the-art
        if after[0].islower():
            return before[:-1], ""  # exam- / ple -> example
        return before, ""  # Jean- / Paul -> Jean-Paul, 10- / 12 -> 10-12
    return before, " "


def _assemble(pages: list[_Page]) -> tuple[str, list[Block], list[int]]:
    """Join the pages' paragraphs into one text with blocks and page start offsets."""
    glue: dict[int, str] = {}
    for i in range(1, len(pages)):
        before, after = pages[i - 1].paragraphs, pages[i].paragraphs
        if before and after and _goes_on(pages[i - 1], pages[i]):
            before[-1], glue[i] = _glue(before[-1], after[0])
    parts: list[str] = []
    spans: list[list[int]] = []
    offsets: list[int] = []
    pos = 0
    for i, page in enumerate(pages):
        offsets.append(pos + len(glue.get(i, "\n\n" if pos and page.paragraphs else "")))
        for k, para in enumerate(page.paragraphs):
            sep = glue[i] if k == 0 and i in glue else "\n\n" * bool(pos)
            parts.append(sep + para)
            pos += len(sep) + len(para)
            if k == 0 and i in glue:
                spans[-1][1] = pos
            else:
                spans.append([pos - len(para), pos])
    return "".join(parts), [Block(a, b, "text", ()) for a, b in spans], offsets


def _goes_on(page: _Page, following: _Page) -> bool:
    """Whether the last paragraph of ``page`` goes on at the top of ``following``: it ends
    without sentence punctuation on a line with no room for the next page's first word.

    Then the paragraph was cut by the page break, whatever the case of that word (a proper
    noun, "I", a number). With a capital, the geometry must say so: the last line's column
    has other lines to show where its right edge is, the type is the same size, and the next
    page's first line is not indented (a new paragraph) or bulleted. A lower-case start is a
    continuation even without geometry.
    """
    text, start = page.paragraphs[-1], following.paragraphs[0]
    if _SENTENCE_END.search(text) or _has_room(page.room, start.split(" ", 1)[0]):
        return False
    if start[0].islower():
        return True
    first, last = following.first, page.last
    return (
        page.full_end
        and first is not None
        and last is not None
        and abs(first.height - last.height) <= 0.1 * last.height
        and not following.first_indented
        and start[0] not in _BULLETS
    )


def _page_ranges(pages: list[int]) -> str:
    """0-based page indices -> "3, 5-7" (1-based, as printed by viewers)."""
    runs = [[p for _, p in g] for _, g in groupby(enumerate(pages), lambda ip: ip[1] - ip[0])]
    return ", ".join(f"{r[0] + 1}" + (f"-{r[-1] + 1}" if len(r) > 1 else "") for r in runs)
