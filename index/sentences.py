"""Splitting a paragraph that is too long for the model into parts that fit, at sentence bounds.

Nothing is truncated: the parts cover every sentence of the paragraph. Prose splits between
sentences, code between lines; a single sentence that is still too long splits between words,
and a single word between characters.
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["line_spans", "sentence_spans", "split_to_fit", "trim_span"]

Span = tuple[int, int]

# A sentence ends at . ! ? or … (plus closing quotes/brackets) followed by white space.
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’)\]]*(?=\s)")
# Dotted initialisms such as "U.N." or "e.g." (seen without their final full stop).
_INITIALISM = re.compile(r"(?:[^\W\d_]\.)+[^\W\d_]")
# Words after which a full stop does not end the sentence.
_ABBREVIATIONS = frozenset(
    "e.g i.e etc vs cf al fig figs no nos eq eqs approx mr mrs ms dr prof st jr sr inc ltd co "
    "jan feb mar apr jun jul aug sep sept oct nov dec u.s".split()
)


def sentence_spans(text: str, start: int, end: int) -> list[Span]:
    """Spans of the sentences in ``text[start:end]``, trimmed, in order, covering all non-space."""
    spans: list[Span] = []
    pos = start
    for m in _SENTENCE_END.finditer(text, start, end):
        word = text[pos : m.start()].rsplit(None, 1)[-1] if text[pos : m.start()].strip() else ""
        if m.group().startswith(".") and _is_abbreviation(word):
            continue
        spans.extend(_trim(text, pos, m.end()))
        pos = m.end()
    spans.extend(_trim(text, pos, end))
    return spans


def _is_abbreviation(word: str) -> bool:
    w = word.lower().lstrip("(\"'“‘")
    return w in _ABBREVIATIONS or (len(w) == 1 and w.isalpha()) or bool(_INITIALISM.fullmatch(w))


def split_to_fit(
    text: str, start: int, end: int, fits: Callable[[str], bool], *, code: bool
) -> list[Span]:
    """Split ``text[start:end]`` into consecutive spans for which ``fits(text[span])`` holds.

    As few parts as a greedy fill needs, of even length: no one-word tail is left over.
    Units are sentences, or lines for code; a unit that does not fit alone is split between
    words (then characters) into pieces that do.
    """
    if fits(text[start:end]):
        return [(start, end)]
    units = _fitting_units(text, start, end, fits, code=code)
    greedy = _greedy(text, units, fits)
    return _balanced(text, units, len(greedy), fits) or greedy


def _fitting_units(
    text: str, start: int, end: int, fits: Callable[[str], bool], *, code: bool
) -> list[Span]:
    units = line_spans(text, start, end) if code else sentence_spans(text, start, end)
    if len(units) <= 1:
        units = [(start + m.start(), start + m.end()) for m in re.finditer(r"\S+", text[start:end])]
        if len(units) <= 1:
            return _split_chars(text, start, end, fits)
    out: list[Span] = []
    for a, b in units:
        if fits(text[a:b]):
            out.append((a, b))
        else:  # its words (or characters) become units of their own
            out.extend(_fitting_units(text, a, b, fits, code=False))
    return out


def _greedy(text: str, units: list[Span], fits: Callable[[str], bool]) -> list[Span]:
    """Each part takes as many whole units as fit (every unit fits on its own)."""
    parts: list[Span] = []
    for unit in units:
        if parts and fits(text[parts[-1][0] : unit[1]]):
            parts[-1] = (parts[-1][0], unit[1])
        else:
            parts.append(unit)
    return parts


def _balanced(
    text: str, units: list[Span], count: int, fits: Callable[[str], bool]
) -> list[Span] | None:
    """``count`` parts of even length in characters, if they all fit; else None."""
    if count <= 1:
        return None

    def fill(cap: int) -> list[Span]:
        parts: list[Span] = []
        for unit in units:
            if parts and unit[1] - parts[-1][0] <= cap:
                parts[-1] = (parts[-1][0], unit[1])
            else:
                parts.append(unit)
        return parts

    lo, hi = max(b - a for a, b in units), units[-1][1] - units[0][0]
    while lo < hi:  # the smallest cap that needs no more parts than the greedy fill
        mid = (lo + hi) // 2
        if len(fill(mid)) <= count:
            hi = mid
        else:
            lo = mid + 1
    parts = fill(lo)
    return parts if all(fits(text[a:b]) for a, b in parts) else None


def _split_chars(text: str, start: int, end: int, fits: Callable[[str], bool]) -> list[Span]:
    """Last resort for one unbroken run of characters: the longest prefixes that fit."""
    parts: list[Span] = []
    while start < end:
        lo, hi = 1, end - start
        while lo < hi:  # largest n with fits(text[start:start+n]); n=1 is taken regardless
            mid = (lo + hi + 1) // 2
            if fits(text[start : start + mid]):
                lo = mid
            else:
                hi = mid - 1
        parts.append((start, start + lo))
        start += lo
    return parts


def line_spans(text: str, start: int, end: int) -> list[Span]:
    """Spans of the non-blank lines in ``text[start:end]``, trimmed, in order."""
    spans: list[Span] = []
    pos = start
    while pos < end:
        nl = text.find("\n", pos, end)
        stop = end if nl < 0 else nl
        spans.extend(_trim(text, pos, stop))
        pos = stop + 1
    return spans


def trim_span(text: str, start: int, end: int) -> Span | None:
    """``(start, end)`` moved inwards past white space; None when only white space remains."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


def _trim(text: str, start: int, end: int) -> list[Span]:
    span = trim_span(text, start, end)
    return [span] if span else []
