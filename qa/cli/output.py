"""Printing for the ``docqa`` command: every line terminal-safe, JSON on one line.

Commands print through :func:`echo` and :func:`echo_json` only, so no file name or document
text reaches the terminal with its control characters raw (see :mod:`qa.terminal`).
"""

from __future__ import annotations

import logging
from typing import Any

import click

from ..terminal import safe, safe_json

__all__ = ["echo", "echo_json", "listing", "safe_logging"]


def echo(text: str = "", *, bold: str = "", keep: str = "", err: bool = False) -> None:
    """Print ``bold`` (in bold) then ``text``, both with control characters escaped, except
    those in ``keep`` (``"\\n"`` for text meant to span lines)."""
    styled = click.style(safe(bold), bold=True) if bold else ""
    click.echo(styled + safe(text, keep=keep), err=err)


def echo_json(value: Any) -> None:
    """Print ``value`` as one JSON value on stdout (UTF-8, no raw control characters)."""
    click.echo(safe_json(value))


def listing(lines: list[str], *, at_most: int | None, more: str, indent: str = "  ") -> list[str]:
    """``lines``, or the first ``at_most`` of them and a last line (indented by ``indent``)
    saying how many were left out and ``more`` (where to see them all). ``at_most=None``: all."""
    if at_most is None or len(lines) <= at_most:
        return lines
    return [*lines[:at_most], f"{indent}... and {len(lines) - at_most} more ({more})"]


class _SafeHandler(logging.Handler):
    """Log records on stderr, terminal-safe: a warning may name a file (``cannot extract
    PATH``). Prints what Python's last-resort handler would, the message and any traceback."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = safe(record.getMessage())
            if record.exc_info:
                trace = logging.Formatter().formatException(record.exc_info)
                text += "\n" + safe(trace, keep="\n")
            click.echo(text, err=True)
        except Exception:
            self.handleError(record)


def safe_logging() -> None:
    """Show warnings logged by docqa and its libraries through :func:`safe`, when nothing
    else handles them: the command never configures logging an embedding program set up."""
    root = logging.getLogger()
    if not root.handlers:
        handler = _SafeHandler(logging.WARNING)
        root.addHandler(handler)
