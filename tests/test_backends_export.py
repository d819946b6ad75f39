"""Encoder backends without the real model: the ONNX export cache, batch planning, and the
manifest's record of the backend."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from helpers import RecordingEncoder, write_files

import index.engines as engines
import index.onnxexport as onnxexport
from index import IndexConfig, build_index
from index.generations import current_generation
from index.manifest import read_manifest
from index.runners import _pool, plan_batches

# --- the ONNX export cache ------------------------------------------------------------------


def test_the_export_is_written_once_atomically_and_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    made: list[Path] = []

    def fake_export(transformer: Any, tokenizer: Any, target: Path) -> None:
        assert not (tmp_path / "onnx" / "d1").exists()  # nothing visible while it is written
        target.write_bytes(b"onnx")
        made.append(target)

    monkeypatch.setattr(onnxexport, "_export", fake_export)
    path = onnxexport.export_onnx(None, None, "d1", root=tmp_path)
    assert path == tmp_path / "onnx" / "d1" / "model.onnx"
    assert path.read_bytes() == b"onnx"
    assert json.loads((path.parent / "export.json").read_text())["digest"] == "d1"
    assert made[0].parent != path.parent  # written in a scratch folder, then renamed
    assert onnxexport.export_onnx(None, None, "d1", root=tmp_path) == path
    assert len(made) == 1  # reused
    assert sorted(p.name for p in (tmp_path / "onnx").iterdir()) == ["d1"]


class _Tensor:
    def __init__(self, values: list[float]) -> None:
        self.array = np.asarray(values, dtype=np.float32)
        self.shape = self.array.shape

    def detach(self) -> _Tensor:
        return self

    contiguous = cpu = detach

    def numpy(self) -> np.ndarray:
        return self.array


class _Weights:
    def __init__(self, path: str, values: list[float]) -> None:
        self._path, self._values = path, values
        self.config = self

    def to_dict(self) -> dict[str, Any]:
        return {"_name_or_path": self._path, "hidden_size": 4}

    def state_dict(self) -> dict[str, _Tensor]:
        return {"w": _Tensor(self._values)}


def test_the_model_digest_follows_the_weights_not_the_folder() -> None:
    digest = onnxexport.model_digest
    same = digest(_Weights("/a/model", [1.0, 2.0]), "mean,256")
    assert digest(_Weights("/copy/elsewhere", [1.0, 2.0]), "mean,256") == same
    assert digest(_Weights("/a/model", [1.0, 2.5]), "mean,256") != same
    assert digest(_Weights("/a/model", [1.0, 2.0]), "cls,256") != same


def test_a_failed_export_leaves_nothing_behind(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def failing(transformer: Any, tokenizer: Any, target: Path) -> None:
        target.write_bytes(b"half")
        raise RuntimeError("tracer failed")

    monkeypatch.setattr(onnxexport, "_export", failing)
    with pytest.raises(RuntimeError):
        onnxexport.export_onnx(None, None, "d2", root=tmp_path)
    assert list((tmp_path / "onnx").iterdir()) == []


def test_an_export_finished_meanwhile_by_another_process_is_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def racing(transformer: Any, tokenizer: Any, target: Path) -> None:
        other = tmp_path / "onnx" / "d3"
        other.mkdir()
        (other / "model.onnx").write_bytes(b"theirs")
        target.write_bytes(b"ours")

    monkeypatch.setattr(onnxexport, "_export", racing)
    path = onnxexport.export_onnx(None, None, "d3", root=tmp_path)
    assert path.read_bytes() == b"theirs"
    assert sorted(p.name for p in (tmp_path / "onnx").iterdir()) == ["d3"]  # scratch removed


def test_a_damaged_export_is_discarded_so_the_next_load_exports_again(tmp_path: Path) -> None:
    folder = tmp_path / "onnx" / "d4"
    folder.mkdir(parents=True)
    (folder / "model.onnx").write_bytes(b"garbage")

    def load() -> Any:
        raise RuntimeError("protobuf parsing failed")

    with pytest.raises(RuntimeError):
        engines._reloading(folder / "model.onnx", load)()
    assert not folder.exists()


# --- batches and pooling --------------------------------------------------------------------


@pytest.mark.parametrize("streams", [1, 2, 3])
def test_batches_cover_every_text_once_longest_first_in_whole_rounds(streams: int) -> None:
    rng = np.random.default_rng(streams)
    for n in (0, 1, 5, 33, 250):
        lengths = [int(x) for x in rng.integers(2, 257, size=n)]
        batches = plan_batches(lengths, 32, streams)
        assert sorted(i for b in batches for i in b) == list(range(n))
        assert all(0 < len(b) <= 32 for b in batches)
        flat = [lengths[i] for b in batches for i in b]
        assert flat == sorted(flat, reverse=True)
        assert n == 0 or len(batches) % streams == 0 or len(batches) == n


def test_batches_for_two_streams_split_the_tokens_evenly() -> None:
    batches = plan_batches([100] * 40, 32, 2)
    assert [len(b) for b in batches] == [20, 20]  # not 32 + 8: one stream would wait


def test_mean_pooling_ignores_padding_and_cls_takes_the_first_token() -> None:
    hidden = np.array([[[1.0, 0.0], [0.0, 1.0], [9.0, 9.0]]], dtype=np.float32)
    mask = np.array([[1, 1, 0]])
    np.testing.assert_allclose(_pool(hidden, mask, "mean"), [[0.70710677, 0.70710677]])
    np.testing.assert_allclose(_pool(hidden, mask, "cls"), [[1.0, 0.0]])


# --- the manifest ---------------------------------------------------------------------------


def test_the_manifest_records_the_encoder_backend(tmp_path: Path) -> None:
    docs = write_files(tmp_path / "docs", {"a.txt": "Alpha beta gamma.\n"})
    index_dir = tmp_path / "index"
    build_index(docs, IndexConfig(index_dir=index_dir, model="hashing"))
    assert read_manifest(current_generation(index_dir)).encoder_backend == "hashing"

    class Fast(RecordingEncoder):
        backend = "openvino"

    (docs / "b.txt").write_text("Delta epsilon.\n", encoding="utf-8")
    build_index(docs, IndexConfig(index_dir=index_dir), encoder=Fast())
    assert read_manifest(current_generation(index_dir)).encoder_backend == "openvino"


def test_the_app_s_batching_encoder_passes_the_backend_on() -> None:
    from qa.batching import BatchingEncoder

    class Fast(RecordingEncoder):
        backend = "onnx"

    wrapped = BatchingEncoder(Fast())
    assert wrapped.backend == wrapped.bulk.backend == "onnx"  # type: ignore[attr-defined]
    assert BatchingEncoder(RecordingEncoder()).backend == ""


def test_a_manifest_written_before_the_field_reads_as_unknown(tmp_path: Path) -> None:
    docs = write_files(tmp_path / "docs", {"a.txt": "Alpha beta gamma.\n"})
    index_dir = tmp_path / "index"
    build_index(docs, IndexConfig(index_dir=index_dir, model="hashing"))
    path = current_generation(index_dir) / "manifest.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    del data["encoder_backend"]
    path.write_text(json.dumps(data), encoding="utf-8")
    assert read_manifest(path.parent).encoder_backend == ""
