"""PDF -> text with paragraphs and page offsets, from the PDF's text layer (docqa does not OCR).

pdfium gives each page's characters in reading order, in lines, placed on the page. Running
heads and feet (the same text up to its numbers, or the page number, at the same height atop or
below most pages) are left out; :mod:`.pdflayout` makes paragraphs of the rest and joins the
pages into one text, ``pages[i]`` being where page ``i`` starts.

Right-to-left script comes as pdfium orders it, by place on the page from right to left: the
logical order for a PDF that draws it as it reads. A PDF that draws it left to right in logical
order (reportlab without bidi support) shows each word mirrored, and reads so; pdfium has no
option to undo that, and nothing in the file tells the two apart.
"""

from __future__ import annotations

import ctypes
import re
from collections import defaultdict
from contextlib import closing
from itertools import groupby

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from ..pdflock import PDFIUM_LOCK
from . import Extracted, ExtractError
from .pdflayout import Line, join_pages, page_paragraphs, steps, usual_step

__all__ = ["extract"]

# pdfium is not thread-safe: one document at a time in this process.
_PDFIUM_LOCK = PDFIUM_LOCK  # shared with the app's page viewer (webapp.pdfpage)

# A line among the _RUNNING_DEPTH at either end of a page is running when it recurs within
# _RUNNING_DRIFT points of the same height on this share of pages (and on 3 pages at least).
_RUNNING_SHARE, _RUNNING_MIN_PAGES, _RUNNING_DEPTH, _RUNNING_DRIFT = 0.6, 3, 2, 2.0

# pdfium marks a hyphen it joined across a line end as U+FFFE in text, 0x02 per character.
_LINE_END = re.compile(r"\r\n|[\r\n\ufffe\x02]")
_CLEAN = {c: " " for c in range(32)} | {0xAD: None, 0xFEFF: None, 0xFFFE: None}
_CLEAN |= {ord(k): v for k, v in {"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl"}.items()}
_PLACEHOLDER_TITLES = {"", "untitled", "(untitled)"}


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
    usual = usual_step([r for lines in pages for r in steps(lines)])
    paragraphs = [page_paragraphs(lines, usual) for lines in pages]
    empty = [i for i, page in enumerate(paragraphs) if not page.paragraphs]
    if len(empty) == len(paragraphs):
        raise ExtractError("no text layer (scanned PDF?); docqa does not OCR")
    text, blocks, offsets = join_pages(paragraphs)
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


def _page_lines(pdf: pdfium.PdfDocument, index: int) -> list[Line]:
    try:
        page = pdf[index]
    except pdfium.PdfiumError:
        return []  # an unreadable page is reported as a page without text
    with closing(page), closing(page.get_textpage()) as textpage:
        return _lines(textpage)


def _lines(textpage: pdfium.PdfTextPage) -> list[Line]:
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


def _line(textpage: pdfium.PdfTextPage, text: str, a: int, b: int, hyphen: bool) -> Line:
    raw = text[a:b]
    hyphen = hyphen or raw.rstrip().endswith("\u00ad")  # a soft hyphen shows only at a line end
    line = " ".join(raw.translate(_CLEAN).split()) + ("-" if hyphen else "")
    visible = [k for k in range(a, b) if not text[k].isspace()]
    if not line or not visible:
        return Line(line, 0.0, 0.0, 0.0, 0.0)
    x, y, box = ctypes.c_double(), ctypes.c_double(), pdfium_c.FS_RECTF()
    origins, boxes = [], []
    # Three characters are enough to place a line and cheap even for long documents.
    for k in sorted({visible[0], visible[len(visible) // 2], visible[-1]}):
        if pdfium_c.FPDFText_GetCharOrigin(textpage, k, x, y):
            origins.append((x.value, y.value))
        if pdfium_c.FPDFText_GetLooseCharBox(textpage, k, box):
            boxes.append((box.right, box.top - box.bottom))
    if not origins or not boxes:
        return Line(line, 0.0, 0.0, 0.0, 0.0)  # no geometry: joined to its neighbours
    baseline = sorted(y for _, y in origins)[len(origins) // 2]
    return Line(line, baseline, origins[0][0], boxes[-1][0], max(h for _, h in boxes))


def _drop_running_lines(pages: list[list[Line]]) -> list[list[Line]]:
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


def _keys(line: Line, page: int) -> set[str]:
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


def _page_ranges(pages: list[int]) -> str:
    """0-based page indices -> "3, 5-7" (1-based, as printed by viewers)."""
    runs = [[p for _, p in g] for _, g in groupby(enumerate(pages), lambda ip: ip[1] - ip[0])]
    return ", ".join(f"{r[0] + 1}" + (f"-{r[-1] + 1}" if len(r) > 1 else "") for r in runs)
