"""Is the best passage a confident match, or does the corpus probably not answer the question?

    >>> f = features("who designed the Eiffel Tower?", "The tower was designed by ...", [0.71, 0.52])
    >>> is_confident(f)
    True

The decision is a calibrated threshold on one number, :func:`confidence`: the top result's
dense cosine score plus a weighted share of the question's content words that the passage
contains. The weights and threshold were fitted for all-MiniLM-L6-v2 (see the constants); for
another model, or scores that are not cosines (a fused hybrid score), calibrate your own with
``bench/confidence.py`` and pass ``threshold=`` (and ``coverage_weight=``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .words import content_words

__all__ = [
    "CONFIDENCE_THRESHOLD",
    "COVERAGE_WEIGHT",
    "MARGIN_WEIGHT",
    "WEAK_ANSWER",
    "ConfidenceFeatures",
    "confidence",
    "features",
    "is_confident",
]

# Calibrated for sentence-transformers/all-MiniLM-L6-v2 (dense cosine of the top result) by
# bench/confidence.py: answerable = SQuAD dev questions on the SQuAD index and realdocs questions
# on their own docs; unanswerable = each set's questions asked of the other corpora, SciFact
# claims, and off-topic questions on docqa's docs/. On a random half of the 5,259 questions, the
# coverage weight (of 0-0.5) and margin weight (of 0, 0.5, 1) with the least mean of the two error
# rates at their best threshold; the margin did not help. Held out: 4.4% of unanswerable questions
# taken as confident, 5.2% of answerable ones as "no good answer" (top cosine alone: 7.0%, 3.9%).
# What the CLI and the chat say instead of an answer line when the best passage is not a
# confident match.
WEAK_ANSWER = "No passage answers this well; the closest are:"
CONFIDENCE_THRESHOLD = 0.51
COVERAGE_WEIGHT = 0.4
MARGIN_WEIGHT = 0.0


@dataclass(frozen=True)
class ConfidenceFeatures:
    """What the decision looks at, all from the first result.

    ``score``: its dense cosine with the question; ``margin``: ``score`` minus the second
    result's (0 when there is one result); ``coverage``: share of the question's distinct
    content words (stemmed) found in its text, in [0, 1] (0 for a question of stop words only).
    """

    score: float
    margin: float
    coverage: float


def features(question: str, text: str, scores: Sequence[float]) -> ConfidenceFeatures:
    """Features of the first result: its ``text`` and the ``scores`` of the results, best first.

    Raises ValueError when there are no scores (no results: nothing to be confident about).
    """
    if not scores:
        raise ValueError("no results: features need the scores of at least one result")
    q = set(content_words(question))
    found = set(content_words(text))
    coverage = len(q & found) / len(q) if q else 0.0
    margin = scores[0] - scores[1] if len(scores) > 1 else 0.0
    return ConfidenceFeatures(score=float(scores[0]), margin=float(margin), coverage=coverage)


def confidence(
    f: ConfidenceFeatures,
    *,
    coverage_weight: float = COVERAGE_WEIGHT,
    margin_weight: float = MARGIN_WEIGHT,
) -> float:
    """The number the threshold applies to: ``score + coverage_weight * coverage + margin_weight * margin``."""
    return f.score + coverage_weight * f.coverage + margin_weight * f.margin


def is_confident(
    f: ConfidenceFeatures,
    *,
    threshold: float = CONFIDENCE_THRESHOLD,
    coverage_weight: float = COVERAGE_WEIGHT,
    margin_weight: float = MARGIN_WEIGHT,
) -> bool:
    """True when the first result is a confident match: ``confidence(f) >= threshold``."""
    return confidence(f, coverage_weight=coverage_weight, margin_weight=margin_weight) >= threshold
