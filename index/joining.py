"""Short blocks joined with their neighbours, so that every passage stands on its own.

Real documents are written in short paragraphs: a title line, a lead-in sentence ending in ":",
the steps of a list, a code block, a one-line note. Cut alone, each loses the context that says
what it is about, and a title alone answers nothing. A block too short to stand alone is joined
with the blocks next to it in the same section (same heading path and container), as long as the
joined passage still fits the model whole.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from .paragraphs import Block

__all__ = ["MIN_TOKENS", "join_short"]

# A block with fewer of the model's tokens than this (about 45 words) does not stand alone;
# for a model that reads less than four times as much, a quarter of what it reads. Measured on
# realdocs (bench/realdocs.py): 48 and 64 and 128 tokens give R@5 within one question of each
# other; above 64, a third of SQuAD's ordinary paragraphs would count as short.
MIN_TOKENS = 64
# A block that opens a list item (- * + or 1. / 1)).
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s")


def join_short(
    text: str,
    blocks: Sequence[Block],
    fits: Callable[[Sequence[Block]], bool],
    count_tokens: Callable[[str], int],
    *,
    min_tokens: int = MIN_TOKENS,
    together: Callable[[Block, Block], bool] | None = None,
) -> list[list[Block]]:
    """Group consecutive ``blocks`` into passages: a block joins the group before it when the
    two share a section (same heading path and context, and ``together`` holds: the same
    page, say), one of them is too short to stand alone, and ``fits`` holds for the group."""

    def same(a: Block, b: Block) -> bool:
        return _same_section(a, b) and (together is None or together(a, b))

    groups: list[list[Block]] = []
    sizes: list[int] = []
    for block in blocks:
        size = count_tokens(text[block.start : block.end])
        if groups and same(groups[-1][-1], block):
            group = groups[-1]
            short = (
                sizes[-1] < min_tokens
                or size < min_tokens
                or _leads_in(text, group[-1])
                or _needs_lead(text, block)
            )
            if short and fits([*group, block]):
                group.append(block)
                sizes[-1] += size
                continue
        groups.append([block])
        sizes.append(size)
    return groups


def _same_section(a: Block, b: Block) -> bool:
    return (
        a.heading_path == b.heading_path and a.context == b.context and a.kind != "table" != b.kind
    )


def _leads_in(text: str, block: Block) -> bool:
    """A sentence that announces what follows ("The model can then be instantiated:")."""
    return text[block.start : block.end].rstrip().endswith(":")


def _needs_lead(text: str, block: Block) -> bool:
    """A block that reads as the continuation of the one before: a code block, a list item."""
    return block.kind == "code" or bool(_LIST_ITEM.match(text[block.start : block.end]))
