"""index.vectorindex: raw segment files, the exact and HNSW backends, choosing between them."""

from __future__ import annotations

import sys
from pathlib import Path

import faiss
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
from vectordata import Clusters, write_segment

from index.vectorindex import (
    KINDS,
    RawVectors,
    RawWriter,
    VectorIndex,
    build_vector_index,
    choose_kind,
    load_vector_index,
)
from index.vectorindex.raw import IDS, VECTORS

D = 48
DATA = Clusters(dimension=D, centres=60, subs=4)  # few topics: neighbourhoods at 3,000 points
N = 3000


@pytest.fixture(scope="module")
def segment(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("vix") / "seg"
    write_segment(folder, N, DATA, chunk=700)
    return folder


@pytest.fixture(scope="module")
def queries() -> np.ndarray:
    return DATA.points(40, seed=5)


@pytest.fixture(scope="module")
def built(segment: Path) -> dict[str, VectorIndex]:
    """One index of each kind, shared by the tests that do not change it (HNSW builds take ~1 s)."""
    return {kind: build_vector_index(RawVectors(segment, D), kind) for kind in KINDS}


def exact_top(folder: Path, queries: np.ndarray, k: int = 10) -> np.ndarray:
    matrix = np.fromfile(folder / VECTORS, dtype="<f4").reshape(-1, D)
    ids = np.fromfile(folder / IDS, dtype="<i8")
    return ids[np.argsort(-(queries @ matrix.T), axis=1)[:, :k]]


def recall(found: np.ndarray, truth: np.ndarray) -> float:
    return float(
        np.mean(
            [
                len(set(f) & set(t)) / len(t)
                for f, t in zip(found.tolist(), truth.tolist(), strict=True)
            ]
        )
    )


def test_raw_round_trip_and_bounded_chunks(tmp_path: Path) -> None:
    vectors = DATA.points(250, seed=1)
    ids = np.arange(0, 500, 2)
    with RawWriter(tmp_path, D) as writer:
        writer.add(ids[:100], vectors[:100])
        writer.add(ids[100:], vectors[100:])
        assert writer.finish() == 250
    raw = RawVectors(tmp_path, D)
    assert raw.ids.tolist() == ids.tolist()
    order = np.array([498, 0, 250, 2])
    assert np.array_equal(raw.rows(order), vectors[order // 2])
    sizes = [len(i) for i, m in raw.chunks(rows=64)]
    assert sizes == [64, 64, 64, 58]
    assert np.array_equal(np.concatenate([m for _, m in raw.chunks(rows=64)]), vectors)
    with pytest.raises(KeyError, match="passage id 3 "):
        raw.rows(np.array([2, 3]))
    with pytest.raises(FileExistsError):
        RawWriter(tmp_path, D)  # a segment is written once


@pytest.mark.parametrize(
    "batches",
    [[[3, 2]], [[1, 2], [2, 3]], [[5, 6], [1]], [[1, 1]]],
    ids=["within", "repeat-across", "back-across", "duplicate"],
)
def test_raw_writer_rejects_ids_that_do_not_ascend(
    tmp_path: Path, batches: list[list[int]]
) -> None:
    with RawWriter(tmp_path, D) as writer, pytest.raises(ValueError, match="ascend"):
        for batch in batches:
            writer.add(np.array(batch), DATA.points(len(batch), seed=2))


def test_dimension_mismatch_is_a_clear_value_error(segment: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="dimension"):
        RawVectors(segment, D + 1)
    with RawWriter(tmp_path, D) as writer, pytest.raises(ValueError, match=f"{D} dimensions"):
        writer.add(np.arange(3), np.zeros((3, D - 1), np.float32))
    index = build_vector_index(RawVectors(segment, D), "flat")
    with pytest.raises(ValueError, match=f"do not have {D} dimensions"):
        index.search(np.zeros((1, D + 2), np.float32), 5)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_backend_finds_the_exact_top_10_with_exact_scores(
    segment: Path, built: dict[str, VectorIndex], queries: np.ndarray, kind: str
) -> None:
    raw = RawVectors(segment, D)
    index = built[kind]
    assert isinstance(index, VectorIndex) and index.kind == kind and len(index) == N
    scores, ids = index.search(queries, 10)
    assert scores.shape == ids.shape == (len(queries), 10) and ids.dtype == np.int64
    assert recall(ids, exact_top(segment, queries)) >= 0.9
    exact = np.einsum("qkd,qd->qk", raw.rows(ids.ravel()).reshape(len(queries), 10, D), queries)
    assert np.allclose(scores, exact, atol=1e-5)  # re-ranked: exact inner products
    assert bool(np.all(np.diff(scores, axis=1) <= 0))  # best first
    assert N * D <= index.resident_bytes() < N * (D * 4 + 2 * 32 * 4 + 100)  # codes, links, ids


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize("allowed", [12, 1500])
def test_selector_applies_inside_the_search(
    built: dict[str, VectorIndex], queries: np.ndarray, kind: str, allowed: int
) -> None:
    index = built[kind]
    keep = np.random.default_rng(allowed).choice(N, allowed, replace=False)
    selector = faiss.IDSelectorBatch(keep)
    _, ids = index.search(queries[:8], 10, selector=selector)
    assert bool(np.all(ids >= 0))  # k results whenever k pass, however few pass
    assert set(ids.ravel().tolist()) <= set(keep.tolist())
    _, ids = index.search(queries[:2], 20, selector=faiss.IDSelectorBatch(keep[:7]))
    assert sorted(ids[0][:7].tolist()) == sorted(keep[:7].tolist()) and set(ids[:, 7:].ravel()) == {
        -1
    }


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_remove_then_save_and_load_gives_identical_results(
    segment: Path, queries: np.ndarray, kind: str, tmp_path: Path
) -> None:
    raw = RawVectors(segment, D)
    index = build_vector_index(raw, kind)
    _, before = index.search(queries, 10)
    gone = np.unique(before[:, :3])
    assert index.remove(np.concatenate([gone, [N + 5]])) == len(gone)  # an unknown id is no-op
    assert index.remove(gone[:2]) == 0 and len(index) == N - len(gone)
    scores, ids = index.search(queries, 10)
    assert not set(ids.ravel().tolist()) & set(gone.tolist()) and bool(np.all(ids >= 0))
    names = index.save(tmp_path)
    assert names and all((tmp_path / name).is_file() for name in names)
    again = load_vector_index(tmp_path, RawVectors(segment, D), kind)
    assert len(again) == len(index)
    scores2, ids2 = again.search(queries, 10)
    assert np.array_equal(ids, ids2) and np.array_equal(scores, scores2)


def test_add_only_takes_ids_of_the_raw_files(segment: Path) -> None:
    index = build_vector_index(RawVectors(segment, D), "flat")
    with pytest.raises(ValueError, match=f"passage id {N + 1} is not in"):
        index.add(np.array([N + 1]), DATA.points(1, seed=3))


def test_load_checks_the_kind_and_the_raw_files(
    segment: Path, built: dict[str, VectorIndex], tmp_path: Path
) -> None:
    built["hnsw"].save(tmp_path)
    with pytest.raises(
        ValueError, match="unknown vector index kind 'ivf'; known kinds: flat, hnsw"
    ):
        load_vector_index(tmp_path, RawVectors(segment, D), "ivf")
    with pytest.raises(FileNotFoundError):
        load_vector_index(tmp_path, RawVectors(segment, D), "flat")
    other = tmp_path / "other"
    write_segment(other, 100, DATA)
    with pytest.raises(ValueError, match="the raw files hold 100"):
        load_vector_index(tmp_path, RawVectors(other, D), "hnsw")


def test_choose_kind_is_exact_while_small_then_hnsw() -> None:
    assert choose_kind(5_000, 384) == "flat"
    assert choose_kind(12_000, 384) == "hnsw"
    assert choose_kind(1_000_000, 384) == "hnsw"
    assert choose_kind(8_000, 768) == "hnsw"  # the work is passages × dimensions


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_k_must_be_positive(built: dict[str, VectorIndex], kind: str) -> None:
    index = built[kind]
    with pytest.raises(ValueError, match="k of 0 is not positive"):
        index.search(np.zeros((1, D), np.float32), 0)


def test_a_search_runs_on_one_thread_and_restores_the_callers_count(
    built: dict[str, VectorIndex], queries: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    import index.vectorindex.hnsw as hnsw

    seen: list[int] = []

    def rerank(*args: object) -> tuple[np.ndarray, np.ndarray]:
        seen.append(faiss.omp_get_max_threads())
        return real(*args)  # type: ignore[arg-type]

    real = hnsw.rerank
    monkeypatch.setattr(hnsw, "rerank", rerank)
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(2)
    try:
        built["hnsw"].search(queries[:3], 5)
        assert seen == [1] and faiss.omp_get_max_threads() == 2
    finally:
        faiss.omp_set_num_threads(before)
