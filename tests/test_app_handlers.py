"""The chat screen's handlers (webapp.handlers), called directly as the app's events call them:
asking, opening a cited passage, syncing, uploading, and the API endpoints' answers."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

from index import IndexConfig, build_index
from qa import Retriever
from qa.background import BackgroundSync
from webapp.asking import NO_MATCH
from webapp.handlers import (
    CLOSED,
    AppContext,
    answer,
    open_cited,
    open_result,
    refresh,
    retrieve,
    status,
    sync_notes,
    upload_notes,
)
from webapp.pageview import NOT_LOCATED, PAGE_LABEL
from webapp.status import sync_message, sync_updates
from webapp.text import esc


@pytest.fixture
def ctx(hashing_index: Path) -> AppContext:
    return AppContext.create(Retriever(hashing_index))


def test_an_answer_adds_its_turn_and_opens_its_first_passage(ctx: AppContext) -> None:
    reply = answer(ctx, "capital of France", [], 3)
    assert reply is not None and len(reply.turns) == 1
    top = reply.turns[0].results[0]
    answer_line = reply.transcript[reply.transcript.index('class="docqa-answer"') :]
    assert answer_line.index("The capital of France is Paris") < answer_line.index(
        '<button type="button" class="docqa-cite" data-turn="0" data-rank="1"'
    )
    ranks = [r.rank for r in reply.turns[0].results]
    for rank in ranks:  # every passage has its citation button
        assert f'data-turn="0" data-rank="{rank}"' in reply.transcript
    assert reply.source.result == top and top.citation == "sub/notes.txt ¶2 · line 3"
    assert '<mark id="docqa-hit">The capital of France is Paris' in reply.source.html
    assert reply.source.image is None  # no page image for a text file
    assert "passages" in reply.status and "model hashing" in reply.status
    # The next question adds a turn, numbered for its own citation clicks.
    again = answer(ctx, "photosynthesis sunlight", reply.turns, 3)
    assert again is not None and len(again.turns) == 2
    assert (
        'id="docqa-turn-0"' in again.transcript
        and 'data-turn="1" data-rank="1"' in again.transcript
    )


@pytest.mark.parametrize("question", ["", "   ", "\n\t"])
def test_a_blank_question_changes_nothing(ctx: AppContext, question: str) -> None:
    assert answer(ctx, question, [], 3) is None


def test_a_weak_match_says_so_and_still_opens_the_closest(ctx: AppContext) -> None:
    reply = answer(ctx, "zxq wvy plk", [], 2)
    assert reply is not None
    assert "No passage answers this well; the closest are:" in reply.transcript
    assert 'class="docqa-answer"' not in reply.transcript
    assert reply.source.result == reply.turns[0].results[0]


def test_filters_narrow_the_reply_and_an_empty_one_says_why(ctx: AppContext) -> None:
    only_sub = answer(ctx, "index", [], 5, mode="dense", folders=["sub"])
    assert only_sub is not None and only_sub.turns[0].results
    assert all(r.source.startswith("sub/") for r in only_sub.turns[0].results)
    nothing = answer(ctx, "index", [], 5, folders=["sub"], types=[".md"])
    assert nothing is not None and NO_MATCH in nothing.transcript
    assert nothing.source == CLOSED
    bad = answer(ctx, "index", [], 5, folders=["/etc"])
    assert bad is not None and "/etc" in bad.transcript and bad.source == CLOSED


def test_a_follow_up_is_answered_with_the_conversation(ctx: AppContext) -> None:
    first = answer(ctx, "bananas potassium", [], 1, mode="lexical")
    assert first is not None
    alone = answer(ctx, "and how much of it is there?", [], 1, mode="lexical")
    followed = answer(ctx, "and how much of it is there?", first.turns, 1, mode="lexical")
    assert alone is not None and followed is not None
    assert followed.turns[1].results[0].citation == "sub/notes.txt ¶1 · line 1"
    assert followed.source.result == followed.turns[1].results[0]
    # Alone, the follow-up shares no word with the notes.
    assert [r.citation for r in alone.turns[0].results] != [
        r.citation for r in followed.turns[1].results
    ]


def test_a_citation_click_opens_that_passage(ctx: AppContext) -> None:
    reply = answer(ctx, "index", [], 4, mode="dense")
    assert reply is not None
    second = reply.turns[0].results[1]
    shown = open_cited(ctx, reply.turns, {"turn": 0, "rank": 2})
    assert shown is not None and shown.result == second
    assert esc(f"[2] {second.citation}") in shown.html and 'id="docqa-hit"' in shown.html


def test_a_markdown_passage_is_shown_rendered_or_as_text(ctx: AppContext) -> None:
    result = ctx.retriever.retrieve("rebuild the index after documents change", k=1)[0]
    assert result.source == "guide.md"
    rendered = open_result(ctx, result, rendered=True)
    as_text = open_result(ctx, result, rendered=False)
    assert 'class="docqa-md' in rendered.html and "<h3" in rendered.html
    assert '<pre class="docqa-file' in as_text.html and "### Rebuilding" in as_text.html
    for view in (rendered, as_text):
        assert 'id="docqa-hit"' in view.html and esc(result.citation) in view.html


@pytest.mark.parametrize(
    "clicked",
    [{}, {"turn": 1, "rank": 1}, {"turn": -1, "rank": 1}, {"turn": "0", "rank": 1}],
    ids=["nothing", "no-such-turn", "negative", "not-a-number"],
)
def test_a_click_naming_no_turn_changes_nothing(
    ctx: AppContext, clicked: dict[str, object]
) -> None:
    reply = answer(ctx, "capital of France", [], 2)
    assert reply is not None
    assert open_cited(ctx, reply.turns, clicked) is None


@pytest.mark.parametrize("rank", [99, 0, "1", None])
def test_a_click_naming_no_passage_of_the_turn_empties_the_panel(
    ctx: AppContext, rank: object
) -> None:
    reply = answer(ctx, "capital of France", [], 2)
    assert reply is not None
    assert open_cited(ctx, reply.turns, {"turn": 0, "rank": rank}) == CLOSED


def test_a_changed_or_removed_source_is_said_in_the_panel(corpus: Path, ctx: AppContext) -> None:
    reply = answer(ctx, "capital of France", [], 1)
    assert reply is not None
    notes = corpus / "sub" / "notes.txt"
    notes.write_text("Rewritten.\n", encoding="utf-8")
    changed = open_cited(ctx, reply.turns, {"turn": 0, "rank": 1})
    assert changed is not None and "The file changed since it was indexed" in changed.html
    assert '<mark id="docqa-hit">The capital of France is Paris' in changed.html
    notes.unlink()
    gone = open_cited(ctx, reply.turns, {"turn": 0, "rank": 1})
    assert gone is not None and "cannot open" in gone.html and "notes.txt" in gone.html
    shutil.rmtree(corpus / "sub")
    assert "cannot open" in open_result(ctx, reply.turns[0].results[0]).html


def test_another_documents_folder_is_where_sources_are_read(
    hashing_index: Path, corpus: Path, tmp_path: Path
) -> None:
    moved = tmp_path / "moved"
    shutil.copytree(corpus, moved)
    (corpus / "sub" / "notes.txt").unlink()
    ctx = AppContext.create(Retriever(hashing_index), docs=moved)
    reply = answer(ctx, "capital of France", [], 1)
    assert reply is not None and "cannot open" not in reply.source.html
    assert '<mark id="docqa-hit">The capital of France is Paris' in reply.source.html


def _pdf(pages: list[str]) -> bytes:
    """A PDF with one paragraph a page, ten words a line."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    for text in pages:
        c.setFont("Helvetica", 11)
        words = text.split()
        for n in range(0, len(words), 10):
            c.drawString(72, 760 - 14 * (n // 10), " ".join(words[n : n + 10]))
        c.showPage()
    c.save()
    return buf.getvalue()


def _paragraph(tag: str) -> str:
    words = [f"{tag}{k}x" for k in range(70)]
    return " ".join([words[0].capitalize(), *words[1:-1], words[-1] + "."])


@pytest.fixture
def pdf_ctx(tmp_path: Path) -> AppContext:
    docs = tmp_path / "pdfdocs"
    docs.mkdir()
    (docs / "report.pdf").write_bytes(_pdf([_paragraph("alpha"), _paragraph("bravo")]))
    build_index(docs, IndexConfig(index_dir=tmp_path / "pdfindex", model="hashing"))
    return AppContext.create(Retriever(tmp_path / "pdfindex"))


def test_a_pdf_passage_opens_its_page_with_the_passage_marked(pdf_ctx: AppContext) -> None:
    reply = answer(pdf_ctx, "bravo3x bravo4x bravo5x", [], 1, mode="lexical")
    assert reply is not None
    view = reply.source
    assert view.result is not None and view.result.page == 2
    assert view.image is not None and view.image.width > 100
    assert view.label == PAGE_LABEL.format(page=2)
    assert '<mark id="docqa-hit">Bravo0x' in view.html
    # The file rewritten: the page is shown, saying the passage is not on it any more.
    docs = pdf_ctx.docs_root
    (docs / "report.pdf").write_bytes(_pdf(["Nothing here.", "Other words entirely."]))
    moved = open_cited(pdf_ctx, reply.turns, {"turn": 0, "rank": 1})
    assert moved is not None and moved.label == NOT_LOCATED.format(page=2)
    (docs / "report.pdf").unlink()
    gone = open_cited(pdf_ctx, reply.turns, {"turn": 0, "rank": 1})
    assert gone is not None and gone.image is None and "cannot open" in gone.html


def test_after_a_sync_the_filters_offer_the_new_folders_and_keep_what_still_exists(
    corpus: Path, ctx: AppContext
) -> None:
    (corpus / "zoo").mkdir()
    (corpus / "zoo" / "zebra.txt").write_text("Zebras have stripes.\n", encoding="utf-8")
    shutil.rmtree(corpus / "sub")
    notes = [n for n in sync_notes(ctx) if n]
    assert "Synced in" in notes[-1] and 'role="status"' in notes[-1]
    view = refresh(ctx, ["sub", "zoo"], [".txt", ".pdf"])
    assert view is not None
    assert view.folders == ("zoo",) and view.chosen_folders == ("zoo",)
    assert view.types == (".md", ".txt") and view.chosen_types == (".txt",)
    assert "sheet.xlsx" in view.skipped and "last sync" in view.status


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
        ended = sync.wait(30)
    assert not ended.running
    assert ended.error is not None and "being written by another docqa process" in ended.error
    assert sync_message(ended).startswith("Sync failed:")


def test_an_unreadable_index_leaves_the_filters_and_says_so_in_the_status(
    hashing_index: Path, ctx: AppContext
) -> None:
    (hashing_index / "CURRENT").unlink()
    assert refresh(ctx, ["sub"], []) is None
    assert "docqa-warn" in status(ctx)


def test_an_upload_lands_in_the_chosen_folder_and_is_answered_from(
    corpus: Path, ctx: AppContext, tmp_path: Path
) -> None:
    upload = tmp_path / "gradio" / "zebras.md"
    upload.parent.mkdir()
    upload.write_text("# Zebras\n\nZebras have black and white stripes.\n", encoding="utf-8")
    notes = list(upload_notes(ctx, [str(upload)], replace=False, folder="animals"))
    assert "Added animals/zebras.md" in notes[0] and "Synced in" in notes[-1]
    assert (corpus / "animals" / "zebras.md").is_file()
    reply = answer(ctx, "zebra stripes", [], 1)
    assert reply is not None and reply.source.result is not None
    assert reply.source.result.source == "animals/zebras.md"
    assert list(upload_notes(ctx, [], replace=False)) == [
        '<div class="docqa-note" role="status">Choose files to add first.</div>'
    ]


def test_the_api_answers_with_the_keys_of_ask_json(ctx: AppContext) -> None:
    items = retrieve(ctx, "capital of France", 2)
    assert [i["rank"] for i in items] == [1, 2]
    assert items[0] == ctx.retriever.retrieve("capital of France", 2)[0].to_dict()
    only = retrieve(ctx, "index", 3, "dense", ["sub"], [".txt"])
    assert only and all(i["source"].startswith("sub/") for i in only)
    with pytest.raises(ValueError, match="mode"):
        retrieve(ctx, "index", 3, "fuzzy")
