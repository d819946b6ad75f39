"""A cited passage shown where it stands in its source, so a reader can check it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from index import (
    BUILTIN_FORMATS,
    FileRef,
    FormatRegistry,
    Passage,
    Skipped,
    SourceUnavailableError,
    TextStream,
    read_document,
)

__all__ = ["PassageContext", "passage_context"]


@dataclass(frozen=True)
class PassageContext:
    """``before + text + after`` is a window of the source around the passage.

    ``matches`` is False when the file changed since indexing and the span no longer holds
    the passage's text; ``text`` is then the indexed text and the window is empty.
    """

    source: str
    before: str
    text: str
    after: str
    matches: bool
    truncated_before: bool
    truncated_after: bool


def passage_context(
    docs_root: str | Path,
    passage: Passage,
    *,
    before: int = 600,
    after: int = 1500,
    formats: FormatRegistry = BUILTIN_FORMATS,
) -> PassageContext:
    """Read the passage's source and cut about ``before``/``after`` characters around it, at
    line ends. ``formats``: the formats the index was built with (a source of no format there
    raises :class:`SourceUnavailableError`)."""
    path = Path(docs_root) / passage.source
    try:
        st = path.stat()
    except OSError as exc:
        raise SourceUnavailableError(
            f"cannot open {passage.source!r} under {str(docs_root)!r}: {exc.strerror or exc}"
        ) from exc
    fmt = formats.for_path(path)
    if fmt is None:
        raise SourceUnavailableError(
            f"cannot show {passage.source!r}: docqa reads no file of type {path.suffix!r}"
        )
    if fmt.streamed:  # read only up to the window: text files can be huge
        span = (passage.start - before, passage.end + after)
        text, base, whole = _text_around(path, fmt.syntax, *span)
    else:
        doc = read_document(FileRef(passage.source, path, st.st_size, st.st_mtime_ns, fmt))
        if isinstance(doc, Skipped):
            raise SourceUnavailableError(f"cannot read {passage.source!r}: {doc.reason}")
        text, base, whole = doc.text, 0, True
    start, end = passage.start - base, passage.end - base
    if start < 0 or text[start:end] != passage.text:
        return PassageContext(passage.source, "", passage.text, "", False, False, False)
    lo = max(0, start - before)
    if lo > 0:
        lo = text.find("\n", lo, start) + 1 or lo
    hi = min(len(text), end + after)
    if hi < len(text):
        cut = text.rfind("\n", end, hi)
        hi = cut if cut >= 0 else hi
    return PassageContext(
        passage.source,
        text[lo:start],
        passage.text,
        text[end:hi],
        True,
        base + lo > 0,
        hi < len(text) or not whole,
    )


def _text_around(path: Path, syntax: str, lo: int, hi: int) -> tuple[str, int, bool]:
    """The decoded text of the file's windows that overlap ``[lo, hi)``, the offset where it
    starts, and whether it runs to the end of the file."""
    try:
        kept: list[str] = []
        base = -1
        for window in TextStream(path, syntax, window=1 << 18):
            if window.start >= hi:
                return "".join(kept), max(base, 0), False
            if window.start + len(window.text) > lo:
                base = window.start if base < 0 else base
                kept.append(window.text)
    except OSError as exc:
        raise SourceUnavailableError(f"cannot read {str(path)!r}: {exc.strerror or exc}") from exc
    return "".join(kept), max(base, 0), True
