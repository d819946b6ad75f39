"""Driving the Gradio page: waits that follow its own busy markers instead of fixed sleeps."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Page

__all__ = ["wait_idle"]

# Gradio marks a component waiting for an event's output with the class "pending" and shows a
# timer (.progress-text) over it until the output arrives.
_BUSY = "() => !document.querySelector('.pending, .progress-text')"


def wait_idle(page: Page, timeout_ms: float | None = None) -> None:
    """Wait until no event is pending on the page (every output, chained ones too, arrived)."""
    page.wait_for_function(_BUSY, timeout=timeout_ms)
