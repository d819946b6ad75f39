"""Where docqa's own guide is: the folder ``docqa serve`` serves when given no ``--docs``.

The guide is the repository's ``docs/`` folder. The wheel ships it as package data under
``qa/docs`` (see ``[tool.setuptools.package-dir]`` in pyproject.toml), so an installed docqa
finds it through :mod:`importlib.resources`, wherever the package was installed.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

__all__ = ["bundled_guide"]


def bundled_guide() -> Path:
    """The folder holding docqa's guide (Markdown pages), installed or in a checkout.

    The returned folder may be missing (a wheel built without its package data); callers check
    ``is_dir()`` and ask for ``--docs`` then."""
    package = Path(str(resources.files("qa")))
    shipped = package / "docs"
    if shipped.is_dir():
        return shipped
    # Run from a checkout (tests, an editable install): qa/docs does not exist there and the guide
    # is the repository's docs/ beside qa/. The pyproject.toml check keeps a stray top-level
    # docs/ folder in site-packages (some packages install one) from being taken for the guide.
    checkout = package.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / "docs").is_dir():
        return checkout / "docs"
    return shipped
