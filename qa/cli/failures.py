"""How a failure reaches the user of the ``docqa`` command.

A failure the user can act on (docqa's own errors, a command-line mistake, a permission or
full-disk error from the system) is one line on stderr, naming the file and the fix, exit
status 1 (2 for a command-line mistake, as click reports it). Anything else is a bug in
docqa: it keeps its traceback, followed by one line asking the user to report it, exit
status 1. All of it is printed terminal-safe: messages hold file names.
"""

from __future__ import annotations

import errno
import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn

import click

from index import DocqaError, __version__, os_error_message

from ..terminal import safe

__all__ = ["user_errors"]

USER_EXIT = 1
# A bug exits like an uncaught Python exception; the last line says it is one.
BUG_EXIT = 1


@contextmanager
def user_errors() -> Iterator[None]:
    """Run a command: the user's errors become one line and exit 1, bugs keep a traceback."""
    try:
        yield
    except click.ClickException as exc:
        # click prints the message; it may quote a file name. (click types it Final.)
        exc.message = safe(exc.message)  # type: ignore[misc]
        raise
    except (click.exceptions.Exit, click.exceptions.Abort):
        raise  # click's own control flow (RuntimeError subclasses, not failures)
    except DocqaError as exc:
        _one_line(str(exc))
    except OSError as exc:
        if exc.errno == errno.EPIPE:
            raise  # stdout closed early (`docqa ... | head`): click ends quietly
        message = os_error_message(exc)
        if message is None:
            _bug(exc)
        _one_line(message)
    except Exception as exc:
        _bug(exc)


def _one_line(message: str) -> NoReturn:
    click.echo(f"docqa: error: {safe(message)}", err=True)
    sys.exit(USER_EXIT)


def _bug(exc: BaseException) -> NoReturn:
    for line in traceback.format_exception(exc):
        click.echo(safe(line, keep="\n"), err=True, nl=False)
    click.echo(
        f"docqa: internal error: {safe(type(exc).__name__)} is a bug in docqa {__version__}, "
        "not a problem with your files or options; please report it with the traceback above",
        err=True,
    )
    sys.exit(BUG_EXIT)
