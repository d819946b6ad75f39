"""A cited passage shown where it stands in its source, so a reader can check it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from index.documents import FileRef, Skipped, read_document
from index.errors import SourceUnavailableError
from index.passage import Passage

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
    docs_root: str | Path, passage: Passage, *, before: int = 600, after: int = 1500
) -> PassageContext:
    """Read the passage's source and cut about ``before``/``after`` characters around it, at line ends."""
    path = Path(docs_root) / passage.source
    try:
        st = path.stat()
    except OSError as exc:
        raise SourceUnavailableError(
            f"cannot open {passage.source!r} under {str(docs_root)!r}: {exc.strerror or exc}"
        ) from exc
    doc = read_document(FileRef(passage.source, path, st.st_size, st.st_mtime_ns))
    if isinstance(doc, Skipped):
        raise SourceUnavailableError(f"cannot read {passage.source!r}: {doc.reason}")
    text = doc.text
    if text[passage.start : passage.end] != passage.text:
        return PassageContext(passage.source, "", passage.text, "", False, False, False)
    lo = max(0, passage.start - before)
    if lo > 0:
        lo = text.find("\n", lo, passage.start) + 1 or lo
    hi = min(len(text), passage.end + after)
    if hi < len(text):
        cut = text.rfind("\n", passage.end, hi)
        hi = cut if cut >= 0 else hi
    return PassageContext(
        passage.source,
        text[lo : passage.start],
        passage.text,
        text[passage.end : hi],
        True,
        lo > 0,
        hi < len(text),
    )
