"""The chat app: escaped rendering, source view, and a real server queried with gradio_client."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from app import (
    build_app,
    chat_turn,
    md_escape,
    render_context,
    render_reply,
    sync_message,
    sync_updates,
)
from index import IndexConfig, build_index
from qa import Retriever
from qa.background import BackgroundSync

HOSTILE = (
    "Click <script>alert('x')</script> or <img src=x onerror=alert(1)> "
    "[here](javascript:alert(2)) **bold** & `code`"
)


@pytest.fixture
def hostile_index(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "<evil>.md").write_text(f"# Title <b>x</b>\n\n{HOSTILE}\n", encoding="utf-8")
    index_dir = tmp_path / "index"
    build_index(docs, IndexConfig(index_dir=index_dir, model="hashing"))
    return index_dir


def test_md_escape_leaves_no_markup() -> None:
    out = md_escape(HOSTILE)
    assert "<script" not in out and "<img" not in out
    assert "&lt;script&gt;" in out
    assert "\\[here\\]\\(javascript:alert\\(2\\)\\)" in out
    assert "\\*\\*bold\\*\\*" in out and "\\`code\\`" in out


def test_reply_lists_numbered_passages_escaped(hostile_index: Path) -> None:
    retriever = Retriever(hostile_index)
    results = retriever.retrieve("click here", k=1)
    reply = render_reply("click <b>here</b>", results)
    assert "**[1]**" in reply
    assert "score" in reply
    assert "&lt;evil&gt;\\.md ¶1" in reply
    for raw in ("<script", "<img", "<b>", "](javascript"):
        assert raw not in reply


def test_source_view_escapes_and_highlights(hostile_index: Path) -> None:
    retriever = Retriever(hostile_index)
    result = retriever.retrieve("click here", k=1)[0]
    view = render_context(retriever, result)
    assert "<mark>" in view
    assert "&lt;script&gt;" in view
    assert "<script" not in view and "<img" not in view


def test_chat_turn_appends_question_and_cited_reply(hashing_index: Path) -> None:
    retriever = Retriever(hashing_index)
    history, results = chat_turn(retriever, "capital of France", [], 2)
    assert [m["role"] for m in history] == ["user", "assistant"]
    assert len(results) == 2
    assert "sub/notes\\.txt ¶2 · line 3" in history[1]["content"]
    history, results = chat_turn(retriever, "bananas", history, 1)
    assert len(history) == 4
    assert results[0].source == "sub/notes.txt"


def test_chat_turn_turns_bad_input_into_a_reply(hashing_index: Path) -> None:
    history, results = chat_turn(Retriever(hashing_index), "   ", [], 3)
    assert results == []
    assert history[-1]["role"] == "assistant"
    assert "question is empty" in history[-1]["content"]


def test_reply_for_an_empty_index_says_what_to_do() -> None:
    assert "docqa index" in render_reply("q", [])


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.app
def test_app_serves_retrieve_to_gradio_client(hashing_index: Path) -> None:
    from gradio_client import Client

    demo = build_app(Retriever(hashing_index))
    port = _free_port()
    _, url, _ = demo.queue().launch(
        server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, quiet=True
    )
    try:
        assert url.startswith(f"http://127.0.0.1:{port}")
        client = Client(url, verbose=False)
        items = client.predict(
            "how do I rebuild the index after documents change", 3, api_name="/retrieve"
        )
        assert len(items) == 3
        assert items[0]["source"] == "guide.md"
        assert items[0]["heading_path"] == ["docqa guide", "Indexing", "Rebuilding"]
        assert items[0]["citation"].startswith("guide.md ¶")
        assert [i["rank"] for i in items] == [1, 2, 3]
    finally:
        demo.close()


def test_sync_now_brings_the_index_up_to_date_while_answering(
    corpus: Path, hashing_index: Path
) -> None:
    retriever = Retriever(hashing_index)
    (corpus / "zebra.txt").write_text("Zebras have black and white stripes.\n", encoding="utf-8")
    sync = BackgroundSync(retriever)
    messages = list(sync_updates(sync, poll=0.01))
    assert messages[-1].startswith("Synced in")
    assert "1 added" in messages[-1] and "1 passage embedded" in messages[-1]
    assert retriever.retrieve("zebra stripes", k=1)[0].source == "zebra.txt"
    # A second sync finds nothing to do.
    assert list(sync_updates(sync, poll=0.01))[-1].startswith("Index is up to date")


def test_sync_reports_a_busy_index(hashing_index: Path) -> None:
    from index.generations import write_lock

    sync = BackgroundSync(Retriever(hashing_index))
    with write_lock(hashing_index):
        assert sync.start()
        status = sync.wait(30)
    assert not status.running
    assert status.error is not None and "being written by another docqa process" in status.error
    assert sync_message(status).startswith("Sync failed:")


def test_long_passages_are_cut_in_the_reply_but_whole_in_the_source(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    long = " ".join(f"word{i}" for i in range(200))
    (docs / "long.txt").write_text(long + "\n", encoding="utf-8")
    build_index(docs, IndexConfig(index_dir=tmp_path / "i", model="hashing"))
    retriever = Retriever(tmp_path / "i")
    result = retriever.retrieve("word5", k=1)[0]
    reply = render_reply("word5", [result])
    assert "word10 " in reply and "word199" not in reply and " …" in reply
    assert "word199" in render_context(retriever, result)


def test_a_reply_opens_with_the_answer_line_or_says_no_passage_answers_well(
    hashing_index: Path,
) -> None:
    retriever = Retriever(hashing_index)
    history, _ = chat_turn(retriever, "capital of France", [], 2)
    first = history[1]["content"].splitlines()[0]
    assert first.startswith("**Answer:** The capital of France is Paris")
    history, _ = chat_turn(retriever, "zxq wvy plk", [], 2)
    assert history[1]["content"].startswith("**No passage answers this well; the closest are:**")


def test_chat_turn_searches_a_follow_up_with_the_earlier_questions(hashing_index: Path) -> None:
    retriever = Retriever(hashing_index)
    _, alone = chat_turn(retriever, "and how much of it is there?", [], 1, mode="lexical")
    _, followed = chat_turn(
        retriever,
        "and how much of it is there?",
        [],
        1,
        mode="lexical",
        asked=["bananas potassium"],
    )
    assert followed[0].citation == "sub/notes.txt ¶1 · line 1"
    assert [r.citation for r in alone] != [r.citation for r in followed]
