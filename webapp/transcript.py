"""The conversation as the chat shows it: each reply answer first, then its cited passages.

A :class:`Turn` is one question and what retrieval returned; the HTML is built here from the
results' fields, every piece of document text through :func:`webapp.text.esc`. Citations are
buttons carrying the turn and rank; the page's script turns a click into the "open this
passage" event. Copy and Export take the original text from data attributes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from qa.confidence import WEAK_ANSWER
from qa.results import Result

from .text import esc, snippet_window

__all__ = [
    "OPEN_PASSAGES",
    "SNIPPET_CHARS",
    "Turn",
    "export_markdown",
    "plain_answer",
    "render_transcript",
    "render_turn",
]

# Passages shown open in a reply; the rest are behind "N more passages".
OPEN_PASSAGES = 3
# Passage text shown in a reply, around its answering sentence; the source panel shows it whole.
SNIPPET_CHARS = 600

EMPTY_INDEX = (
    "The index has no passages yet. Add documents (below) or run docqa index, then Sync now."
)
NO_WORD = "No passage shares a word with the question; switch Ranking to hybrid or dense."
WELCOME = (
    "Ask a question about your documents. Each reply starts with the answer and its citation; "
    "click a citation to open the passage in its source."
)


@dataclass(frozen=True)
class Turn:
    """One exchange: the question as typed, the results, and a notice replacing them (an
    error message, or why there are none)."""

    question: str
    results: tuple[Result, ...] = ()
    notice: str = ""

    @property
    def confident(self) -> bool:
        return bool(self.results) and self.results[0].confident


def render_transcript(turns: Sequence[Turn]) -> str:
    """The whole conversation, oldest first; a welcome line before the first question."""
    if not turns:
        return f'<div class="docqa-chat"><p class="docqa-welcome">{esc(WELCOME)}</p></div>'
    body = "".join(render_turn(t, i) for i, t in enumerate(turns))
    return f'<div class="docqa-chat">{body}</div>'


def render_turn(turn: Turn, index: int) -> str:
    """One question and its reply. ``index`` numbers the turn for citation clicks."""
    question = (
        f'<div class="docqa-q" role="heading" aria-level="3">'
        f'<span class="docqa-who">You</span><span class="docqa-q-text">{esc(turn.question)}</span></div>'
    )
    return (
        f'<section class="docqa-turn" id="docqa-turn-{index}" data-turn="{index}">'
        f'{question}<div class="docqa-a">{_reply(turn, index)}</div></section>'
    )


def _reply(turn: Turn, index: int) -> str:
    if turn.notice:
        return f'<p class="docqa-notice">{esc(turn.notice)}</p>'
    if not turn.results:
        return f'<p class="docqa-notice">{esc(EMPTY_INDEX)}</p>'
    top = turn.results[0]
    if turn.confident:
        head = (
            '<div class="docqa-answer"><span class="docqa-label">Answer</span> '
            f'<span class="docqa-answer-text">{esc(top.answer_line)}</span> '
            f"{_cite_button(top, index)}</div>"
        )
    else:
        head = f'<div class="docqa-weak" role="status">{esc(WEAK_ANSWER)}</div>'
    shown = turn.results[:OPEN_PASSAGES]
    rest = turn.results[OPEN_PASSAGES:]
    items = _passage_list(shown, index, start=1)
    if rest:
        n = len(rest)
        items += (
            f'<details class="docqa-more"><summary>{n} more passage{"" if n == 1 else "s"}</summary>'
            f"{_passage_list(rest, index, start=len(shown) + 1)}</details>"
        )
    tools = (
        '<div class="docqa-tools">'
        f'<button type="button" class="docqa-copy" data-copy="{esc(plain_answer(turn))}">Copy answer</button>'
        f'<button type="button" class="docqa-export" data-export="{esc(export_markdown([turn]))}" '
        f'data-filename="docqa-answer-{index + 1}.md">Export answer</button></div>'
    )
    return head + items + tools


def _passage_list(results: Sequence[Result], index: int, *, start: int) -> str:
    items = "".join(_passage(r, index) for r in results)
    return f'<ol class="docqa-passages" start="{start}">{items}</ol>'


def _passage(r: Result, index: int) -> str:
    stale = ' <span class="docqa-stale">⚠ source changed since indexing</span>' if r.stale else ""
    also = (
        f'<div class="docqa-also">Same text also in: {esc("; ".join(r.also_in))}</div>'
        if r.also_in
        else ""
    )
    return (
        f'<li class="docqa-passage"><div class="docqa-meta">{_cite_button(r, index)}'
        f' <span class="docqa-score">score {r.score:.3f}</span>{stale}</div>'
        f'<blockquote class="docqa-text">{_highlighted(r)}</blockquote>{also}</li>'
    )


def _cite_button(r: Result, index: int) -> str:
    label = f"[{r.rank}] {r.citation}"
    return (
        f'<button type="button" class="docqa-cite" data-turn="{index}" data-rank="{r.rank}" '
        f'title="Open in its source" aria-label="Open {esc(label)} in its source">{esc(label)}</button>'
    )


def _highlighted(r: Result) -> str:
    """The passage text (a window of it when long) with its answering sentence marked."""
    span = None
    if r.answer_spans:
        a, b = r.answer_spans[0]
        span = (a - r.start, b - r.start)
    text = r.text
    lo, hi = snippet_window(len(text), span, SNIPPET_CHARS)
    if lo > 0:  # start and end at a word, without cutting into the answer
        space = text.find(" ", lo, span[0] if span else lo + 30)
        lo = space + 1 if 0 <= space < lo + 30 else lo
    if hi < len(text):
        space = text.rfind(" ", max(lo, span[1] if span else lo), hi)
        hi = space if space > hi - 30 else hi
    parts = ["…" if lo > 0 else ""]
    if span is not None and lo <= span[0] < hi:
        a, b = span[0], min(span[1], hi)
        parts += [esc(text[lo:a]), f"<mark>{esc(text[a:b])}</mark>", esc(text[b:hi])]
    else:
        parts.append(esc(text[lo:hi]))
    parts.append(" …" if hi < len(text) else "")
    return "".join(parts)


def plain_answer(turn: Turn) -> str:
    """The reply as plain text for the clipboard: the answer line and its citation."""
    if not turn.results:
        return turn.notice
    top = turn.results[0]
    if not turn.confident:
        return "\n".join([WEAK_ANSWER, *(f"[{r.rank}] {r.citation}" for r in turn.results)])
    return f"{top.answer_line}\n[{top.rank}] {top.citation}"


def export_markdown(turns: Sequence[Turn]) -> str:
    """The turns as a Markdown document: question, answer with citation, then each passage
    with its citation and score. Document text stays text in any Markdown reader: the
    question, answer and citations are backslash-escaped, passages are fenced code blocks."""
    out: list[str] = []
    for turn in turns:
        out += [f"## {_md_text(_one_line(turn.question))}", ""]
        if turn.notice or not turn.results:
            out += [_md_text(turn.notice or EMPTY_INDEX), ""]
            continue
        top = turn.results[0]
        if turn.confident:
            out += [f"**Answer:** {_md_text(top.answer_line)} \\[{top.rank}\\]", ""]
        else:
            out += [f"*{_md_text(WEAK_ANSWER)}*", ""]
        for r in turn.results:
            out.append(f"\\[{r.rank}\\] {_md_text(r.citation)} (score {r.score:.3f})")
            out.append("")
            out += _fenced(r.text)
            out.append("")
    return "\n".join(out).rstrip() + "\n"


# Markdown (and math, in readers that typeset $...$) punctuation, escaped with a backslash.
_MD_PUNCT = re.compile(r"([\\`*_\[\]<>&|~!$#])")


def _md_text(text: str) -> str:
    return _MD_PUNCT.sub(r"\\\1", text)


def _fenced(text: str) -> list[str]:
    """``text`` as a fenced code block whose fence no line of it can close."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}text", *text.split("\n"), fence]


def _one_line(text: str) -> str:
    return " ".join(text.split())
