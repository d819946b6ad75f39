"""Encoder backends without the real model: names, capabilities, the choice and its fallbacks,
the remembered decision, the ONNX export cache, batch planning, and the manifest's record."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from helpers import RecordingEncoder, write_files

import index.engines as engines
import index.onnxexport as onnxexport
from index import IndexConfig, build_index, load_encoder
from index.backends import (
    BACKENDS,
    Capabilities,
    Decision,
    candidates,
    check_backend,
    choose,
    decide,
    load_decision,
    save_decision,
)
from index.engines import Engines
from index.errors import BackendError, DocqaError
from index.generations import current_generation
from index.manifest import read_manifest
from index.runners import _pool, plan_batches

PLAIN = Capabilities(frozenset({"avx2", "avx512f"}), cpus=2)
BF16 = Capabilities(frozenset({"avx2", "avx512f", "avx512_bf16"}), cpus=2)
EVERYTHING = Capabilities(frozenset({"amx_bf16"}), onnxruntime=True, openvino=True, cpus=2)


# --- names ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["auto", *BACKENDS])
def test_known_backend_names_pass(name: str) -> None:
    assert check_backend(name) == name
    assert IndexConfig(index_dir=Path("x"), backend=name).backend == name


@pytest.mark.parametrize("name", ["gpu", "FP32", "", "onnx-int8"])
def test_an_unknown_backend_is_a_one_line_error_naming_the_choices(name: str) -> None:
    with pytest.raises(BackendError) as info:
        check_backend(name)
    message = str(info.value)
    assert repr(name) in message and "auto, fp32, bf16, onnx, openvino" in message
    assert "\n" not in message
    with pytest.raises(DocqaError):
        IndexConfig(index_dir=Path("x"), backend=name)
    with pytest.raises(BackendError):
        load_encoder("hashing", backend=name)  # checked before any model is looked at


# --- capabilities and candidates ------------------------------------------------------------


def test_auto_leaves_out_bf16_without_native_bfloat16_and_missing_runtimes() -> None:
    assert candidates("auto", PLAIN) == ["fp32"]
    assert candidates("auto", BF16) == ["fp32", "bf16"]
    assert candidates("auto", EVERYTHING) == ["fp32", "bf16", "onnx", "openvino"]
    assert Capabilities(frozenset({"amx_bf16"})).bf16 and not PLAIN.bf16


def test_a_backend_named_explicitly_is_tried_even_where_it_is_slow() -> None:
    assert candidates("bf16", PLAIN) == ["fp32", "bf16"]
    assert candidates("fp32", EVERYTHING) == ["fp32"]


@pytest.mark.parametrize(("name", "package"), [("onnx", "onnxruntime"), ("openvino", "openvino")])
def test_a_backend_whose_runtime_is_missing_says_what_to_install(name: str, package: str) -> None:
    with pytest.raises(BackendError, match=f"pip install {package}"):
        candidates(name, PLAIN)


def test_detect_reads_this_machine_without_importing_runtimes() -> None:
    code = (
        "import sys; from index.backends import detect; c = detect()\n"
        "assert c.cpus >= 1\n"
        "print(','.join(m for m in ('onnxruntime', 'openvino', 'torch') if m in sys.modules))\n"
    )
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root
    )
    assert out.stdout.strip() == ""


# --- the choice -----------------------------------------------------------------------------


def test_choose_takes_the_fastest_backend_that_matches_fp32() -> None:
    exact = {"fp32": 1.0, "onnx": 1.0, "openvino": 1.0}
    assert choose({"fp32": 1.0, "onnx": 0.7, "openvino": 0.5}, exact) == "openvino"
    assert choose({"fp32": 1.0, "onnx": 0.7, "openvino": 0.5}, exact | {"openvino": 0.99}) == "onnx"
    assert choose({"fp32": 1.0, "onnx": 1.3}, exact) == "fp32"
    assert choose({"fp32": 1.0}, {}) == "fp32"


def test_choose_takes_lossy_bf16_only_when_clearly_faster_than_every_exact_backend() -> None:
    cos = {"fp32": 1.0, "bf16": 0.9999, "onnx": 1.0}
    assert choose({"fp32": 1.0, "bf16": 0.45, "onnx": 0.7}, cos) == "bf16"
    assert choose({"fp32": 1.0, "bf16": 0.65, "onnx": 0.7}, cos) == "onnx"  # not by 20%
    assert choose({"fp32": 1.0, "bf16": 0.1}, cos | {"bf16": 0.98}) == "fp32"


class _Clock:
    """Virtual time: fake runners advance it by their cost, so timings are exact."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _runner(clock: _Clock, cost: float, vectors: np.ndarray, calls: list[str], name: str) -> Any:
    def run(texts: Sequence[str]) -> np.ndarray:
        calls.append(name)
        clock.now += cost
        return vectors[: len(texts)]

    return run


