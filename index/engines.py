"""The engines one loaded model embeds with: one for questions, one for batches of passages.

Questions (calls of at most :data:`QUERY_TEXTS` texts) go to ONNX Runtime fp32, where it is
installed: the same vectors as PyTorch fp32 (cosine 1 - 1e-7), 3-5 ms a question, and no
collapse when other processes load the CPU (its threads sleep instead of spinning; PyTorch's
spinning threads put the 99th percentile of a question at 0.2-0.5 s under load). Passages go
to the backend chosen in :mod:`index.backends`. Every engine but fp32 is checked against fp32
on probe texts before it is used, and replaced by fp32 (with a warning) when it disagrees or
fails.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from .backends import (
    AUTO,
    MIN_COSINE,
    Capabilities,
    candidates,
    decide,
    decision_key,
    detect,
    load_decision,
    save_decision,
    worst_cosine,
)
from .errors import BackendError
from .onnxexport import discard, export_onnx, model_digest
from .runners import OnnxRunner, OpenVinoRunner, Tokens, TorchRunner, pooling_of

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

__all__ = ["MODEL_BATCH", "PROBE", "QUERY_TEXTS", "Engines", "calibration_texts"]

log = logging.getLogger(__name__)

# Calls with at most this many texts are questions: the query engine runs them.
QUERY_TEXTS = 8
# Texts per call of an ONNX engine, at most. Small batches of texts sorted by length waste
# little on padding: embedding 600 SQuAD paragraphs file by file (12 calls) took 8.3 s in
# batches of 8 against 10.0 s in batches of 32 with OpenVINO (ONNX Runtime 9.4 s / 13.5 s)
# on 2 cores, and no longer when all go in one call. PyTorch keeps its batch size: its thread
# barrier per operation made batches of 8 twice as slow as 32 while other processes ran.
MODEL_BATCH = 8
# Checked against fp32 before an engine is trusted: short and long, prose, code, a table row,
# capitals and white space at the ends (which a tokenizer may treat otherwise).
PROBE = (
    "How do I rebuild the index after moving the documents folder?",
    "  Ünïcode, CAPITALS and spaces around the text.\n",
    "Backups run nightly at 02:00 and keep thirty days of snapshots on the NAS.",
    "def embed(texts):\n    return model.encode(texts, normalize_embeddings=True)",
    "| setting | default |\n| --- | --- |\n| batch_size | 32 |",
)
_WORDS = (
    "The committee reviewed the annual report on water quality in the northern districts and "
    "found that nitrate levels had fallen for the third year in a row, although two wells near "
    "the river still exceeded the limit after heavy rain in early spring. Engineers proposed a "
    "second filtration stage, new sensors at every pumping station and a public dashboard. "
).split()


class _Runner(Protocol):
    name: str

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


def calibration_texts(count: int = 16) -> list[str]:
    """Passages of 20 to 200 words, alike on every run, on which backends are timed."""
    out = []
    for i in range(count):
        n = 20 + (i * 37) % 181
        out.append(" ".join(_WORDS[(i + j) % len(_WORDS)] for j in range(n)))
    return out


class Engines:
    """The query engine, built now, and the bulk engine, chosen (from a remembered decision,
    else by measuring) and built at the first call that needs it."""

    def __init__(
        self,
        model: SentenceTransformer,
        requested: str,
        *,
        dimension: int,
        batch_size: int,
        root: Path | None = None,
        caps: Capabilities | None = None,
    ) -> None:
        self._model, self._dim, self._root = model, dimension, root
        self._batch_size = min(batch_size, MODEL_BATCH)  # for the ONNX engines
        self._caps = caps or detect()
        self._requested = requested
        self._lock = threading.Lock()
        self._built: dict[str, _Runner] = {}
        self.fp32 = TorchRunner(model, batch_size)  # as docqa always ran it: the reference
        names = candidates(requested, self._caps)
        self._makers: dict[str, Callable[[], _Runner]] = {"fp32": lambda: self.fp32}
        if "bf16" in names:
            self._makers["bf16"] = lambda: TorchRunner(model, batch_size, bf16=True)
        self._digest = ""
        self._export: Path | None = None
        self._probe: np.ndarray | None = None
        if {"onnx", "openvino"} & set(names):
            self._add_onnx(names)
        self.query: _Runner = self.fp32
        if "onnx" in self._makers:
            self.query = self._checked("onnx", fallback=self.fp32)
        self._names = [n for n in names if n in self._makers]
        self._backend: str | None = None if len(self._names) > 1 else "fp32"
        self._bulk: _Runner | None = None
        if requested not in (AUTO, "fp32"):
            self.bulk()  # a backend asked for by name fails now, not in the middle of a sync

    @property
    def backend(self) -> str:
        """The bulk engine's backend; decided at the first use (a process that only asks
        questions never measures)."""
        with self._lock:
            if self._backend is None:
                self._backend = self._decide(self._names)
            return self._backend

    def bulk(self) -> _Runner:
        """The bulk engine, built and checked against fp32 at the first call."""
        name = self.backend
        with self._lock:
            if self._bulk is None:
                self._bulk = self._checked(name, fallback=self.fp32)
                self._backend = self._bulk.name
            return self._bulk

    def _add_onnx(self, names: list[str]) -> None:
        pooling = pooling_of(self._model)
        if pooling is None:
            self._unavailable("its pipeline is not a transformer with mean or CLS pooling")
            return
        transformer = self._model[0].auto_model
        max_length = int(self._model.max_seq_length or 0)
        self._digest = model_digest(transformer, f"{pooling},{max_length}")
        try:
            path = export_onnx(transformer, self._model.tokenizer, self._digest, root=self._root)
        except Exception as exc:  # an exporter that cannot trace this model
            self._unavailable(f"ONNX export failed ({type(exc).__name__}: {exc})")
            return
        self._export = path
        tokens = Tokens(self._model.tokenizer, max_length)
        dim, size, threads = self._dim, self._batch_size, self._caps.cpus
        if "onnx" in names:
            self._makers["onnx"] = _reloading(
                path,
                lambda: OnnxRunner(path, tokens, pooling, dim, batch_size=size, threads=threads),
            )
        if "openvino" in names:
            self._makers["openvino"] = lambda: OpenVinoRunner(
                path, tokens, pooling, dim, batch_size=size
            )

    def _unavailable(self, why: str) -> None:
        if self._requested in ("onnx", "openvino"):
            raise BackendError(
                f"encoder backend {self._requested!r} cannot run this model: {why}; "
                "use --backend auto"
            )
        log.info("ONNX backends left out: %s", why)

    def _decide(self, names: list[str]) -> str:
        """The bulk backend: the one asked for, else the remembered or measured fastest."""
        if self._requested != AUTO or len(names) == 1:
            return names[-1]
        key = decision_key(
            self._digest or model_digest(self._model[0].auto_model), self._caps, _versions()
        )
        remembered = load_decision(key, self._root)
        if remembered is not None and remembered.backend in names:
            return remembered.backend
        log.info("timing encoder backends %s on this machine (once)", ", ".join(names))
        runners: dict[str, Callable[[Sequence[str]], np.ndarray]] = {}
        for name in names:
            runners[name] = self._lazy(name)
        decision = decide(runners, calibration_texts())
        log.info("encoder backend %s chosen: %s", decision.backend, decision.relative)
        save_decision(key, decision, self._root)
        return decision.backend

    def _lazy(self, name: str) -> Callable[[Sequence[str]], np.ndarray]:
        def run(texts: Sequence[str]) -> np.ndarray:
            if name not in self._built:
                self._built[name] = self._makers[name]()
            return self._built[name].embed(texts)

        return run

    def _checked(self, name: str, *, fallback: _Runner) -> _Runner:
        """The engine ``name`` once its vectors match fp32 on :data:`PROBE`; ``fallback``
        (with a warning) when it fails or disagrees, an error when it was asked for by name."""
        if name == "fp32":
            return self.fp32
        try:
            runner = self._built.get(name) or self._makers[name]()
            self._built[name] = runner
            cosine = worst_cosine(self._reference(), runner.embed(PROBE))
            problem = (
                "" if cosine >= MIN_COSINE else f"vectors differ from fp32 (cosine {cosine:.4f})"
            )
        except Exception as exc:
            problem = f"{type(exc).__name__}: {exc}"
        if not problem:
            return runner
        if name == self._requested:
            raise BackendError(
                f"encoder backend {name!r} cannot be used: {problem}; use --backend auto"
            )
        log.warning("encoder backend %s not used (%s); using %s", name, problem, fallback.name)
        return fallback

    def _reference(self) -> np.ndarray:
        """fp32's vectors of :data:`PROBE`, kept beside the ONNX export: PyTorch's first call
        costs about a second, which a process that only asks questions need not pay."""
        if self._probe is not None:
            return self._probe
        tag = hashlib.sha256("\0".join(PROBE).encode()).hexdigest()[:12]
        path = self._export.parent / f"probe-fp32-{tag}.npy" if self._export else None
        if path is not None:
            try:
                kept = np.load(path, allow_pickle=False)
                if kept.shape == (len(PROBE), self._dim) and kept.dtype == np.float32:
                    self._probe = kept
                    return kept
            except (OSError, ValueError):
                pass
        self._probe = self.fp32.embed(PROBE)
        if path is not None:
            try:
                tmp = path.with_name(f".tmp-{os.getpid()}-{path.name}")
                np.save(tmp, self._probe, allow_pickle=False)
                os.replace(tmp, path)
            except OSError as exc:
                log.info("cannot keep the probe vectors in %s: %s", path.parent, exc)
        return self._probe


def _reloading(path: Path, make: Callable[[], _Runner]) -> Callable[[], _Runner]:
    """``make``, which reads the cached export at ``path`` with ONNX Runtime; an export that
    does not load (a damaged cache) is deleted, so that the next load exports it again."""

    def build() -> _Runner:
        try:
            return make()
        except Exception:
            discard(path)
            raise

    return build


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out: dict[str, str] = {}
    for package in ("torch", "transformers", "sentence-transformers", "onnxruntime", "openvino"):
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            out[package] = ""
    return out
