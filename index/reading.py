"""One new or changed file -> its passages, in order, without holding a large text file whole.

Text and Markdown are read through :class:`index.textstream.TextStream` window by window;
PDF, DOCX and HTML are extracted whole (their text is a small fraction of the file).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace

from .chunking import Headings, split_window
from .documents import Document, Fingerprint, Skipped, read_document
from .extract import document_passages
from .passage import Passage
from .textstream import TextStream

__all__ = ["FilePassages"]

_STREAMED = {"text", "markdown"}
# Characters of a text file held at a time (about; a window ends at a paragraph break).
WINDOW = 1 << 20


class FilePassages:
    """Iterate ``(passage, text to embed)`` for one file, once. Afterwards ``skipped`` says why
    the file could not be read (nothing was yielded then); otherwise ``sha256``, ``size``,
    ``warning`` and ``title`` describe what was read, which may differ from the fingerprint
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
        if self.fp.format in _STREAMED:
            yield from self._streamed()
            return
        doc = read_document(self.fp.ref)
        if isinstance(doc, Skipped):
            self.skipped = doc
            return
        self.sha256, self.size, self.warning, self.title = (
            doc.sha256,
            doc.size,
            doc.warning,
            doc.title,
        )
        yield from document_passages(doc, self._count, self._max)

    def _streamed(self) -> Iterator[tuple[Passage, str]]:
        fp = self.fp
        stream = TextStream(fp.ref.abspath, fp.format, window=self._window)
        headings: Headings = ()
        paragraphs, lines, blank = 0, 0, True
        windows = iter(stream)
        while True:
            try:
                window = next(windows)
            except StopIteration:
                break
            except OSError as exc:
                if paragraphs == 0:
                    self.skipped = Skipped(fp.path, f"cannot read: {exc.strerror or exc}")
                    return
                # Passages already handed out stay valid; the rest of the file is missing. The
                # entry keeps the planned hash and size: the next sync reads the file again
                # only if it changes, and the warning says what is missing.
                self.warning = f"read failed after line {lines}: {exc.strerror or exc}"
                return
            lines = window.line + window.text.count("\n")
            blank = blank and not window.text.strip()
            blocks, headings = split_window(window.text, fp.format, headings, first=window.first)
            if not blocks:
                continue
            part = Document(fp.path, fp.format, window.text, "", 0, fp.ref.mtime_ns, blocks=blocks)
            for passage, embedded in document_passages(part, self._count, self._max):
                yield (
                    replace(
                        passage,
                        paragraph=passage.paragraph + paragraphs,
                        paragraph_end=passage.paragraph_end and passage.paragraph_end + paragraphs,
                        start=passage.start + window.start,
                        end=passage.end + window.start,
                        line_start=passage.line_start + window.line,
                        line_end=passage.line_end + window.line,
                    ),
                    embedded,
                )
            paragraphs += len(blocks)
        if blank:
            self.skipped = Skipped(fp.path, "no text (only whitespace)")
        self.sha256, self.size, self.warning = stream.sha256, stream.size, stream.warning
