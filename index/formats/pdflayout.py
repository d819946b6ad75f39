"""PDF layout: printed lines -> paragraphs -> one text with blocks and page offsets.

A paragraph ends at an empty line, a step down clearly larger than the page's usual line
spacing, a move back up the page (a new column), a bulleted line, or, in text set without
spacing, a sentence that ends short of the column's edge or is followed by an indented line.
Lines are joined with a space; ``exam-`` / ``ple`` gives ``example`` (but ``high-`` / ``and``
keeps its hyphen). A paragraph that ends a page on a full line without sentence punctuation is
one block across the break (see :func:`goes_on`). Pages are joined with a blank line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import pairwise

from ..paragraphs import Block

__all__ = ["Line", "Page", "goes_on", "join_pages", "page_paragraphs", "steps", "usual_step"]

# A step down over this many times the usual line step (learnt from at least _MIN_STEPS
# steps on the page, else in the document; else _DEFAULT_GAP line heights) starts a paragraph.
_PARAGRAPH_GAP, _MIN_STEPS, _DEFAULT_GAP = 1.2, 3, 1.4
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


@dataclass(frozen=True)
class Line:
    """One printed line: its text, baseline height, left and right ends, line height (0: unknown)."""

    text: str
    y: float
    x0: float
    x1: float
    height: float


def _step(prev: Line, cur: Line) -> float | None:
    """How far down ``cur`` is from ``prev``, in line heights; None without geometry."""
    # The smaller height: a heading's large type must not make the gap after it look small.
    unit = min(prev.height, cur.height)
    return (prev.y - cur.y) / unit if unit > 0 and prev.text and cur.text else None


def steps(lines: list[Line]) -> list[float]:
    """Steps down between consecutive lines that could be line spacing."""
    found = (_step(prev, cur) for prev, cur in pairwise(lines))
    return [s for s in found if s is not None and 0.8 <= s <= 3]


def usual_step(steps: list[float]) -> float | None:
    """The lower quartile of the steps, or None when there are too few to tell."""
    # The lower quartile, not the median: most steps are within paragraphs, but a page of
    # short paragraphs has nearly as many paragraph gaps as line steps.
    return sorted(steps)[len(steps) // 4] if len(steps) >= _MIN_STEPS else None


@dataclass(frozen=True)
class Page:
    """A page's paragraphs, with what tells whether the last one goes on onto the next page:
    ``room``, how many characters would still fit after the last line (0: unknown or none), and
    the first and last printed lines, ``full_end`` when the last line's column has other lines
    (so its right edge is known: a lone line is as wide as its own column)."""

    paragraphs: list[str]
    room: float = 0.0
    first: Line | None = None
    last: Line | None = None
    full_end: bool = False
    first_indented: bool = False


def page_paragraphs(lines: list[Line], doc_usual: float | None) -> Page:
    """The page's paragraphs, and how its first and last lines sit in their columns."""
    usual = usual_step(steps(lines)) or doc_usual
    limit = usual * _PARAGRAPH_GAP if usual is not None else _DEFAULT_GAP
    paragraphs: list[list[str]] = []
    prev: Line | None = None
    first: tuple[Line, float] | None = None
    last: tuple[Line, float, float, int] | None = None
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
        return Page([])
    line, _, right, placed = last
    room = (right - line.x1) / _char_width(line) if line.height > 0 else 0.0
    top, left = first
    return Page(
        [_join(parts) for parts in paragraphs],
        room=room,
        first=top,
        last=line,
        full_end=line.height > 0 and placed > 1,
        first_indented=top.height > 0 and top.x0 > left + 0.8 * top.height,
    )


def _columns(lines: list[Line]) -> list[tuple[float, float, int]]:
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


def _char_width(line: Line) -> float:
    return max((line.x1 - line.x0) / len(line.text), 0.1)


def _has_room(room: float, word: str) -> bool:
    """Whether ``room`` characters would have held ``word``: then the line was ended on purpose."""
    return room > 1.4 * len(word) + 2


def _is_break(prev: Line, line: Line, limit: float, left: float, right: float) -> bool:
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


def join_pages(pages: list[Page]) -> tuple[str, list[Block], list[int]]:
    """Join the pages' paragraphs into one text with blocks and page start offsets."""
    glue: dict[int, str] = {}
    for i in range(1, len(pages)):
        before, after = pages[i - 1].paragraphs, pages[i].paragraphs
        if before and after and goes_on(pages[i - 1], pages[i]):
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


def goes_on(page: Page, following: Page) -> bool:
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
