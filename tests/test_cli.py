"""The docqa command: JSON contracts, human output and one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from qa.cli import cli

INDEX_KEYS = {"files_indexed", "files_skipped", "passages", "embedded", "seconds"}
ASK_KEYS = {
    "text",
    "score",
    "source",
    "paragraph",
    "start",
    "end",
    "line_start",
    "line_end",
    "heading_path",
    "citation",
}


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_index_json_summary(corpus: Path, tmp_path: Path) -> None:
    code, out, err = run(
        "index", str(corpus), "--index", str(tmp_path / "idx"), "--model", "hashing", "--json"
    )
    assert code == 0, err
    summary = json.loads(out)
    assert summary.keys() >= INDEX_KEYS
    assert summary["files_indexed"] == 2
    assert summary["files_skipped"] == [
        {
            "path": "sheet.xlsx",
            "reason": "unsupported file type '.xlsx'; docqa reads .docx, .htm, .html, .markdown, .md, .pdf, .text, .txt",
            "code": "unsupported",
        }
    ]
    # guide.md: 4 passages (the Rebuilding lead-in and its code block are one); notes: 3.
    assert summary["passages"] == summary["embedded"] == 7
    assert isinstance(summary["seconds"], float)
    assert "reading" in err  # the progress bar goes to stderr, keeping stdout pure JSON


def test_index_twice_embeds_nothing_new(corpus: Path, tmp_path: Path) -> None:
    args = ("index", str(corpus), "--index", str(tmp_path / "idx"), "--model", "hashing", "--json")
    run(*args)
    (corpus / "new.md").write_text("# New\n\nA brand new paragraph.\n", encoding="utf-8")
    code, out, _ = run(*args)
    assert code == 0
    summary = json.loads(out)
    assert summary["embedded"] == 1
    assert summary["passages"] == 8


def test_index_human_summary_lists_skipped_files(corpus: Path, tmp_path: Path) -> None:
    code, out, _ = run("index", str(corpus), "--index", str(tmp_path / "idx"), "--model", "hashing")
    assert code == 0
    assert "indexed 2 files" in out
    assert "skipped sheet.xlsx: unsupported file type" in out


def test_ask_json_items(hashing_index: Path) -> None:
    code, out, _ = run(
        "ask",
        "how do I rebuild the index after documents change",
        "--index",
        str(hashing_index),
        "-k",
        "3",
        "--json",
    )
    assert code == 0
    items = json.loads(out)
    assert len(items) == 3
    for item in items:
        assert item.keys() >= ASK_KEYS
    assert items[0]["source"] == "guide.md"
    assert items[0]["heading_path"] == ["docqa guide", "Indexing", "Rebuilding"]
    assert items[0]["citation"].startswith("guide.md ¶")


def test_ask_human_output(hashing_index: Path) -> None:
    code, out, _ = run("ask", "capital of France", "--index", str(hashing_index), "-k", "1")
    assert code == 0
    answer, citation, _, first = out.splitlines()[:4]
    assert answer == "Answer: The capital of France is Paris, a city on the Seine."
    assert citation.strip() == "(sub/notes.txt ¶2 · line 3)"
    assert first.startswith("1. sub/notes.txt ¶2 · line 3")


def test_ask_says_plainly_when_no_passage_answers_well(hashing_index: Path) -> None:
    code, out, _ = run("ask", "zxq wvy plk", "--index", str(hashing_index), "-k", "2")
    assert code == 0
    assert out.splitlines()[0] == "No passage answers this well; the closest are:"
    assert "Answer:" not in out
    code, out, _ = run("ask", "zxq wvy plk", "--index", str(hashing_index), "--json")
    assert {item["confident"] for item in json.loads(out)} == {False}


def test_ask_json_carries_the_answer_line_as_file_offsets(
    hashing_index: Path, corpus: Path
) -> None:
    code, out, _ = run("ask", "capital of France", "--index", str(hashing_index), "--json")
    assert code == 0
    top = json.loads(out)[0]
    assert top["confident"] is True
    (a, b), *_ = top["answer_spans"]
    text = (corpus / top["source"]).read_text(encoding="utf-8")
    assert text[a:b] == top["answer"] == "The capital of France is Paris, a city on the Seine."
    assert top["start"] <= a < b <= top["end"]


def test_status_json(hashing_index: Path, corpus: Path) -> None:
    code, out, _ = run("status", "--index", str(hashing_index), "--json")
    assert code == 0
    status = json.loads(out)
    assert status["files"] == 2
    assert status["passages"] == 7
    assert status["model"] == "hashing:dim=256,max_tokens=256"
    assert status["docs_root"] == str(corpus.resolve())
    assert status["built_at"]
    assert status["files_skipped"][0]["path"] == "sheet.xlsx"
    (segment,) = status["segments"]
    assert segment == {"name": "000001", "passages": 7, "deleted": 0, "vector_index": "flat"}


def test_status_reads_the_manifest_only(
    hashing_index: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import index.segment

    def no_segments(*args: object, **kwargs: object) -> None:
        raise AssertionError("docqa status opened a segment")

    monkeypatch.setattr(index.segment.Segment, "__init__", no_segments)
    code, out, _ = run("status", "--index", str(hashing_index), "--json")
    assert code == 0 and json.loads(out)["passages"] == 7


def test_docs_option_finds_the_default_index(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert run("index", str(corpus), "--model", "hashing")[0] == 0
    assert list((tmp_path / "data" / "docqa" / "indexes").iterdir())
    code, out, _ = run("ask", "bananas", "--docs", str(corpus), "--json", "-k", "1")
    assert code == 0
    assert json.loads(out)[0]["source"] == "sub/notes.txt"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("index", "{tmp}/missing", "--index", "{tmp}/i", "--model", "hashing"), "does not exist"),
        (("ask", "q", "--index", "{tmp}/missing"), "no index at"),
        (("status", "--index", "{tmp}/missing"), "no index at"),
        (("ask", "  ", "--index", "{index}"), "question is empty"),
        (("ask", "q", "--index", "{index}", "--model", "hashing:dim=8"), "was built with model"),
        (
            ("index", "{tmp}/docs", "--index", "{tmp}/i", "--model", "/no/such/model"),
            "does not exist",
        ),
    ],
)
def test_errors_are_one_line_without_traceback(
    args: tuple[str, ...], message: str, hashing_index: Path, tmp_path: Path
) -> None:
    filled = [a.format(tmp=tmp_path, index=hashing_index) for a in args]
    code, out, err = run(*filled)
    assert code == 1
    assert out == ""
    assert err.startswith("docqa: error:")
    assert message in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_bad_k_is_rejected_by_the_cli(hashing_index: Path) -> None:
    result = CliRunner().invoke(cli, ["ask", "q", "--index", str(hashing_index), "-k", "0"])
    assert result.exit_code == 2
    assert "-k" in result.stderr


def test_ask_without_an_index_says_which_options(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DOCQA_INDEX", raising=False)
    result = CliRunner().invoke(cli, ["ask", "q"])
    assert result.exit_code == 2
    assert "--index" in result.stderr


def test_every_command_is_documented() -> None:
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    for name, command in cli.commands.items():
        assert command.help, f"docqa {name} has no help text"
        assert f"docqa {name}" in readme, f"README does not mention docqa {name}"


def test_console_script_entry_point_runs(hashing_index: Path) -> None:
    # The real entry point, in a fresh interpreter: the error path prints no traceback.
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            "from qa.cli import main; main()",
            "ask",
            "q",
            "--index",
            str(hashing_index / "nope"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert proc.stderr.startswith("docqa: error: no index at")
    assert "Traceback" not in proc.stderr


def test_reindex_without_model_keeps_the_index_model(corpus: Path, tmp_path: Path) -> None:
    index_dir = str(tmp_path / "idx")
    run("index", str(corpus), "--index", index_dir, "--model", "hashing:dim=64", "--json")
    (corpus / "more.txt").write_text("One more paragraph.\n", encoding="utf-8")
    code, out, err = run("index", str(corpus), "--index", index_dir, "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["model"] == "hashing:dim=64,max_tokens=256"
    assert summary["embedded"] == 1


def test_docs_on_the_command_line_wins_over_docqa_index(
    corpus: Path, hashing_index: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("DOCQA_INDEX", str(hashing_index))
    code, out, _ = run("status", "--json")
    assert code == 0
    assert json.loads(out)["index_dir"] == str(hashing_index)
    code, _, err = run("status", "--docs", str(corpus), "--json")
    assert code == 1
    assert "no index at" in err and str(tmp_path / "data") in err


def test_a_lexical_question_without_a_matching_word_does_not_call_the_index_empty(
    hashing_index: Path,
) -> None:
    code, out, _ = run("ask", "qwertyuiop", "--index", str(hashing_index), "--mode", "lexical")
    assert code == 0
    assert out.strip() == "no passage shares a word with the question; try --mode hybrid"


def test_python_dash_m_runs_the_command() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "qa.cli", "--version"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("docqa, version ")
