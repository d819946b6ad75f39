"""Where a passage's text is printed among a PDF page's characters.

docqa's PDF text is pdfium's text layer rewritten (white space and line ends collapsed, words
broken across lines joined, ligatures spelt out, running heads left out: see
:mod:`index.formats.pdf`), so a passage's offsets do not index the page's characters. The
passage is found by its letters and digits instead: both texts are reduced to those
(case-folded, decomposed), each of the page's kept characters remembering its index. An exact
match of the whole passage is the usual case; otherwise (a passage that runs onto the next
page, a character pdfium reads differently) the longest runs the two share place it, from
where the passage's beginning is found.
"""

from __future__ import annotations

import unicodedata
from difflib import SequenceMatcher

__all__ = ["locate"]

# Shared runs shorter than this many letters and digits are chance, not the passage.
_MIN_RUN = 8
# Runs this close on the page (in letters and digits) are marked as one: what lies between is
# a character read differently, not other text printed in the passage's midst (a margin note).
_JOIN_GAP = 6
# Share of the passage (or of its first page's part) that must be found to mark it.
_MIN_FOUND = 0.6


def locate(chars: str, passage: str, *, whole: bool = True) -> list[tuple[int, int]]:
    """Where ``passage`` is printed in ``chars`` (a page's characters, one per pdfium index):
    ranges ``[a, b)`` of indices in page order, with the punctuation the passage starts and
    ends with; empty when it is not found.

    ``whole=False`` for a passage that goes on onto the next page: then its beginning is
    looked for, and marked as far as the page holds it.
    """
    return _widen(chars, passage, _locate(chars, passage, whole=whole), whole)


def _key(text: str) -> tuple[str, list[int]]:
    """``text``'s letters and digits, case-folded and decomposed (accents and ligatures spelt
    out), with the index in ``text`` each comes from."""
    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        if ch.isascii():
            if ch.isalnum():
                out.append(ch.lower())
                where.append(i)
            continue
        for c in unicodedata.normalize("NFKD", ch).casefold():
            if c.isalnum():
                out.append(c)
                where.append(i)
    return "".join(out), where


def _locate(chars: str, passage: str, *, whole: bool = True) -> list[tuple[int, int]]:
    """Where ``passage`` is printed in ``chars`` (a page's characters): ranges ``[a, b)`` of
    character indices, in page order; empty when it is not found.

    ``whole=False`` for a passage that goes on onto the next page: then its beginning is
    looked for, and marked as far as the page holds it.
    """
    page, where = _key(chars)
    want, _ = _key(passage)
    if not want or not page:
        return []
    at = page.find(want)
    if at >= 0:
        return [(where[at], where[at + len(want) - 1] + 1)]
    # Anchor at the passage's beginning (its longest opening found on the page), so that a
    # common run elsewhere (a phrase the page repeats) does not pull the match away from it.
    head = _longest_prefix(want, page)
    start = page.find(want[:head]) if head >= min(_MIN_RUN, len(want)) else 0
    matcher = SequenceMatcher(None, want, page[start:], autojunk=False)
    runs = [
        m._replace(b=m.b + start)
        for m in matcher.get_matching_blocks()
        if m.size >= min(_MIN_RUN, len(want))
    ]
    if not runs:
        return []
    found = sum(m.size for m in runs)
    # The part of the passage on this page: all of it, or from its start to the last run found.
    expected = len(want) if whole else runs[-1].a + runs[-1].size
    if runs[0].a > len(want) * (1 - _MIN_FOUND) or found < _MIN_FOUND * expected:
        return []
    spans: list[list[int]] = []
    for m in runs:
        if spans and m.b - spans[-1][1] <= _JOIN_GAP:
            spans[-1][1] = m.b + m.size
        else:
            spans.append([m.b, m.b + m.size])
    return [(where[a], where[b - 1] + 1) for a, b in spans]


def _widen(
    chars: str, passage: str, spans: list[tuple[int, int]], whole: bool
) -> list[tuple[int, int]]:
    """``spans`` grown over the punctuation the passage starts (and, ``whole``, ends) with: a
    bullet, quotes, a full stop, which the match by letters and digits leaves out."""
    if not spans:
        return spans
    text = passage.strip()
    lead = text[: next((i for i, c in enumerate(text) if c.isalnum()), 0)]
    tail = text[len(text) - next((i for i, c in enumerate(reversed(text)) if c.isalnum()), 0) :]
    a = _step_over(chars, spans[0][0], lead[::-1], -1)
    d = _step_over(chars, spans[-1][1], tail, 1) if whole else spans[-1][1]
    if len(spans) == 1:
        return [(a, d)]
    return [(a, spans[0][1]), *spans[1:-1], (spans[-1][0], d)]


def _step_over(chars: str, at: int, marks: str, step: int) -> int:
    """From the boundary ``at``, move by ``step`` over the page's characters as long as they
    are ``marks`` (punctuation and spaces, in the order met); the boundary reached."""
    for mark in marks:
        if mark.isspace():
            while 0 <= at + min(step, 0) < len(chars) and chars[at + min(step, 0)].isspace():
                at += step
        elif 0 <= at + min(step, 0) < len(chars) and _is_mark(chars[at + min(step, 0)]):
            at += step
        else:
            break
    return at


def _is_mark(c: str) -> bool:
    return not c.isalnum() and not c.isspace() and c.isprintable()


def _longest_prefix(want: str, page: str) -> int:
    """The length of the longest beginning of ``want`` that ``page`` holds."""
    lo, hi = 0, len(want)  # want[:lo] is found; want[:hi + 1] is not
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if want[:mid] in page:
            lo = mid
        else:
            hi = mid - 1
    return lo
