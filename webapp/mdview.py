"""Markdown documents shown rendered, safely: markdown-it renders, nh3 sanitizes.

The document is untrusted. Raw HTML in it is shown as text (the renderer's ``html`` option is
off), images become ``[image: alt]`` text (an ``<img>`` would make the browser fetch a URL from a
local tool), links keep only http, https, mailto and ``#fragment`` targets, and nh3 then removes
anything outside a small structural allowlist. Last, ``$ { } `` ` in the output become character
references, so no math typesetter or client-side template (Gradio's ``gr.HTML`` template is
``${value}``) downstream can read the text as its own syntax.

The passage being cited is marked on the top-level blocks it overlaps: ``class="docqa-hit"`` on
each, ``id="docqa-hit"`` on the first, for the page to style and scroll to.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.token import Token

__all__ = ["HIT_CLASS", "HIT_ID", "render_markdown"]

HIT_CLASS = "docqa-hit"
HIT_ID = "docqa-hit"

# Blocks that can carry the hit mark: what markdown-it renders for a top-level block.
_BLOCK_TAGS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "blockquote", "pre", "table"}
_BLOCK_TAGS |= {"hr"}
_TAGS = _BLOCK_TAGS | {"li", "code", "em", "strong", "a", "thead", "tbody", "tr", "th", "td"}
_TAGS |= {"br", "del", "s"}
_SCHEMES = {"http", "https", "mailto"}
_SCHEME = re.compile(r"^\s*([a-zA-Z][a-zA-Z0-9+.-]*):")
_LINE_BREAK = re.compile(r"\r\n?|\n")  # what markdown-it counts as a line break
# Tag and attribute names come from the allowlist above, so these characters can only be in
# text or attribute values, where a character reference means the same character.
_INERT = str.maketrans({"$": "&#36;", "{": "&#123;", "}": "&#125;", "`": "&#96;"})


def render_markdown(
    source: str, *, mark: tuple[int, int] | None = None, base_offset: int = 0
) -> str:
    """Render a window of a Markdown document as sanitized HTML, the cited passage marked.

    ``source`` is the document's text from file offset ``base_offset`` on; ``mark`` is the
    passage's (start, end) file offsets. Top-level blocks whose lines overlap the part of the
    mark inside the window get ``class="docqa-hit"``, the first also ``id="docqa-hit"``. Best
    given a window that starts at a block boundary: one cut inside a code fence renders the rest
    of the window as code.
    """
    if not source:
        return ""
    md = _parser()
    tokens = md.parse(source)
    if mark is not None:
        _mark_blocks(tokens, _mark_lines(source, mark[0] - base_offset, mark[1] - base_offset))
    html = md.renderer.render(tokens, md.options, {})
    return _cleaner().clean(html).translate(_INERT)


def _mark_lines(source: str, start: int, end: int) -> tuple[int, int] | None:
    """The first and last line (0-based, as markdown-it counts) of ``source[start:end]``."""
    start, end = max(start, 0), min(end, len(source))
    if start >= end:
        return None
    line_starts = [0] + [m.end() for m in _LINE_BREAK.finditer(source)]
    first = bisect.bisect_right(line_starts, start) - 1
    last = bisect.bisect_right(line_starts, end - 1) - 1
    return first, last


def _mark_blocks(tokens: Sequence[Token], lines: tuple[int, int] | None) -> None:
    if lines is None:
        return
    first, last = lines
    marked = False
    for token in tokens:
        # Openers (nesting 1) and self-contained blocks (fence, code_block, hr) at the top.
        if token.level != 0 or token.nesting == -1 or token.map is None:
            continue
        begin, stop = token.map  # lines [begin, stop)
        if begin <= last and first < stop:
            token.attrSet("class", HIT_CLASS)
            if not marked:
                token.attrSet("id", HIT_ID)
                marked = True


def _allowed_link(url: str) -> bool:
    """markdown-it's link check: a URL with a scheme must use a safe one; relative ones pass
    here and lose their href when rendered (there is no page for them to point to)."""
    scheme = _SCHEME.match(url)
    return scheme is None or scheme.group(1).lower() in _SCHEMES


def _absolute(url: str) -> bool:
    scheme = _SCHEME.match(url)
    return scheme is not None and scheme.group(1).lower() in _SCHEMES


def _link_open(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    token = tokens[idx]
    href = str(token.attrGet("href") or "")
    if _absolute(href):
        token.attrSet("target", "_blank")  # a link must not navigate the app away
    elif not href.startswith("#"):
        del token.attrs["href"]  # relative to the document, meaningless on this page
    return str(self.renderToken(tokens, idx, options, env))


def _image(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    alt = self.renderInlineAsText(tokens[idx].children or [], options, env)
    return escapeHtml(f"[image: {alt}]" if alt else "[image]")


def _code(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: Any) -> str:
    """Fenced and indented code alike: attributes (the hit mark) on ``<pre>``, no language
    class (the info string is the document's, and nothing here highlights)."""
    token = tokens[idx]
    attrs = self.renderAttrs(token)
    return f"<pre{attrs}><code>{escapeHtml(token.content)}</code></pre>\n"


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
    md.validateLink = _allowed_link  # type: ignore[method-assign]
    md.add_render_rule("link_open", _link_open)
    md.add_render_rule("image", _image)
    md.add_render_rule("fence", _code)
    md.add_render_rule("code_block", _code)
    return md


def _href(tag: str, attr: str, value: str) -> str | None:
    """nh3's last word on URLs: only absolute safe-scheme links and in-page fragments."""
    if tag == "a" and attr == "href" and not (_absolute(value) or value.startswith("#")):
        return None
    return value


@lru_cache(maxsize=1)
def _cleaner() -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=_TAGS,
        clean_content_tags={"script", "style"},
        attributes={"a": {"href", "title"}},
        attribute_filter=_href,
        url_schemes=_SCHEMES,
        url_relative="pass_through",  # fragments; ``_href`` drops every other relative URL
        link_rel="noopener noreferrer nofollow",
        allowed_classes={tag: {HIT_CLASS} for tag in _BLOCK_TAGS},
        tag_attribute_values={
            "a": {"target": {"_blank"}},
            **{tag: {"id": {HIT_ID}} for tag in _BLOCK_TAGS},
        },
        strip_comments=True,
    )
