"""One question against one index snapshot: fused candidates -> diverse, cited results.

The :class:`~qa.retriever.Retriever` checks the arguments, embeds the question and keeps the
snapshot current; :func:`rank` does the search itself, on the snapshot it is given.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from index import IndexSnapshot, LexicalHit, Manifest, Subset

from . import fusion
from .answerline import answer_spans
from .confidence import features, is_confident
from .diversity import Candidate, Pick, diversify
from .results import Result

__all__ = ["CANDIDATES", "HYBRID_WEIGHTS", "rank"]

# Candidates taken from each ranking (at least 4k): deep enough that the per-file cap and
# collapsed duplicates still leave k results.
CANDIDATES = 100
# Hybrid: weights of the dense and the lexical ranking's min-max normalised scores. Measured
# (chunker 4, per-file cap 3) on realdocs (pydantic, httpx), docqa's guide and all of SQuAD: the
# weighted sum beat reciprocal rank fusion (k = 10, 60) on every set. More dense weight helps
# the paraphrased realdocs questions (pydantic R@1: 0.5 -> 0.275, 0.6 -> 0.375), more lexical
# weight SQuAD (R@1: 0.5 -> 0.803, 0.6 -> 0.790, below BM25 alone); 0.53 keeps SQuAD R@1 at
# 0.802 and pydantic R@1 at 0.325.
HYBRID_WEIGHTS = (0.53, 0.47)


def rank(
    snap: IndexSnapshot,
    query: str,
    vector: np.ndarray,
    k: int,
    *,
    mode: str,
    per_file: int | None,
    within: Subset | None = None,
) -> list[Result]:
    """The ``k`` passages of ``snap`` that best answer ``query`` (embedded as ``vector``),
    best first, at most ``per_file`` from one file, searched only ``within`` a subset when
    one is given. The arguments are assumed checked (see :meth:`Retriever.retrieve`)."""
    depth = max(CANDIDATES, 4 * k)
    dense: list[tuple[int, float]] = []
    lexical: list[LexicalHit] = []
    if mode != "dense":
        lexical = snap.lexical_search(query, depth, within=within)
    if mode != "lexical":
        dense = snap.search(vector, depth, within=within)
    ranked = _fuse(mode, dense, [(h.id, h.score) for h in lexical])
    texts = snap.texts(pid for pid, _ in ranked)
    candidates = [Candidate(pid, *texts[pid]) for pid, _ in ranked if pid in texts]
    picks = diversify(candidates, k, per_file=per_file)
    return _results(snap, query, vector, picks, mode, dict(ranked), dense, lexical)


def _results(
    snap: IndexSnapshot,
    query: str,
    vector: np.ndarray,
    picks: list[Pick],
    mode: str,
    fused: dict[int, float],
    dense: list[tuple[int, float]],
    lexical: list[LexicalHit],
) -> list[Result]:
    """The picked passages as results, each with how every ranking saw it."""
    by_id = snap.passages(pid for pick in picks for pid in (pick.id, *pick.duplicates))
    seen_dense = {pid: (rank, s) for rank, (pid, s) in enumerate(dense, start=1)}
    seen_lexical = {h.id: (rank, h) for rank, h in enumerate(lexical, start=1)}
    root = Path(snap.manifest.docs_root)
    cosines = _cosines(snap, vector, [pick.id for pick in picks], seen_dense)
    confident = bool(picks) and is_confident(
        features(query, by_id[picks[0].id].text, [cosines[pick.id] for pick in picks])
    )
    out: list[Result] = []
    for pick in picks:
        p = by_id[pick.id]
        d_rank, d_score = seen_dense.get(p.id, (None, None))
        l_rank, hit = seen_lexical.get(p.id, (None, None))
        out.append(
            Result.of(
                p,
                score=fused[p.id],
                rank=len(out) + 1,
                stale=_is_stale(root, p.source, snap.manifest),
                mode=mode,
                dense_score=d_score,
                dense_rank=d_rank,
                lexical_score=hit.score if hit else None,
                lexical_rank=l_rank,
                matched_terms=hit.terms if hit else (),
                also_in=tuple(by_id[d].citation for d in pick.duplicates if d in by_id),
                answer_spans=answer_spans(query, p.text, p.start),
                confident=confident,
            )
        )
    return out


def _cosines(
    snap: IndexSnapshot,
    vector: np.ndarray,
    ids: list[int],
    seen: dict[int, tuple[int, float]],
) -> dict[int, float]:
    """The dense cosine of each of ``ids`` with the question: from the dense ranking, or from
    the stored vectors for passages it did not reach (lexical mode, a lexical-only hit)."""
    out = {pid: seen[pid][1] for pid in ids if pid in seen}
    missing = [pid for pid in ids if pid not in out]
    if missing:
        scores = snap.vectors(missing) @ np.asarray(vector, dtype=np.float32)
        out.update(zip(missing, (float(s) for s in scores), strict=True))
    return out


def _fuse(
    mode: str, dense: list[tuple[int, float]], lexical: list[tuple[int, float]]
) -> list[tuple[int, float]]:
    """One ranking of ``(id, score)``, best first."""
    if mode == "dense":
        return dense
    if mode == "lexical":
        return lexical
    return fusion.weighted([dense, lexical], HYBRID_WEIGHTS)


def _is_stale(root: Path, source: str, manifest: Manifest) -> bool:
    """A cheap stat check: has the cited file changed size or mtime since it was indexed?"""
    entry = manifest.files.get(source)
    if entry is None:
        return False
    try:
        st = os.stat(root / source)
    except OSError:
        return True
    return (st.st_size, st.st_mtime_ns) != (entry.size, entry.mtime_ns)
