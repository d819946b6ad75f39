"""The ``page`` fixture's record catches what the UI tests assert never happens."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from .events import PageEvents, is_external

HOSTILE_PAGE = """
<img src="https://example.invalid/pixel.png">
<script>alert("hi"); console.error("boom");</script>
<script>throw new Error("oops")</script>
"""


def test_external_request_dialog_console_error_and_exception_are_recorded(
    page: Page, page_events: PageEvents
) -> None:
    page.set_content(HOSTILE_PAGE)
    page.wait_for_function("() => document.readyState === 'complete'")
    assert page_events.external_requests == ["https://example.invalid/pixel.png"]
    assert page_events.dialogs == ["alert: hi"]
    assert any("boom" in m for m in page_events.console_errors)
    assert any("oops" in e for e in page_events.page_errors)
    with pytest.raises(AssertionError) as failure:
        page_events.assert_clean(allow_console=lambda message: "boom" in message)
    message = str(failure.value)
    assert "pixel.png" in message and "alert: hi" in message and "oops" in message
    assert "boom" not in message


def test_a_quiet_page_is_clean(page: Page, page_events: PageEvents) -> None:
    page.set_content("<p>hello</p><img src='data:image/gif;base64,R0lGODlhAQABAAAAACw='>")
    page_events.assert_clean()


@pytest.mark.parametrize(
    ("url", "external"),
    [
        ("http://127.0.0.1:7860/assets/x.js", False),
        ("http://localhost:7860/", False),
        ("ws://127.0.0.1:7860/queue", False),
        ("data:text/plain,x", False),
        ("https://fonts.googleapis.com/css2?family=Inter", True),
        ("http://127.0.0.2/", True),
        ("http://127.0.0.1.evil.example/", True),
    ],
)
def test_is_external(url: str, external: bool) -> None:
    assert is_external(url) is external
