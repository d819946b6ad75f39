"""What each click, change and timer on the chat screen runs, and what it updates.

The work is done by :mod:`webapp.handlers`; the small adapters here take the components'
values, call a handler with the app's :class:`AppContext`, and turn its plain result into
Gradio updates (``gr.skip()`` where nothing changes). Every event is private to the page
except the two named API endpoints of :func:`wire_api`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from . import handlers, scripts
from .handlers import AppContext, OpenedSource
from .layout import VIEWS, Screen
from .transcript import Turn, render_transcript

if TYPE_CHECKING:
    import gradio as gr

__all__ = ["CONCURRENCY", "wire_api", "wire_chat", "wire_sync"]

# Events run at once per kind (Gradio's default is one at a time): concurrent questions share
# model calls through a batching retriever (qa.batching). 16 measured as fast as no limit
# (bench/load.py), and keeps a burst from taking every worker thread.
CONCURRENCY = 16
PRIVATE: dict[str, Any] = {"api_visibility": "private"}


def _source(view: OpenedSource) -> tuple[Any, ...]:
    """The source panel's outputs: its HTML, the page image (hidden without one), the result."""
    import gradio as gr

    page = gr.update(value=view.image, visible=view.image is not None, label=view.label)
    return view.html, page, view.result


def _skips(n: int) -> tuple[Any, ...]:
    import gradio as gr

    return tuple(gr.skip() for _ in range(n))


def wire_chat(ctx: AppContext, s: Screen) -> None:
    """Asking, opening a cited passage, the Markdown view toggle and "New chat"."""
    import gradio as gr

    def answer(
        question: str,
        turns: list[Turn],
        k: float,
        mode: str,
        folders: list[str] | None,
        types: list[str] | None,
        view: str,
    ) -> tuple[Any, ...]:
        reply = handlers.answer(
            ctx,
            question,
            turns,
            int(k),
            mode=mode or "hybrid",
            folders=folders or (),
            types=types or (),
            rendered=view == VIEWS[0],
        )
        if reply is None:
            return _skips(7)
        turns = reply.turns
        return (reply.transcript, turns, len(turns), reply.status, *_source(reply.source))

    def open_cited(turns: list[Turn], view: str, evt: gr.EventData) -> tuple[Any, ...]:
        clicked = getattr(evt, "_data", None) or {}
        shown = handlers.open_cited(ctx, turns, clicked, view == VIEWS[0])
        return _skips(3) if shown is None else _source(shown)

    def reopen(opened: Any, view: str) -> tuple[Any, ...]:
        return _source(handlers.open_result(ctx, opened, view == VIEWS[0]))

    # Gradio finds the event-data parameter by its annotation, which must be the class itself.
    open_cited.__annotations__["evt"] = gr.EventData
    c, o, src = s.conversation, s.options, s.source
    panel = [src.source, src.page, s.opened]
    answered = c.go.click(
        answer,
        [c.sent, s.turns, o.top_k, o.mode, o.folders, o.types, src.view],
        [c.chat, s.turns, s.count, s.top.status, *panel],
        concurrency_limit=CONCURRENCY,
        concurrency_id="answer",
        show_progress="minimal",
        **PRIVATE,
    )
    shown = answered.then(None, s.count, None, js=scripts.ANSWERED, **PRIVATE)
    answered.failure(None, js=scripts.FAILED, **PRIVATE)
    cited = c.chat.click(open_cited, [s.turns, src.view], panel, **PRIVATE)
    toggled = src.view.change(reopen, [s.opened, src.view], panel, **PRIVATE)
    for event in (shown, toggled):
        event.then(None, js=scripts.SCROLL_TO_HIT, **PRIVATE)
    cited.then(None, js=scripts.SHOW_SOURCE, **PRIVATE)
    c.new_chat.click(
        new_chat, s.when, [c.chat, s.turns, s.count, *panel], js=scripts.NEW_CHAT, **PRIVATE
    ).then(None, js=scripts.CLEARED, **PRIVATE)


def new_chat(when: str) -> tuple[Any, ...]:
    """An empty chat and source panel; ``when`` is "now" unless a reply is on its way, and
    then the page clears once it has arrived."""
    if when != "now":
        return _skips(6)
    return render_transcript([]), [], 0, *_source(handlers.CLOSED)


def wire_sync(ctx: AppContext, s: Screen) -> None:
    """ "Sync now", "Add and sync" (one sync at a time) and the status line's refresh."""
    import gradio as gr

    def run_sync() -> Iterator[str]:
        yield from handlers.sync_notes(ctx)

    def upload(files: list[str] | None, replace: bool, folder: str) -> Iterator[str]:
        yield from handlers.upload_notes(ctx, files or [], replace=replace, folder=folder)

    def refresh(folders: list[str] | None, types: list[str] | None) -> tuple[Any, ...]:
        view = handlers.refresh(ctx, folders or [], types or [])
        if view is None:
            return handlers.status(ctx), *_skips(3)
        return (
            view.status,
            view.skipped,
            gr.update(choices=view.folders, value=list(view.chosen_folders)),
            gr.update(choices=view.types, value=list(view.chosen_types)),
        )

    once: dict[str, Any] = {"concurrency_limit": 1, "concurrency_id": "sync"}
    up = s.upload
    synced = s.top.sync_button.click(
        run_sync, None, s.top.sync_note, show_progress="hidden", **once, **PRIVATE
    )
    uploaded = up.button.click(
        upload,
        [up.files, up.replace, up.into],
        up.note,
        show_progress="hidden",
        **once,
        **PRIVATE,
    )
    uploaded.then(lambda: None, None, up.files, **PRIVATE)
    filters = [s.options.folders, s.options.types]
    for event in (synced, uploaded):
        event.then(refresh, filters, [s.top.status, s.skipped, *filters], **PRIVATE)
    gr.Timer(15).tick(lambda: handlers.status(ctx), None, s.top.status, **PRIVATE)


def wire_api(ctx: AppContext) -> None:
    """The named endpoints for gradio_client: ``/retrieve`` and ``/retrieve_filtered``."""
    import gradio as gr

    def retrieve_api(question: str, k: int = 5, mode: str = "hybrid") -> list[dict[str, Any]]:
        """Ranked passages with citations for a question, as JSON objects (same keys as `docqa ask --json`)."""
        return handlers.retrieve(ctx, question, k, mode)

    def retrieve_filtered_api(
        question: str,
        k: int = 5,
        mode: str = "hybrid",
        folders: list[str] | None = None,
        types: list[str] | None = None,
    ) -> list[dict[str, Any]]:
        """Like /retrieve, answering only from files under ``folders`` and of ``types``
        (as `docqa ask --folder/--type`; empty: all)."""
        return handlers.retrieve(ctx, question, k, mode, folders or (), types or ())

    # /retrieve keeps its three inputs: scripts posting to the queue send exactly those.
    for fn, name in ((retrieve_api, "retrieve"), (retrieve_filtered_api, "retrieve_filtered")):
        gr.api(fn, api_name=name, concurrency_limit=CONCURRENCY, concurrency_id="answer")
