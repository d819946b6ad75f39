"""Picking the top k from a fused ranking: one result per distinct text, a few per file.

Pure functions over passages already ranked best first; no I/O.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from index.passage import Passage

__all__ = ["Pick", "diversify", "same_text_key"]


@dataclass(frozen=True)
class Pick:
    """A kept passage, its position in the input ranking, and the passages collapsed into it."""

    passage: Passage
    position: int
    duplicates: tuple[Passage, ...] = ()


def same_text_key(text: str) -> str:
    """Texts that differ only in white space are the same text."""
    return " ".join(text.split())


def diversify(ranked: Sequence[Passage], k: int, *, per_file: int | None) -> list[Pick]:
    """The first ``k`` passages of ``ranked`` with at most ``per_file`` from one file (``None``
    or 0: no cap). A passage whose text equals a kept one's is not a result of its own but one
    of that result's ``duplicates``, wherever it ranks in ``ranked``."""
    kept: list[tuple[Passage, int, list[Passage]]] = []
    by_text: dict[str, list[Passage]] = {}
    per_source: dict[str, int] = {}
    for position, passage in enumerate(ranked):
        key = same_text_key(passage.text)
        if key in by_text:
            by_text[key].append(passage)
            continue
        if len(kept) == k:
            continue  # full: only looking for more places of the kept texts
        if per_file and per_source.get(passage.source, 0) >= per_file:
            continue
        per_source[passage.source] = per_source.get(passage.source, 0) + 1
        duplicates: list[Passage] = []
        by_text[key] = duplicates
        kept.append((passage, position, duplicates))
    return [Pick(p, position, tuple(dups)) for p, position, dups in kept]
