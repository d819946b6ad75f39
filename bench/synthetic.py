"""A synthetic corpus and encoder for ``bench/speed.py``: millions of passages in minutes.

The text: files of ``per_file`` paragraphs (70-120 words, sentences of 8-16 words), words drawn
from a seeded Zipf-like vocabulary (English stop words at the head, then made-up words) so that
lexical search meets posting lists of realistic lengths; a quarter of a paragraph's words come
from its topic's own 30 words, and its topic word opens it and recurs in it. Each file has a
main topic (60% of its paragraphs). Everything derives from ``(seed, file number)``, so a file,
a paragraph or a question can be regenerated without reading the folder.

The encoder (:class:`SyntheticEncoder`, the Encoder protocol with 384 dimensions) is nearly
free: a text's vector is its topic's centre (the first topic word found in it) plus noise
picked by a hash of the whole text from a fixed table whose dimensions have a decaying spectrum
(like real embeddings, most variance in a few directions). Vectors cluster by topic, so an
approximate index meets structure like a real model's; a build of a million passages is
dominated by docqa's own work, not the encoder's.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

__all__ = [
    "STOPWORDS",
    "CorpusSpec",
    "SyntheticEncoder",
    "Vocabulary",
    "doc_path",
    "file_paragraphs",
    "file_text",
    "questions",
    "vocabulary",
    "write_corpus",
]

VERSION = 1  # of the generator and the encoder: part of every cache key
TOPICS = 1000
TOPIC_WORDS = 30  # a topic's own words
VOCABULARY = 30_000
DIMENSION = 384
NOISE_ROWS = 4096  # 12-bit indices into the noise table, three per text
NOISE = 1.0  # noise norm relative to the (unit) topic centre: same-topic cosine about 0.5
STOPWORDS = (
    "the of and to a in is that for it as was with be by on not he this are or his from at "
    "which but have an they you were her she there one all we their can has been if more when"
).split()
_SYLLABLES = [c + v for c in "bdfgklmnprstvz" for v in "aeiou"] + ["qua", "sho", "thi", "wy"]


@dataclass(frozen=True)
class CorpusSpec:
    """``passages`` paragraphs in files of ``per_file``, from ``seed``."""

    passages: int
    per_file: int = 20
    seed: int = 0

    @property
    def files(self) -> int:
        return -(-self.passages // self.per_file)

    def paragraphs_in(self, k: int) -> int:
        """Paragraphs in file ``k`` (the last file holds what is left)."""
        return min(self.per_file, self.passages - k * self.per_file)

    def key(self) -> str:
        """Changes whenever the files this spec generates would."""
        return f"synthetic-v{VERSION}:{self.passages}x{self.per_file}:seed={self.seed}"


@dataclass(frozen=True)
class Vocabulary:
    words: np.ndarray  # object array of str, most frequent first
    cumulative: np.ndarray  # Zipf-Mandelbrot cumulative probabilities over ``words``
    topics: np.ndarray  # object array: the topic words (not in ``words``)
    own: np.ndarray  # (TOPICS, TOPIC_WORDS) indices into ``words``: each topic's own words


@cache
def vocabulary(seed: int = 0) -> Vocabulary:
    rng = np.random.default_rng([seed, 1])
    made: dict[str, None] = {}
    while len(made) < VOCABULARY + TOPICS:
        parts = rng.choice(len(_SYLLABLES), size=int(rng.integers(2, 5)))
        word = "".join(_SYLLABLES[i] for i in parts)
        if word not in STOPWORDS:
            made[word] = None
    pool = list(made)
    words = np.array(STOPWORDS + pool[TOPICS:VOCABULARY], dtype=object)
    ranks = np.arange(len(words), dtype=np.float64)
    weights = 1.0 / (ranks + 2.7)
    cumulative = np.cumsum(weights) / weights.sum()
    own = rng.integers(200, 20_000, size=(TOPICS, TOPIC_WORDS))
    return Vocabulary(words, cumulative, np.array(pool[:TOPICS], dtype=object), own)


def file_paragraphs(spec: CorpusSpec, k: int) -> list[str]:
    """The paragraphs of file ``k``, the same on every call."""
    vocab = vocabulary(spec.seed)
    rng = np.random.default_rng([spec.seed, 2, k])
    count = spec.paragraphs_in(k)
    main = int(rng.integers(TOPICS))
    topics = np.where(rng.random(count) < 0.6, main, rng.integers(TOPICS, size=count))
    lengths = rng.integers(70, 121, size=count)
    total = int(lengths.sum())
    picks = np.searchsorted(vocab.cumulative, rng.random(total))
    owner = np.repeat(topics, lengths)
    own = rng.random(total) < 0.25
    picks[own] = vocab.own[owner[own], rng.integers(TOPIC_WORDS, size=int(own.sum()))]
    words = vocab.words[picks]
    out, start = [], 0
    for topic, n in zip(topics.tolist(), lengths.tolist(), strict=True):
        para = words[start : start + n]
        start += n
        para[0] = para[int(rng.integers(n // 3, n))] = vocab.topics[topic]
        cuts = np.cumsum(rng.integers(8, 17, size=n // 8 + 1))
        bounds = [0, *(int(c) for c in cuts if c < n - 3), n]
        sentences = [" ".join(para[a:b].tolist()) for a, b in itertools.pairwise(bounds)]
        out.append(". ".join(sentences) + ".")
    return out


def file_text(spec: CorpusSpec, k: int) -> str:
    return "\n\n".join(file_paragraphs(spec, k)) + "\n"


def doc_path(docs: Path, k: int) -> Path:
    """File ``k`` of a corpus: 100 a folder, .txt and .md alternating."""
    return docs / f"d{k // 100:04d}" / f"doc{k:07d}.{'md' if k % 2 else 'txt'}"


def write_corpus(
    spec: CorpusSpec, docs: Path, *, progress: Callable[[str, int, int], None] | None = None
) -> None:
    """Write every file of ``spec`` under ``docs`` with an mtime an hour back, so that a sync
    may trust their size and mtime (files changed within 2 s are re-read: index/plan.RACY_NS)."""
    past = time.time_ns() - 3600 * 10**9
    for k in range(spec.files):
        path = doc_path(docs, k)
        if k % 100 == 0:
            path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(file_text(spec, k), encoding="utf-8")
        os.utime(path, ns=(past, past))
        if progress is not None:
            progress("writing files", k + 1, spec.files)


def questions(spec: CorpusSpec, n: int, *, seed: int = 0) -> list[str]:
    """``n`` questions, each from a random paragraph: its topic word and five of its other
    words that are not stop words, in a question's frame."""
    vocab = vocabulary(spec.seed)
    topics = set(vocab.topics.tolist())
    rng = np.random.default_rng([spec.seed, 3, seed])
    out = []
    for _ in range(n):
        k = int(rng.integers(spec.files))
        para = file_paragraphs(spec, k)[int(rng.integers(spec.paragraphs_in(k)))]
        words = para.replace(".", "").split()
        topic = words[0]
        content = sorted({w for w in words if w not in topics and w not in STOPWORDS})
        chosen = rng.choice(len(content), size=min(5, len(content)), replace=False)
        out.append(f"what is the {topic} of {' '.join(content[i] for i in sorted(chosen))}?")
    return out


