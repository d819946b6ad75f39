"""The docqa chat screen (Gradio). It calls ``qa`` and holds no retrieval logic.

Start it with ``docqa serve``; ``build_app`` is here for tests and embedding in other apps.
Text from documents is always escaped: it is shown, never interpreted as Markdown or HTML.
"""

from __future__ import annotations

import html
import re
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from index.errors import DocqaError
from qa.background import BackgroundSync, SyncStatus
from qa.confidence import WEAK_ANSWER
from qa.context import passage_context
from qa.results import Result
from qa.retriever import MODES, Retriever

if TYPE_CHECKING:
    import gradio as gr

__all__ = [
    "build_app",
    "chat_turn",
    "launch",
    "md_escape",
    "render_context",
    "render_reply",
    "sync_updates",
]

# Passage text shown in a chat reply; the source panel shows the whole passage.
_SNIPPET_CHARS = 400
# Earlier questions kept for follow-ups.
_TURNS = 6

_MD_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|~])")

# Bring the highlighted passage into view inside the source panel.
_SCROLL_TO_MARK = (
    "() => { const m = document.querySelector('.docqa-source mark');"
    " if (m) m.scrollIntoView({block: 'nearest', behavior: 'smooth'}); }"
)

CSS = """
.docqa-source pre { white-space: pre-wrap; font-size: 0.9em; max-height: 32em; overflow-y: auto; }
.docqa-source mark { background: #fff3a0; color: inherit; padding: 0 1px; }
.docqa-source .docqa-cite { font-weight: 600; margin-bottom: 0.4em; }
.docqa-warn { color: #a15c00; }
"""


def md_escape(text: str) -> str:
    """Text shown literally inside Markdown: Markdown punctuation escaped, then HTML escaped."""
    return html.escape(_MD_SPECIALS.sub(r"\\\1", text), quote=False)


def render_reply(question: str, results: list[Result]) -> str:
    """The assistant's chat message: numbered passages with citation, score and text."""
    if not results:
        return "The index has no passages yet. Add documents and run `docqa index`."
    top = results[0]
    if top.confident:
        lines = [
            f"**Answer:** {md_escape(top.answer_line)}",
            f"*[1] {md_escape(top.citation)}*",
            "",
        ]
    else:
        lines = [f"**{md_escape(WEAK_ANSWER)}**", ""]
    lines += [f"Top {len(results)} passages for *{md_escape(question.strip())}*:", ""]
    for r in results:
        stale = " ⚠ *source changed since indexing*" if r.stale else ""
        lines.append(f"**[{r.rank}]** {md_escape(r.citation)} · score {r.score:.3f}{stale}")
        text = _snippet(r.text)
        lines.extend("> " + md_escape(line) if line.strip() else ">" for line in text.split("\n"))
        lines.append("")
    lines.append("*Open a passage in its source with the picker on the right.*")
    return "\n".join(lines)


def _snippet(text: str, limit: int = _SNIPPET_CHARS) -> str:
    """The passage, cut at a word boundary after about ``limit`` characters (the source panel
    shows it whole)."""
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > limit // 2 else limit].rstrip() + " …"


def render_context(retriever: Retriever, result: Result) -> str:
    """HTML of the passage highlighted in its source; every piece of document text escaped."""
    head = f'<div class="docqa-cite">[{result.rank}] {html.escape(result.citation)}</div>'
    try:
        ctx = passage_context(retriever.manifest.docs_root, result)
    except DocqaError as exc:
        note = f'<div class="docqa-warn">{html.escape(str(exc))}</div>'
        return f'<div class="docqa-source">{head}{note}<pre><mark>{html.escape(result.text)}</mark></pre></div>'
    note = (
        ""
        if ctx.matches
        else (
            '<div class="docqa-warn">The file changed since it was indexed; showing the indexed text. '
            "Re-index to refresh.</div>"
        )
    )
    body = (
        ("…" if ctx.truncated_before else "")
        + html.escape(ctx.before)
        + f"<mark>{html.escape(ctx.text)}</mark>"
        + html.escape(ctx.after)
        + ("…" if ctx.truncated_after else "")
    )
    return f'<div class="docqa-source">{head}{note}<pre>{body}</pre></div>'


def chat_turn(
    retriever: Retriever,
    question: str,
    history: list[dict[str, Any]],
    k: int,
    *,
    mode: str = "hybrid",
    asked: Sequence[str] = (),
) -> tuple[list[dict[str, Any]], list[Result]]:
    """One exchange: the history with the question and the reply appended, and the results.

    ``asked`` holds the conversation's earlier questions, as typed: a follow-up question is
    searched with the words it refers to. A bad question or an index problem becomes the
    reply text instead of an exception.
    """
    history = [*history, {"role": "user", "content": md_escape(question)}]
    try:
        results = retriever.retrieve(question, k, mode=mode, history=list(asked))
    except (DocqaError, ValueError) as exc:
        history.append({"role": "assistant", "content": md_escape(str(exc))})
        return history, []
    if not results and retriever.manifest.passages:
        reply = "No passage shares a word with the question; switch Ranking to hybrid or dense."
    else:
        reply = render_reply(question, results)
    history.append({"role": "assistant", "content": reply})
    return history, results


