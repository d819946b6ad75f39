"""Failures a user can cause or meet, each one line naming the file and the fix, exit status 1:
a damaged INDEX/CURRENT (a sync repairs it) and a question that is not valid text."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import failures_helpers
import numpy as np
import pytest
from click.testing import CliRunner
from failures_helpers import ROOT, answers, one_line_error

from index import HashingEncoder, IndexConfig, build_index
from index.errors import IndexPointerError
from index.generations import current_generation
from qa import Retriever, retrieve
from qa.cli import cli

# Fixtures from failures_helpers, assigned rather than imported: ruff reads a test's parameter
# of the same name as redefining an import (F811).
indexed = failures_helpers.indexed


# -- a damaged CURRENT ------------------------------------------------------------------------

DAMAGE = {
    "folder": None,
    "invalid UTF-8": b"\xff\xfe000001\n",
    "empty": b"",
    "missing generation": b"000042\n",
    "garbage": b"hello, world\n",
}


def _damage(index_dir: Path, kind: str) -> None:
    pointer = index_dir / "CURRENT"
    pointer.unlink()
    content = DAMAGE[kind]
    if content is None:
        pointer.mkdir()
    else:
        pointer.write_bytes(content)


@pytest.mark.parametrize("kind", list(DAMAGE))
def test_damaged_current(
    indexed: tuple[Path, Path], kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    docs, index_dir = indexed
    generation = current_generation(index_dir).name
    _damage(index_dir, kind)
    pointer = str(index_dir / "CURRENT")
    for args in (["status"], ["ask", "bananas"], ["verify"]):
        line = one_line_error([*args, "--index", str(index_dir)])
        assert repr(pointer) in line and f"docqa index DOCS --index {index_dir}" in line
    with pytest.raises(IndexPointerError, match="CURRENT"):
        Retriever(index_dir)
    # A sync repairs it from the newest intact generation, reusing every vector, and says so.
    result = CliRunner().invoke(cli, ["index", str(docs), "--index", str(index_dir), "--json"])
    assert result.exit_code == 0, result.output
    assert "repaired" in caplog.text and pointer in caplog.text  # a warning line on stderr
    assert (index_dir / "CURRENT").is_file()
    assert '"embedded": 0' in result.stdout
    summary = json.loads(result.stdout)
    assert "repaired" in summary["repaired"] and pointer in summary["repaired"]
    assert int(current_generation(index_dir).name) >= int(generation)
    answers(index_dir)


def test_dry_run_with_damaged_current_plans_against_the_intact_generation(
    indexed: tuple[Path, Path],
) -> None:
    docs, index_dir = indexed
    _damage(index_dir, "garbage")
    before = sorted(str(p.relative_to(index_dir)) for p in index_dir.rglob("*"))
    config = IndexConfig(index_dir=index_dir, model="hashing")
    summary = build_index(docs, config, dry_run=True)
    # Nothing to embed: the files are those of the newest intact generation.
    assert summary.embedded == 0 and summary.files_added == 0 and not summary.published
    assert (index_dir / "CURRENT").read_bytes() == b"hello, world\n"  # a dry run writes nothing
    assert sorted(str(p.relative_to(index_dir)) for p in index_dir.rglob("*")) == before


def test_damaged_current_without_intact_generation(indexed: tuple[Path, Path]) -> None:
    docs, index_dir = indexed
    _damage(index_dir, "garbage")
    for manifest in (index_dir / "generations").glob("*/manifest.json"):
        manifest.unlink()
    summary = build_index(docs, IndexConfig(index_dir=index_dir, model="hashing"))
    assert summary.published and summary.embedded == 1
    assert "no generation is intact" in summary.repaired
    assert build_index(docs, IndexConfig(index_dir=index_dir, model="hashing")).repaired == ""
    answers(index_dir)


# -- undecodable questions --------------------------------------------------------------------


class StrictEncoder(HashingEncoder):
    """Refuses text that is no valid Unicode, as the real model's tokenizer does."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[str] = []

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        for text in texts:
            text.encode("utf-8")  # a lone surrogate raises, as in the tokenizer
            self.seen.append(text)
        return super().embed(texts)


@pytest.mark.parametrize("question", ["\ud800 bananas", "bananas \udcff", "\x00bananas\x1b[2J"])
def test_question_cleaned(indexed: tuple[Path, Path], question: str) -> None:
    _, index_dir = indexed
    encoder = StrictEncoder()
    results = Retriever(index_dir, encoder=encoder).retrieve(question, 1)
    assert results[0].source == "fruit.md"
    assert encoder.seen and "\x00" not in encoder.seen[0] and "\x1b" not in encoder.seen[0]
    assert retrieve(question, 1, index=index_dir)[0].source == "fruit.md"


def test_question_with_nothing_left(indexed: tuple[Path, Path]) -> None:
    _, index_dir = indexed
    with pytest.raises(ValueError, match="question is empty"):
        retrieve("\udcff\udcfe \x00", index=index_dir)
    line = one_line_error(["ask", "\ud800\x07", "--index", str(index_dir)])
    assert "question is empty" in line


def test_question_bytes_from_a_terminal(indexed: tuple[Path, Path]) -> None:
    """Bytes that are not UTF-8 on the command line reach the search as U+FFFD."""
    _, index_dir = indexed
    proc = subprocess.run(
        [sys.executable, "-m", "qa.cli", "ask", b"bananas \xff\xfe", "--index", index_dir],
        cwd=ROOT,
        capture_output=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    assert b"fruit.md" in proc.stdout and b"Traceback" not in proc.stderr
