"""Encoder backends at load, with a fake torch: auto measures once and remembers, falls back to fp32
when a faster backend disagrees, and an explicit backend is used as named."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from backends_helpers import BF16, EVERYTHING, PLAIN, Clock, unit

import index.engines as engines
from index.backends import Capabilities, Decision
from index.engines import Engines
from index.errors import BackendError

# --- engines over a fake model --------------------------------------------------------------


class _FakeTorch:
    """Stands in for index.runners.TorchRunner: fp32 gives the reference vectors; bf16 the
    vectors and cost set by the test."""

    bf16_vectors: np.ndarray = unit(64, 0)
    bf16_cost = 0.3
    clock = Clock()
    calls: list[str] = []  # noqa: RUF012 - reset by the fixture

    def __init__(self, model: Any, batch_size: int, *, bf16: bool = False) -> None:
        self.name = "bf16" if bf16 else "fp32"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        _FakeTorch.calls.append(self.name)
        if self.name == "fp32":
            _FakeTorch.clock.now += 1.0
            return unit(64, 0)[: len(texts)]
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
    _FakeTorch.clock, _FakeTorch.calls = Clock(), []
    _FakeTorch.bf16_vectors, _FakeTorch.bf16_cost = unit(64, 0), 0.3
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
    fake_torch.bf16_vectors = unit(64, 1)
    e = _engines("auto", BF16, tmp_path)
    assert e.backend == "fp32"
    assert e.bulk().name == "fp32"


def test_a_remembered_backend_that_now_disagrees_falls_back_with_a_warning(
    tmp_path: Path, fake_torch: type[_FakeTorch], caplog: pytest.LogCaptureFixture
) -> None:
    assert _engines("auto", BF16, tmp_path).backend == "bf16"  # measured, remembered
    fake_torch.bf16_vectors = unit(64, 1)  # then the engine changed under it
    e = _engines("auto", BF16, tmp_path)
    with caplog.at_level("WARNING", logger="index.engines"):
        assert e.bulk().name == "fp32"
    assert e.backend == "fp32"
    assert "bf16 not used" in caplog.text and "cosine" in caplog.text


def test_an_explicit_backend_that_disagrees_is_an_error_at_load(
    tmp_path: Path, fake_torch: type[_FakeTorch]
) -> None:
    fake_torch.bf16_vectors = unit(64, 1)
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
