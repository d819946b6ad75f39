"""The chat screen in a real browser: answer first, citations that open their source, PDF pages,
uploads, hostile documents shown as text, and a question box that loses no keystroke."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from index import IndexConfig, build_index

from .events import PageEvents
from .ui import wait_idle

Serve = Callable[..., str]


def ask(page: Page, question: str) -> None:
    box = page.locator("#docqa-question textarea")
    box.fill(question)
    box.press("Enter")


def test_the_reply_opens_with_the_answer_and_its_start_is_in_view(
    hashing_index: Path, serve_app: Serve, page: Page, page_events: PageEvents
) -> None:
    page.goto(serve_app(hashing_index))
    ask(page, "What is the capital of France?")
    turn = page.locator("#docqa-turn-0")
    answer = turn.locator(".docqa-answer")
    expect(answer).to_contain_text("The capital of France is Paris")
    expect(answer.locator(".docqa-cite")).to_have_text("[1] sub/notes.txt ¶2 · line 3")
    expect(turn.locator(".docqa-passage mark").first).to_contain_text(
        "The capital of France is Paris"
    )
    # The first passage opens in the source panel by itself, marked.
    expect(page.locator("#docqa-source mark")).to_contain_text("The capital of France is Paris")
    # Later questions: the chat scrolls to the start of the newest reply.
    for n, q in enumerate(("bananas potassium", "photosynthesis sunlight", "what is a banana")):
        ask(page, q)
        expect(page.locator(f"#docqa-turn-{n + 1} .docqa-a")).to_be_visible()
        wait_idle(page)
    last = page.locator("#docqa-turn-3")
    expect(last).to_be_visible()
    gap, height, slack = page.evaluate(
        "() => { const t = document.querySelector('#docqa-turn-3');"
        " const box = t.closest('.docqa-chat');"
        " return [t.getBoundingClientRect().top - box.getBoundingClientRect().top,"
        " box.clientHeight, box.scrollHeight - box.clientHeight - box.scrollTop]; }"
    )
    # The reply's start is at the top of the chat, or as near as the chat can scroll.
    assert 0 <= gap < height / 2
    assert gap < 20 or slack < 2
    page_events.assert_clean()


def test_clicking_a_citation_opens_the_span_in_view(
    hashing_index: Path, serve_app: Serve, page: Page, page_events: PageEvents
) -> None:
    page.goto(serve_app(hashing_index))
    ask(page, "how do I rebuild the index")
    wait_idle(page)
    passages = page.locator("#docqa-turn-0 .docqa-passage .docqa-cite")
    target = passages.nth(1)
    citation = target.inner_text()
    target.click()
    wait_idle(page)
    expect(page.locator("#docqa-source .docqa-source-cite")).to_have_text(citation)
    hit = page.locator("#docqa-source #docqa-hit")
    expect(hit).to_be_visible()
    expect(hit).to_be_in_viewport()
    page_events.assert_clean()


def test_new_chat_clears_the_conversation_and_the_viewer(
    hashing_index: Path, serve_app: Serve, page: Page, page_events: PageEvents
) -> None:
    page.goto(serve_app(hashing_index))
    ask(page, "capital of France")
    expect(page.locator("#docqa-source mark")).to_be_visible()
    page.locator("#docqa-new-chat").click()
    expect(page.locator(".docqa-turn")).to_have_count(0)
    expect(page.locator("#docqa-source mark")).to_have_count(0)
    page_events.assert_clean()


def test_typing_right_after_enter_loses_nothing_and_empty_sends_nothing(
    hashing_index: Path, serve_app: Serve, page: Page, page_events: PageEvents
) -> None:
    page.goto(serve_app(hashing_index))
    box = page.locator("#docqa-question textarea")
    box.fill("capital of France")
    box.press("Enter")
    box.press_sequentially("and bananas", delay=0)  # typed at once, before the reply arrives
    expect(page.locator("#docqa-turn-0 .docqa-q-text")).to_have_text("capital of France")
    expect(page.locator("#docqa-turn-0 .docqa-a")).to_be_visible()
    wait_idle(page)
    expect(box).to_have_value("and bananas")
    # Enter on an empty box, twice in a row on a question: one question, no empty bubble.
    box.fill("")
    box.press("Enter")
    box.fill("photosynthesis")
    box.press("Enter")
    box.press("Enter")
    expect(page.locator("#docqa-turn-1 .docqa-q-text")).to_have_text("photosynthesis")
    wait_idle(page)
    expect(page.locator(".docqa-turn")).to_have_count(2)
    page_events.assert_clean()


def test_a_question_sent_during_a_reply_follows_it(
    hashing_index: Path, serve_app: Serve, page: Page, page_events: PageEvents
) -> None:
    page.goto(serve_app(hashing_index))
    ask(page, "capital of France")
    ask(page, "bananas potassium")  # at once: it waits for the first reply, then goes
    page.locator("#docqa-question textarea").press_sequentially("and x", delay=0)
    expect(page.locator("#docqa-turn-1 .docqa-q-text")).to_have_text("bananas potassium")
    expect(page.locator("#docqa-turn-0 .docqa-q-text")).to_have_text("capital of France")
    expect(page.locator("#docqa-turn-1 .docqa-a")).to_contain_text("Bananas are yellow")
    expect(page.locator("#docqa-question textarea")).to_have_value("and x")
    page_events.assert_clean()


def test_two_quick_clicks_on_send_send_one_question(
    slow_app: str, page: Page, page_events: PageEvents
) -> None:
    page.goto(slow_app)
    page.locator("#docqa-question textarea").fill("capital of France")
    send = page.locator("#docqa-question .submit-button")
    send.click()
    page.wait_for_timeout(150)
    send.click()
    expect(page.locator("#docqa-turn-0 .docqa-a")).to_be_visible()
    page.wait_for_timeout(2500)  # a second (empty) question would have its reply by now
    expect(page.locator(".docqa-turn")).to_have_count(1)
    expect(page.locator("#docqa-turn-0 .docqa-q-text")).to_have_text("capital of France")
    page_events.assert_clean()


def test_a_pdf_passage_shows_its_page_with_the_mark(
    tmp_path: Path, serve_app: Serve, page: Page, page_events: PageEvents
) -> None:
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    docs = tmp_path / "docs"
    docs.mkdir()
    pdf = canvas.Canvas(str(docs / "report.pdf"), pagesize=A4)
    pdf.drawString(72, 760, "Page one talks about the weather in spring.")
    pdf.showPage()
    pdf.drawString(72, 760, "The quarterly revenue of the zebra farm grew by forty percent.")
    pdf.save()
    build_index(docs, IndexConfig(index_dir=tmp_path / "index", model="hashing"))
    page.goto(serve_app(tmp_path / "index"))
    ask(page, "zebra farm revenue")
    expect(page.locator("#docqa-turn-0 .docqa-answer .docqa-cite")).to_contain_text(
        "report.pdf p. 2"
    )
    image = page.locator("#docqa-page img")
    expect(image).to_be_visible()
    expect(page.locator("#docqa-page")).to_contain_text("PDF page 2 (passage marked)")
    assert page.evaluate("() => document.querySelector('#docqa-page img').naturalWidth") > 500
    page_events.assert_clean()


def test_an_uploaded_file_is_synced_and_answers(
    corpus: Path, hashing_index: Path, serve_app: Serve, page: Page, page_events: PageEvents
) -> None:
    new = corpus.parent / "upload" / "zebras.md"
    new.parent.mkdir()
    new.write_text("# Zebras\n\nZebras have black and white stripes.\n", encoding="utf-8")
    page.goto(serve_app(hashing_index))
    page.get_by_text("Add documents").click()
    page.locator("#docqa-upload-files input[type=file]").set_input_files(str(new))
    page.locator("#docqa-upload-button").click()
    expect(page.locator("#docqa-upload-note")).to_contain_text("Added zebras.md.", timeout=20000)
    expect(page.locator("#docqa-upload-note")).to_contain_text("Synced in", timeout=30000)
    assert (corpus / "zebras.md").read_text(encoding="utf-8").startswith("# Zebras")
    ask(page, "zebra stripes")
    expect(page.locator("#docqa-turn-0 .docqa-answer .docqa-cite")).to_contain_text("zebras.md")
    # The same name again is not replaced without asking.
    page.locator("#docqa-upload-files input[type=file]").set_input_files(str(new))
    page.locator("#docqa-upload-button").click()
    expect(page.locator("#docqa-upload-note")).to_contain_text("Not replaced", timeout=20000)
    page_events.assert_clean()


HOSTILE = (
    "Click <script>alert('x')</script> or <img src=x onerror=alert(1)> and "
    "[here](javascript:alert(2)) or ![pic](http://198.51.100.7/x.png) $$x^2$$ "
    "{{constructor.constructor('alert(3)')()}} ${alert(4)} "
    "https://download.pytorch.org/whl/cpu"
)


@pytest.fixture
def hostile_index(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    docs.mkdir()
    name = "<img src=x onerror=alert(5)> $y$.md"
    (docs / name).write_text(f"# Evil <b>x</b>\n\n{HOSTILE}\n", encoding="utf-8")
    build_index(docs, IndexConfig(index_dir=tmp_path / "index", model="hashing"))
    return tmp_path / "index"


@pytest.mark.parametrize("view", ["rendered", "as text"])
def test_a_hostile_corpus_is_shown_as_text_and_runs_nothing(
    hostile_index: Path, serve_app: Serve, page: Page, page_events: PageEvents, view: str
) -> None:
    page.goto(serve_app(hostile_index))
    page.get_by_label(view).check()
    ask(page, "click here <b>x</b> $$")
    wait_idle(page)
    turn = page.locator("#docqa-turn-0")
    text = turn.locator(".docqa-passage .docqa-text").first
    expect(text).to_contain_text("<script>alert('x')</script>")
    expect(text).to_contain_text("$$x^2$$")
    expect(text).to_contain_text("https://download.pytorch.org/whl/cpu")
    expect(turn.locator(".docqa-q-text")).to_have_text("click here <b>x</b> $$")
    expect(turn.locator(".docqa-passage .docqa-cite").first).to_contain_text(
        "<img src=x onerror=alert(5)> $y$.md"
    )
    # Nothing of the document became markup in the chat or the source panel.
    assert page.locator(".docqa-chat script, .docqa-chat img, .docqa-source img").count() == 0
    assert page.locator(".katex, .math").count() == 0
    links = page.eval_on_selector_all(".docqa-source a", "els => els.map(e => e.href)")
    assert all(href.startswith(("http://", "https://")) for href in links)
    page_events.assert_clean()


class _SlowRetriever:
    """A retriever whose answers take a while, so a reply is reliably still on its way."""

    def __init__(self, index: Path, delay: float) -> None:
        from qa import Retriever

        self._inner = Retriever(index)
        self._delay = delay

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)

    def retrieve(self, *args: object, **kwargs: object) -> object:
        import time

        time.sleep(self._delay)
        return self._inner.retrieve(*args, **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def slow_app(hashing_index: Path) -> Iterator[str]:
    import app
    from webapp.server import ServeOptions, start

    demo = app.build_app(_SlowRetriever(hashing_index, 1.5))  # type: ignore[arg-type]
    with start(demo, ServeOptions(port=0), css=app.CSS) as running:
        yield running.url


def test_new_chat_during_a_reply_clears_once_it_arrives_and_keeps_the_next_question(
    slow_app: str, page: Page, page_events: PageEvents
) -> None:
    page.goto(slow_app)
    ask(page, "capital of France")
    page.locator("#docqa-new-chat").click()  # the reply is still on its way
    ask(page, "bananas potassium")
    expect(page.locator("#docqa-turn-0 .docqa-q-text")).to_have_text("bananas potassium")
    expect(page.locator("#docqa-turn-0 .docqa-a")).to_contain_text("Bananas are yellow")
    wait_idle(page)
    expect(page.locator(".docqa-turn")).to_have_count(1)
    page_events.assert_clean()


def test_an_empty_enter_leaves_the_opened_passage(
    slow_app: str, page: Page, page_events: PageEvents
) -> None:
    page.goto(slow_app)
    ask(page, "capital of France")
    expect(page.locator("#docqa-turn-0 .docqa-a")).to_be_visible()
    wait_idle(page)
    page.locator("#docqa-turn-0 .docqa-passage .docqa-cite").nth(1).click()
    expect(page.locator("#docqa-source .docqa-source-cite")).to_contain_text("[2]")
    page.locator("#docqa-question textarea").press("Enter")
    page.wait_for_timeout(2500)
    expect(page.locator("#docqa-source .docqa-source-cite")).to_contain_text("[2]")
    expect(page.locator(".docqa-turn")).to_have_count(1)
    page_events.assert_clean()
