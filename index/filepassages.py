"""One new or changed file -> its passages, in order, without holding a large text file whole.

Text formats (text, Markdown) are read through :class:`index.textstream.TextStream` window by
window; formats with an extractor (PDF, DOCX, HTML) are read whole (their text is a small fraction
of the file). The file's :class:`~index.formats.registry.Format` says which.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace

from .cutting import cut_passages, document_passages, document_title
from .documents import Document, Fingerprint, read_document
from .paragraphs import Block, Headings, split_window
from .passage import Passage
from .skips import SkipCode, Skipped
from .textstream import TextStream

__all__ = ["FilePassages"]

# Characters of a text file held at a time (about; a window ends at a paragraph break).
WINDOW = 1 << 20


class FilePassages:
    """Iterate ``(passage, text to embed)`` for one file, once. Afterwards ``skipped`` says why
    the file could not be read (nothing was yielded then); otherwise ``sha256``, ``size``,
    ``warning`` and ``title`` (the title its passages were embedded with) describe what was read, which may differ from the fingerprint
    when the file changed in between."""

    def __init__(
        self,
        fp: Fingerprint,
        count_tokens: Callable[[str], int],
        max_tokens: int,
        *,
        window: int | None = None,
    ) -> None:
        self.fp, self._count, self._max = fp, count_tokens, max_tokens
        self._window = window or WINDOW
        self.skipped: Skipped | None = None
        self.sha256, self.size = fp.sha256, fp.size
        self.warning: str | None = None
        self.title: str | None = None

    def __iter__(self) -> Iterator[tuple[Passage, str]]:
        fmt = self.fp.ref.format
        if fmt is not None and fmt.streamed:
            yield from self._streamed(fmt.syntax)
            return
        doc = read_document(self.fp.ref)
        if isinstance(doc, Skipped):
            self.skipped = doc
            return
        self.sha256, self.size, self.warning, self.title = (
            doc.sha256,
            doc.size,
            doc.warning,
            document_title(self.fp.path, doc.title),
        )
        yield from document_passages(doc, self._count, self._max)

    def _streamed(self, syntax: str) -> Iterator[tuple[Passage, str]]:
        fp = self.fp
        stream = TextStream(fp.ref.abspath, syntax, window=self._window)
        headings: Headings = ()
        lines, blank = 0, True
        carry = _Carry()
        windows = iter(stream)
        while True:
            try:
                window = next(windows)
            except StopIteration:
                break
            except OSError as exc:
                if carry.paragraphs == 0 and not carry.blocks:
                    reason = f"cannot read: {exc.strerror or exc}"
                    self.skipped = Skipped(fp.path, SkipCode.UNREADABLE, reason)
                    return
                # Passages already read stay valid; the rest of the file is missing. The
                # entry keeps the planned hash and size: the next sync reads the file again
                # only if it changes, and the warning says what is missing.
                yield from carry.cut(fp, self._count, self._max, final=True)
                self.warning = f"read failed after line {lines}: {exc.strerror or exc}"
                return
            lines = window.line + window.text.count("\n")
            blank = blank and not window.text.strip()
            blocks, headings = split_window(window.text, syntax, headings, first=window.first)
            carry.add(window.text, window.start, window.line, blocks)
            yield from carry.cut(fp, self._count, self._max, final=False)
        yield from carry.cut(fp, self._count, self._max, final=True)
        if blank:
            self.skipped = Skipped(fp.path, SkipCode.NO_TEXT, "no text (only whitespace)")
        self.sha256, self.size, self.warning = stream.sha256, stream.size, stream.warning
        self.title = document_title(fp.path)


class _Carry:
    """The text read but not yet cut: the last blocks of a window, which the next window's
    first blocks may join (see :mod:`index.joining`), so that a streamed file is cut exactly
    as it would be whole."""

    def __init__(self) -> None:
        self.text, self.start, self.line = "", 0, 0  # file offset and lines before ``text``
        self.blocks: list[Block] = []
        self.paragraphs = 0  # paragraphs already cut

    def add(self, text: str, start: int, line: int, blocks: list[Block]) -> None:
        if not self.text:
            self.start, self.line = start, line
        shift = start - self.start
        self.text += text
        self.blocks += [replace(b, start=b.start + shift, end=b.end + shift) for b in blocks]

    def cut(
        self, fp: Fingerprint, count: Callable[[str], int], max_tokens: int, *, final: bool
    ) -> Iterator[tuple[Passage, str]]:
        if not self.blocks:
            self.text = ""
            return
        doc = Document(fp.path, fp.format, self.text, "", 0, fp.ref.mtime_ns, blocks=self.blocks)
        pairs, held = cut_passages(doc, count, max_tokens, hold_last=not final)
        for passage, embedded in pairs:
            yield (
                replace(
                    passage,
                    paragraph=passage.paragraph + self.paragraphs,
                    paragraph_end=passage.paragraph_end and passage.paragraph_end + self.paragraphs,
                    start=passage.start + self.start,
                    end=passage.end + self.start,
                    line_start=passage.line_start + self.line,
                    line_end=passage.line_end + self.line,
                ),
                embedded,
            )
        self.paragraphs += len(self.blocks) - held
        if not held:
            self.text, self.blocks = "", []
            return
        keep = self.blocks[-held].start
        self.line += self.text.count("\n", 0, keep)
        self.start += keep
        self.text = self.text[keep:]
        self.blocks = [
            replace(b, start=b.start - keep, end=b.end - keep) for b in self.blocks[-held:]
        ]
