"""Retrieval metrics as BEIR/MTEB (pytrec_eval, i.e. trec_eval) and the SQuAD-closed task compute them.

Pure functions over plain lists and dicts; no dependencies. Checked by ``bench/test_ir_metrics.py``.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import TypeVar

__all__ = ["first_rank", "ndcg_at_k", "recall_at_k", "reciprocal_rank", "unique_in_order"]

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
