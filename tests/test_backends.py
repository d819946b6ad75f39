"""Encoder backends without the real model: names, capabilities, the choice and the remembered
decision. Loading with a fake torch is in test_backends_load.py; the ONNX export cache, batch
planning and the manifest's record in test_backends_export.py."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from backends_helpers import BF16, EVERYTHING, PLAIN, Clock, unit

from index import IndexConfig, load_encoder
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
from index.errors import BackendError, DocqaError

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


def _runner(clock: Clock, cost: float, vectors: np.ndarray, calls: list[str], name: str) -> Any:
    def run(texts: Sequence[str]) -> np.ndarray:
        calls.append(name)
        clock.now += cost
        return vectors[: len(texts)]

    return run


def test_decide_times_every_runner_and_records_failures_and_disagreement() -> None:
    clock, calls = Clock(), []
    good, other = unit(4, 0), unit(4, 1)

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
