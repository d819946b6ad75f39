"""Fixtures and checks shared by the test_failures*.py modules."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest
from click.testing import CliRunner

from index import IndexConfig, build_index
from qa import Retriever
from qa.cli import cli

__all__ = ["BANANAS", "ROOT", "answers", "indexed", "one_line_error"]

ROOT = Path(__file__).resolve().parent.parent
BANANAS = "Bananas are yellow fruit rich in potassium, which keeps the heart beating steadily."


@pytest.fixture
def indexed(tmp_path: Path) -> tuple[Path, Path]:
    """A documents folder and its index (hashing model), built once."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "fruit.md").write_text(f"# Fruit\n\n{BANANAS}\n", encoding="utf-8")
    index_dir = tmp_path / "index"
    build_index(docs, IndexConfig(index_dir=index_dir, model="hashing"))
    return docs, index_dir


def one_line_error(args: Sequence[str]) -> str:
    """Run the CLI expecting a docqa error: exit status 1 and one line on stderr."""
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 1, result.output
    lines = [line for line in result.stderr.splitlines() if "\r" not in line and "%|" not in line]
    errors = [line for line in lines if line.startswith("docqa: error: ")]
    assert len(errors) == 1 and "Traceback" not in result.stderr, result.stderr
    return errors[0]


def answers(index_dir: Path, retriever: Retriever | None = None) -> None:
    """The index (through an open retriever and a new one) still finds the bananas."""
    for r in (retriever, Retriever(index_dir)):
        if r is not None:
            assert r.retrieve("bananas potassium", 1)[0].source == "fruit.md"