def _unit(rows: int, seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).normal(size=(rows, 8)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def test_decide_times_every_runner_and_records_failures_and_disagreement() -> None:
    clock, calls = _Clock(), []
    good, other = _unit(4, 0), _unit(4, 1)

    def broken(texts: Sequence[str]) -> np.ndarray:
        raise RuntimeError("cannot compile")

    runners = {
        "fp32": _runner(clock, 1.0, good, calls, "fp32"),
        "bf16": _runner(clock, 0.1, other, calls, "bf16"),  # fastest, but wrong vectors
        "onnx": _runner(clock, 0.6, good, calls, "onnx"),
        "openvino": broken,
    }
    decision = decide(runners, ["a", "b", "c", "d"], rounds=3, clock=clock)
    assert decision.backend == "onnx"
    assert decision.relative == {"fp32": 1.0, "bf16": 0.1, "onnx": 0.6}
    assert decision.cosine["onnx"] == 1.0 and decision.cosine["bf16"] < 0.9
    assert "cannot compile" in decision.failed["openvino"]
    assert calls.count("fp32") == calls.count("onnx") == 4  # warm-up + 3 rounds


def test_a_decision_is_remembered_atomically_and_a_damaged_one_ignored(tmp_path: Path) -> None:
    decision = Decision("onnx", {"fp32": 2.0, "onnx": 1.0}, {"onnx": 0.5}, {"onnx": 1.0})
    save_decision("k1", decision, tmp_path)
    assert load_decision("k1", tmp_path) == decision
    assert [p.name for p in (tmp_path / "backends").iterdir()] == ["k1.json"]  # no temp left
    (tmp_path / "backends" / "k2.json").write_text("{not json", encoding="utf-8")
    assert load_decision("k2", tmp_path) is None
    (tmp_path / "backends" / "k3.json").write_text(json.dumps({"backend": "gpu"}), "utf-8")
    assert load_decision("k3", tmp_path) is None
    assert load_decision("missing", tmp_path) is None


# --- engines over a fake model --------------------------------------------------------------


class _FakeTorch:
    """Stands in for index.runners.TorchRunner: fp32 gives the reference vectors; bf16 the
    vectors and cost set by the test."""

    bf16_vectors: np.ndarray = _unit(64, 0)
    bf16_cost = 0.3
    clock = _Clock()
    calls: list[str] = []  # noqa: RUF012 - reset by the fixture

    def __init__(self, model: Any, batch_size: int, *, bf16: bool = False) -> None:
        self.name = "bf16" if bf16 else "fp32"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        _FakeTorch.calls.append(self.name)
        if self.name == "fp32":
            _FakeTorch.clock.now += 1.0
            return _unit(64, 0)[: len(texts)]
        _FakeTorch.clock.now += _FakeTorch.bf16_cost
        return _FakeTorch.bf16_vectors[: len(texts)]


class _FakeModel:
    class _Transformer:
        class auto_model:
            class config:
                @staticmethod
                def to_dict() -> dict[str, Any]:
                    return {}

            @staticmethod
            def state_dict() -> dict[str, Any]:
                return {}

    def __getitem__(self, i: int) -> Any:
        return self._Transformer()

    def __iter__(self) -> Any:
        return iter([])  # no Transformer + Pooling pipeline


@pytest.fixture
def fake_torch(monkeypatch: pytest.MonkeyPatch) -> type[_FakeTorch]:
    monkeypatch.setattr(engines, "TorchRunner", _FakeTorch)
    _FakeTorch.clock, _FakeTorch.calls = _Clock(), []
    _FakeTorch.bf16_vectors, _FakeTorch.bf16_cost = _unit(64, 0), 0.3
    real = engines.decide
    monkeypatch.setattr(
        engines, "decide", lambda runners, probe: real(runners, probe, clock=_FakeTorch.clock)
    )
    return _FakeTorch


def _engines(requested: str, caps: Capabilities, root: Path) -> Engines:
    return Engines(_FakeModel(), requested, dimension=8, batch_size=32, root=root, caps=caps)  # type: ignore[arg-type]


def test_auto_without_anything_faster_is_fp32_and_measures_nothing(
    tmp_path: Path, fake_torch: type[_FakeTorch]
) -> None:
    e = _engines("auto", PLAIN, tmp_path)
    assert (e.backend, e.query.name, e.bulk().name) == ("fp32", "fp32", "fp32")
    assert fake_torch.calls == []
    assert not (tmp_path / "backends").exists()


def test_auto_measures_once_then_remembers(
    tmp_path: Path, fake_torch: type[_FakeTorch], monkeypatch: pytest.MonkeyPatch
) -> None:
    e = _engines("auto", BF16, tmp_path)
    assert fake_torch.calls == []  # nothing measured until passages are embedded
    assert e.backend == "bf16"
    assert e.bulk().name == "bf16"
    assert len(list((tmp_path / "backends").glob("*.json"))) == 1

    def refuse(*args: object, **kwargs: object) -> Decision:
        raise AssertionError("measured again")

    monkeypatch.setattr(engines, "decide", refuse)
    assert _engines("auto", BF16, tmp_path).backend == "bf16"


def test_auto_falls_back_to_fp32_when_the_fast_backend_disagrees(
    tmp_path: Path, fake_torch: type[_FakeTorch]
) -> None:
    fake_torch.bf16_vectors = _unit(64, 1)
    e = _engines("auto", BF16, tmp_path)
    assert e.backend == "fp32"
    assert e.bulk().name == "fp32"


def test_a_remembered_backend_that_now_disagrees_falls_back_with_a_warning(
    tmp_path: Path, fake_torch: type[_FakeTorch], caplog: pytest.LogCaptureFixture
) -> None:
    assert _engines("auto", BF16, tmp_path).backend == "bf16"  # measured, remembered
    fake_torch.bf16_vectors = _unit(64, 1)  # then the engine changed under it
    e = _engines("auto", BF16, tmp_path)
    with caplog.at_level("WARNING", logger="index.engines"):
        assert e.bulk().name == "fp32"
    assert e.backend == "fp32"
    assert "bf16 not used" in caplog.text and "cosine" in caplog.text


def test_an_explicit_backend_that_disagrees_is_an_error_at_load(
    tmp_path: Path, fake_torch: type[_FakeTorch]
) -> None:
    fake_torch.bf16_vectors = _unit(64, 1)
    with pytest.raises(BackendError, match=r"'bf16' cannot be used: vectors differ"):
        _engines("bf16", PLAIN, tmp_path)


def test_an_explicit_backend_is_used_without_measuring(
    tmp_path: Path, fake_torch: type[_FakeTorch]
) -> None:
    e = _engines("bf16", PLAIN, tmp_path)
    assert (e.backend, e.query.name) == ("bf16", "fp32")  # questions never go to a lossy engine
    assert not (tmp_path / "backends").exists()


def test_the_onnx_backends_are_left_out_for_a_pipeline_they_cannot_reproduce(
    tmp_path: Path, fake_torch: type[_FakeTorch]
) -> None:
    # _FakeModel is no Transformer + Pooling pipeline: no export is tried.
    e = _engines("auto", EVERYTHING, tmp_path)
    assert e.query.name == "fp32"
    assert not (tmp_path / "onnx").exists()
    with pytest.raises(BackendError, match="'onnx' cannot run this model"):
        _engines("onnx", EVERYTHING, tmp_path)


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
