"""Fusing rankings and picking diverse results: pure functions, checked on small hand-made lists."""

from __future__ import annotations

import pytest

from qa.diversity import Candidate, diversify
from qa.fusion import normalised, rrf, weighted


def test_rrf_sums_reciprocal_ranks_over_the_lists() -> None:
    fused = dict(rrf([[(1, 0.9), (2, 0.8)], [(2, 7.0), (3, 5.0)]], k=60))
    assert fused[2] == pytest.approx(1 / 62 + 1 / 61)
    assert fused[1] == pytest.approx(1 / 61)
    assert fused[3] == pytest.approx(1 / 62)
    assert [pid for pid, _ in rrf([[(1, 0.9), (2, 0.8)], [(2, 7.0), (3, 5.0)]])] == [2, 1, 3]


def test_normalised_maps_scores_onto_zero_to_one() -> None:
    assert normalised([(1, 12.0), (2, 7.0), (3, 2.0)]) == {1: 1.0, 2: 0.5, 3: 0.0}
    assert normalised([(4, 3.0), (5, 3.0)]) == {4: 1.0, 5: 1.0}
    assert normalised([]) == {}


def test_weighted_sums_normalised_scores_and_absent_counts_zero() -> None:
    dense = [(1, 0.9), (2, 0.5), (3, 0.1)]
    lexical = [(3, 20.0), (4, 10.0), (5, 0.0)]
    fused = dict(weighted([dense, lexical], (0.5, 0.5)))
    assert fused == pytest.approx({1: 0.5, 2: 0.25, 3: 0.5, 4: 0.25, 5: 0.0})
    assert [pid for pid, _ in weighted([dense, lexical], (0.5, 0.5))] == [1, 3, 2, 4, 5]
    assert [pid for pid, _ in weighted([dense, []], (0.5, 0.5))] == [1, 2, 3]
    with pytest.raises(ValueError, match="one weight per ranking"):
        weighted([dense], (0.5, 0.5))


def test_diversify_caps_per_file_and_collapses_identical_texts() -> None:
    ranked = [
        Candidate(1, "a.md", "one"),
        Candidate(2, "a.md", "two"),
        Candidate(3, "b.md", "one "),
        Candidate(4, "a.md", "three"),
        Candidate(5, "c.md", "four"),
        Candidate(6, "d.md", "two"),
    ]
    picks = diversify(ranked, 3, per_file=2)
    assert [(p.id, p.duplicates) for p in picks] == [(1, (3,)), (2, (6,)), (5, ())]
    assert [p.id for p in diversify(ranked, 3, per_file=None)] == [1, 2, 4]
    assert [p.id for p in diversify(ranked, 10, per_file=0)] == [1, 2, 4, 5]
