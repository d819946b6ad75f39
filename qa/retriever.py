"""Question -> ranked, cited passages."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index.encoders import Encoder, load_encoder, model_name
from index.errors import ModelMismatchError
from index.generations import current_generation
from index.lexical import LexicalHit
from index.manifest import Manifest
from index.store import IndexSnapshot, open_snapshot

from . import fusion
from .answerline import answer_spans
from .batching import BatchingEncoder
from .confidence import features, is_confident
from .diversity import Candidate, diversify
from .filters import Filter, Subsets
from .followup import contextualize
from .questiontext import clean_question
from .results import Result

__all__ = ["CANDIDATES", "HYBRID_WEIGHTS", "MODES", "Retriever", "retrieve"]

MODES = ("hybrid", "dense", "lexical")
# Candidates taken from each ranking (at least 4k): deep enough that the per-file cap and
# collapsed duplicates still leave k results.
CANDIDATES = 100
# Hybrid: weights of the dense and the lexical ranking's min-max normalised scores. Measured
# (chunker 4, per-file cap 3) on realdocs (pydantic, httpx), docqa's guide and all of SQuAD: the
# weighted sum beat reciprocal rank fusion (k = 10, 60) on every set. More dense weight helps
# the paraphrased realdocs questions (pydantic R@1: 0.5 -> 0.275, 0.6 -> 0.375), more lexical
# weight SQuAD (R@1: 0.5 -> 0.803, 0.6 -> 0.790, below BM25 alone); 0.53 keeps SQuAD R@1 at
# 0.802 and pydantic R@1 at 0.325.
HYBRID_WEIGHTS = (0.53, 0.47)


class Retriever:
    """Loads the index and its model once; answers many questions.

    ``model=None`` uses the model the index was built with. Naming another model raises
    :class:`~index.ModelMismatchError`, since its vectors would not be comparable. After a
    rebuild publishes a new generation, the next question is answered from it.

    ``batching=True`` (for a server answering many questions at once from threads) wraps the
    encoder in a :class:`~qa.batching.BatchingEncoder`: questions asked at the same time share
    one model call, and a background sync's embedding gives way to them.
    """

    def __init__(
        self,
        index: str | Path,
        *,
        model: str | None = None,
        encoder: Encoder | None = None,
        batching: bool = False,
    ) -> None:
        self.index_dir = Path(index).expanduser()
        self._published: tuple[int, int, int] | None = None  # CURRENT's stat when last read
        self._read_at = 0.0
        self._snapshot = open_snapshot(self.index_dir)
        self._lock = threading.Lock()
        built_with = self._snapshot.manifest.model
        wanted = encoder.name if encoder is not None else model_name(model or built_with)
        _check_model(self.index_dir, built_with, wanted)
        self.encoder: Encoder = encoder or load_encoder(model or built_with)
        _check_model(self.index_dir, built_with, self.encoder.name)
        self._subsets = Subsets()
        if batching:
            self.encoder = BatchingEncoder(self.encoder)

    @property
    def manifest(self) -> Manifest:
        return self.snapshot().manifest

    def snapshot(self) -> IndexSnapshot:
        """The current generation, reopened when a build has published a new one since.

        A publish replaces the CURRENT file (a new inode), so one ``stat`` tells whether
        anything changed; the file is read only then, or once a second in case a recycled
        inode number and a coarse clock hid a publish."""
        try:
            st = os.stat(self.index_dir / "CURRENT")
            stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        except OSError:
            stamp = None  # let current_generation say what is wrong
        now = time.monotonic()
        if stamp is not None and stamp == self._published and now - self._read_at < 1.0:
            return self._snapshot
        self._read_at = now
        published = current_generation(self.index_dir)
        with self._lock:
            self._published = stamp
            if published != self._snapshot.folder:
                # Segments the two generations share are handed over, not opened again.
                fresh = open_snapshot(self.index_dir, reuse=self._snapshot.by_name())
                _check_model(self.index_dir, fresh.manifest.model, self.encoder.name)
                self._snapshot = fresh  # the old one closes when no caller holds it any more
            return self._snapshot

    def retrieve(
        self,
        question: str,
        k: int = 5,
        *,
        mode: str = "hybrid",
        per_file: int | None = 3,
        history: Sequence[str] | None = (),
        folders: Sequence[str] = (),
        types: Sequence[str] = (),
    ) -> list[Result]:
        """The ``k`` passages that best answer ``question``, best first.

        ``history`` holds the conversation's earlier turns, oldest first (the user's questions,
        and answers if the caller has them): a follow-up that leans on them ("and who designed
        it?") is searched with the words it refers to; a self-contained question is searched
        as it is. Each result carries ``answer_spans``, the file spans of the sentences in it
        that best answer the question (the first result's first span is the answer line), and
        ``confident``: whether the best passage is a confident match (see :mod:`qa.confidence`),
        the same for every result of one call.

        ``mode``: ``"hybrid"`` (meaning and words, fused), ``"dense"`` (meaning: the embedding)
        or ``"lexical"`` (words: BM25). At most ``per_file`` results come from one file
        (``None`` or 0: no cap); passages with identical text are one result, the other places
        listed in its ``also_in``.

        ``folders`` and ``types`` restrict the answer to files under one of the folders
        (relative to the documents folder: ``"guides"``, ``"guides/advanced"``; ``""`` is all)
        and of one of the types (a suffix, ``".md"``, or a format, ``"markdown"``; see
        :mod:`qa.filters`); empty: no restriction. The restriction is applied inside the
        search, so ``k`` results come back whenever ``k`` passages pass it.
        :func:`qa.filters.choices` lists the values an index offers.

        Raises ValueError for an empty question, ``k < 1``, an unknown mode, a negative
        ``per_file``, a ``history`` that is not a list of strings (None is an empty one), an
        absolute folder or one with ``..``, an unknown type, or a folder or type that no
        indexed file has; ``k`` above the number of passages returns them all (less the cap
        and the collapsed duplicates). Lexical and hybrid modes raise
        LexicalIndexMissingError on an index built before the word index existed.
        """
        query, only = self._prepare(question, k, mode, per_file, history, folders, types)
        vector = self.encoder.embed([query])[0]  # in lexical mode too: confidence needs it
        return self._answer(query, vector, k, mode, per_file, only)

    def retrieve_many(
        self,
        questions: Sequence[str],
        k: int = 5,
        *,
        mode: str = "hybrid",
        per_file: int | None = 3,
        folders: Sequence[str] = (),
        types: Sequence[str] = (),
    ) -> list[list[Result]]:
        """:meth:`retrieve` for many independent questions at once: their embeddings are made
        in one model call (several times faster per question than one call each), then each
        is searched. Returns one result list per question, in order; the arguments are
        checked as :meth:`retrieve` checks them, before anything is searched."""
        if isinstance(questions, str):
            raise ValueError("questions must be a list of questions, not one string")
        prepared = [self._prepare(q, k, mode, per_file, (), folders, types) for q in questions]
        if not prepared:
            return []
        vectors = self.encoder.embed([query for query, _ in prepared])
        return [
            self._answer(query, vector, k, mode, per_file, only)
            for (query, only), vector in zip(prepared, vectors, strict=True)
        ]

    def _prepare(
        self,
        question: str,
        k: int,
        mode: str,
        per_file: int | None,
        history: Sequence[str] | None,
        folders: Sequence[str],
        types: Sequence[str],
    ) -> tuple[str, Filter | None]:
        """The text to search with and the filter, once the arguments are checked."""
        question = clean_question(question)  # [errors] lone surrogates, control characters
        _check_arguments(question, k, mode, per_file)
        only = Filter.of(folders, types) if folders or types else None
        history = () if history is None else history
        if isinstance(history, str) or not all(isinstance(turn, str) for turn in history):
            raise ValueError(
                "history must be a list of the earlier questions (strings), oldest first; "
                f"got {history!r:.80}"
            )
        return contextualize(question.strip(), history), only

    def _answer(
        self,
        query: str,
        vector: np.ndarray,
        k: int,
        mode: str,
        per_file: int | None,
        only: Filter | None,
    ) -> list[Result]:
        snap = self.snapshot()
        within = None if only is None else self._subsets.get(snap, only)
        if within is not None and not len(within):
            return []  # the folders hold no file of the types
        depth = max(CANDIDATES, 4 * k)
        dense: list[tuple[int, float]] = []
        lexical: list[LexicalHit] = []
        if mode != "dense":
            lexical = snap.lexical_search(query, depth, within=within)
        if mode != "lexical":
            dense = snap.search(vector, depth, within=within)
        ranked = _fuse(mode, dense, [(h.id, h.score) for h in lexical])
        texts = snap.texts(pid for pid, _ in ranked)
        candidates = [Candidate(pid, *texts[pid]) for pid, _ in ranked if pid in texts]
        picks = diversify(candidates, k, per_file=per_file)
        by_id = snap.passages(pid for pick in picks for pid in (pick.id, *pick.duplicates))
        fused = dict(ranked)
        seen_dense = {pid: (rank, s) for rank, (pid, s) in enumerate(dense, start=1)}
        seen_lexical = {h.id: (rank, h) for rank, h in enumerate(lexical, start=1)}
        root = Path(snap.manifest.docs_root)
        cosines = _cosines(snap, vector, [pick.id for pick in picks], seen_dense)
        confident = bool(picks) and is_confident(
            features(query, by_id[picks[0].id].text, [cosines[pick.id] for pick in picks])
        )
        out: list[Result] = []
        for pick in picks:
            p = by_id[pick.id]
            d_rank, d_score = seen_dense.get(p.id, (None, None))
            l_rank, hit = seen_lexical.get(p.id, (None, None))
            out.append(
                Result.of(
                    p,
                    score=fused[p.id],
                    rank=len(out) + 1,
                    stale=_is_stale(root, p.source, snap.manifest),
                    mode=mode,
                    dense_score=d_score,
                    dense_rank=d_rank,
                    lexical_score=hit.score if hit else None,
                    lexical_rank=l_rank,
                    matched_terms=hit.terms if hit else (),
                    also_in=tuple(by_id[d].citation for d in pick.duplicates if d in by_id),
                    answer_spans=answer_spans(query, p.text, p.start),
                    confident=confident,
                )
            )
        return out


def _cosines(
    snap: IndexSnapshot,
    vector: np.ndarray,
    ids: list[int],
    seen: dict[int, tuple[int, float]],
) -> dict[int, float]:
    """The dense cosine of each of ``ids`` with the question: from the dense ranking, or from
    the stored vectors for passages it did not reach (lexical mode, a lexical-only hit)."""
    out = {pid: seen[pid][1] for pid in ids if pid in seen}
    missing = [pid for pid in ids if pid not in out]
    if missing:
        scores = snap.vectors(missing) @ np.asarray(vector, dtype=np.float32)
        out.update(zip(missing, (float(s) for s in scores), strict=True))
    return out


def _check_arguments(question: str, k: int, mode: str, per_file: int | None) -> None:
    if not isinstance(question, str) or not question.strip():
        raise ValueError("question is empty; ask something, e.g. 'how do I rebuild the index?'")
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a whole number of at least 1, got {k!r}")
    if not isinstance(mode, str) or mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}; got {mode!r}")
    if per_file is not None and (
        isinstance(per_file, bool) or not isinstance(per_file, int) or per_file < 0
    ):
        raise ValueError(f"per_file must be a whole number >= 0 or None, got {per_file!r}")


def _fuse(
    mode: str, dense: list[tuple[int, float]], lexical: list[tuple[int, float]]
) -> list[tuple[int, float]]:
    """One ranking of ``(id, score)``, best first."""
    if mode == "dense":
        return dense
    if mode == "lexical":
        return lexical
    return fusion.weighted([dense, lexical], HYBRID_WEIGHTS)


def retrieve(
    question: str,
    k: int = 5,
    *,
    index: str | Path,
    model: str | None = None,
    mode: str = "hybrid",
    per_file: int | None = 3,
    history: Sequence[str] = (),
    folders: Sequence[str] = (),
    types: Sequence[str] = (),
) -> list[Result]:
    """One-shot retrieval: loads the index and model, answers, and lets them go.

    For more than one question, make a :class:`Retriever` once and call its ``retrieve``.
    """
    return Retriever(index, model=model).retrieve(
        question,
        k,
        mode=mode,
        per_file=per_file,
        history=history,
        folders=folders,
        types=types,
    )


def _check_model(index_dir: Path, built_with: str, wanted: str) -> None:
    if built_with != wanted:
        raise ModelMismatchError(
            f"index {str(index_dir)!r} was built with model {built_with!r}, not {wanted!r}; "
            f"leave out --model to use the index's own, or rebuild: docqa index DOCS --index {index_dir} --model {wanted!r}"
        )


def _is_stale(root: Path, source: str, manifest: Manifest) -> bool:
    """A cheap stat check: has the cited file changed size or mtime since it was indexed?"""
    entry = manifest.files.get(source)
    if entry is None:
        return False
    try:
        st = os.stat(root / source)
    except OSError:
        return True
    return (st.st_size, st.st_mtime_ns) != (entry.size, entry.mtime_ns)
