"""Picking the top k from a fused ranking: one result per distinct text, a few per file.

Pure functions over candidates already ranked best first; no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

__all__ = ["Candidate", "Pick", "diversify", "same_text_key"]


class Candidate(NamedTuple):
    """What diversity looks at in a ranked passage (a whole Passage is not needed)."""

    id: int
    source: str
    text: str


@dataclass(frozen=True)
class Pick:
    """A kept passage and the ids of the passages with the same text collapsed into it."""

    id: int
    duplicates: tuple[int, ...] = ()


def same_text_key(text: str) -> str:
    """Texts that differ only in white space are the same text."""
    return " ".join(text.split())


def diversify(ranked: Sequence[Candidate], k: int, *, per_file: int | None) -> list[Pick]:
    """The first ``k`` candidates of ``ranked`` with at most ``per_file`` from one file (``None``
    or 0: no cap). A candidate whose text equals a kept one's is not a result of its own but one
    of that result's ``duplicates``, wherever it ranks in ``ranked``."""
    kept: list[tuple[int, list[int]]] = []
    by_text: dict[str, list[int]] = {}
    per_source: dict[str, int] = {}
    for c in ranked:
        key = same_text_key(c.text)
        if key in by_text:
            by_text[key].append(c.id)
            continue
        if len(kept) == k:
            continue  # full: only looking for more places of the kept texts
        if per_file and per_source.get(c.source, 0) >= per_file:
            continue
        per_source[c.source] = per_source.get(c.source, 0) + 1
        duplicates: list[int] = []
        by_text[key] = duplicates
        kept.append((c.id, duplicates))
    return [Pick(pid, tuple(dups)) for pid, dups in kept]
