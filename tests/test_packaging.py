"""The package is the product: every module of index/, qa/ and webapp/ goes into the wheel."""

from __future__ import annotations

import tomllib
from pathlib import Path

from setuptools import find_packages

ROOT = Path(__file__).resolve().parent.parent


def test_every_package_of_the_checkout_is_in_the_distribution() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    find = config["tool"]["setuptools"]["packages"]["find"]
    shipped = set(find_packages(str(ROOT), include=find["include"]))
    on_disk = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in ("index", "qa", "webapp")
        for init in (ROOT / top).rglob("__init__.py")
    }
    assert "index.formats" in on_disk
    assert on_disk <= shipped
    assert shipped <= on_disk  # nothing else of the checkout (tests, bench) is shipped
