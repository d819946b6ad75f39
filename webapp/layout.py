"""The chat screen's components, panel by panel, in the order the page shows them.

Each panel function creates its components inside the open ``gr.Blocks`` and returns them in
a frozen dataclass, so :mod:`webapp.events` can wire them by name. Nothing here reacts to
anything: what a click does lives in :mod:`webapp.handlers` and :mod:`webapp.events`.
Element ids and classes are what the page's scripts (:mod:`webapp.scripts`), the style
(:mod:`webapp.style`) and the browser tests find the components by.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from qa import MODES

from . import scripts
from .transcript import render_transcript

if TYPE_CHECKING:
    import gradio as gr

__all__ = [
    "VIEWS",
    "Conversation",
    "Options",
    "Screen",
    "SourcePanel",
    "TopBar",
    "Upload",
    "screen",
]

# How the source panel shows a Markdown file.
VIEWS = ("rendered", "as text")


@dataclass(frozen=True)
class TopBar:
    status: gr.HTML
    sync_button: gr.Button
    sync_note: gr.HTML


@dataclass(frozen=True)
class Conversation:
    """The chat and its input. The visible question box is read and emptied by the page's
    script (scripts.INPUT), which sends the question through the hidden ``sent`` and ``go``."""

    chat: gr.HTML
    sent: gr.Textbox
    go: gr.Button
    new_chat: gr.Button


@dataclass(frozen=True)
class Options:
    top_k: gr.Slider
    mode: gr.Radio
    folders: gr.Dropdown
    types: gr.CheckboxGroup


@dataclass(frozen=True)
class Upload:
    files: gr.File
    into: gr.Textbox
    replace: gr.Checkbox
    button: gr.Button
    note: gr.HTML


@dataclass(frozen=True)
class SourcePanel:
    source: gr.HTML
    page: gr.Image
    view: gr.Radio


@dataclass(frozen=True)
class Screen:
    """Every component the events use; ``turns``, ``opened`` (the result in the source
    panel), ``count`` (turns, for the page's script) and ``when`` are per-browser state."""

    top: TopBar
    conversation: Conversation
    options: Options
    upload: Upload
    skipped: gr.HTML
    source: SourcePanel
    turns: gr.State
    opened: gr.State
    count: gr.Number
    when: gr.Textbox


def screen(
    *, status: str, skipped: str, folders: tuple[str, ...], types: tuple[str, ...], k: int
) -> Screen:
    """The whole screen, built inside an open ``gr.Blocks``: the top bar (``status``: its
    HTML), then the chat column (conversation, options offering ``folders`` and ``types``,
    uploads, ``skipped``: the skipped files' HTML) beside the source column."""
    import gradio as gr

    top = top_bar(status)
    with gr.Row(elem_classes=["docqa-main"]):
        with gr.Column(scale=3, min_width=340):
            conversation = conversation_panel()
            options = options_panel(folders, types, k=k)
            upload = upload_panel()
            with gr.Accordion("Skipped files", open=False):
                skipped_files = gr.HTML(skipped)
        with gr.Column(scale=2, min_width=320):
            source = source_panel()
    return Screen(
        top,
        conversation,
        options,
        upload,
        skipped_files,
        source,
        turns=gr.State([]),
        opened=gr.State(None),
        count=gr.Number(0, visible=False),
        when=gr.Textbox("now", visible=False),
    )


def top_bar(status: str) -> TopBar:
    """The title, the index status line and "Sync now", with the sync's progress below."""
    import gradio as gr

    with gr.Row(equal_height=True, elem_classes=["docqa-top"]):
        gr.HTML('<h1 class="docqa-title">docqa</h1>', scale=0, min_width=90)
        line = gr.HTML(status, elem_id="docqa-status", scale=4)
        button = gr.Button("Sync now", size="sm", scale=0, min_width=110)
    return TopBar(line, button, gr.HTML("", elem_id="docqa-sync-note"))


def conversation_panel() -> Conversation:
    import gradio as gr

    chat = gr.HTML(
        render_transcript([]),
        elem_id="docqa-chat",
        js_on_load=scripts.CHAT_ON_LOAD,
        apply_default_css=False,
    )
    gr.Textbox(
        placeholder="Ask a question, e.g. how do I rebuild the index?",
        label="Question",
        show_label=False,
        autofocus=True,
        submit_btn=True,
        elem_id="docqa-question",
        lines=1,
        max_lines=6,
    )
    # Hidden by the style.
    sent = gr.Textbox(elem_id="docqa-sent", elem_classes=["docqa-hidden"], container=False)
    go = gr.Button("go", elem_id="docqa-go", elem_classes=["docqa-hidden"])
    with gr.Row():
        new_chat = gr.Button("New chat", size="sm", elem_id="docqa-new-chat")
    return Conversation(chat, sent, go, new_chat)


def options_panel(folders: tuple[str, ...], types: tuple[str, ...], *, k: int) -> Options:
    """Passages per reply, the ranking, and the folder and type filters offered."""
    import gradio as gr

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
            only_folders = gr.Dropdown(
                folders,
                multiselect=True,
                allow_custom_value=True,  # one a sync removed: retrieve says so
                label="Only in folders",
                info="empty: every folder",
            )
            only_types = gr.CheckboxGroup(
                types, label="Only file types", info="none ticked: every type"
            )
    return Options(top_k, mode, only_folders, only_types)


def upload_panel() -> Upload:
    import gradio as gr

    with gr.Accordion("Add documents", open=False, elem_id="docqa-upload"):
        files = gr.File(
            file_count="multiple",
            type="filepath",
            label="Files to add to the documents folder",
            elem_id="docqa-upload-files",
        )
        with gr.Row():
            into = gr.Textbox(
                label="Into folder", placeholder="(the documents folder itself)", scale=2
            )
            replace = gr.Checkbox(label="Replace files with the same name", scale=1)
        button = gr.Button("Add and sync", elem_id="docqa-upload-button")
        note = gr.HTML("", elem_id="docqa-upload-note")
    return Upload(files, into, replace, button, note)


def source_panel() -> SourcePanel:
    """The cited passage in its file, the PDF page it is on, and the Markdown view choice."""
    import gradio as gr

    source = gr.HTML(
        "", elem_id="docqa-source", js_on_load=scripts.BUTTONS, apply_default_css=False
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
    return SourcePanel(source, page, view)
