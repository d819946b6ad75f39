"""The layers: ``qa``, the app (``webapp``, ``app.py``) and the CLI use ``index``'s public API
only (``index.__all__``), never its modules, so ``index`` can be reorganised without them."""

from __future__ import annotations

import ast
import pkgutil
from pathlib import Path

import pytest

import index

ROOT = Path(__file__).resolve().parent.parent
INDEX_MODULES = {m.name for m in pkgutil.iter_modules(index.__path__)}


def index_imports(source: str) -> list[str]:
    """Each way ``source`` reaches into ``index`` past its public API, as ``line: what``."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [
                f"{node.lineno}: import {a.name}" for a in node.names if a.name.startswith("index.")
            ]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.startswith("index."):
                found.append(f"{node.lineno}: from {node.module} import ...")
            elif node.module == "index":
                found += [
                    f"{node.lineno}: from index import {a.name}"
                    for a in node.names
                    if a.name in INDEX_MODULES or a.name not in index.__all__
                ]
    return found


def layer_files() -> list[Path]:
    files = [ROOT / "app.py"]
    for package in ("qa", "webapp"):
        files += sorted((ROOT / package).rglob("*.py"))
    return files


def test_the_layer_files_are_found() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in layer_files()}
    assert {"app.py", "qa/retriever.py", "webapp/ui.py"} <= names


@pytest.mark.parametrize("path", layer_files(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_qa_and_the_app_import_only_the_public_api_of_index(path: Path) -> None:
    assert index_imports(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from index.store import IndexSnapshot", ["1: from index.store import ..."]),
        ("import index.builder", ["1: import index.builder"]),
        (
            "def f():\n    from index.verify import verify_index",
            ["2: from index.verify import ..."],
        ),
        ("from index import lexical", ["1: from index import lexical"]),
        ("from index import _private_thing", ["1: from index import _private_thing"]),
        ("from index import IndexConfig, build_index", []),
        ("import index", []),
        ("from .index import anything", []),
    ],
)
def test_the_check_catches_every_way_past_the_public_api(source: str, expected: list[str]) -> None:
    assert index_imports(source) == expected


def test_every_public_name_of_index_exists() -> None:
    missing = [name for name in index.__all__ if not hasattr(index, name)]
    assert missing == []


def test_index_modules_import_from_each_other_never_from_the_package_init() -> None:
    """``index/__init__`` imports its modules to export their names; a module that imported a
    name back from it would depend on the order ``__init__`` runs in (an import cycle)."""
    cycles = []
    for path in sorted((ROOT / "index").rglob("*.py")):
        package = "index" if path.parent.name == "index" else f"index.{path.parent.name}"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.ImportFrom):
                continue
            target = node.module if node.level == 0 else package.rsplit(".", node.level - 1)[0]
            target = target if node.level == 0 or not node.module else f"{target}.{node.module}"
            if target == "index":
                cycles += [
                    f"{path.relative_to(ROOT)}:{node.lineno} {a.name}"
                    for a in node.names
                    if a.name not in INDEX_MODULES
                ]
    assert cycles == []
