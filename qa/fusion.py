"""Fusing two rankings of passage ids (dense and lexical) into one: pure functions, no I/O.

Each input is a list of ``(id, score)`` best first. Both fusions return every id of either
list with its fused score, best first (ties broken by the smaller id, so the order is stable).
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["RRF_K", "Ranking", "normalised", "rrf", "weighted"]

Ranking = Sequence[tuple[int, float]]
# Reciprocal rank fusion's constant, as in Cormack et al. (2009).
RRF_K = 60


def rrf(rankings: Sequence[Ranking], *, k: int = RRF_K) -> list[tuple[int, float]]:
    """Reciprocal rank fusion: an id scores the sum of ``1 / (k + rank)`` over the lists it is in."""
    fused: dict[int, float] = {}
    for ranking in rankings:
        for rank, (pid, _) in enumerate(ranking, start=1):
            fused[pid] = fused.get(pid, 0.0) + 1.0 / (k + rank)
    return _ordered(fused)


def normalised(ranking: Ranking) -> dict[int, float]:
    """Scores mapped linearly onto [0, 1] within the list (min-max); all 1 when they are equal."""
    if not ranking:
        return {}
    scores = [s for _, s in ranking]
    lo, hi = min(scores), max(scores)
    if hi == lo:
        return {pid: 1.0 for pid, _ in ranking}
    return {pid: (s - lo) / (hi - lo) for pid, s in ranking}


def weighted(rankings: Sequence[Ranking], weights: Sequence[float]) -> list[tuple[int, float]]:
    """A weighted sum of min-max normalised scores; an id absent from a list gets 0 there."""
    if len(rankings) != len(weights):
        raise ValueError("one weight per ranking")
    fused: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for pid, score in normalised(ranking).items():
            fused[pid] = fused.get(pid, 0.0) + weight * score
    return _ordered(fused)


def _ordered(fused: dict[int, float]) -> list[tuple[int, float]]:
    return sorted(fused.items(), key=lambda item: (-item[1], item[0]))
