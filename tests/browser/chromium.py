"""How the tests (and ``bench/screenshot.py``) start Debian's chromium."""

from __future__ import annotations

import os
import shutil

__all__ = ["CHROMIUM_ARGS", "chromium_path"]

# No background traffic of the browser's own (updates, sync, safe browsing), so that any
# request seen comes from the page.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    """The chromium to drive: ``DOCQA_CHROMIUM``, else Debian's ``chromium`` on PATH."""
    exe = os.environ.get("DOCQA_CHROMIUM") or shutil.which("chromium")
    return exe if exe and os.access(exe, os.X_OK) else None
