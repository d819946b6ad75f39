"""The docqa chat app (Gradio). Start it with ``docqa serve``.

``build_app`` (the screen, :mod:`webapp.ui`) is here for tests and for embedding in other
apps; ``launch`` loads an index and serves it behind docqa's guarded server
(:mod:`webapp.server`). Text from documents is always shown as text: never interpreted as
Markdown, HTML, math or script.
"""

from __future__ import annotations

from pathlib import Path

from qa.retriever import Retriever
from webapp.server import ServeOptions, serve
from webapp.style import CSS
from webapp.ui import build_app

__all__ = ["CSS", "build_app", "launch"]


def launch(
    index_dir: str | Path, *, model: str | None = None, options: ServeOptions | None = None
) -> None:
    """Load the index and its model, then serve the app until interrupted (see webapp.server).

    Questions asked at the same time share model calls (``Retriever(batching=True)``) and a
    sync's embedding gives way to them."""
    options = options or ServeOptions()
    retriever = Retriever(index_dir, model=model, batching=True)
    demo = build_app(retriever, max_upload_bytes=options.max_upload_bytes)
    serve(demo, options, css=CSS)
