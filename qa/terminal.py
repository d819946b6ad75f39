"""Text made safe for a terminal: control characters shown as visible escapes.

File names and document text are written by whoever made the files. Printed raw, an escape
sequence in them could set the clipboard (OSC 52), retitle the window, clear the screen, or a
bidi override could make one name look like another; a newline could split one listing line
in two. Every human-readable line the CLI prints goes through :func:`safe`, and every JSON
value through :func:`safe_json`.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["safe", "safe_json"]

# C0 and DEL, C1 (U+0080-U+009F: a terminal may read U+009B as CSI), the line and paragraph
# separators, the bidi embeddings, overrides and isolates, and lone surrogates (undecodable
# bytes of a file name or argument: printing them raw would fail with UnicodeEncodeError).
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# What json.dumps(ensure_ascii=False) leaves raw inside strings (it escapes C0 already).
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def _escape(char: str) -> str:
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe(text: str, *, keep: str = "") -> str:
    """``text`` with every control character shown as an escape: ``\\x1b``, ``\\n``,
    ``\\u202e``. Characters in ``keep`` (say ``"\\n"`` for a passage printed over several
    lines) stay as they are; printable text, non-ASCII letters included, is unchanged."""
    if not _UNSAFE.search(text):
        return text
    return _UNSAFE.sub(lambda m: m[0] if m[0] in keep else _escape(m[0]), text)


def safe_json(value: Any) -> str:
    """``value`` as one line of JSON, non-ASCII text as UTF-8 (as ``ensure_ascii=False``
    prints it) but with C1 controls, bidi controls and lone surrogates as ``\\uXXXX`` escapes:
    they only occur inside strings, so the JSON stays valid and decodes to the same value."""
    text = json.dumps(value, ensure_ascii=False)
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m[0]):04x}", text)
