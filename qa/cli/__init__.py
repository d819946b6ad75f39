"""The ``docqa`` command: a thin click layer over ``index`` and ``qa``.

One module per command (``index_cmd``, ``ask_cmd``, ``status_cmd``, ``verify_cmd``,
``serve_cmd``) on the group of :mod:`qa.cli.group`. What the user can fix is one line on
stderr with exit status 1; a bug keeps its traceback (:mod:`qa.cli.failures`). Every line
printed is terminal-safe (:mod:`qa.cli.output`).
"""

from __future__ import annotations

from . import ask_cmd, index_cmd, serve_cmd, status_cmd, verify_cmd
from .group import cli

__all__ = ["cli", "main"]

# The commands register themselves on the group when imported.
_COMMANDS = (index_cmd, ask_cmd, status_cmd, verify_cmd, serve_cmd)


def main() -> None:
    """The console script ``docqa``."""
    cli(prog_name="docqa")
