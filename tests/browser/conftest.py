"""Browser tests: Playwright driving the system's chromium against the app on 127.0.0.1.

Fixtures:
- ``browser``: one headless chromium for the session. A missing chromium skips the tests
  locally and fails them in CI (``CI`` or ``DOCQA_BROWSER_REQUIRED`` set, as ``.ci/run`` does).
- ``page``: a fresh context and page per test (1280x900) whose ``page_events`` record external
  requests (aborted, never sent), dialogs (dismissed), console errors and page errors.
- ``page_events``: that record; ``page_events.assert_clean()`` fails listing what happened.
- ``serve_app(index_dir, **build_kwargs) -> url``: the app for an index, served until the test ends.
- ``screenshot(page, name) -> Path``: a PNG in ``DOCQA_SCREENSHOT_DIR`` (default: the test's tmp dir).

Every test here is marked ``browser``: ``pytest -m browser`` runs only these, ``-m 'not browser'``
skips them.
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

from .chromium import CHROMIUM_ARGS, chromium_path
from .events import PageEvents, is_external

if TYPE_CHECKING:
    from playwright.sync_api import Browser, ConsoleMessage, Dialog, Page, Request, Route

HERE = Path(__file__).parent
# Playwright's own default is 30 s; a UI step that takes longer than this is a failure.
TIMEOUT_MS = 20_000  # generous: CI machines may be busy


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(pytest.mark.browser)


def browser_required() -> bool:
    """True in CI, where a missing browser must fail the run rather than skip its tests."""
    return any(
        os.environ.get(v, "") not in ("", "0", "false") for v in ("CI", "DOCQA_BROWSER_REQUIRED")
    )


def _unavailable(reason: str) -> NoReturn:
    if browser_required():
        pytest.fail(f"browser tests required in CI: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)

    exe = chromium_path()
    if exe is None:
        _unavailable("chromium not found; apt-get install chromium (or set DOCQA_CHROMIUM)")
    # launch() gives chromium a fresh, temporary user-data dir of its own.
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=exe, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page_events() -> PageEvents:
    return PageEvents()


@pytest.fixture
def page(browser: Browser, page_events: PageEvents) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)

    def block(route: Route, request: Request) -> None:
        # Recorded by the "request" listener below; aborted so nothing leaves the machine.
        route.abort("blockedbyclient")

    def on_request(request: Request) -> None:
        if is_external(request.url):
            page_events.external_requests.append(request.url)

    def on_dialog(dialog: Dialog) -> None:
        page_events.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    def on_console(msg: ConsoleMessage) -> None:
        if msg.type == "error":
            where = msg.location.get("url") or ""
            page_events.console_errors.append(f"{msg.text} ({where})" if where else msg.text)

    context.route(is_external, block)
    context.on("request", on_request)
    page = context.new_page()
    page.on("dialog", on_dialog)
    page.on("console", on_console)
    page.on("pageerror", lambda exc: page_events.page_errors.append(str(exc)))
    yield page
    context.close()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_app(index_dir: Path, port: int, **build_kwargs: Any) -> Callable[[], None]:
    """Serve the chat app over ``index_dir`` on 127.0.0.1:``port`` behind docqa's own server,
    as ``docqa serve`` does; return what stops it."""
    import app
    from qa import Retriever
    from webapp.server import ServeOptions, start

    demo = app.build_app(Retriever(index_dir), **build_kwargs)
    running = start(demo, ServeOptions(port=port), css=app.CSS)
    return running.close


@pytest.fixture
def serve_app() -> Iterator[Callable[..., str]]:
    """``serve_app(index_dir, **build_kwargs)`` serves the app and returns its URL."""
    stops: list[Callable[[], None]] = []

    def serve(index_dir: Path, **build_kwargs: Any) -> str:
        port = free_port()
        stops.append(start_app(index_dir, port, **build_kwargs))
        return f"http://127.0.0.1:{port}/"

    yield serve
    for stop in reversed(stops):
        stop()


@pytest.fixture
def screenshot(tmp_path: Path) -> Callable[[Page, str], Path]:
    """``screenshot(page, name)`` saves ``name``.png where ``DOCQA_SCREENSHOT_DIR`` says."""

    def take(page: Page, name: str) -> Path:
        out = Path(os.environ.get("DOCQA_SCREENSHOT_DIR") or tmp_path) / f"{name}.png"
        out.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=out)
        return out

    return take
