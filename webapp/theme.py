"""The chat app's theme: everything the page shows comes from the docqa server, nothing from
the network.

Gradio fetches a theme's fonts from Google when a font is a ``GoogleFont`` that Gradio does not
ship, and a theme named by a string (``"gradio/soft"``) is downloaded from the Hugging Face Hub.
Either breaks an offline machine and leaks to a third party that the app was opened. This theme
uses only fonts Gradio serves itself (``/static/fonts``), then the system's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import gradio as gr

__all__ = ["FONT", "FONT_MONO", "offline_theme"]

# Fonts bundled with Gradio (gradio/templates/frontend/static/fonts), then system fallbacks.
FONT = ("Source Sans Pro", "ui-sans-serif", "system-ui", "sans-serif")
FONT_MONO = ("IBM Plex Mono", "ui-monospace", "Consolas", "monospace")


def offline_theme() -> gr.themes.Base:
    """Gradio's default look with fonts served locally; pass it as ``launch(theme=...)``."""
    import gradio as gr

    def stack(names: tuple[str, ...]) -> list[gr.themes.Font | str]:
        return [gr.themes.LocalFont(names[0]), *names[1:]]

    return gr.themes.Default(font=stack(FONT), font_mono=stack(FONT_MONO))
