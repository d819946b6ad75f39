"""Retrieval metrics as BEIR/MTEB (pytrec_eval, i.e. trec_eval) and the SQuAD-closed task compute them.

Pure functions over plain lists and dicts; no dependencies. Checked by ``bench/test_ir_metrics.py``.
``squash`` and ``cover`` line up a reader's paragraphs (what was written) with docqa's (what it read).
"""

from __future__ import annotations

import math
import re
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import TypeVar

__all__ = [
    "cover",
    "first_rank",
    "ndcg_at_k",
    "recall_at_k",
    "reciprocal_rank",
    "squash",
    "unique_in_order",
]

K = TypeVar("K", bound=Hashable)


def unique_in_order(keys: Iterable[K]) -> list[K]:
    """``keys`` with repeats dropped, each kept at its first (best) position."""
    return list(dict.fromkeys(keys))


def first_rank(ranking: Sequence[K], gold: K) -> int | None:
    """1-based rank of ``gold`` in ``ranking``, or None when it is absent."""
    try:
        return ranking.index(gold) + 1
    except ValueError:
        return None


def reciprocal_rank(rank: int | None, k: int) -> float:
    """1/rank when the hit is in the top ``k``, else 0 (the per-question term of MRR@k)."""
    return 1.0 / rank if rank is not None and rank <= k else 0.0


def ndcg_at_k(ranking: Sequence[str], qrels: Mapping[str, int], k: int) -> float:
    """trec_eval's ``ndcg_cut.k``: gain = the judged relevance (linear, not 2^rel-1), discount
    log2(rank + 1); the ideal ranking sorts all judged relevances of the query, cut at ``k``."""
    dcg = sum(qrels.get(doc, 0) / math.log2(i + 2) for i, doc in enumerate(ranking[:k]))
    ideal = sorted((r for r in qrels.values() if r > 0), reverse=True)[:k]
    idcg = sum(r / math.log2(i + 2) for i, r in enumerate(ideal))
    return dcg / idcg if idcg > 0 else 0.0


def recall_at_k(ranking: Sequence[str], qrels: Mapping[str, int], k: int) -> float:
    """trec_eval's ``recall.k``: relevant documents in the top ``k`` / all relevant documents."""
    relevant = {doc for doc, r in qrels.items() if r > 0}
    if not relevant:
        return 0.0
    return len(relevant.intersection(ranking[:k])) / len(relevant)


def squash(text: str) -> str:
    """``text`` without any white space: where a reader (or an extractor) breaks lines and
    paragraphs does not change it."""
    return re.sub(r"\s+", "", text)


def cover(gold: Sequence[str], blocks: Sequence[str]) -> list[list[int]] | None:
    """For each gold paragraph, the indices of the ``blocks`` that share text with it, when the
    blocks hold the gold paragraphs' text in order (compared by :func:`squash`); else None.

    A gold paragraph came out as exactly one block when its list is ``[j]`` and block ``j``
    holds nothing else: ``cover(g, b)[i] == [j]`` and ``cover(g, b).count([j]) == 1``.
    """
    gold_text = [squash(t) for t in gold]
    block_text = [squash(t) for t in blocks]
    if "".join(gold_text) != "".join(block_text):
        return None
    ends, pos = [], 0
    for text in block_text:
        pos += len(text)
        ends.append(pos)
    out, start, j = [], 0, 0
    for text in gold_text:
        stop = start + len(text)
        while j < len(ends) and ends[j] <= start:
            j += 1
        k, covered = j, []
        while k < len(ends) and ends[k] - len(block_text[k]) < stop:
            if block_text[k]:
                covered.append(k)
            k += 1
        out.append(covered)
        start = stop
    return out
