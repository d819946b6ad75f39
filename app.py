"""The docqa chat app (Gradio). Start it with ``docqa serve``.

``build_app`` (the screen, :mod:`webapp.ui`) is here for tests and for embedding in other
apps; ``launch`` loads an index and serves it. Text from documents is always shown as
text: never interpreted as Markdown, HTML, math or script.
"""

from __future__ import annotations

from pathlib import Path

from qa.retriever import Retriever
from webapp.style import CSS
from webapp.ui import build_app

__all__ = ["CSS", "build_app", "launch"]


def launch(
    index_dir: str | Path, *, model: str | None = None, host: str = "127.0.0.1", port: int = 7860
) -> None:
    """Load the index and its model, then serve the app until interrupted."""
    retriever = Retriever(index_dir, model=model)
    build_app(retriever).queue().launch(
        server_name=host, server_port=port, css=CSS, footer_links=["api"]
    )
