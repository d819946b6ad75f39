"""Filtering by folder and file type from the command line: docqa ask --folder and --type."""

from __future__ import annotations

import json
from pathlib import Path

import filters_helpers
import pytest
from click.testing import CliRunner
from filters_helpers import QUESTION

from qa.cli import cli

# Fixtures from filters_helpers, assigned rather than imported: ruff reads a test's parameter
# of the same name as redefining an import (F811).
herd = filters_helpers.herd


# --- docqa ask --folder --type -----------------------------------------------------------------


def ask(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["ask", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_ask_takes_repeated_folder_and_type_options(herd: Path) -> None:
    code, out, _ = ask(
        QUESTION, "--index", str(herd), "--folder", "guides", "--folder", "tiny",
        "--type", "md", "--type", ".markdown", "-k", "10", "--json",
    )  # fmt: skip
    assert code == 0
    assert {item["source"] for item in json.loads(out)} == {
        "tiny/pair.md",
        "guides/intro.md",
        "guides/advanced/tuning.md",
        "guides/advanced/old.markdown",
    }
    code, out, _ = ask(QUESTION, "--index", str(herd), "--folder", "tiny", "-k", "5")
    assert code == 0
    assert "1. tiny/pair.md" in out and "2. tiny/pair.md" in out and "many/" not in out


def test_ask_json_keys_are_the_same_with_a_filter(herd: Path) -> None:
    _, plain, _ = ask(QUESTION, "--index", str(herd), "-k", "1", "--json")
    _, filtered, _ = ask(QUESTION, "--index", str(herd), "-k", "1", "--json", "--type", "htm")
    assert json.loads(plain)[0].keys() == json.loads(filtered)[0].keys()


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--type", "xlsx", "docqa: error: unknown file type 'xlsx'; choose a suffix"),
        ("--folder", "/etc", "docqa: error: folder '/etc' is not relative"),
        ("--folder", "nowhere", "docqa: error: folder 'nowhere' holds no indexed file"),
    ],
)
def test_ask_with_a_bad_filter_is_a_one_line_error(
    herd: Path, option: str, value: str, message: str
) -> None:
    code, out, err = ask(QUESTION, "--index", str(herd), option, value)
    assert code == 1 and out == ""
    assert err.startswith(message) and err.count("\n") == 1


def test_ask_says_when_the_filter_leaves_nothing(herd: Path) -> None:
    code, out, _ = ask(QUESTION, "--index", str(herd), "--folder", "tiny", "--type", "txt")
    assert code == 0
    assert out.strip() == (
        "no indexed passage is in the folders and types asked for; widen --folder or --type"
    )


def test_ask_help_explains_the_filter_options() -> None:
    out = CliRunner().invoke(cli, ["ask", "--help"]).output
    assert "--folder FOLDER" in out and "--type TYPE" in out and "Repeat" in out
