"""Clustered unit vectors for the vector-index benchmark and tests (no real model needed).

Uniform random vectors have no neighbourhoods, so every approximate index looks bad on them and
no setting measured on them carries over to embeddings. These have the shape that matters: a
few thousand topics (random centres), eight sub-topics each, and noise whose variance decays
across dimensions (``1/i`` after a random rotation) as an embedding's spectrum does. With the
defaults, a query's nearest of 100k passages has cosine ≈ 0.77 and its 10th ≈ 0.57 (random
pairs ≈ 0), near what the default model gives between related paragraphs. Queries are drawn
the same way with another seed, so none is in the set.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["Clusters", "write_segment"]


@dataclass(frozen=True)
class Clusters:
    """The generating model: ``points(n, seed)`` draws ``n`` unit vectors from it."""

    dimension: int = 384
    centres: int = 4000
    subs: int = 8
    spread: float = 0.6  # length of a sub-topic's offset from its topic (topics are unit length)
    noise: float = 0.7  # length of a point's noise, over all dimensions
    seed: int = 7

    def _parts(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        rng = np.random.default_rng(self.seed)
        d = self.dimension
        centres = _unit(rng.standard_normal((self.centres, d), dtype=np.float32))
        subs = _unit(rng.standard_normal((self.centres, self.subs, d), dtype=np.float32))
        rotation, _ = np.linalg.qr(rng.standard_normal((d, d)))
        spectrum = np.arange(1, d + 1) ** -0.5
        spectrum *= self.noise / np.linalg.norm(spectrum)
        return centres, self.spread * subs, (rotation * spectrum[:, None]).astype(np.float32)

    def points(self, n: int, seed: int) -> np.ndarray:
        """``n`` unit vectors (float32, ``(n, dimension)``), the same for the same seed."""
        centres, subs, noise = self._parts()
        rng = np.random.default_rng([self.seed, seed])
        c = rng.integers(0, self.centres, n)
        s = rng.integers(0, self.subs, n)
        z = rng.standard_normal((n, self.dimension), dtype=np.float32)
        return _unit(centres[c] + subs[c, s] + z @ noise)


def write_segment(folder: Path, n: int, clusters: Clusters, *, chunk: int = 50_000) -> None:
    """Write ``n`` points (ids 0..n-1) as a segment's raw files in ``folder`` (made here), a
    chunk at a time; the files appear under their names only when complete."""
    from index.vectorindex.raw import IDS, VECTORS, RawWriter

    tmp = folder.with_name(folder.name + ".part")
    tmp.mkdir(parents=True, exist_ok=True)
    for name in (IDS, VECTORS):
        (tmp / name).unlink(missing_ok=True)
    with RawWriter(tmp, clusters.dimension) as writer:
        for start in range(0, n, chunk):
            m = min(chunk, n - start)
            writer.add(np.arange(start, start + m), clusters.points(m, 1000 + start // chunk))
        writer.finish()
    tmp.rename(folder)


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)
