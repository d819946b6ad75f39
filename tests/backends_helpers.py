"""Machines and a fake clock shared by test_backends.py and test_backends_load.py."""

from __future__ import annotations

from store_helpers import unit_vectors as unit  # random unit vectors, 8 dimensions

from index.backends import Capabilities

__all__ = ["BF16", "EVERYTHING", "PLAIN", "Clock", "unit"]

PLAIN = Capabilities(frozenset({"avx2", "avx512f"}), cpus=2)
BF16 = Capabilities(frozenset({"avx2", "avx512f", "avx512_bf16"}), cpus=2)
EVERYTHING = Capabilities(frozenset({"amx_bf16"}), onnxruntime=True, openvino=True, cpus=2)


class Clock:
    """Virtual time: fake runners advance it by their cost, so timings are exact."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now