def sync_message(status: SyncStatus) -> str:
    """The sync panel's text for a status."""
    if status.running:
        if not status.total:
            return "Syncing: looking for changes…"
        if status.stage == "reading":
            return f"Syncing: checking files {status.done}/{status.total}…"
        share = 100 * status.done // status.total
        return f"Syncing: embedding new text, {share}% done…"
    if status.error:
        return f"Sync failed: {md_escape(status.error)}"
    s = status.summary
    if s is None:
        return ""
    if not s.published:
        return f"Index is up to date ({s.files_indexed} files, {s.passages} passages)."
    return (
        f"Synced in {s.seconds:.1f} s: {s.files_added} added, {s.files_changed} changed, "
        f"{s.files_renamed} renamed, {s.files_removed} removed; "
        f"{s.embedded} passage{'' if s.embedded == 1 else 's'} embedded."
    )


def sync_updates(sync: BackgroundSync, *, poll: float = 0.5) -> Iterator[str]:
    """Start a sync (or join the running one) and yield its progress until it ends."""
    sync.start()
    while (status := sync.status()).running:
        yield sync_message(status)
        time.sleep(poll)
    yield sync_message(status)


def status_line(retriever: Retriever) -> str:
    """One line on the index being asked: files, passages, model, build time."""
    try:
        m = retriever.manifest
    except DocqaError as exc:
        return f"**Index:** {md_escape(str(exc))}"
    return (
        f"**Index:** {len(m.files)} files · {m.passages} passages · model {md_escape(m.model)} · "
        f"built {md_escape(m.built_at)}"
    )


def build_app(retriever: Retriever, *, k: int = 5, docs: str | Path | None = None) -> gr.Blocks:
    """The chat app over one index. ``retrieve`` is also a named API endpoint for gradio_client.

    "Sync now" brings the index in step with ``docs`` (default: the folder it was built from)
    in the background; questions keep being answered meanwhile.
    """
    import gradio as gr

    sync = BackgroundSync(retriever, docs=docs)

    def answer(
        question: str, history: list[dict[str, Any]], k: float, mode: str, asked: list[str]
    ) -> tuple[Any, ...]:
        asked = asked if history else []  # the chat was cleared: a new conversation
        history, results = chat_turn(
            retriever, question, history, int(k), mode=mode or "hybrid", asked=asked
        )
        choices = [(f"[{r.rank}] {r.citation}", r.rank) for r in results]
        first = render_context(retriever, results[0]) if results else ""
        picked = gr.update(choices=choices, value=1 if results else None)
        return history, "", picked, results, first, [*asked, question][-_TURNS:]

    def open_passage(rank: int | None, results: list[Result]) -> str:
        for r in results or []:
            if r.rank == rank:
                return render_context(retriever, r)
        return ""

    def retrieve_api(question: str, k: int = 5, mode: str = "hybrid") -> list[dict[str, Any]]:
        """Ranked passages with citations for a question, as JSON objects (same keys as `docqa ask --json`)."""
        return [r.to_dict() for r in retriever.retrieve(question, int(k), mode=mode)]

    with gr.Blocks(title="docqa", analytics_enabled=False) as demo:
        gr.Markdown("## docqa: ask your documents")
        with gr.Row(equal_height=True):
            status = gr.Markdown(status_line(retriever))
            sync_button = gr.Button("Sync now", size="sm", scale=0, min_width=110)
        sync_note = gr.Markdown("")
        with gr.Row():
            with gr.Column(scale=3):
                chat = gr.Chatbot(
                    label="Answers", height=560, feedback_options=None, buttons=["copy"]
                )
                question = gr.Textbox(
                    placeholder="Ask a question, e.g. how do I rebuild the index?",
                    show_label=False,
                    autofocus=True,
                    submit_btn=True,
                )
                with gr.Row():
                    top_k = gr.Slider(1, 20, value=k, step=1, label="Passages to show")
                    mode = gr.Radio(
                        list(MODES),
                        value="hybrid",
                        label="Ranking",
                        info="hybrid: meaning and words; dense: meaning; lexical: words",
                    )
            with gr.Column(scale=2):
                picker = gr.Dropdown(
                    label="Open a cited passage in its source", choices=[], interactive=True
                )
                source = gr.HTML(elem_classes=["docqa-source-panel"])
        results = gr.State([])
        earlier = gr.State([])  # the conversation's questions, as typed, for follow-ups
        asked = question.submit(
            answer,
            [question, chat, top_k, mode, earlier],
            [chat, question, picker, results, source, earlier],
            api_visibility="private",
        )
        question.submit(lambda: status_line(retriever), None, status, api_visibility="private")
        shown = picker.change(open_passage, [picker, results], source, api_visibility="private")
        for event in (asked, shown):
            event.then(None, None, None, js=_SCROLL_TO_MARK, api_visibility="private")

        def run_sync() -> Iterator[str]:
            yield from sync_updates(sync)

        synced = sync_button.click(
            run_sync,
            None,
            sync_note,
            api_visibility="private",
            concurrency_id="sync",
            show_progress="hidden",
        )
        synced.then(lambda: status_line(retriever), None, status, api_visibility="private")
        gr.api(retrieve_api, api_name="retrieve")
    return demo


def launch(
    index_dir: str | Path, *, model: str | None = None, host: str = "127.0.0.1", port: int = 7860
) -> None:
    """Load the index and its model, then serve the app until interrupted."""
    retriever = Retriever(index_dir, model=model, batching=True)
    # Events run in parallel (Gradio's default is one at a time per event): concurrent
    # questions share model calls through the retriever's BatchingEncoder. 16 measured as
    # fast as no limit (bench/load.py), and keeps a burst from taking every worker thread.
    build_app(retriever).queue(default_concurrency_limit=16).launch(
        server_name=host, server_port=port, css=CSS, footer_links=["api"]
    )
