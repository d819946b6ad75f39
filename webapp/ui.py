"""The chat screen (Gradio Blocks): question box, replies answer first, the source beside them.

It calls ``qa`` and holds no retrieval logic. The transcript and the source panel are HTML
built by :mod:`webapp.transcript` and :mod:`webapp.source`, with document text escaped there.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index import DocqaError
from qa.background import BackgroundSync
from qa.results import Result
from qa.retriever import MODES, Retriever

from . import scripts
from .asking import answer_turn
from .server import DEFAULT_MAX_UPLOAD_MB
from .source import render_source
from .status import note_html, skipped_html, status_html, sync_updates
from .transcript import Turn, render_transcript

if TYPE_CHECKING:
    import gradio as gr

__all__ = ["VIEWS", "build_app"]

# How the source panel shows a Markdown file.
VIEWS = ("rendered", "as text")
# Events run at once per kind (Gradio's default is one at a time): concurrent questions share
# model calls through a batching retriever (qa.batching). 16 measured as fast as no limit
# (bench/load.py), and keeps a burst from taking every worker thread.
CONCURRENCY = 16


def build_app(
    retriever: Retriever,
    *,
    k: int = 5,
    docs: str | Path | None = None,
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_MB * 1024 * 1024,
) -> gr.Blocks:
    """The chat app over one index. ``retrieve`` is also a named API endpoint for gradio_client.

    "Sync now" and uploads bring the index in step with ``docs`` (default: the folder it was
    built from) in the background; questions keep being answered meanwhile.
    """
    import gradio as gr

    from qa.filters import choices

    from .controls import page_view
    from .uploading import upload_and_sync

    sync = BackgroundSync(retriever, docs=docs)
    docs_root = Path(docs) if docs is not None else None

    def root() -> Path:
        return docs_root or Path(retriever.manifest.docs_root)

    def answer(
        question: str,
        turns: list[Turn],
        k: float,
        mode: str,
        folders: list[str] | None,
        types: list[str] | None,
        rendered: str,
    ) -> tuple[Any, ...]:
        """The turn added to the chat, its first passage opened in the source panel."""
        if not question or not question.strip():
            return tuple(gr.skip() for _ in range(7))
        turn = answer_turn(
            retriever,
            question,
            turns,
            int(k),
            mode=mode or "hybrid",
            folders=folders or (),
            types=types or (),
        )
        turns = [*turns, turn]
        first = turn.results[0] if turn.results else None
        return (
            render_transcript(turns),
            turns,
            len(turns),
            status_html(retriever, sync.last_finished),
            *open_result(first, rendered == VIEWS[0]),
        )

    def open_result(result: Result | None, rendered: bool) -> tuple[Any, ...]:
        if result is None:
            return "", gr.update(value=None, visible=False), None
        html = render_source(root(), result, rendered=rendered)
        image, label = page_view(root(), result)
        return html, gr.update(value=image, visible=image is not None, label=label), result

    def open_cited(turns: list[Turn], rendered: str, evt: gr.EventData) -> tuple[Any, ...]:
        data = getattr(evt, "_data", None) or {}
        turn, rank = data.get("turn"), data.get("rank")
        if not isinstance(turn, int) or not 0 <= turn < len(turns):
            return tuple(gr.skip() for _ in range(3))
        found = [r for r in turns[turn].results if r.rank == rank]
        return open_result(found[0] if found else None, rendered == VIEWS[0])

    # Gradio finds the event-data parameter by its annotation, which must be the class itself.
    open_cited.__annotations__["evt"] = gr.EventData

    def reopen(opened: Result | None, rendered: str) -> tuple[Any, ...]:
        return open_result(opened, rendered == VIEWS[0])

    def new_chat(when: str) -> tuple[Any, ...]:
        if when != "now":  # a reply is on its way: the page clears once it has arrived
            return tuple(gr.skip() for _ in range(6))
        return render_transcript([]), [], 0, "", gr.update(value=None, visible=False), None

    def refresh(
        chosen_folders: list[str] | None, chosen_types: list[str] | None
    ) -> tuple[Any, ...]:
        """Status, skipped files and the filter choices after a sync; a chosen folder or type
        the index no longer holds is dropped from the choice."""
        try:
            manifest = retriever.manifest
        except DocqaError:
            return status_html(retriever, sync.last_finished), gr.skip(), gr.skip(), gr.skip()
        folders, types = choices(manifest)
        return (
            status_html(retriever, sync.last_finished),
            skipped_html(manifest),
            gr.update(choices=folders, value=[f for f in chosen_folders or [] if f in folders]),
            gr.update(choices=types, value=[t for t in chosen_types or [] if t in types]),
        )

    def run_sync() -> Iterator[str]:
        for message in sync_updates(sync):
            yield note_html(message)

    def upload(files: list[str] | None, replace: bool, folder: str) -> Iterator[str]:
        for message in upload_and_sync(
            files or [], root(), sync, replace=replace, max_bytes=max_upload_bytes, subfolder=folder
        ):
            yield note_html(message)

    def retrieve_api(question: str, k: int = 5, mode: str = "hybrid") -> list[dict[str, Any]]:
        """Ranked passages with citations for a question, as JSON objects (same keys as `docqa ask --json`)."""
        return [r.to_dict() for r in retriever.retrieve(question, int(k), mode=mode)]

    def retrieve_filtered_api(
        question: str,
        k: int = 5,
        mode: str = "hybrid",
        folders: list[str] | None = None,
        types: list[str] | None = None,
    ) -> list[dict[str, Any]]:
        """Like /retrieve, answering only from files under ``folders`` and of ``types``
        (as `docqa ask --folder/--type`; empty: all)."""
        found = retriever.retrieve(
            question, int(k), mode=mode, folders=folders or (), types=types or ()
        )
        return [r.to_dict() for r in found]

    folder_choices, type_choices = choices(retriever.manifest)
    with gr.Blocks(title="docqa", analytics_enabled=False, delete_cache=(3600, 3600)) as demo:
        with gr.Row(equal_height=True, elem_classes=["docqa-top"]):
            gr.HTML('<h1 class="docqa-title">docqa</h1>', scale=0, min_width=90)
            status = gr.HTML(status_html(retriever), elem_id="docqa-status", scale=4)
            sync_button = gr.Button("Sync now", size="sm", scale=0, min_width=110)
        sync_note = gr.HTML("", elem_id="docqa-sync-note")
        with gr.Row(elem_classes=["docqa-main"]):
            with gr.Column(scale=3, min_width=340):
                chat = gr.HTML(
                    render_transcript([]),
                    elem_id="docqa-chat",
                    js_on_load=scripts.CHAT_ON_LOAD,
                    apply_default_css=False,
                )
                gr.Textbox(  # read and emptied by the page's script (scripts.INPUT)
                    placeholder="Ask a question, e.g. how do I rebuild the index?",
                    label="Question",
                    show_label=False,
                    autofocus=True,
                    submit_btn=True,
                    elem_id="docqa-question",
                    lines=1,
                    max_lines=6,
                )
                # Filled and clicked by the page's script (scripts.INPUT), hidden by the style.
                sent = gr.Textbox(
                    elem_id="docqa-sent", elem_classes=["docqa-hidden"], container=False
                )
                go = gr.Button("go", elem_id="docqa-go", elem_classes=["docqa-hidden"])
                with gr.Row():
                    new_button = gr.Button("New chat", size="sm", elem_id="docqa-new-chat")
                with gr.Accordion("Options", open=False, elem_id="docqa-options"):
                    with gr.Row():
                        top_k = gr.Slider(1, 20, value=k, step=1, label="Passages to show")
                        mode = gr.Radio(
                            list(MODES),
                            value="hybrid",
                            label="Ranking",
                            info="hybrid: meaning and words; dense: meaning; lexical: words",
                        )
                    with gr.Row():
                        folders = gr.Dropdown(
                            folder_choices,
                            multiselect=True,
                            allow_custom_value=True,  # one a sync removed: retrieve says so
                            label="Only in folders",
                            info="empty: every folder",
                        )
                        types = gr.CheckboxGroup(
                            type_choices, label="Only file types", info="none ticked: every type"
                        )
                with gr.Accordion("Add documents", open=False, elem_id="docqa-upload"):
                    files = gr.File(
                        file_count="multiple",
                        type="filepath",
                        label="Files to add to the documents folder",
                        elem_id="docqa-upload-files",
                    )
                    with gr.Row():
                        into = gr.Textbox(
                            label="Into folder",
                            placeholder="(the documents folder itself)",
                            scale=2,
                        )
                        replace = gr.Checkbox(label="Replace files with the same name", scale=1)
                    upload_button = gr.Button("Add and sync", elem_id="docqa-upload-button")
                    upload_note = gr.HTML("", elem_id="docqa-upload-note")
                with gr.Accordion("Skipped files", open=False):
                    skipped = gr.HTML(skipped_html(retriever.manifest))
            with gr.Column(scale=2, min_width=320):
                source = gr.HTML(
                    "",
                    elem_id="docqa-source",
                    js_on_load=scripts.BUTTONS,
                    apply_default_css=False,
                )
                page = gr.Image(
                    label="PDF page (passage marked)",
                    visible=False,
                    interactive=False,
                    type="pil",
                    format="png",
                    elem_id="docqa-page",
                    buttons=["fullscreen"],
                )
                view = gr.Radio(list(VIEWS), value=VIEWS[0], label="Markdown files shown", scale=0)
        turns = gr.State([])
        opened = gr.State(None)
        count = gr.Number(0, visible=False)  # turns in the chat, for the page's script
        when = gr.Textbox("now", visible=False)

        private: dict[str, Any] = {"api_visibility": "private"}
        answered = go.click(
            answer,
            [sent, turns, top_k, mode, folders, types, view],
            [chat, turns, count, status, source, page, opened],
            concurrency_limit=CONCURRENCY,
            concurrency_id="answer",
            show_progress="minimal",
            **private,
        )
        shown = answered.then(None, count, None, js=scripts.ANSWERED, **private)
        answered.failure(None, js=scripts.FAILED, **private)
        cited = chat.click(open_cited, [turns, view], [source, page, opened], **private)
        toggled = view.change(reopen, [opened, view], [source, page, opened], **private)
        for event in (shown, toggled):
            event.then(None, js=scripts.SCROLL_TO_HIT, **private)
        cited.then(None, js=scripts.SHOW_SOURCE, **private)
        new_button.click(
            new_chat,
            when,
            [chat, turns, count, source, page, opened],
            js=scripts.NEW_CHAT,
            **private,
        ).then(None, js=scripts.CLEARED, **private)

        synced = sync_button.click(
            run_sync,
            None,
            sync_note,
            concurrency_limit=1,
            concurrency_id="sync",
            show_progress="hidden",
            **private,
        )
        uploaded = upload_button.click(
            upload,
            [files, replace, into],
            upload_note,
            concurrency_limit=1,
            concurrency_id="sync",
            show_progress="hidden",
            **private,
        )
        uploaded.then(lambda: None, None, files, **private)
        for event in (synced, uploaded):
            event.then(refresh, [folders, types], [status, skipped, folders, types], **private)
        gr.Timer(15).tick(
            lambda: status_html(retriever, sync.last_finished), None, status, **private
        )
        # /retrieve keeps its three inputs: scripts posting to the queue send exactly those.
        for fn, name in ((retrieve_api, "retrieve"), (retrieve_filtered_api, "retrieve_filtered")):
            gr.api(fn, api_name=name, concurrency_limit=CONCURRENCY, concurrency_id="answer")
    return demo.queue(default_concurrency_limit=CONCURRENCY)
