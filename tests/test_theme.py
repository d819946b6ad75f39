"""The app's theme loads nothing from the network."""

from __future__ import annotations

from typing import Any

from webapp.theme import offline_theme


def _remote_stylesheets(theme: Any) -> list[str]:
    # Gradio puts a <link> in the page for each of these (a GoogleFont it does not ship).
    return [s for s in theme._stylesheets if "://" in s]


def test_offline_theme_fetches_no_fonts() -> None:
    import gradio as gr

    theme = offline_theme()
    assert _remote_stylesheets(theme) == []
    assert theme.font.startswith("'Source Sans Pro'") and theme.font.endswith("sans-serif")
    # The check is not vacuous: a font Gradio does not bundle comes from Google.
    google = gr.themes.Default(font=[gr.themes.GoogleFont("Inter")])
    assert _remote_stylesheets(google) == [
        "https://fonts.googleapis.com/css2?family=Inter:wght@400;600&display=swap"
    ]
