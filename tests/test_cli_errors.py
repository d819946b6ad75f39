"""The CLI's error edge: what the user can fix is one line and exit 1; a bug keeps its
traceback and asks to be reported."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

import qa.cli.index_cmd
import qa.cli.status_cmd
import qa.retriever
from index import DocqaError, QueryError
from qa import retrieve
from qa.cli import cli

BUG_LINE = "docqa: internal error: "


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def assert_one_line(err: str, *parts: str) -> None:
    assert err.startswith("docqa: error: ")
    assert len(err.strip().splitlines()) == 1
    assert "Traceback" not in err
    for part in parts:
        assert part in err


def test_an_internal_error_keeps_its_traceback_and_asks_for_a_report(
    hashing_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("segments")

    monkeypatch.setattr(qa.cli.status_cmd, "read_manifest", broken)
    code, out, err = run("status", "--index", str(hashing_index))
    assert code == 1
    assert out == ""
    assert err.startswith("Traceback (most recent call last):")
    assert "KeyError: 'segments'" in err
    last = err.strip().splitlines()[-1]
    assert last.startswith(BUG_LINE + "KeyError is a bug in docqa")
    assert "please report it with the traceback above" in last


def test_a_value_error_from_inside_docqa_is_a_bug_not_a_user_error(
    hashing_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise ValueError("passage ids must ascend within a segment")

    monkeypatch.setattr(qa.retriever, "rank", broken)
    code, _, err = run("ask", "rebuild the index", "--index", str(hashing_index))
    assert code == 1
    assert "docqa: error:" not in err
    assert "Traceback" in err and "ValueError: passage ids must ascend" in err
    assert err.strip().splitlines()[-1].startswith(BUG_LINE + "ValueError")


def test_bad_questions_are_query_errors_a_user_error_and_a_value_error(
    hashing_index: Path,
) -> None:
    assert issubclass(QueryError, DocqaError) and issubclass(QueryError, ValueError)
    with pytest.raises(QueryError, match="question is empty"):
        retrieve(" ", index=hashing_index)
    with pytest.raises(QueryError, match="folder 'nowhere' holds no indexed file"):
        retrieve("paris", index=hashing_index, folders=["nowhere"])
    code, _, err = run("ask", "q", "--index", str(hashing_index), "--type", "xlsx")
    assert code == 1
    assert_one_line(err, "unknown file type 'xlsx'")


@pytest.mark.parametrize(
    ("code", "fix"),
    [
        (errno.EACCES, "give docqa access to that path (chmod, chown)"),
        (errno.EROFS, "read-only; choose another --index"),
        (errno.ENOSPC, "the disk is full; free some space or choose another --index"),
        (errno.EDQUOT, "quota"),
    ],
)
def test_system_errors_the_user_can_fix_are_one_line_naming_the_file(
    code: int, fix: str, corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    where = str(tmp_path / "idx\x1b]0;t\x07" / "lock")

    def failing(*args: object, **kwargs: object) -> None:
        raise OSError(code, os.strerror(code), where)

    monkeypatch.setattr(qa.cli.index_cmd, "build_index", failing)
    exit_code, out, err = run("index", str(corpus), "--index", str(tmp_path / "i"))
    assert exit_code == 1
    assert out == ""
    assert_one_line(err, os.strerror(code), fix, "idx\\x1b]0;t\\x07/lock")
    assert "\x1b" not in err and "\x07" not in err


def test_other_system_errors_keep_their_traceback(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(*args: object, **kwargs: object) -> None:
        raise OSError(errno.EIO, "Input/output error", "/dev/sdz")

    monkeypatch.setattr(qa.cli.index_cmd, "build_index", failing)
    code, _, err = run("index", str(corpus), "--index", str(tmp_path / "i"))
    assert code == 1
    assert "Traceback" in err
    assert err.strip().splitlines()[-1].startswith(BUG_LINE + "OSError")


def _without_file_permissions_bypass() -> list[str]:
    """A command prefix under which file permissions hold: none for a normal user; as root,
    util-linux ``setpriv`` dropping the capabilities that bypass them."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: permissions cannot be enforced")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search"]


def test_a_read_only_index_folder_is_one_line_in_a_real_process(
    corpus: Path, tmp_path: Path
) -> None:
    prefix = _without_file_permissions_bypass()
    index = tmp_path / "readonly-index"
    index.mkdir()
    index.chmod(0o555)
    command = ["--index", str(index), "--model", "hashing"]
    try:
        res = subprocess.run(
            [*prefix, sys.executable, "-m", "qa.cli", "index", str(corpus), *command],
            capture_output=True,
            text=True,
            env={**os.environ, "HF_HUB_OFFLINE": "1"},
            timeout=120,
        )
    finally:
        index.chmod(0o755)
    assert res.returncode == 1, res.stderr
    assert_one_line(res.stderr, str(index), "ermission")
    assert list(index.iterdir()) == []
