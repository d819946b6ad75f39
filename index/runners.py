"""The engines behind :class:`index.encoders.SentenceTransformerEncoder`: each turns texts into
the model's unit vectors, with PyTorch (fp32 or bf16), ONNX Runtime or OpenVINO (fp32).

The ONNX engines run only the exported transformer; tokenizing, mean or CLS pooling and
normalising happen here, as sentence-transformers does them. Texts are tokenized once, sorted
by length and cut into batches, so that little compute goes to padding.
"""

from __future__ import annotations

import copy
import os
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

__all__ = ["OnnxRunner", "OpenVinoRunner", "Tokens", "TorchRunner", "plan_batches", "pooling_of"]

POOLINGS = ("mean", "cls")


class TorchRunner:
    """sentence-transformers' own ``encode``, in fp32 or under bfloat16 autocast."""

    def __init__(self, model: SentenceTransformer, batch_size: int, *, bf16: bool = False) -> None:
        self.name = "bf16" if bf16 else "fp32"
        self._model, self._batch_size, self._bf16 = model, batch_size, bf16

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        import torch

        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self._bf16):
            vectors = self._model.encode(
                list(texts),
                batch_size=self._batch_size,
                normalize_embeddings=True,
                convert_to_numpy=True,
                show_progress_bar=False,
            )
        vectors = np.asarray(vectors, dtype=np.float32)
        if self._bf16:  # normalised in bf16: again in fp32
            vectors /= np.linalg.norm(vectors, axis=1, keepdims=True).clip(1e-12)
        return np.ascontiguousarray(vectors)


def pooling_of(model: SentenceTransformer) -> str | None:
    """``mean`` or ``cls`` when the model is a transformer, that pooling and at most a
    normalisation (what the ONNX engines reproduce); None for any other pipeline."""
    names = [type(module).__name__ for module in model]
    if names not in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"]):
        return None
    pooling: Any = model[1]
    mode = getattr(pooling, "pooling_mode", None)  # sentence-transformers 5+
    if mode is None and hasattr(pooling, "get_pooling_mode_str"):
        mode = pooling.get_pooling_mode_str()
    return mode if mode in POOLINGS else None


class Tokens:
    """A private copy of the model's fast tokenizer, truncating at the model's limit.

    Its settings are made once and never changed, so calls from several threads are safe.
    """

    def __init__(self, hf_tokenizer: Any, max_length: int) -> None:
        self._tok = copy.deepcopy(hf_tokenizer.backend_tokenizer)
        self._tok.no_padding()
        self._tok.enable_truncation(max_length)
        pad = hf_tokenizer.pad_token_id
        self.pad_id = int(pad) if pad is not None else 0

    def ids(self, texts: Sequence[str]) -> list[list[int]]:
        return [e.ids for e in self._tok.encode_batch(list(texts))]


