"""qa.confidence: the features of the first result and the threshold decision."""

from __future__ import annotations

import pytest

from qa.confidence import (
    CONFIDENCE_THRESHOLD,
    COVERAGE_WEIGHT,
    ConfidenceFeatures,
    confidence,
    features,
    is_confident,
)


def test_features_of_the_first_result() -> None:
    f = features("who designed the Eiffel Tower?", "Gustave Eiffel designed the tower.", [0.7, 0.5])
    assert f.score == pytest.approx(0.7)
    assert f.margin == pytest.approx(0.2)
    assert f.coverage == pytest.approx(1.0)  # designed, eiffel, tower
    alone = features("bananas and apples", "Bananas are yellow.", [0.4])
    assert alone.margin == 0.0
    assert alone.coverage == pytest.approx(0.5)
    assert features("what is it?", "text", [0.1]).coverage == 0.0


def test_features_need_a_result() -> None:
    with pytest.raises(ValueError, match="no results"):
        features("q", "", [])


def test_the_threshold_decides_and_can_be_passed() -> None:
    f = ConfidenceFeatures(score=0.3, margin=0.0, coverage=0.0)
    assert confidence(f) == pytest.approx(0.3)
    assert is_confident(f, threshold=0.3)
    assert not is_confident(f, threshold=0.31)
    high = ConfidenceFeatures(score=CONFIDENCE_THRESHOLD + 0.01, margin=0.0, coverage=0.0)
    low = ConfidenceFeatures(
        score=CONFIDENCE_THRESHOLD - COVERAGE_WEIGHT - 0.01, margin=0.0, coverage=1.0
    )
    assert is_confident(high)
    assert not is_confident(low)


def test_coverage_and_margin_weights_move_the_decision() -> None:
    f = ConfidenceFeatures(score=0.4, margin=0.2, coverage=1.0)
    assert not is_confident(f, threshold=0.55, coverage_weight=0.0, margin_weight=0.0)
    assert is_confident(f, threshold=0.55, coverage_weight=0.2, margin_weight=0.0)
    assert is_confident(f, threshold=0.55, coverage_weight=0.0, margin_weight=1.0)
