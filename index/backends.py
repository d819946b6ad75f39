"""Which engine runs the embedding model on this machine, chosen by capability and measurement.

Four backends run a sentence-transformers model: ``fp32`` (PyTorch, the reference), ``bf16``
(PyTorch under bfloat16 autocast: fast only on CPUs with AVX512-BF16 or AMX, about 3x slower
than fp32 where bfloat16 is emulated), ``onnx`` (ONNX Runtime, fp32) and ``openvino``
(OpenVINO, fp32); the last two run the model's transformer exported once to ONNX. ``auto``
times every backend the machine can run on the same probe passages, keeps those whose vectors
match fp32 (cosine >= :data:`MIN_COSINE`), takes the fastest, and remembers the decision per
model, CPU and library versions in ``$XDG_CACHE_HOME/docqa/backends/``. This module holds the
choice itself, free of any model, so that it can be tested with made-up capabilities.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import logging
import os
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from .errors import BackendError

__all__ = [
    "AUTO",
    "BACKENDS",
    "MIN_COSINE",
    "Capabilities",
    "Decision",
    "cache_root",
    "candidates",
    "check_backend",
    "choose",
    "decide",
    "detect",
    "worst_cosine",
]

log = logging.getLogger(__name__)

AUTO = "auto"
BACKENDS = ("fp32", "bf16", "onnx", "openvino")
EXACT = ("fp32", "onnx", "openvino")  # fp32 arithmetic: the same vectors up to rounding
# A backend is trusted only when every probe vector is this close to fp32's.
MIN_COSINE = 0.999
# bf16 loses precision; it must beat the fastest exact backend by this factor to be chosen.
LOSSY_MARGIN = 1.2
# Bump when the way a backend runs changes, so remembered decisions are measured again.
DECISION_VERSION = 3


def check_backend(name: str) -> str:
    """``name`` if it is ``auto`` or a known backend; BackendError naming the choices otherwise."""
    if name == AUTO or name in BACKENDS:
        return name
    raise BackendError(
        f"unknown encoder backend {name!r}; use one of: {', '.join((AUTO, *BACKENDS))}"
    )


@dataclass(frozen=True)
class Capabilities:
    """What this machine offers: CPU flags (as /proc/cpuinfo names them) and runtimes."""

    cpu_flags: frozenset[str] = frozenset()
    onnxruntime: bool = False
    openvino: bool = False
    cpus: int = 1

    @property
    def bf16(self) -> bool:
        """Native bfloat16 arithmetic; without it PyTorch emulates bf16 and is slower than fp32."""
        return bool({"avx512_bf16", "amx_bf16"} & self.cpu_flags)

    def key(self) -> str:
        flags = sorted(f for f in self.cpu_flags if f.startswith(("avx", "amx", "fma", "f16")))
        return ",".join([*flags, f"cpus={self.cpus}"])


def detect() -> Capabilities:
    """This machine's capabilities; the runtimes are looked for, not imported."""
    flags: set[str] = set()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("flags"):
                    flags.update(line.partition(":")[2].split())
                    break
    except OSError:  # not Linux: ask PyTorch, which probes the CPU itself
        flags.update(_torch_flags())
    return Capabilities(
        frozenset(flags),
        onnxruntime=importlib.util.find_spec("onnxruntime") is not None,
        openvino=importlib.util.find_spec("openvino") is not None,
        cpus=len(os.sched_getaffinity(0))
        if hasattr(os, "sched_getaffinity")
        else os.cpu_count() or 1,
    )


def _torch_flags() -> set[str]:
    try:
        import torch.cpu as tc
    except ImportError:  # pragma: no cover - torch is a dependency
        return set()
    probes = {"avx512_bf16": "_is_avx512_bf16_supported", "amx_bf16": "_is_amx_tile_supported"}
    return {flag for flag, fn in probes.items() if getattr(tc, fn, lambda: False)()}


def candidates(requested: str, caps: Capabilities) -> list[str]:
    """The backends to consider for ``requested``, fp32 (the reference) first.

    ``auto`` leaves out what this machine cannot run well: bf16 without native bfloat16, and
    runtimes that are not installed. A backend named explicitly is tried even where it is slow,
    and is an error only when its runtime is missing.
    """
    requested = check_backend(requested)
    if requested != AUTO:
        missing = {
            "onnx": ("onnxruntime", caps.onnxruntime),
            "openvino": ("openvino", caps.openvino),
        }
        package, present = missing.get(requested, ("", True))
        if not present:
            raise BackendError(
                f"encoder backend {requested!r} needs the package {package}; run: pip install "
                f"{package}, or use --backend auto"
            )
        return ["fp32"] if requested == "fp32" else ["fp32", requested]
    found = ["fp32"]
    found += ["bf16"] if caps.bf16 else []
    found += ["onnx"] if caps.onnxruntime else []
    found += ["openvino"] if caps.openvino else []
    return found


