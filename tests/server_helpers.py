"""A tiny Gradio demo served on 127.0.0.1, for the test_server*.py modules."""

from __future__ import annotations

from typing import Any

__all__ = ["LOGIN", "tiny_demo"]

LOGIN = ("alice", "s3cret:with-colon")


def tiny_demo() -> Any:
    """One private button event, one upload event and one ``gr.api`` endpoint: not docqa's UI."""
    import gradio as gr

    def echo(text: str) -> str:
        return text.upper()

    with gr.Blocks(analytics_enabled=False) as demo:
        button = gr.Button("Sync now")
        note = gr.Textbox(label="unique-note-label")
        upload = gr.File(label="upload")
        button.click(lambda: "synced", None, note, api_visibility="private")
        upload.upload(lambda f: "got file", upload, note, api_visibility="private")
        gr.api(echo, api_name="echo")
    return demo
