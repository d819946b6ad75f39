"""Checks of bench/speed.py's pure helpers and bench/synthetic.py: ``pytest bench/test_speed.py``."""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pytest
from speed import label, parse_size
from speedscale import percentiles, recall_at_10
from synthetic import CorpusSpec, SyntheticEncoder, doc_path, file_text, questions, write_corpus


@pytest.mark.parametrize(
    ("text", "n"), [("10k", 10_000), ("100K", 100_000), ("1m", 1_000_000), ("2500", 2500)]
)
def test_parse_size(text: str, n: int) -> None:
    assert parse_size(text) == n


@pytest.mark.parametrize("text", ["", "k", "ten", "50", "-1k"])
def test_parse_size_refuses_what_is_no_corpus_size(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match=r"e\.g\. 10k"):
        parse_size(text)


def test_label() -> None:
    assert [label(n) for n in (10_000, 100_000, 1_000_000, 2500)] == ["10k", "100k", "1M", "2,500"]


def test_recall_at_10_counts_overlap_not_order() -> None:
    exact = [list(range(10)), list(range(10))]
    found = [list(reversed(range(10))), [*range(5), *range(100, 105)]]
    assert recall_at_10(found, exact) == pytest.approx(0.75)


def test_percentiles_in_milliseconds() -> None:
    p = percentiles([0.001] * 99 + [0.101])
    assert p["p50_ms"] == pytest.approx(1.0)
    assert p["mean_ms"] == pytest.approx(2.0)
    assert 1.0 < p["p99_ms"] <= 101.0


def test_files_are_regenerated_identically_and_sized_as_asked(tmp_path: Path) -> None:
    spec = CorpusSpec(45, per_file=20)
    write_corpus(spec, tmp_path)
    paths = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    assert paths == sorted(doc_path(tmp_path, k) for k in range(3))
    counts = [p.read_text(encoding="utf-8").count("\n\n") + 1 for p in paths]
    assert counts == [20, 20, 5]
    assert doc_path(tmp_path, 1).read_text(encoding="utf-8") == file_text(spec, 1)
    assert file_text(spec, 1) != file_text(CorpusSpec(45, per_file=20, seed=1), 1)


def test_encoder_clusters_by_topic_and_is_deterministic() -> None:
    enc = SyntheticEncoder()
    paras = [p for k in range(5) for p in file_text(CorpusSpec(100), k).split("\n\n")]
    vectors = enc.embed(paras)
    assert vectors.shape == (100, 384) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert np.array_equal(enc.embed(paras[3:4])[0], vectors[3])  # a batch does not change a row
    topics = np.array([enc.topic_of(p) for p in paras])
    sims = vectors @ vectors.T
    same = (topics[:, None] == topics[None, :]) & ~np.eye(len(paras), dtype=bool)
    assert sims[same].mean() > 0.3 > 0.1 > abs(sims[~same].mean())
    assert enc.count_tokens("three short words") == 3


def test_a_question_lands_in_its_paragraphs_cluster() -> None:
    spec, enc = CorpusSpec(200), SyntheticEncoder()
    for q in questions(spec, 5):
        words = q.split()
        assert q.startswith("what is the ") and len(words) == 10
        assert enc.topic_of(q) == enc.topic_of(words[3])
