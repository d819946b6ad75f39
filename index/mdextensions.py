"""Markdown extension markup that carries no content of its own: MkDocs / Python-Markdown
containers (admonitions, content tabs, ``///`` blocks) and directive lines (includes, snippets,
API stubs, template macros, anchors).

A container's opening and closing lines are never text; the text inside is, with the container's
title (or tab name, or its kind) as context. Indented container bodies are read as if they were
not indented, so that CommonMark does not take them for code. The scan keeps every line where it
is, so line numbers and character offsets of the original text stay valid.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Unwrapped", "unwrap"]

# !!! note "Title"   ??? tip   ???+ example "Title"   (Python-Markdown admonitions, details)
_ADMONITION = re.compile(
    r"""^(!!!|\?\?\?\+?)[ \t]+([\w-]+)(?:[ \t]+(?:"([^"]*)"|'([^']*)'))?[ \t]*$"""
)
# === "Tab name"   (pymdownx.tabbed)
_TAB = re.compile(r"""^===\+?[ \t]+(?:"([^"]*)"|'([^']*)')[ \t]*$""")
# /// tip | Title   //// tab | Python 3.9+   ///   (pymdownx.blocks; the closer repeats the slashes)
_BLOCK = re.compile(r"^(/{3,})[ \t]*([\w-]*)[ \t]*(?:\|[ \t]*(.*?))?[ \t]*$")
# ::: package.module.Name   (mkdocstrings API stubs: filled in from docstrings at build time)
_API_STUB = re.compile(r"^:::[ \t]+\S")
# Lines that only pull in other files or expand at build time.
_DIRECTIVE = re.compile(
    r"""^(?:
        -{2}8<-{2}.*                                 # --8<-- "snippet.md"  (pymdownx.snippets)
      | \{!.*!\}                                     # {!> ../../docs_src/x.py !}  (markdown-include)
      | \{%-?[ \t]*(?:include|import|extends|from)\b.*%\}   # {% include "x.md" %}  (Jinja)
      | \{\{.*\}\}                                   # {{ macro }}  (mkdocs-macros)
      | \[\]\(\)\{[^}]*\}                            # [](){#anchor}  (attr_list anchor)
    )[ \t]*$""",
    re.X,
)
_FENCE = re.compile(r"^(`{3,}|~{3,})")


@dataclass(frozen=True)
class Unwrapped:
    """Per line of a text: the line as CommonMark should read it (container indentation
    removed), whether it is markup only, and the titles of the containers it lies in."""

    lines: list[str]
    markup: list[bool]
    context: list[tuple[str, ...]]


@dataclass
class _Open:
    indent: int  # body indentation (indented containers), or -1 for a ``///`` block
    title: str
    slashes: str = ""


def unwrap(lines: list[str]) -> Unwrapped:
    """Find containers and directive lines in a Markdown document's ``lines``."""
    out = Unwrapped(list(lines), [False] * len(lines), [()] * len(lines))
    stack: list[_Open] = []
    fence = ""
    api_stub = False
    for n, raw in enumerate(lines):
        expanded = raw.expandtabs(4)
        blank = not expanded.strip()
        indent = len(expanded) - len(expanded.lstrip(" "))
        if not blank:
            while stack and stack[-1].indent >= 0 and indent < stack[-1].indent:
                stack.pop()
                fence = ""
        body = max((o.indent for o in stack if o.indent >= 0), default=0)
        line = expanded[body:] if indent >= body else expanded.lstrip(" ")
        out.lines[n] = line
        out.context[n] = tuple(o.title for o in stack if o.title)
        if blank:
            continue
        if api_stub and indent > 0:  # the stub's indented options block
            out.markup[n] = True
            continue
        api_stub = False
        stripped = line.strip()
        if fence:
            if stripped.startswith(fence) and not stripped[len(fence) :].strip():
                fence = ""
            continue
        if m := _FENCE.match(stripped):
            fence = m.group(1)
            continue
        if _opened(line, stack):
            out.markup[n] = True
            out.lines[n] = ""
        elif _API_STUB.match(line) or _DIRECTIVE.match(stripped):
            api_stub = bool(_API_STUB.match(line))
            out.markup[n] = True
            out.lines[n] = ""
    return out


def _opened(line: str, stack: list[_Open]) -> bool:
    """Whether ``line`` opens or closes a container (updating ``stack``)."""
    if line.startswith((" ", "\t")):
        return False
    base = max((o.indent for o in stack if o.indent >= 0), default=0)
    if m := _ADMONITION.match(line):
        title = m.group(3) if m.group(3) is not None else m.group(4)
        if title is None:
            title = m.group(2).replace("-", " ").capitalize()
        stack.append(_Open(base + 4, title.strip()))
        return True
    if m := _TAB.match(line):
        title = m.group(1) if m.group(1) is not None else m.group(2)
        stack.append(_Open(base + 4, title.strip()))
        return True
    if m := _BLOCK.match(line):
        slashes, kind, title = m.group(1), m.group(2), m.group(3)
        if not kind and not title:  # a closer: ends the innermost block with as many slashes
            for i in range(len(stack) - 1, -1, -1):
                if stack[i].slashes == slashes:
                    del stack[i:]
                    break
            return True
        label = (title or "").strip() or kind.replace("-", " ").capitalize()
        stack.append(_Open(-1, label, slashes))
        return True
    return False
