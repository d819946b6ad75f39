"""How docqa read each written file of the formats run (``bench/formats.py``): its paragraphs
(blocks) against the written ones, read exactly, split, merged with a neighbour or changed."""

from __future__ import annotations

from typing import Any

from ir_metrics import cover, squash
from writers import Article

from index import Passage

__all__ = ["reading"]


def reading(articles: dict[str, Article], passages: list[Passage]) -> dict[str, Any]:
    """How docqa's paragraphs (blocks) line up with the written ones, over all files."""
    blocks: dict[str, dict[tuple[int | None, int], list[str]]] = {name: {} for name in articles}
    for p in passages:  # in document order: a block's later parts follow its first
        if p.part == 1:
            key = (p.page, p.paragraph)
        blocks.setdefault(p.source, {}).setdefault(key, []).append(p.text)
    exact = split = merged = changed = 0
    examples: list[str] = []

    for name, article in articles.items():
        texts = [" ".join(parts) for parts in blocks[name].values()]
        covers = cover(article.paragraphs, texts)
        if (
            covers is None
        ):  # some text differs: count the paragraphs read exactly, call the rest changed
            found = {squash(t) for t in texts}
            ok = sum(squash(p) in found for p in article.paragraphs)
            exact, changed = exact + ok, changed + len(article.paragraphs) - ok
            examples.append(
                f"{name}: text differs ({_first_difference(article.paragraphs, texts)})"
            )
            continue
        uses = [0] * len(texts)
        for covered in covers:
            for j in covered:
                uses[j] += 1
        for i, covered in enumerate(covers):
            if len(covered) > 1:
                split += 1
            elif uses[covered[0]] > 1:
                merged += 1
            else:
                exact += 1
                continue
            if len(examples) < 20:
                keys = [list(blocks[name])[j] for j in covered]
                examples.append(f"{name} ¶{i + 1} read as (page, ¶) {keys}")
    return {
        "blocks": sum(len(b) for b in blocks.values()),
        "exact": exact,
        "split": split,
        "merged": merged,
        "changed": changed,
        "reading_examples": examples,
    }


def _first_difference(gold: list[str], texts: list[str]) -> str:
    a, b = "".join(squash(t) for t in gold), "".join(squash(t) for t in texts)
    i = next((k for k, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    return f"written {a[max(i - 20, 0) : i + 20]!r}, read {b[max(i - 20, 0) : i + 20]!r}"