class SyntheticEncoder:
    """Deterministic clustered unit vectors from text, at almost no cost (see the module doc)."""

    max_tokens = 256

    def __init__(self, seed: int = 0) -> None:
        self.dimension = DIMENSION
        self.name = f"synthetic-v{VERSION}:dim={DIMENSION},topics={TOPICS},seed={seed}"
        rng = np.random.default_rng([seed, 4])
        centres = rng.standard_normal((TOPICS, DIMENSION))
        self._centres = (centres / np.linalg.norm(centres, axis=1, keepdims=True)).astype(
            np.float32
        )
        spectrum = 1.0 / np.sqrt(np.arange(1, DIMENSION + 1))
        spectrum /= np.sqrt((spectrum**2).sum())
        self._noise = (rng.standard_normal((NOISE_ROWS, DIMENSION)) * spectrum).astype(np.float32)
        self._topic = {w: i for i, w in enumerate(vocabulary(seed).topics.tolist())}

    def topic_of(self, text: str) -> int:
        """The topic of the first topic word in ``text``; for a text without one, a hash's."""
        for word in text.split():
            topic = self._topic.get(word.strip(".,;:?!"))
            if topic is not None:
                return topic
        return _digest(text) % TOPICS

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        topics = np.fromiter((self.topic_of(t) for t in texts), np.int64, len(texts))
        digests = np.fromiter((_digest(t) for t in texts), np.uint64, len(texts))
        rows = [(digests >> np.uint64(s)) & np.uint64(NOISE_ROWS - 1) for s in (0, 12, 24)]
        noise = sum(self._noise[r.astype(np.int64)] for r in rows)
        vectors = self._centres[topics] + np.float32(NOISE / np.sqrt(3)) * noise
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def count_tokens(self, text: str) -> int:
        return len(text.split())


def _digest(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")
