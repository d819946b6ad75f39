"""The word (BM25) search of one generation: every segment's FTS5 index asked, the answers
scored as if the segments were one index.

Each segment ranks its own matches; those candidates are then scored with BM25 statistics
summed over all segments (rows and document frequencies, deleted rows included, as Lucene
does), so a passage scores the same whichever segment holds it. FTS5 scores every row that
holds a query term, so in a large segment a term most passages hold would cost more than the
rest of the question: there the rarest terms are searched within a budget of rows.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from . import lexical
from .idarrays import member
from .segment import Segment
from .subset import Subset

__all__ = ["BUDGET_FROM", "ROW_BUDGET", "search"]

# Rows FTS5 may score for one query in one segment of more than BUDGET_FROM passages: about
# 4 µs each on a 2-core machine (its BM25 reads every position of every row holding a term),
# so about 8 ms at most. Measured on 100k synthetic passages (bench/speed.py's corpus):
# retrieve p50 12.8 ms with a budget of 5,000 rows, 8.6 ms with 2,000, 7.4 ms with 1,000.
# Smaller segments are searched with every term: their rows are few, and the quality
# benchmarks (SQuAD, SciFact, realdocs: all under 20k passages) are unchanged.
ROW_BUDGET = 2000
BUDGET_FROM = 20_000


def search(
    parts: Sequence[tuple[Segment, np.ndarray]],
    question: str,
    n: int,
    within: Subset | None = None,
) -> list[lexical.LexicalHit]:
    """The ``n`` best matches of ``question`` in the segments ``parts`` (each with the ids
    deleted from it), best first; only passages ``within`` the subset when one is given."""
    terms = lexical.query_terms(question)
    segments = [seg for seg, _ in parts]
    if not terms or n < 1 or not segments:
        return []
    weights = _term_weights(segments, terms)
    scored: list[tuple[float, int]] = []
    matched: dict[int, tuple[str, ...]] = {}
    for seg, deleted in parts:
        chosen = _affordable(terms, seg)
        ranked = _candidates(seg, deleted, chosen, n, within)
        shares = seg.term_scores(chosen, [pid for pid, _ in ranked])
        for pid, local in ranked:
            found = shares.get(pid, {})
            matched[pid] = tuple(t for t in terms if t in found)
            if weights is None:  # one segment: its own BM25 is the global one
                scored.append((local, pid))
            else:
                scored.append((sum(weights[seg.name][t] * s for t, s in found.items()), pid))
    best = sorted(scored, key=lambda pair: (-pair[0], pair[1]))[:n]
    return [lexical.LexicalHit(pid, score, matched[pid]) for score, pid in best]


def _candidates(
    seg: Segment, deleted: np.ndarray, terms: Sequence[str], n: int, within: Subset | None
) -> list[tuple[int, float]]:
    """The segment's own ``n`` best live matches."""
    sql = within.sql if within is not None else None
    if not len(deleted) or (within is not None and not within.excluded):
        return seg.lexical_ranked(terms, n, sql)  # (a subset of ids holds live passages only)
    ranked = seg.lexical_ranked(terms, n + len(deleted), sql)
    gone = member(deleted, np.fromiter((pid for pid, _ in ranked), np.int64, len(ranked)))
    return [hit for hit, out in zip(ranked, gone, strict=True) if not out][:n]


def _term_weights(
    segments: list[Segment], terms: Sequence[str]
) -> dict[str, dict[str, float]] | None:
    """Per segment and term, the factor turning the segment's BM25 share of the term into the
    global one: global IDF / the segment's IDF. None for a single segment."""
    if len(segments) == 1:
        return None
    rows = sum(seg.lexical_rows for seg in segments)
    df = {t: [seg.document_frequency(t) for seg in segments] for t in terms}
    overall = {t: lexical.idf(rows, sum(df[t])) for t in terms}
    return {
        seg.name: {t: overall[t] / lexical.idf(seg.lexical_rows, df[t][i]) for t in terms}
        for i, seg in enumerate(segments)
    }


def _affordable(terms: Sequence[str], seg: Segment) -> list[str]:
    """The query terms a segment is searched with: in a segment of more than
    :data:`BUDGET_FROM` passages, those it holds, rarest first while their rows stay within
    :data:`ROW_BUDGET` (the rarest always); every term in a smaller one. In question order."""
    if seg.lexical_rows <= BUDGET_FROM:
        return list(terms)
    df = {t: seg.document_frequency(t) for t in terms}
    chosen: set[str] = set()
    total = 0
    for term in sorted((t for t in terms if df[t]), key=lambda t: df[t]):
        if chosen and total + df[term] > ROW_BUDGET:
            break
        chosen.add(term)
        total += df[term]
    return [t for t in terms if t in chosen]
