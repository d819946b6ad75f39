"""The chat app: answer-first replies, literal document text, source view, follow-ups, and a
real server queried with gradio_client."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from app import build_app
from index import IndexConfig, build_index, current_generation, read_manifest
from qa import Retriever
from qa.background import BackgroundSync
from webapp.asking import NO_MATCH, answer_turn
from webapp.source import render_source
from webapp.status import skipped_html, status_html
from webapp.transcript import Turn, export_markdown, render_transcript, render_turn
from webapp.uploadsync import upload_and_sync

HOSTILE = (
    "Click <script>alert('x')</script> or <img src=x onerror=alert(1)> "
    "[here](javascript:alert(2)) **bold** & `code` $$x^2$$ {{constructor}} ${alert(3)} "
    "https://download.pytorch.org/whl/cpu"
)
HOSTILE_NAME = "<b onclick=alert(5)>evil $x$.txt"


@pytest.fixture
def hostile_index(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / HOSTILE_NAME).write_text(f"{HOSTILE}\n", encoding="utf-8")
    index_dir = tmp_path / "index"
    build_index(docs, IndexConfig(index_dir=index_dir, model="hashing"))
    return index_dir


class _Markup(HTMLParser):
    """The tags and attributes a browser would build from the HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.tags: set[str] = set()
        self.attrs: set[str] = set()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        for name, value in attrs:
            self.attrs.add(name)
            if name in ("href", "src"):
                self.urls.append(value or "")


def _assert_inert(html: str) -> None:
    """Only the app's own tags and attributes (no handler, no script URL), and no template or
    math syntax left as raw characters."""
    markup = _Markup()
    markup.feed(html)
    allowed = {"div", "section", "span", "button", "ol", "li", "blockquote", "mark", "p"}
    allowed |= {"details", "summary", "pre", "b", "ul", "code"}
    assert markup.tags <= allowed, markup.tags - allowed
    assert not any(name.startswith("on") for name in markup.attrs), markup.attrs
    assert not markup.urls
    for raw in ("$", "{", "}", "`"):
        assert raw not in html, raw


def test_hostile_text_is_shown_as_text_in_replies_and_the_source(hostile_index: Path) -> None:
    retriever = Retriever(hostile_index)
    turn = answer_turn(retriever, "click here <b>bold</b> $$", [], 1)
    html = render_transcript([turn])
    _assert_inert(html)
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "https://download.pytorch.org/whl/cpu" in html  # URLs stay as they are
    assert "&lt;b&gt;bold&lt;/b&gt; &#36;&#36;" in html  # the question too
    source = render_source(hostile_index.parent / "docs", turn.results[0], rendered=False)
    _assert_inert(source)
    assert "&lt;b onclick=alert(5)&gt;evil &#36;x&#36;.txt" in source


def test_copy_and_export_carry_the_original_text(hostile_index: Path) -> None:
    import html as htmllib

    retriever = Retriever(hostile_index)
    turn = answer_turn(retriever, "click here", [], 1)
    page = render_turn(turn, 0)
    copied = htmllib.unescape(re.search(r'data-copy="([^"]*)"', page).group(1))  # type: ignore[union-attr]
    exported = htmllib.unescape(re.search(r'data-export="([^"]*)"', page).group(1))  # type: ignore[union-attr]
    assert HOSTILE_NAME in copied
    assert HOSTILE in exported and "## click here" in exported
    assert exported == export_markdown([turn])


def test_the_export_stays_text_in_a_markdown_reader(hostile_index: Path) -> None:
    from markdown_it import MarkdownIt

    turn = answer_turn(Retriever(hostile_index), "click <img src=x onerror=alert(9)>", [], 1)
    html = MarkdownIt("commonmark").render(export_markdown([turn]))  # raw HTML allowed
    markup = _Markup()
    markup.feed(html)
    assert markup.tags <= {"h2", "p", "em", "strong", "pre", "code"}, markup.tags
    assert not markup.urls and not any(a.startswith("on") for a in markup.attrs)
    assert "&lt;script&gt;alert('x')&lt;/script&gt;" in html  # shown, as text


