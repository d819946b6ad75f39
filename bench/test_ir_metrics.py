"""Hand-computed checks of bench's metrics and corpus writing: ``pytest bench/test_ir_metrics.py``."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from common import one_line, sync_folder
from ir_metrics import (
    cover,
    first_rank,
    ndcg_at_k,
    recall_at_k,
    reciprocal_rank,
    squash,
    unique_in_order,
)
from squad import squad_files


def test_ndcg_matches_a_hand_computed_value() -> None:
    # relevant b (grade 2) at rank 2, c (grade 1) at rank 4; d (grade 1) never retrieved.
    qrels = {"b": 2, "c": 1, "d": 1}
    dcg = 2 / math.log2(3) + 1 / math.log2(5)
    idcg = 2 / math.log2(2) + 1 / math.log2(3) + 1 / math.log2(4)
    assert ndcg_at_k(["a", "b", "x", "c"], qrels, 10) == pytest.approx(dcg / idcg)
    assert ndcg_at_k(["a", "b", "x", "c"], qrels, 3) == pytest.approx((2 / math.log2(3)) / idcg)
    assert ndcg_at_k(["b", "c", "d"], qrels, 10) == pytest.approx(1.0)
    assert ndcg_at_k([], qrels, 10) == 0.0


def test_recall_counts_relevant_in_the_cut() -> None:
    qrels = {"b": 2, "c": 1, "d": 1, "z": 0}
    assert recall_at_k(["a", "b", "x", "c"], qrels, 100) == pytest.approx(2 / 3)
    assert recall_at_k(["a", "b", "x", "c"], qrels, 2) == pytest.approx(1 / 3)


def test_paragraph_ranking_keeps_best_part() -> None:
    keys = [("a", 3), ("a", 1), ("a", 3), ("b", 2)]
    ranking = unique_in_order(keys)
    assert ranking == [("a", 3), ("a", 1), ("b", 2)]
    assert first_rank(ranking, ("b", 2)) == 3
    assert first_rank(ranking, ("c", 1)) is None
    assert reciprocal_rank(3, 10) == pytest.approx(1 / 3)
    assert reciprocal_rank(11, 10) == 0.0
    assert reciprocal_rank(None, 10) == 0.0


def test_squad_files_put_context_i_at_paragraph_i(tmp_path: Path) -> None:
    data = {
        "data": [
            {
                "title": "Sky_(United Kingdom)",
                "paragraphs": [
                    {"context": "One.\n\nStill one.", "qas": [{"question": "q1"}]},
                    {"context": " Two ", "qas": [{"question": "q2"}, {"question": "q3"}]},
                ],
            }
        ]
    }
    path = tmp_path / "dev.json"
    path.write_text(json.dumps(data))
    files, questions = squad_files(path)
    assert files == {"00_Sky_United_Kingdom.txt": "One. Still one.\n\nTwo\n"}
    assert questions == [
        ("q1", "00_Sky_United_Kingdom.txt", 1),
        ("q2", "00_Sky_United_Kingdom.txt", 2),
        ("q3", "00_Sky_United_Kingdom.txt", 2),
    ]
    assert one_line("a\r\n  b\nc") == "a b c"
    sync_folder(tmp_path / "docs", files)
    sync_folder(tmp_path / "docs", {"x.txt": "x"})
    assert [p.name for p in (tmp_path / "docs").iterdir()] == ["x.txt"]


def test_squash_ignores_where_lines_break() -> None:
    assert squash(" a b\n\nc\td ") == "abcd"


def test_cover_tells_exact_split_and_merged_paragraphs() -> None:
    gold = ["one two", "three", "four five", "six"]
    # "one two" exact; "three" + "four five" merged into block 1; "six" split over blocks 2-3.
    blocks = ["one  two", "three\nfour five", "s", "ix"]
    assert cover(gold, blocks) == [[0], [1], [1], [2, 3]]
    assert cover(gold, gold) == [[0], [1], [2], [3]]


def test_cover_is_none_when_the_text_differs() -> None:
    assert cover(["a b", "c"], ["ab", "x"]) is None
    assert cover(["a", "b"], ["b", "a"]) is None  # same paragraphs, other order
