"""What a page did that a docqa UI test should never see, recorded by the ``page`` fixture."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

__all__ = ["LOCAL_HOSTS", "PageEvents", "is_external"]

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})


def is_external(url: str) -> bool:
    """A request that would leave the machine: a host other than the loopback names."""
    parts = urlsplit(url)
    return parts.scheme not in ("data", "blob", "about") and parts.hostname not in LOCAL_HOSTS


@dataclass
class PageEvents:
    """What a page did that a test of docqa's UI should never see."""

    external_requests: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)

    def assert_clean(self, *, allow_console: Callable[[str], bool] | None = None) -> None:
        """Fail, listing them, if the page made an external request, opened a dialog, logged
        an error (other than ones ``allow_console`` accepts) or threw."""
        console = [m for m in self.console_errors if not (allow_console and allow_console(m))]
        found = {
            "external requests": self.external_requests,
            "dialogs": self.dialogs,
            "console errors": console,
            "page errors": self.page_errors,
        }
        problems = [f"{kind}: {items}" for kind, items in found.items() if items]
        assert not problems, "; ".join(problems)