def test_a_reply_opens_with_the_answer_and_its_citation(hashing_index: Path) -> None:
    retriever = Retriever(hashing_index)
    turn = answer_turn(retriever, "capital of France", [], 5)
    html = render_turn(turn, 0)
    answer = html.index('class="docqa-answer"')
    assert answer < html.index('class="docqa-passages"')
    assert "The capital of France is Paris" in html[answer : html.index('class="docqa-passages"')]
    assert 'data-turn="0" data-rank="1"' in html
    # The answering sentence is marked inside the first passage.
    assert "<mark>The capital of France is Paris, a city on the Seine.</mark>" in html


def test_a_weak_match_says_so(hashing_index: Path) -> None:
    turn = answer_turn(Retriever(hashing_index), "zxq wvy plk", [], 2)
    html = render_turn(turn, 0)
    assert "No passage answers this well; the closest are:" in html
    assert 'class="docqa-answer"' not in html


def test_passages_beyond_the_first_three_are_collapsed(hashing_index: Path) -> None:
    turn = answer_turn(Retriever(hashing_index), "index", [], 5, mode="dense")
    assert len(turn.results) > 3
    html = render_turn(turn, 0)
    shown, hidden = html.split('<details class="docqa-more">')
    assert shown.count('class="docqa-passage"') == 3
    assert hidden.count('class="docqa-passage"') == len(turn.results) - 3
    assert f"{len(turn.results) - 3} more passage" in hidden


def test_bad_input_and_index_errors_become_a_notice(hashing_index: Path) -> None:
    turn = answer_turn(Retriever(hashing_index), "   ", [], 3)
    assert turn.results == () and "question is empty" in turn.notice
    assert "question is empty" in render_turn(turn, 0)


def test_a_follow_up_is_searched_with_the_conversation(hashing_index: Path) -> None:
    retriever = Retriever(hashing_index)
    first = answer_turn(retriever, "bananas potassium", [], 1, mode="lexical")
    alone = answer_turn(retriever, "and how much of it is there?", [], 1, mode="lexical")
    followed = answer_turn(retriever, "and how much of it is there?", [first], 1, mode="lexical")
    assert followed.results[0].citation == "sub/notes.txt ¶1 · line 1"
    assert [r.citation for r in alone.results] != [r.citation for r in followed.results]


