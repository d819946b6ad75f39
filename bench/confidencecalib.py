"""Calibrating the confident flag (``bench/confidence.py``): for each (coverage weight, margin
weight), the threshold with the least mean of the two error rates on the calibration half,
its error rates on the held-out half, and the tables printed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from common import log

from qa.confidence import (
    CONFIDENCE_THRESHOLD,
    COVERAGE_WEIGHT,
    MARGIN_WEIGHT,
    ConfidenceFeatures,
    confidence,
)

__all__ = ["Item", "calibrate", "errors", "print_report"]

Row = dict[str, Any]


@dataclass(frozen=True)
class Item:
    group: str
    answerable: bool
    right: bool  # first result is the gold place (answerable questions only; else False)
    f: ConfidenceFeatures


def errors(data: Sequence[Item], cw: float, mw: float, t: float) -> tuple[float, float, float]:
    """False "confident" on unanswerable, false "no good answer" on answerable, and the same
    on answerable questions whose first result is right."""
    pos = [confidence(i.f, coverage_weight=cw, margin_weight=mw) for i in data if i.answerable]
    neg = [confidence(i.f, coverage_weight=cw, margin_weight=mw) for i in data if not i.answerable]
    right = [confidence(i.f, coverage_weight=cw, margin_weight=mw) for i in data if i.right]
    false_yes = sum(v >= t for v in neg) / max(len(neg), 1)
    false_no = sum(v < t for v in pos) / max(len(pos), 1)
    false_no_right = sum(v < t for v in right) / max(len(right), 1)
    return false_yes, false_no, false_no_right


def best_threshold(calib: Sequence[Item], cw: float, mw: float) -> tuple[float, float]:
    """The least mean error on ``calib`` and the threshold that gives it."""
    values = sorted(
        {round(confidence(i.f, coverage_weight=cw, margin_weight=mw), 3) for i in calib}
    )
    best = (2.0, 0.0)
    for t in values:
        fy, fn, _ = errors(calib, cw, mw, t)
        best = min(best, ((fy + fn) / 2, t))
    return best


def calibrate(calib: Sequence[Item], held: Sequence[Item]) -> tuple[list[Row], Row, Row]:
    """The sweep over the weights (a row each), the best row on calibration, and the row of
    the constants qa.confidence ships."""
    table = []
    for cw in (0.0, 0.1, 0.2, 0.25, 0.3, 0.4, 0.5):
        for mw in (0.0, 0.5, 1.0):
            cost, t = best_threshold(calib, cw, mw)
            fy, fn, fnr = errors(held, cw, mw, t)
            table.append(
                {
                    "coverage_weight": cw,
                    "margin_weight": mw,
                    "threshold": t,
                    "calibration_mean_error": round(cost, 4),
                    "held_false_confident": round(fy, 4),
                    "held_false_no_answer": round(fn, 4),
                    "held_false_no_answer_when_right": round(fnr, 4),
                }
            )
            log(str(table[-1]))
    best = min(table, key=lambda r: r["calibration_mean_error"])
    shipped_errors = errors(held, COVERAGE_WEIGHT, MARGIN_WEIGHT, CONFIDENCE_THRESHOLD)
    shipped = {
        "coverage_weight": COVERAGE_WEIGHT,
        "margin_weight": MARGIN_WEIGHT,
        "threshold": CONFIDENCE_THRESHOLD,
        "calibration_mean_error": round(
            sum(errors(calib, COVERAGE_WEIGHT, MARGIN_WEIGHT, CONFIDENCE_THRESHOLD)[:2]) / 2, 4
        ),
        "held_false_confident": round(shipped_errors[0], 4),
        "held_false_no_answer": round(shipped_errors[1], 4),
        "held_false_no_answer_when_right": round(shipped_errors[2], 4),
    }
    return table, best, shipped


def print_report(
    items: Sequence[Item],
    by_group: dict[str, list[Item]],
    calib: Sequence[Item],
    held: Sequence[Item],
    table: list[Row],
    best: Row,
    shipped: Row,
) -> None:
    """The decisions table (top cosine only, best on calibration, shipped constants) and the
    held-out rate of "confident" per group under the best decision."""
    score_only = next(r for r in table if r["coverage_weight"] == 0.0 and r["margin_weight"] == 0.0)
    answerable = sum(i.answerable for i in items)
    print(
        f"{len(items)} questions: {answerable} answerable, {len(items) - answerable} unanswerable; "
        f"calibration half {len(calib)}, held-out half {len(held)}.\n"
    )
    print(
        "| decision | threshold | calib. mean error | held-out false confident (unanswerable) | held-out false no-answer (answerable) | … when top-1 is right |"
    )
    print("|---|---|---|---|---|---|")
    rows = (
        ("top cosine only", score_only),
        ("best on calibration", best),
        ("qa.confidence constants", shipped),
    )
    for label, r in rows:
        print(
            f"| {label}: score + {r['coverage_weight']}·coverage + {r['margin_weight']}·margin | "
            f"{r['threshold']:.3f} | {r['calibration_mean_error']:.3f} | {r['held_false_confident']:.3f} | "
            f"{r['held_false_no_answer']:.3f} | {r['held_false_no_answer_when_right']:.3f} |"
        )
    print("\nHeld-out rate of 'confident' per group, best decision:\n")
    print("| group | answerable | questions (held-out) | confident |")
    print("|---|---|---|---|")
    for group in by_group:
        g = [i for i in held if i.group == group]
        conf = sum(
            confidence(
                i.f, coverage_weight=best["coverage_weight"], margin_weight=best["margin_weight"]
            )
            >= best["threshold"]
            for i in g
        )
        print(
            f"| {group} | {'yes' if g and g[0].answerable else 'no'} | {len(g)} | {conf / max(len(g), 1):.3f} |"
        )