@dataclass(frozen=True)
class Decision:
    """The backend chosen for bulk embedding, and the measurements it was chosen on."""

    backend: str
    seconds: dict[str, float] = field(default_factory=dict)  # median time for the probe batch
    relative: dict[str, float] = field(default_factory=dict)  # median time / fp32's, per round
    cosine: dict[str, float] = field(default_factory=dict)  # worst cosine against fp32
    failed: dict[str, str] = field(default_factory=dict)  # backends that could not run, and why
    measured_at: str = ""


def choose(seconds: Mapping[str, float], cosine: Mapping[str, float]) -> str:
    """Given each backend's time (or time relative to fp32), the fastest backend whose vectors match fp32's; a lossy one (bf16) only when it beats
    the fastest exact one by :data:`LOSSY_MARGIN`. fp32 when nothing else qualifies."""
    trusted = {b: s for b, s in seconds.items() if b == "fp32" or cosine.get(b, 0.0) >= MIN_COSINE}
    exact = {b: s for b, s in trusted.items() if b in EXACT}
    best_exact = min(exact, key=exact.__getitem__, default="fp32")
    lossy = {b: s for b, s in trusted.items() if b not in EXACT}
    best_lossy = min(lossy, key=lossy.__getitem__, default=None)
    fastest = exact.get(best_exact, float("inf"))
    if best_lossy is not None and lossy[best_lossy] * LOSSY_MARGIN < fastest:
        return best_lossy
    return best_exact


# A backend's embed function: texts -> (n, dimension) float32 unit vectors.
Embed = Callable[[Sequence[str]], np.ndarray]


def worst_cosine(reference: np.ndarray, vectors: np.ndarray) -> float:
    """The lowest cosine between rows of two arrays of unit vectors (-1 when shapes differ)."""
    if reference.shape != vectors.shape:
        return -1.0
    return float(np.min(np.sum(reference * vectors, axis=1), initial=1.0))


def decide(
    runners: Mapping[str, Embed],
    probe: Sequence[str],
    *,
    rounds: int = 3,
    clock: Callable[[], float] = time.perf_counter,
) -> Decision:
    """Time every runner on ``probe`` and choose. After a warm-up call each (whose vectors are
    compared with fp32's), every round times all runners back to back, in a rotating order,
    and divides each time by fp32's in the same round; a backend's score is the median of its
    ratios, so that load from other processes, which comes and goes, falls on all alike.
    ``runners`` holds ``fp32``; a runner that raises is left out and recorded in ``failed``."""
    reference = runners["fp32"](probe)
    outputs: dict[str, np.ndarray] = {"fp32": reference}
    failed: dict[str, str] = {}
    for name, run in runners.items():
        if name != "fp32":
            try:
                outputs[name] = run(probe)
            except Exception as exc:  # a runtime that cannot run this model: not chosen
                failed[name] = f"{type(exc).__name__}: {exc}"[:300]
                log.info("encoder backend %s cannot run: %s", name, failed[name])
    names = list(outputs)
    times: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            started = clock()
            runners[name](probe)
            times[name].append(max(clock() - started, 1e-9))
    ratio = {
        name: float(np.median([t / f for t, f in zip(times[name], times["fp32"], strict=True)]))
        for name in names
    }
    cosines = {name: round(worst_cosine(reference, out), 6) for name, out in outputs.items()}
    return Decision(
        choose(ratio, cosines),
        seconds={name: round(float(np.median(t)), 4) for name, t in times.items()},
        relative={name: round(v, 3) for name, v in ratio.items()},
        cosine=cosines,
        failed=failed,
        measured_at=time.strftime("%Y-%m-%dT%H:%M:%S"),
    )


def cache_root() -> Path:
    """docqa's per-user cache: ``$XDG_CACHE_HOME/docqa`` (``~/.cache/docqa`` by default)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "docqa"


def decision_key(model_digest: str, caps: Capabilities, versions: Mapping[str, str]) -> str:
    """What a remembered decision depends on: the model, the CPU and the runtimes' versions."""
    parts = [
        str(DECISION_VERSION),
        model_digest,
        caps.key(),
        json.dumps(dict(versions), sort_keys=True),
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:24]


def load_decision(key: str, root: Path | None = None) -> Decision | None:
    """A decision remembered under ``key``, or None (also when the file is unreadable)."""
    path = (root or cache_root()) / "backends" / f"{key}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        decision = Decision(**data)
    except (OSError, ValueError, TypeError):
        return None
    return decision if decision.backend in BACKENDS else None


def save_decision(key: str, decision: Decision, root: Path | None = None) -> None:
    """Remember ``decision`` atomically; a cache that cannot be written only costs a re-measure."""
    folder = (root or cache_root()) / "backends"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".json", dir=folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(asdict(decision), fh, indent=1, sort_keys=True)
            os.replace(tmp, folder / f"{key}.json")
        finally:
            Path(tmp).unlink(missing_ok=True)
    except OSError as exc:
        log.warning("cannot remember the encoder backend in %s: %s", folder, exc)
