"""``docqa serve`` end to end: the real command in a child process indexes the folder, serves it on
127.0.0.1 and answers gradio_client; with no --docs it indexes and serves docqa's own guide;
bad input is one line and exit 1. (tests/test_server_options.py covers the options with the server stubbed out.)"""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from qa.cli import cli

ROOT = Path(__file__).resolve().parent.parent
READY = "docqa: serving on "
START_TIMEOUT = 60.0  # import gradio, index the folder with the hashing model, bind


@contextmanager
def docqa_serve(*args: str, data_home: Path) -> Iterator[str]:
    """Run ``docqa serve ARGS --model hashing --port 0`` and yield its URL; stop it with SIGTERM
    (as a service manager does) and check that it exits cleanly."""
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),  # this checkout, not an installed docqa
        "XDG_DATA_HOME": str(data_home),  # where the default index of a folder goes
        "HF_HUB_OFFLINE": "1",
        "GRADIO_ANALYTICS_ENABLED": "False",
    }
    env.pop("DOCQA_INDEX", None)
    env.pop("DOCQA_AUTH", None)
    command = [sys.executable, "-c", "from qa.cli import main; main()", "serve", *args]
    command += ["--model", "hashing", "--host", "127.0.0.1", "--port", "0"]
    child = subprocess.Popen(
        command,
        cwd=data_home,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        assert child.stdout is not None
        for line in child.stdout:
            lines.put(line)
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    try:
        url = _wait_for_url(child, lines)
        yield url
        child.send_signal(signal.SIGTERM)
        assert child.wait(timeout=20) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def _wait_for_url(child: subprocess.Popen[str], lines: queue.Queue[str | None]) -> str:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=0.5)
        except queue.Empty:
            continue
        if line is None:  # stdout closed: the command ended
            break
        if line.startswith(READY):
            return line.removeprefix(READY).split()[0]
    child.kill()
    _, err = child.communicate()
    pytest.fail(f"docqa serve did not start (exit {child.returncode}):\n{err[-3000:]}")


@pytest.mark.app
def test_serve_indexes_the_folder_and_answers_gradio_client(corpus: Path, tmp_path: Path) -> None:
    from gradio_client import Client

    home = tmp_path / "home"
    home.mkdir()
    with docqa_serve("--docs", str(corpus), data_home=home) as url:
        assert url.startswith("http://127.0.0.1:")
        client = Client(url, verbose=False)
        items = client.predict(
            "how do I rebuild the index after documents change", 3, api_name="/retrieve"
        )
        assert items[0]["source"] == "guide.md"
        assert items[0]["heading_path"] == ["docqa guide", "Indexing", "Rebuilding"]
        assert items[0]["citation"].startswith("guide.md ¶")
        facts = client.predict("what is the capital of France", 1, api_name="/retrieve")
        assert facts[0]["source"] == "sub/notes.txt"
        client.close()
    # The index went to the default place for the folder, under XDG_DATA_HOME.
    (index,) = (home / "docqa" / "indexes").iterdir()
    assert index.name.startswith("docs-") and (index / "CURRENT").is_file()


class _Served:
    """Stands in for webapp.server.start: records the app and returns a server already stopped,
    so ``docqa serve`` returns at once (the real server is started by the test above)."""

    url = "http://127.0.0.1:1"

    def __init__(self, demo: Any, options: Any, **_: Any) -> None:
        self.demo, self.options = demo, options
        self.thread = threading.Thread(target=lambda: None)
        self.thread.start()
        self.thread.join()

    def close(self) -> None:
        pass


def test_serve_without_docs_indexes_and_serves_docqas_own_guide(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from qa import Retriever

    served: list[_Served] = []
    monkeypatch.setattr(
        "webapp.server.start", lambda *a, **k: served.append(_Served(*a, **k)) or served[-1]
    )
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    monkeypatch.delenv("DOCQA_INDEX", raising=False)
    monkeypatch.delenv("DOCQA_AUTH", raising=False)
    result = CliRunner().invoke(cli, ["serve", "--model", "hashing", "--port", "0"])
    assert result.exit_code == 0, result.output
    assert f"bringing the index of {ROOT / 'docs'} up to date" in result.stderr
    assert "docqa: serving on http://127.0.0.1:1" in result.stdout
    assert len(served) == 1 and served[0].options.host == "127.0.0.1"
    (index,) = (tmp_path / "docqa" / "indexes").iterdir()
    items = Retriever(index).retrieve("how do I install docqa from the wheel", k=3)
    guide = {p.name for p in (ROOT / "docs").glob("*.md")}
    assert items and {str(i.source) for i in items} <= guide
    assert "install.md" in {str(i.source) for i in items}


def test_serve_with_a_missing_docs_folder_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "no-such-folder"
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("DOCQA_INDEX", raising=False)
    monkeypatch.delenv("DOCQA_AUTH", raising=False)
    result = CliRunner().invoke(
        cli, ["serve", "--docs", str(missing), "--model", "hashing", "--port", "0"]
    )
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("docqa: error:")]
    assert errors == [f"docqa: error: documents folder '{missing}' does not exist; check the path"]
    assert "Traceback" not in result.output
    assert not list(tmp_path.rglob("CURRENT"))  # no index was made for it


def test_serve_without_an_installed_guide_asks_for_docs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "qa" / "docs"  # a wheel without it
    monkeypatch.setattr("qa.cli.serve_cmd.bundled_guide", lambda: missing)
    monkeypatch.delenv("DOCQA_INDEX", raising=False)
    result = CliRunner().invoke(cli, ["serve", "--model", "hashing", "--port", "0"])
    assert result.exit_code != 0
    assert "docqa's own guide is not installed here; pass --docs DOCS" in result.stderr
    assert "Traceback" not in result.output
