"""A PDF passage shown on its page: the page rendered with pypdfium2, the passage's lines marked.

The passage is found among the page's characters by :func:`webapp.pdfmatch.locate` (docqa's
PDF text is pdfium's, rewritten: its offsets do not index the page); pdfium gives the
rectangles of those characters, one or more per printed line, which are joined per line and
drawn as one tinted, outlined shape.
"""

from __future__ import annotations

import ctypes
from contextlib import closing
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING

from index import PDFIUM_LOCK, Passage, SourceUnavailableError

from .pdfmatch import locate

if TYPE_CHECKING:
    import pypdfium2 as pdfium
    from PIL import Image

__all__ = ["PageView", "pdf_page_view"]

Box = tuple[float, float, float, float]

_MAX_WIDTH = 4000
_FILL, _OUTLINE, _PAD = (255, 213, 0, 90), (214, 120, 0, 255), 2.0


@dataclass(frozen=True)
class PageView:
    """The page a passage starts on, rendered, with the passage's region marked.

    ``page`` is 1-based. ``boxes`` are the marked rectangles in image pixels
    ``(left, top, right, bottom)``, one per printed line of the passage (or run of it).
    ``found`` is False when the passage's text could not be located on the page (the file
    changed since indexing, or the text layer reads differently): the page is shown unmarked.
    A passage that runs onto the next page is marked on its first page only.
    """

    image: Image.Image
    page: int
    boxes: tuple[Box, ...]
    found: bool


def pdf_page_view(pdf_path: str | Path, passage: Passage, *, width: int = 900) -> PageView:
    """Render the page ``passage.page`` of the PDF at ``pdf_path``, ``width`` pixels wide (RGB),
    and mark where the passage's text is printed on it.

    Raises SourceUnavailableError when the file cannot be opened or read as a PDF (missing,
    corrupt, encrypted) or has no such page; ValueError for a ``width`` outside 1–4000.
    """
    if not 1 <= width <= _MAX_WIDTH:
        raise ValueError(f"width must be 1 to {_MAX_WIDTH} pixels, got {width}")
    path = Path(pdf_path)
    # pdfium is not thread-safe: share extraction's lock, since a sync may be reading PDFs.
    with PDFIUM_LOCK:
        pdf = _open(path, passage.page)
        with closing(pdf):
            if passage.page is None or not 1 <= passage.page <= len(pdf):
                pages = f"it has {len(pdf)} page{'s' * (len(pdf) != 1)}"
                raise SourceUnavailableError(
                    f"cannot show page {passage.page} of {str(path)!r}: {pages}; sync the index"
                )
            image, rects = _render_and_locate(pdf, path, passage, width)
    boxes = _pad(_merge_lines(rects), image.size)
    if boxes:
        image = _mark(image, boxes)
    return PageView(image=image, page=passage.page, boxes=boxes, found=bool(boxes))


def _open(path: Path, page: int | None) -> pdfium.PdfDocument:
    import pypdfium2 as pdfium

    try:
        data = path.read_bytes()  # read whole: pdfium then holds no file open
    except OSError as exc:
        raise SourceUnavailableError(
            f"cannot open {str(path)!r} to show page {page}: {exc.strerror or exc}"
        ) from exc
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise SourceUnavailableError(
            f"cannot read {str(path)!r} to show page {page}: {_reason(exc)}"
        ) from exc


def _reason(exc: Exception) -> str:
    text = str(exc)
    if "password" in text.lower() or "security" in text.lower():
        return "the PDF is encrypted"
    return "not a readable PDF (corrupt, truncated or without pages)"


def _render_and_locate(
    pdf: pdfium.PdfDocument, path: Path, passage: Passage, width: int
) -> tuple[Image.Image, list[Box]]:
    """The page rendered and the passage's rectangles on it, in image pixels."""
    import pypdfium2 as pdfium

    assert passage.page is not None
    try:
        page = pdf[passage.page - 1]
    except pdfium.PdfiumError as exc:
        raise SourceUnavailableError(
            f"cannot read page {passage.page} of {str(path)!r}: {exc}"
        ) from exc
    with closing(page):
        # Just under width/page width: the bitmap's size is rounded up.
        scale = (width - 1e-6) / page.get_width()
        bitmap = page.render(scale=scale)
        with closing(bitmap):
            image = bitmap.to_pil().convert("RGB")
        with closing(page.get_textpage()) as textpage:
            chars = _page_chars(textpage)
            single = passage.page_end is None or passage.page_end <= passage.page
            ranges = locate(chars, passage.text, whole=single)
            rects = [r for a, b in ranges for r in _rects(textpage, a, b)]
        return image, [_to_pixels(page, r, image.size) for r in rects]


