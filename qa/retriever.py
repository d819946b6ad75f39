"""Question -> ranked, cited passages."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index import (
    BUILTIN_FORMATS,
    Encoder,
    FormatRegistry,
    IndexSnapshot,
    Manifest,
    ModelMismatchError,
    QueryError,
    current_generation,
    load_encoder,
    model_name,
    open_snapshot,
    pointer_stamp,
)

from .batching import BatchingEncoder
from .filters import Filter, Subsets
from .followup import contextualize
from .questiontext import clean_question
from .ranking import rank
from .results import Result

__all__ = ["MODES", "Retriever", "retrieve"]

MODES = ("hybrid", "dense", "lexical")


class Retriever:
    """Loads the index and its model once; answers many questions.

    ``model=None`` uses the model the index was built with. Naming another model raises
    :class:`~index.ModelMismatchError`, since its vectors would not be comparable. After a
    rebuild publishes a new generation, the next question is answered from it.

    ``batching=True`` (for a server answering many questions at once from threads) wraps the
    encoder in a :class:`~qa.batching.BatchingEncoder`: questions asked at the same time share
    one model call, and a background sync's embedding gives way to them.

    ``formats`` is the registry the index was built with, when not the built-in one: the
    file types a ``types=`` filter may name.
    """

    def __init__(
        self,
        index: str | Path,
        *,
        model: str | None = None,
        encoder: Encoder | None = None,
        batching: bool = False,
        formats: FormatRegistry = BUILTIN_FORMATS,
    ) -> None:
        self.index_dir = Path(index).expanduser()
        self.formats = formats  # the file types a ``types=`` filter may name
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
        stamp = pointer_stamp(self.index_dir)
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

        Raises QueryError (a ValueError) for an empty question, ``k < 1``, an unknown mode, a negative
        ``per_file``, a ``history`` that is not a list of strings (None is an empty one), an
        absolute folder or one with ``..``, an unknown type, or a folder or type that no
        indexed file has; ``k`` above the number of passages returns them all (less the cap
        and the collapsed duplicates). Lexical and hybrid modes search
        the word index every index of the current format has (an older one raises
        IndexFormatError when opened).
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
            raise QueryError("questions must be a list of questions, not one string")
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
        question = clean_question(question)  # lone surrogates, control characters
        _check_arguments(question, k, mode, per_file)
        only = Filter.of(folders, types, formats=self.formats) if folders or types else None
        history = () if history is None else history
        if isinstance(history, str) or not all(isinstance(turn, str) for turn in history):
            raise QueryError(
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
        return rank(snap, query, vector, k, mode=mode, per_file=per_file, within=within)


def _check_arguments(question: str, k: int, mode: str, per_file: int | None) -> None:
    if not isinstance(question, str) or not question.strip():
        raise QueryError("question is empty; ask something, e.g. 'how do I rebuild the index?'")
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise QueryError(f"k must be a whole number of at least 1, got {k!r}")
    if not isinstance(mode, str) or mode not in MODES:
        raise QueryError(f"mode must be one of {', '.join(MODES)}; got {mode!r}")
    if per_file is not None and (
        isinstance(per_file, bool) or not isinstance(per_file, int) or per_file < 0
    ):
        raise QueryError(f"per_file must be a whole number >= 0 or None, got {per_file!r}")


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
