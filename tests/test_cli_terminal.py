"""Terminal-safe CLI output: control characters in file names and text never reach the TTY
raw, and long lists of skipped files are summed up by reason."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa.cli import cli
from qa.cli.skipped import skipped_lines
from qa.terminal import safe, safe_json

OSC52 = "\x1b]52;c;ZXZpbA==\x07"  # sets the clipboard
TITLE = "\x1b]0;pwned\x07"  # sets the window title
CLEAR = "\x1b[2J"  # clears the screen
CSI8 = "\x9b31m"  # the 8-bit CSI, a C1 control
RLO = "\u202e"  # right-to-left override
RAW = (OSC52, TITLE, CLEAR, "\x1b", "\x07", "\x9b", RLO, "\r", "\b", "\x7f", "\t")

NAMES = {
    f"clip{OSC52}.md": f"# Head{TITLE}ing\n\nZebras clear{CLEAR}the screen {CSI8} and {RLO}txt.\n",
    f"title{TITLE}.txt": "Giraffes are tall animals of the savanna.\n",
    f"clear{CLEAR}.txt": "Otters hold\thands while\rthey sleep\b.\x7f\n",
    "two\nlines.txt": "Pelicans scoop fish into their pouch.\n",
}


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def assert_no_raw_controls(*texts: str) -> None:
    for text in texts:
        text = re.sub(r"\r(?=(reading|embedding):)", "", text)  # tqdm's own, before a bar
        for seq in RAW:
            assert seq not in text, f"raw {seq!r} in output: {text!r}"


@pytest.fixture
def hostile(tmp_path: Path) -> tuple[Path, Path]:
    docs = tmp_path / "docs"
    docs.mkdir()
    for name, text in NAMES.items():
        (docs / name).write_text(text, encoding="utf-8", newline="")
    (docs / f"empty{CLEAR}.txt").write_bytes(b"")
    return docs, tmp_path / "idx"


def test_safe_shows_controls_as_escapes() -> None:
    assert safe(f"a{OSC52}b") == r"a\x1b]52;c;ZXZpbA==\x07b"
    assert safe("one\ntwo\r\x7f\x9b\u202e\u2066\t") == r"one\ntwo\r\x7f\x9b\u202e\u2066\t"
    assert safe("lone \udcff surrogate") == r"lone \udcff surrogate"
    assert safe("kept\nlines\tand\x1b", keep="\n\t") == "kept\nlines\tand\\x1b"
    assert safe("café ¶2 · naïve — 東京") == "café ¶2 · naïve — 東京"  # printable text untouched


def test_safe_json_escapes_what_json_dumps_leaves_raw() -> None:
    value = {"t": f"a{CSI8}b{RLO}c\u2028d\x7f\udcffé", "n": 1}
    assert "\x9b" in json.dumps(value, ensure_ascii=False)  # the gap being closed
    text = safe_json(value)
    assert_no_raw_controls(text)
    assert "\udcff" not in text and "\u2028" not in text
    assert "é" in text  # non-ASCII stays UTF-8
    assert json.loads(text) == value


def test_index_and_status_show_hostile_names_escaped_one_line_each(
    hostile: tuple[Path, Path],
) -> None:
    docs, index = hostile
    code, out, err = run("index", str(docs), "--index", str(index), "--model", "hashing")
    assert code == 0, err
    assert_no_raw_controls(out, err)
    added = [line for line in out.splitlines() if line.startswith("  added ")]
    assert len(added) == len(NAMES)  # a newline in a name does not split its line
    assert "  added two\\nlines.txt" in added
    assert "  added clip\\x1b]52;c;ZXZpbA==\\x07.md" in added
    assert "  skipped empty\\x1b[2J.txt: empty file" in out.splitlines()
    code, out, err = run("status", "--index", str(index))
    assert code == 0
    assert_no_raw_controls(out, err)
    assert "  skipped empty\\x1b[2J.txt: empty file" in out.splitlines()


def test_ask_escapes_citations_headings_and_passage_text(hostile: tuple[Path, Path]) -> None:
    docs, index = hostile
    assert run("index", str(docs), "--index", str(index), "--model", "hashing")[0] == 0
    for question in ("zebras clear the screen", "otters sleep", "pelicans fish pouch"):
        code, out, err = run("ask", question, "--index", str(index), "-k", "4", "--explain")
        assert code == 0, err
        assert_no_raw_controls(out, err)
    code, out, _ = run("ask", "zebras clear the screen", "--index", str(index), "-k", "1")
    assert "clip\\x1b]52;c;ZXZpbA==\\x07.md" in out
    assert "Head\\x1b]0;pwned\\x07ing" in out  # the heading in the citation
    assert "Zebras clear\\x1b[2Jthe screen \\x9b31m and \\u202etxt." in out
    code, out, _ = run("ask", "otters sleep", "--index", str(index), "-k", "1")
    assert "Otters hold\\thands while" in out
    # --json: valid JSON, the same text, but no raw C1 or bidi control in the bytes printed
    code, out, _ = run("ask", "zebras clear the screen", "--index", str(index), "-k", "1", "--json")
    assert_no_raw_controls(out)
    top = json.loads(out)[0]
    assert top["source"] == f"clip{OSC52}.md"
    assert CSI8 in top["text"] and RLO in top["text"]


def test_verify_escapes_changed_and_removed_names(hostile: tuple[Path, Path]) -> None:
    docs, index = hostile
    assert run("index", str(docs), "--index", str(index), "--model", "hashing")[0] == 0
    (docs / f"title{TITLE}.txt").write_text("Giraffes changed.\n", encoding="utf-8")
    (docs / "two\nlines.txt").unlink()
    code, out, err = run("verify", "--index", str(index), "--docs", str(docs))
    assert code == 1
    assert_no_raw_controls(out, err)
    lines = out.splitlines()
    assert "  changed on disk since indexing: title\\x1b]0;pwned\\x07.txt" in lines
    assert "  removed on disk since indexing: two\\nlines.txt" in lines
    assert lines[-1] == "NOT OK"


def test_errors_naming_a_hostile_path_are_escaped(tmp_path: Path) -> None:
    missing = tmp_path / f"no{TITLE}where"
    code, out, err = run(
        "index", str(missing), "--index", str(tmp_path / "i"), "--model", "hashing"
    )
    assert code == 1
    assert_no_raw_controls(out, err)
    assert "no\\x1b]0;pwned\\x07where" in err
    assert len(err.strip().splitlines()) == 1


def test_usage_errors_quoting_a_hostile_value_are_escaped(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["ask", "q", "--index", str(tmp_path), "--mode", CLEAR + CSI8])
    assert result.exit_code == 2
    assert_no_raw_controls(result.stdout, result.stderr)


@pytest.fixture(scope="module")
def many_empty(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    docs = tmp_path_factory.mktemp("many")
    for i in range(2000):
        (docs / f"empty{i:04}.txt").write_bytes(b"")
    (docs / "real.txt").write_text("One real paragraph.\n", encoding="utf-8")
    (docs / "sheet.xlsx").write_bytes(b"PK")
    return docs, docs.parent / (docs.name + "-index")


def test_a_folder_of_2000_empty_files_is_summed_up(many_empty: tuple[Path, Path]) -> None:
    docs, index = many_empty
    code, out, err = run("index", str(docs), "--index", str(index), "--model", "hashing")
    assert code == 0, err
    lines = out.splitlines()
    assert len(lines) < 20
    assert "  skipped 2000 files: empty file" in lines
    assert "    empty0000.txt" in lines
    assert "    ... and 1995 more (--verbose or --json lists them all)" in lines
    assert any(line.startswith("  skipped sheet.xlsx: unsupported file type") for line in lines)
    code, out, _ = run("status", "--index", str(index))
    assert code == 0
    assert len(out.splitlines()) < 20 and "  skipped 2000 files: empty file" in out


def test_verbose_and_json_list_every_skipped_file(many_empty: tuple[Path, Path]) -> None:
    docs, index = many_empty
    args = ("--index", str(index))
    assert run("index", str(docs), *args, "--model", "hashing")[0] == 0
    for command in (("index", str(docs), *args), ("status", *args)):
        code, out, _ = run(*command, "--verbose")
        assert code == 0
        empty = [line for line in out.splitlines() if line.endswith(".txt: empty file")]
        assert len(empty) == 2000
        code, out, _ = run(*command, "--json")
        skipped = json.loads(out)["files_skipped"]
        assert len(skipped) == 2001
        assert {"path", "reason"} <= skipped[0].keys()


def test_skipped_files_are_grouped_by_code_when_records_carry_one() -> None:
    items = [
        {"path": f"f{i}.bin", "reason": f"binary file ({i} NUL bytes)", "code": "binary"}
        for i in range(8)
    ]
    items += [{"path": f"e{i}.txt", "reason": f"cannot parse e{i}.txt"} for i in range(7)]
    lines = skipped_lines(items)
    # One code, several texts: each path shows its own reason.
    assert lines[0] == "  skipped 8 files: binary (reasons vary)"
    assert lines[1] == "    f0.bin: binary file (0 NUL bytes)"
    # No code: grouped by the reason with the file's own path taken out.
    assert "  skipped 7 files: cannot parse FILE" in lines
    assert (
        "    e6.txt" not in lines
        and "    ... and 2 more (--verbose or --json lists them all)" in lines
    )
    assert len(skipped_lines(items, verbose=True)) == 15
    few = items[:3]
    assert skipped_lines(few) == [
        f"  skipped f{i}.bin: binary file ({i} NUL bytes)" for i in range(3)
    ]


def test_a_logged_warning_naming_a_hostile_file_is_escaped(tmp_path: Path) -> None:
    """A parser bug is logged (``cannot extract PATH``, with its traceback) and the file
    skipped; with no logging set up, the command prints the warning terminal-safe."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / f"bad{CLEAR}\n.html").write_text("<p>Some text.</p>", encoding="utf-8")
    (docs / "good.txt").write_text("Fine text.\n", encoding="utf-8")
    script = (
        "import sys, index.formats.html as h\n"
        "def broken(data): raise RuntimeError('parser bug \\x1b]0;x\\x07')\n"
        "h.extract = broken\n"
        "from qa.cli import main\n"
        "sys.argv[1:] = ['index', sys.argv[1], '--index', sys.argv[2], '--model', 'hashing']\n"
        "main()\n"
    )
    res = subprocess.run(
        [sys.executable, "-c", script, str(docs), str(tmp_path / "i")],
        capture_output=True,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        timeout=120,
    )
    assert res.returncode == 0, res.stderr
    assert "cannot extract bad\\x1b[2J\\n.html" in res.stderr
    assert "RuntimeError: parser bug \\x1b]0;x\\x07" in res.stderr
    assert_no_raw_controls(res.stdout, res.stderr)