def _page_chars(textpage: pdfium.PdfTextPage) -> str:
    """The page's characters, one per pdfium character index."""
    import pypdfium2.raw as pdfium_c

    n = textpage.count_chars()
    if n <= 0:
        return ""
    text: str = textpage.get_text_range(0, n)
    if len(text) != n:  # rare: text and character indices differ (as in extraction)
        codes = (pdfium_c.FPDFText_GetUnicode(textpage, k) for k in range(n))
        text = "".join("\ufffd" if 0xD800 <= c <= 0xDFFF or c > 0x10FFFF else chr(c) for c in codes)
    return text


def _rects(textpage: pdfium.PdfTextPage, a: int, b: int) -> list[Box]:
    """pdfium's rectangles for characters ``[a, b)``: (left, bottom, right, top) in points."""
    n = textpage.count_rects(a, b - a)
    return [textpage.get_rect(i) for i in range(n)]


def _to_pixels(page: pdfium.PdfPage, rect: Box, size: tuple[int, int]) -> Box:
    """A rectangle in page points (origin bottom left) -> image pixels (origin top left), by
    pdfium's own transform (which allows for the page's rotation and crop box)."""
    import pypdfium2.raw as pdfium_c

    left, bottom, right, top = rect
    xs, ys = [], []
    dx, dy = ctypes.c_int(), ctypes.c_int()
    for px, py in ((left, bottom), (right, top)):
        pdfium_c.FPDF_PageToDevice(page, 0, 0, size[0], size[1], 0, px, py, dx, dy)
        xs.append(float(dx.value))
        ys.append(float(dy.value))
    return (min(xs), min(ys), max(xs), max(ys))


def _merge_lines(rects: list[Box]) -> list[Box]:
    """Join consecutive rectangles of one printed line (pdfium gives one per font run or word
    gap) into one: they overlap by half the height of the smaller."""
    out: list[Box] = []
    for r in rects:
        if r[2] <= r[0] or r[3] <= r[1]:
            continue
        if out:
            p = out[-1]
            overlap = min(p[3], r[3]) - max(p[1], r[1])
            if overlap >= 0.5 * min(p[3] - p[1], r[3] - r[1]):
                out[-1] = (min(p[0], r[0]), min(p[1], r[1]), max(p[2], r[2]), max(p[3], r[3]))
                continue
        out.append(r)
    return out


def _pad(boxes: list[Box], size: tuple[int, int]) -> tuple[Box, ...]:
    """The boxes grown by a little, within the image, and consecutive lines stretched to meet
    half way (or not to overlap), so that a paragraph is marked as one shape."""
    w, h = size
    out = [
        [max(0.0, a - _PAD), max(0.0, b - _PAD), min(w - 1.0, c + _PAD), min(h - 1.0, d + _PAD)]
        for a, b, c, d in boxes
    ]
    out = [box for box in out if box[0] < box[2] and box[1] < box[3]]  # text off the page
    for upper, lower in pairwise(out):
        gap = lower[1] - upper[3]
        line = min(upper[3] - upper[1], lower[3] - lower[1])
        side_by_side = lower[0] > upper[2] or upper[0] > lower[2]
        if not side_by_side and -line / 2 < gap < line * 0.8:
            upper[3] = lower[1] = (upper[3] + lower[1]) / 2
    return tuple((a, b, c, d) for a, b, c, d in out)


def _mark(image: Image.Image, boxes: tuple[Box, ...]) -> Image.Image:
    """``image`` with the boxes' union tinted and outlined: one shape, its tint not doubled
    where boxes touch. Drawn only within the boxes' extent, which is all that changes."""
    from PIL import Image, ImageChops, ImageDraw, ImageFilter

    w, h = image.size
    x0, y0 = max(0, int(min(b[0] for b in boxes)) - 4), max(0, int(min(b[1] for b in boxes)) - 4)
    x1, y1 = min(w, int(max(b[2] for b in boxes)) + 5), min(h, int(max(b[3] for b in boxes)) + 5)
    part = image.crop((x0, y0, x1, y1))
    shape = Image.new("L", part.size, 0)
    draw = ImageDraw.Draw(shape)
    for a, b, c, d in boxes:
        draw.rectangle((a - x0, b - y0, c - x0, d - y0), fill=255)
    ring = ImageChops.subtract(shape.filter(ImageFilter.MaxFilter(5)), shape)  # just outside
    tint = shape.point(lambda v: _FILL[3] if v else 0)
    part = Image.composite(Image.new("RGB", part.size, _FILL[:3]), part, tint)
    part = Image.composite(Image.new("RGB", part.size, _OUTLINE[:3]), part, ring)
    image.paste(part, (x0, y0))
    return image
