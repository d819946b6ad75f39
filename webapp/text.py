"""Document text as HTML that means exactly the text: never markup, math or template.

Everything a document, a file name or a question contributes to the page goes through
:func:`esc`. Besides HTML's own specials it encodes ``$``, ``{``, ``}``, backticks and
backslashes as character references, so no renderer downstream (Gradio's ``${value}`` and
Handlebars template, a math typesetter) can read them as syntax; the browser still shows,
copies and reads out the original characters.
"""

from __future__ import annotations

import html

__all__ = ["esc", "snippet_window"]

_INERT = str.maketrans({"$": "&#36;", "{": "&#123;", "}": "&#125;", "`": "&#96;", "\\": "&#92;"})


def esc(text: str) -> str:
    """``text`` as HTML text or attribute value, shown literally."""
    return html.escape(text, quote=True).translate(_INERT)


def snippet_window(length: int, focus: tuple[int, int] | None, limit: int) -> tuple[int, int]:
    """The ``[lo, hi)`` part of a text of ``length`` characters to show in about ``limit``
    characters: all of it when it fits, else a window holding ``focus`` (a span of the text,
    e.g. the answering sentence) with some lead-in, or the start when there is no focus."""
    if length <= limit:
        return 0, length
    if focus is None:
        return 0, limit
    a, b = max(0, focus[0]), min(length, focus[1])
    lead = min(a, max(0, (limit - (b - a)) // 3))
    lo = a - lead
    hi = min(length, max(b, lo + limit))
    return lo, hi
