"""A question as the search can take it: text that is valid Unicode, without control
characters.

A question may arrive holding lone surrogates: ``"\\ud800"`` from Python, or bytes that were not
UTF-8 typed in a terminal, which click hands over as ``"\\udcff"`` (surrogateescape). Tokenizers
and SQLite refuse such strings (a TypeError from deep inside), so they are replaced here by
U+FFFD, once, before the question is checked and searched. NUL and other control characters
(escape sequences pasted with the text) become spaces.
"""

from __future__ import annotations

import re

__all__ = ["clean_question"]

# C0 and C1 controls and DEL, but not the tab and line breaks a pasted question may hold.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]+")
_REPLACEMENT = "\ufffd"


def clean_question(question: str) -> str:
    """``question`` with lone surrogates replaced by U+FFFD and control characters by spaces.

    A question left with nothing but replacement characters and spaces becomes ``""``, which
    the caller refuses as empty. Anything that is not a string is returned as it is, for the
    caller to refuse.
    """
    if not isinstance(question, str):
        return question  # e.g. None: refused by the caller's own check
    if not question.isascii():
        # Through UTF-16: a surrogate pair becomes its character, a lone surrogate U+FFFD.
        question = question.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")
    question = _CONTROLS.sub(" ", question)
    if not question.replace(_REPLACEMENT, "").strip():
        return ""
    return question
