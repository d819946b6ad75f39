"""The chat page in a real browser: a question sent with Enter gets its cited reply."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from playwright.sync_api import Page, expect

from .events import PageEvents
from .ui import wait_idle


def test_question_gets_cited_reply(
    hashing_index: Path,
    serve_app: Callable[..., str],
    page: Page,
    page_events: PageEvents,
    screenshot: Callable[[Page, str], Path],
) -> None:
    page.goto(serve_app(hashing_index))
    box = page.get_by_placeholder("Ask a question")
    box.fill("What is the capital of France?")
    box.press("Enter")
    reply = page.locator(".bot").last
    expect(reply).to_contain_text("sub/notes.txt ¶2 · line 3")
    expect(reply).to_contain_text("The capital of France is Paris")
    expect(page.locator(".docqa-source mark")).to_contain_text("The capital of France is Paris")
    wait_idle(page)
    screenshot(page, "smoke")
    page_events.assert_clean()