def test_long_passages_are_cut_around_the_answer_in_the_reply_but_whole_in_the_source(
    tmp_path: Path,
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    words = [f"Filler sentence number word{i}." for i in range(60)]
    words[45] = "Zebras have stripes."
    (docs / "long.txt").write_text(" ".join(words) + "\n", encoding="utf-8")
    build_index(docs, IndexConfig(index_dir=tmp_path / "i", model="hashing"))
    retriever = Retriever(tmp_path / "i")
    result = answer_turn(retriever, "zebras stripes", [], 1).results[0]
    reply = render_turn(Turn("zebras stripes", (result,)), 0)
    shown = reply[reply.index('<blockquote class="docqa-text">') : reply.index("</blockquote>")]
    assert "<mark>Zebras have stripes." in shown
    assert "word2." not in shown and "…" in shown
    source = render_source(docs, result, rendered=False)
    assert "word2." in source and "word59." in source and 'id="docqa-hit"' in source


def test_the_source_view_marks_the_span_and_says_when_the_file_changed(
    corpus: Path, hashing_index: Path
) -> None:
    retriever = Retriever(hashing_index)
    result = retriever.retrieve("capital of France", k=1)[0]
    view = render_source(corpus, result, rendered=False)
    assert '<mark id="docqa-hit">The capital of France is Paris' in view
    assert 'data-copy="sub/notes.txt ¶2 · line 3"' in view
    (corpus / "sub" / "notes.txt").write_text("Rewritten.\n", encoding="utf-8")
    assert "The file changed since it was indexed" in render_source(corpus, result)
    (corpus / "sub" / "notes.txt").unlink()
    assert "cannot open" in render_source(corpus, result)


def test_status_line_names_files_passages_and_model(hashing_index: Path) -> None:
    retriever = Retriever(hashing_index)
    line = status_html(retriever)
    m = retriever.manifest
    assert f"{len(m.files)} files" in line and f"{m.passages} passages" in line
    assert "model hashing" in line


@pytest.mark.app
def test_app_serves_retrieve_to_gradio_client(hashing_index: Path) -> None:
    from gradio_client import Client

    from webapp.server import ServeOptions, start

    with start(build_app(Retriever(hashing_index)), ServeOptions(port=0)) as running:
        client = Client(running.url, verbose=False)
        items = client.predict(
            "how do I rebuild the index after documents change", 3, api_name="/retrieve"
        )
        assert len(items) == 3
        assert items[0]["source"] == "guide.md"
        assert items[0]["heading_path"] == ["docqa guide", "Indexing", "Rebuilding"]
        assert items[0]["citation"].startswith("guide.md ¶")
        assert [i["rank"] for i in items] == [1, 2, 3]
        only = client.predict("index", 3, "dense", ["sub"], [".txt"], api_name="/retrieve_filtered")
        assert only and all(i["source"].startswith("sub/") for i in only)


def test_filters_narrow_the_answer_and_say_when_nothing_is_left(hashing_index: Path) -> None:
    retriever = Retriever(hashing_index)
    turn = answer_turn(retriever, "index", [], 5, folders=["sub"])
    assert turn.results and all(r.source.startswith("sub/") for r in turn.results)
    empty = answer_turn(retriever, "index", [], 5, folders=["sub"], types=[".md"])
    assert empty.results == () and empty.notice == NO_MATCH
    bad = answer_turn(retriever, "index", [], 5, folders=["/etc"])
    assert bad.results == () and "/etc" in bad.notice


def test_an_upload_is_saved_then_synced_with_progress(
    corpus: Path, hashing_index: Path, tmp_path: Path
) -> None:
    sync = BackgroundSync(Retriever(hashing_index))
    upload = tmp_path / "gradio" / "zebras.md"
    upload.parent.mkdir()
    upload.write_text("# Zebras\n\nZebras have stripes.\n", encoding="utf-8")
    bad = tmp_path / "gradio" / "tool.exe"
    bad.write_bytes(b"MZ")
    messages = list(
        upload_and_sync([str(upload), str(bad)], corpus, sync, replace=False, max_bytes=1000)
    )
    assert messages[0].startswith("Added zebras.md. Refused tool.exe:")
    assert "Synced in" in messages[-1] and "1 added" in messages[-1]
    assert (corpus / "zebras.md").is_file() and not upload.exists() and not bad.exists()
    upload.write_text("# Zebras\n\nNew text.\n", encoding="utf-8")
    again = list(upload_and_sync([str(upload)], corpus, sync, replace=False, max_bytes=1000))
    assert again == [
        "Not replaced (already in the folder): zebras.md; tick 'Replace files with the same "
        "name' to replace them."
    ]
    assert "Zebras have stripes." in (corpus / "zebras.md").read_text(encoding="utf-8")
    assert list(upload_and_sync([], corpus, sync, replace=False, max_bytes=1000)) == [
        "Choose files to add first."
    ]


def test_an_upload_during_a_running_sync_waits_and_syncs_again(
    corpus: Path, tmp_path: Path
) -> None:
    from qa.background import SyncStatus

    class Busy:
        """A sync that is running when the upload lands, then free."""

        def __init__(self) -> None:
            self.starts = 0

        def start(self) -> bool:
            self.starts += 1
            return self.starts >= 3  # running twice, then started by the upload

        def status(self) -> SyncStatus:
            return SyncStatus(running=False, error="stub")

    upload = tmp_path / "new.md"
    upload.write_text("# New\n\nText.\n", encoding="utf-8")
    sync = Busy()
    messages = list(
        upload_and_sync([str(upload)], corpus, sync, replace=False, max_bytes=1000, poll=0)  # type: ignore[arg-type]
    )
    assert [m.endswith("Waiting for the running sync to end…") for m in messages[1:3]] == [
        True,
        True,
    ]
    assert sync.starts >= 3 and messages[-1].endswith("Sync failed: stub")


def test_the_skipped_files_panel_lists_skips_and_warnings_as_docqa_status_does(
    tmp_path: Path,
) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "empty.txt").write_text("", encoding="utf-8")
    (docs / "latin.txt").write_bytes(b"caf\xe9 au lait, a drink\n")  # indexed with a warning
    build_index(docs, IndexConfig(index_dir=tmp_path / "i", model="hashing"))
    html = skipped_html(read_manifest(current_generation(tmp_path / "i")))
    assert "<b>skipped</b> <code>empty.txt</code>: empty file" in html
    assert "<b>warning</b> <code>latin.txt</code>: indexed with a problem:" in html
