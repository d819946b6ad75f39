"""The source panel: a cited passage where it stands in its file, marked and scrolled into view.

Each file is shown as its format's :class:`~index.formats.registry.SourceView` says: text files
as their text; Markdown files rendered (headings, lists, code, safe links) by
:mod:`webapp.mdview`, or as their text when the reader asks for it; PDF, Word and HTML files as
the text docqa extracted (a PDF's page image comes from :mod:`webapp.pdfpage`).
"""

from __future__ import annotations

from pathlib import Path

from index import BUILTIN_FORMATS, DocqaError, SourceView
from qa.context import passage_context
from qa.results import Result

from .text import esc

__all__ = ["render_source"]

CHANGED = "The file changed since it was indexed; showing the indexed text. Sync to refresh."


def render_source(docs_root: str | Path, result: Result, *, rendered: bool = True) -> str:
    """HTML of ``result`` in its source: a header with the citation and a Copy citation
    button, then the file around the passage with the passage marked (``id="docqa-hit"``)."""
    label = f"[{result.rank}] {result.citation}"
    head = (
        '<div class="docqa-source-head">'
        f'<span class="docqa-source-cite">{esc(label)}</span>'
        f'<button type="button" class="docqa-copy" data-copy="{esc(result.citation)}">Copy citation</button>'
        "</div>"
    )
    try:
        ctx = passage_context(docs_root, result)
    except DocqaError as exc:
        note = f'<div class="docqa-warn">{esc(str(exc))}</div>'
        body = f'<pre class="docqa-file docqa-body"><mark id="docqa-hit">{esc(result.text)}</mark></pre>'
        return f'<div class="docqa-source">{head}{note}{body}</div>'
    if not ctx.matches:
        note = f'<div class="docqa-warn">{esc(CHANGED)}</div>'
        body = (
            f'<pre class="docqa-file docqa-body"><mark id="docqa-hit">{esc(ctx.text)}</mark></pre>'
        )
        return f'<div class="docqa-source">{head}{note}{body}</div>'
    fmt = BUILTIN_FORMATS.for_path(result.source)
    if rendered and fmt is not None and fmt.view is SourceView.MARKDOWN:
        from .mdview import render_markdown

        before = _from_block_start(ctx.before) if ctx.truncated_before else ctx.before
        base = result.start - len(before)
        window = before + ctx.text + ctx.after
        doc = render_markdown(window, mark=(result.start, result.end), base_offset=base)
        body = f'<div class="docqa-md docqa-body">{_more(ctx.truncated_before)}{doc}{_more(ctx.truncated_after)}</div>'
    else:
        body = (
            f'<pre class="docqa-file docqa-body">{_more(ctx.truncated_before)}{esc(ctx.before)}'
            f'<mark id="docqa-hit">{esc(ctx.text)}</mark>{esc(ctx.after)}'
            f"{_more(ctx.truncated_after)}</pre>"
        )
    return f'<div class="docqa-source">{head}{body}</div>'


def _from_block_start(before: str) -> str:
    """``before`` cut to start at a block: after its first blank line, and past a code fence's
    end when the cut fell inside one, so the rendered window reads as its file does."""
    blank = before.find("\n\n")
    if blank < 0:
        return before
    rest = before[blank + 2 :]
    fences = [
        i for i, line in enumerate(rest.split("\n")) if line.lstrip().startswith(("```", "~~~"))
    ]
    if len(fences) % 2:  # the cut is inside a fence: start after its closing line
        lines = rest.split("\n")
        rest = "\n".join(lines[fences[0] + 1 :])
    return rest


def _more(truncated: bool) -> str:
    return '<span class="docqa-cut" title="the file continues">…</span>' if truncated else ""
