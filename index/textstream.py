"""Reading a text or Markdown file piece by piece, so a file of any size is indexed in bounded memory.

The bytes are decoded incrementally exactly as :func:`index.documents.decode_text` decodes them
whole (same BOM handling, replacement of invalid bytes, newline normalisation), and the text is
handed out in windows of about ``window`` characters that end at a paragraph break, so no
paragraph is cut by a window edge. In Markdown a window ends only between top-level blocks.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .paragraphs import block_gaps

__all__ = ["TextStream", "Window", "invalid_bytes", "text_encoding"]

_READ_BYTES = 1 << 20
# A paragraph break: the end of a line followed by a blank (empty or whitespace-only) line.
_BREAK = re.compile(r"\n(?=[ \t\f\v]*\n)")


@dataclass(frozen=True)
class Window:
    """``text`` is the decoded file's ``[start:start + len(text)]``; it begins at line ``line`` (0-based)
    and ends with a complete line. ``first`` marks the window at the start of the file."""

    text: str
    start: int
    line: int
    first: bool


class TextStream:
    """Iterate the windows of one file, whose paragraph rules are ``syntax`` (``"text"`` or
    ``"markdown"``: a format's :attr:`~index.formats.registry.Format.syntax`). Afterwards
    ``sha256``, ``size`` and ``warning`` describe the bytes read (``warning`` names the first
    invalid byte, as ``decode_text`` does).

    A paragraph longer than ``limit`` characters is cut at a line end (and reported in
    ``warning``): without the cut, one run of text with no blank line would have to be held whole.
    """

    def __init__(
        self, path: Path, syntax: str, *, window: int = 1 << 20, limit: int = 16 << 20
    ) -> None:
        self.path, self.markdown = path, syntax == "markdown"
        self.window, self.limit = window, limit
        self.sha256 = ""
        self.size = 0
        self.warning: str | None = None

    def __iter__(self) -> Iterator[Window]:
        buffer, start, line, first = "", 0, 0, True
        for piece in self._decoded():
            buffer += piece
            while len(buffer) >= self.window:
                cut = self._cut(buffer, first)
                if cut is None:
                    break
                yield Window(buffer[:cut], start, line, first)
                start, line, first = start + cut, line + buffer.count("\n", 0, cut), False
                buffer = buffer[cut:]
        if buffer:
            yield Window(buffer, start, line, first)

    def _cut(self, buffer: str, first: bool) -> int | None:
        """Where to end the next window: at the last paragraph break before ``window``
        characters, else at the first one after. In Markdown only between top-level blocks, as
        the parser sees them (not inside a list, a fence, indented code or an HTML comment)."""
        if self.markdown:
            # Complete lines only: a line half read may read as another block than it is
            # (the start of a directive line looks like a paragraph).
            breaks: Iterable[int] = block_gaps(buffer[: buffer.rfind("\n") + 1], first=first)
        else:
            breaks = (m.end() for m in _BREAK.finditer(buffer))
        cut = None
        for at in breaks:
            if at > self.window and cut is not None:
                break
            cut = at
            if cut > self.window:
                break
        if cut is None and len(buffer) >= self.limit:
            cut = buffer.rfind("\n", 0, self.limit) + 1 or self.limit
            if self.warning is None:
                self.warning = (
                    f"a paragraph longer than {self.limit:,} characters was cut at a line end"
                )
        return cut

    def _decoded(self) -> Iterator[str]:
        """The file's text in pieces, newlines normalised; sets ``sha256``/``size``/``warning``."""
        digest = hashlib.sha256()
        read = max(4, min(_READ_BYTES, self.window))  # a window's worth of bytes at a time
        with self.path.open("rb") as f:
            head = f.read(4)  # enough for any byte order mark
            encoding, skip = text_encoding(head)
            decoder = codecs.getincrementaldecoder(encoding)("strict")
            digest.update(head)
            data, base, held = head[skip:], skip, ""
            while True:
                text, held = _normalise(held + self._decode(decoder, data, base, encoding))
                base += len(data)
                yield text
                data = f.read(read)
                if not data:
                    break
                digest.update(data)
        tail, held = _normalise(held + self._decode(decoder, b"", base, encoding, final=True))
        yield tail + held.replace("\r", "\n")
        self.sha256, self.size = digest.hexdigest(), base

    def _decode(
        self,
        decoder: codecs.IncrementalDecoder,
        data: bytes,
        base: int,
        encoding: str,
        *,
        final: bool = False,
    ) -> str:
        if decoder.errors == "replace":
            return decoder.decode(data, final)
        state = decoder.getstate()
        try:
            return decoder.decode(data, final)
        except UnicodeDecodeError as exc:
            # Invalid bytes from here on are replaced, as bytes.decode(errors="replace") does.
            self.warning = invalid_bytes(encoding, base - len(state[0]) + exc.start)
            decoder.errors = "replace"
            decoder.setstate(state)
            return decoder.decode(data, final)


def text_encoding(head: bytes) -> tuple[str, int]:
    """The codec of a text file from its first bytes, and the number of BOM bytes to skip:
    UTF-32 or UTF-16 with a byte order mark (the codec reads it), else UTF-8."""
    if head.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return "utf-32", 0
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16", 0
    return "utf-8", 3 if head.startswith(b"\xef\xbb\xbf") else 0


def invalid_bytes(encoding: str, at: int) -> str:
    """The warning for a file with bytes invalid in ``encoding``, the first at byte ``at``."""
    return f"invalid {encoding.upper()} at byte {at}; bad bytes shown as \ufffd"


def _normalise(text: str) -> tuple[str, str]:
    """``\\r\\n`` and ``\\r`` as ``\\n``; a trailing ``\\r`` is held back, its ``\\n`` may follow."""
    held = ""
    if text.endswith("\r"):
        text, held = text[:-1], "\r"
    return text.replace("\r\n", "\n").replace("\r", "\n"), held
