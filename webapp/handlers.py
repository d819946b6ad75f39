"""What the chat screen does when asked: plain functions over an explicit :class:`AppContext`.

Each handler takes what it needs as arguments and returns plain data (HTML strings, frozen
dataclasses), so it can be called and tested without Gradio; :mod:`webapp.events` turns the
results into component updates. Document text reaches the HTML only through the escaping
renderers (:mod:`webapp.transcript`, :mod:`webapp.source`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index import DocqaError
from qa import Result, Retriever
from qa.background import BackgroundSync

from .asking import answer_turn
from .pageview import page_view
from .server import DEFAULT_MAX_UPLOAD_BYTES
from .source import render_source
from .status import note_html, skipped_html, status_html, sync_updates
from .transcript import Turn, render_transcript

if TYPE_CHECKING:
    from PIL.Image import Image

__all__ = [
    "CLOSED",
    "AppContext",
    "IndexView",
    "OpenedSource",
    "Reply",
    "answer",
    "open_cited",
    "open_result",
    "refresh",
    "retrieve",
    "status",
    "sync_notes",
    "upload_notes",
]


@dataclass(frozen=True)
class AppContext:
    """What every handler of one app shares: the retriever over its index, the background
    sync, the documents folder (None: the one the index was built from) and the upload limit."""

    retriever: Retriever
    sync: BackgroundSync
    docs: Path | None = None
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES

    @classmethod
    def create(
        cls,
        retriever: Retriever,
        *,
        docs: str | Path | None = None,
        max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
    ) -> AppContext:
        """A context with its own background sync of ``docs``."""
        folder = Path(docs) if docs is not None else None
        return cls(retriever, BackgroundSync(retriever, docs=folder), folder, max_upload_bytes)

    @property
    def docs_root(self) -> Path:
        """The documents folder, read from the manifest each time: a sync may rebuild it."""
        return self.docs or Path(self.retriever.manifest.docs_root)


@dataclass(frozen=True)
class OpenedSource:
    """The source panel: its HTML, the PDF page image (None: hidden) with its label, and the
    result shown (what the Markdown view toggle re-renders)."""

    html: str = ""
    image: Image | None = None
    label: str = ""
    result: Result | None = None


# The panel with nothing open.
CLOSED = OpenedSource()


@dataclass(frozen=True)
class Reply:
    """A question answered: the whole transcript, the turns behind it, the status line and
    the source panel opened on the reply's first passage."""

    transcript: str
    turns: list[Turn]
    status: str
    source: OpenedSource


@dataclass(frozen=True)
class IndexView:
    """What a sync changes on screen: the status line, the skipped files (HTML), the folder
    and type filters offered, and which of the chosen ones the index still holds."""

    status: str
    skipped: str
    folders: tuple[str, ...]
    types: tuple[str, ...]
    chosen_folders: tuple[str, ...]
    chosen_types: tuple[str, ...]


def status(ctx: AppContext) -> str:
    """The status line's HTML, with when the last sync ended."""
    return status_html(ctx.retriever, ctx.sync.last_finished)


def answer(
    ctx: AppContext,
    question: str,
    turns: Sequence[Turn],
    k: int,
    *,
    mode: str = "hybrid",
    folders: Sequence[str] = (),
    types: Sequence[str] = (),
    rendered: bool = True,
) -> Reply | None:
    """``question`` asked after ``turns``: the turn added to the chat, its first passage
    opened in the source panel. None for a blank question (nothing happens)."""
    if not question or not question.strip():
        return None
    turn = answer_turn(
        ctx.retriever, question, turns, int(k), mode=mode, folders=folders, types=types
    )
    new = [*turns, turn]
    first = turn.results[0] if turn.results else None
    return Reply(render_transcript(new), new, status(ctx), open_result(ctx, first, rendered))


def open_result(ctx: AppContext, result: Result | None, rendered: bool = True) -> OpenedSource:
    """``result`` in its source file, marked (``rendered``: Markdown files as rendered
    Markdown), with its PDF page when it has one; the empty panel for None."""
    if result is None:
        return CLOSED
    html = render_source(ctx.docs_root, result, rendered=rendered)
    image, label = page_view(ctx.docs_root, result)
    return OpenedSource(html, image, label, result)


def open_cited(
    ctx: AppContext, turns: Sequence[Turn], clicked: Mapping[str, Any], rendered: bool = True
) -> OpenedSource | None:
    """The passage a citation button names (``{"turn": i, "rank": r}`` from the page's
    script) opened; None when the click names no turn of this chat (nothing changes), the
    empty panel when that turn has no such rank."""
    turn, rank = clicked.get("turn"), clicked.get("rank")
    if isinstance(turn, bool) or not isinstance(turn, int) or not 0 <= turn < len(turns):
        return None
    found = [r for r in turns[turn].results if r.rank == rank]
    return open_result(ctx, found[0] if found else None, rendered)


def refresh(
    ctx: AppContext, chosen_folders: Sequence[str], chosen_types: Sequence[str]
) -> IndexView | None:
    """The screen after a sync; a chosen folder or type the index no longer holds is
    dropped. None when the index cannot be read (then only :func:`status` says why)."""
    from qa.filters import choices

    try:
        manifest = ctx.retriever.manifest
    except DocqaError:
        return None
    folders, types = choices(manifest)
    return IndexView(
        status(ctx),
        skipped_html(manifest),
        folders,
        types,
        tuple(f for f in chosen_folders if f in folders),
        tuple(t for t in chosen_types if t in types),
    )


def sync_notes(ctx: AppContext) -> Iterator[str]:
    """ "Sync now": the sync's progress lines as HTML, until it ends."""
    for message in sync_updates(ctx.sync):
        yield note_html(message)


def upload_notes(
    ctx: AppContext, files: Sequence[str], *, replace: bool, folder: str = ""
) -> Iterator[str]:
    """Uploaded files saved into the documents folder (``folder`` below it), then synced:
    what happened, then the sync's progress, as HTML lines."""
    from .uploadsync import upload_and_sync

    for message in upload_and_sync(
        files,
        ctx.docs_root,
        ctx.sync,
        replace=replace,
        max_bytes=ctx.max_upload_bytes,
        subfolder=folder,
    ):
        yield note_html(message)


def retrieve(
    ctx: AppContext,
    question: str,
    k: int,
    mode: str = "hybrid",
    folders: Sequence[str] = (),
    types: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """Ranked passages as JSON objects (the keys of ``docqa ask --json``)."""
    found = ctx.retriever.retrieve(question, int(k), mode=mode, folders=folders, types=types)
    return [r.to_dict() for r in found]
