"""``python -m qa.cli``: the ``docqa`` command."""

from __future__ import annotations

from . import main

main()
