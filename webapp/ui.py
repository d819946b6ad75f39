"""The chat screen (Gradio Blocks): question box, replies answer first, the source beside them.

It calls ``qa`` and holds no retrieval logic. The screen is put together from three parts,
each a module: :mod:`webapp.layout` (the panels and their components),
:mod:`webapp.handlers` (what a question, a citation click, a sync or an upload does, as plain
functions over an :class:`~webapp.handlers.AppContext`) and :mod:`webapp.events` (which
component event runs which handler). The transcript and the source panel are HTML built by
:mod:`webapp.transcript` and :mod:`webapp.source`, with document text escaped there.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from qa import Retriever

from .events import CONCURRENCY, wire_api, wire_chat, wire_sync
from .handlers import AppContext
from .layout import screen
from .server import DEFAULT_MAX_UPLOAD_BYTES
from .status import skipped_html, status_html

if TYPE_CHECKING:
    import gradio as gr

__all__ = ["build_app"]


def build_app(
    retriever: Retriever,
    *,
    k: int = 5,
    docs: str | Path | None = None,
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES,
) -> gr.Blocks:
    """The chat app over one index. ``retrieve`` is also a named API endpoint for gradio_client.

    "Sync now" and uploads bring the index in step with ``docs`` (default: the folder it was
    built from) in the background; questions keep being answered meanwhile.
    """
    import gradio as gr

    from qa.filters import choices

    ctx = AppContext.create(retriever, docs=docs, max_upload_bytes=max_upload_bytes)
    manifest = retriever.manifest
    folders, types = choices(manifest)
    with gr.Blocks(title="docqa", analytics_enabled=False, delete_cache=(3600, 3600)) as demo:
        s = screen(
            status=status_html(retriever),
            skipped=skipped_html(manifest),
            folders=folders,
            types=types,
            k=k,
        )
        wire_chat(ctx, s)
        wire_sync(ctx, s)
        wire_api(ctx)
    return demo.queue(default_concurrency_limit=CONCURRENCY)