def plan_batches(lengths: Sequence[int], size: int, streams: int = 1) -> list[list[int]]:
    """Row numbers in batches of at most ``size`` texts of similar length, longest first.

    With ``streams`` engines running batches side by side, the batches come in a multiple of
    ``streams`` and carry about equal numbers of tokens, so that no stream sits idle while
    another finishes a long batch (unbalanced, 12 calls of ~50 passages took 45% longer
    than one call of 600 on 2 OpenVINO streams).
    """
    order = sorted(range(len(lengths)), key=lambda i: -lengths[i])
    count = -(-len(order) // size)
    while order:
        count = min(len(order), -(-count // streams) * streams)
        batches = _split(order, lengths, count)
        if all(len(b) <= size for b in batches):
            return batches
        count += 1  # the short texts at the end overflowed a batch: more batches
    return []


def _split(order: list[int], lengths: Sequence[int], count: int) -> list[list[int]]:
    """``order`` cut into ``count`` runs of about equal token totals."""
    total = sum(lengths[i] for i in order) or 1
    batches: list[list[int]] = [[]]
    done = 0
    for n, i in enumerate(order):
        left = len(order) - n
        short = count - len(batches)  # batches still to begin
        if batches[-1] and short and (done >= total * len(batches) / count or left == short):
            batches.append([])
        batches[-1].append(i)
        done += lengths[i]
    return batches


def _inputs(ids: list[list[int]], rows: list[int], pad: int) -> dict[str, np.ndarray]:
    width = max(len(ids[i]) for i in rows)
    input_ids = np.full((len(rows), width), pad, dtype=np.int64)
    mask = np.zeros((len(rows), width), dtype=np.int64)
    for r, i in enumerate(rows):
        input_ids[r, : len(ids[i])] = ids[i]
        mask[r, : len(ids[i])] = 1
    return {"input_ids": input_ids, "attention_mask": mask}


def _batches(
    ids: list[list[int]], size: int, pad: int, streams: int = 1
) -> Iterator[tuple[np.ndarray, dict[str, np.ndarray]]]:
    """``(rows, inputs)`` per batch of :func:`plan_batches`."""
    for rows in plan_batches([len(x) for x in ids], size, streams):
        yield np.asarray(rows), _inputs(ids, rows, pad)


def _pool(hidden: np.ndarray, mask: np.ndarray, mode: str) -> np.ndarray:
    if mode == "cls":
        vectors = hidden[:, 0, :].astype(np.float32)
    else:
        weights = mask[..., None].astype(np.float32)
        vectors = (hidden * weights).sum(axis=1) / weights.sum(axis=1).clip(1e-9)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True).clip(1e-12)


class OnnxRunner:
    """ONNX Runtime, fp32, on ``threads`` threads that sleep rather than spin between calls:
    with two busy processes beside it on 2 cores, a question takes p50 5 ms, p99 14 ms at two
    threads (9 and 18 ms at one; PyTorch: 18 and 216 ms). See bench/backends.py query."""

    name = "onnx"

    def __init__(
        self,
        path: Path,
        tokens: Tokens,
        pooling: str,
        dimension: int,
        *,
        batch_size: int,
        threads: int = 1,
    ) -> None:
        # Official ONNX Runtime builds (1.32 here) send usage telemetry from Linux too and keep a
        # device id under ~/.cache/Microsoft; docqa stays offline. Read once, at the import.
        os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
        import onnxruntime as ort

        ort.disable_telemetry_events()
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.log_severity_level = 3  # no notes on stderr
        self._session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self._path = path
        self._tokens, self._pooling, self._dim = tokens, pooling, dimension
        self._batch_size = batch_size

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self._dim), dtype=np.float32)
        for rows, inputs in _batches(
            self._tokens.ids(texts), self._batch_size, self._tokens.pad_id
        ):
            hidden = self._session.run(None, inputs)[0]
            out[rows] = _pool(hidden, inputs["attention_mask"], self._pooling)
        return out


class OpenVinoRunner:
    """OpenVINO, fp32 (also on CPUs that could run bf16), in throughput mode: one stream per
    core, each running its own batch."""

    name = "openvino"

    def __init__(
        self, path: Path, tokens: Tokens, pooling: str, dimension: int, *, batch_size: int
    ) -> None:
        import openvino as ov

        core = ov.Core()
        config = {"PERFORMANCE_HINT": "THROUGHPUT", "INFERENCE_PRECISION_HINT": "f32"}
        self._compiled = core.compile_model(core.read_model(str(path)), "CPU", config)
        self._requests = max(
            1, int(self._compiled.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS"))
        )
        self._tokens, self._pooling, self._dim = tokens, pooling, dimension
        self._batch_size = batch_size
        self._lock = threading.Lock()  # one call at a time uses all the streams

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        import openvino as ov

        out = np.zeros((len(texts), self._dim), dtype=np.float32)

        def done(request: Any, userdata: tuple[np.ndarray, np.ndarray]) -> None:
            rows, mask = userdata
            out[rows] = _pool(request.get_output_tensor(0).data, mask, self._pooling)

        with self._lock:
            queue = ov.AsyncInferQueue(self._compiled, self._requests)
            queue.set_callback(done)
            ids = self._tokens.ids(texts)
            for rows, inputs in _batches(
                ids, self._batch_size, self._tokens.pad_id, self._requests
            ):
                queue.start_async(inputs, (rows, inputs["attention_mask"]))
            queue.wait_all()
        return out
