"""Question -> ranked, cited passages."""

from __future__ import annotations

import os
import threading
from pathlib import Path

from index.encoders import Encoder, load_encoder, model_name
from index.errors import ModelMismatchError
from index.generations import current_generation
from index.manifest import Manifest
from index.store import IndexSnapshot, open_snapshot

from .results import Result

__all__ = ["Retriever", "retrieve"]


class Retriever:
    """Loads the index and its model once; answers many questions.

    ``model=None`` uses the model the index was built with. Naming another model raises
    :class:`~index.ModelMismatchError`, since its vectors would not be comparable. After a
    rebuild publishes a new generation, the next question is answered from it.
    """

    def __init__(
        self, index: str | Path, *, model: str | None = None, encoder: Encoder | None = None
    ) -> None:
        self.index_dir = Path(index).expanduser()
        self._snapshot = open_snapshot(self.index_dir)
        self._lock = threading.Lock()
        built_with = self._snapshot.manifest.model
        wanted = encoder.name if encoder is not None else model_name(model or built_with)
        _check_model(self.index_dir, built_with, wanted)
        self.encoder: Encoder = encoder or load_encoder(model or built_with)
        _check_model(self.index_dir, built_with, self.encoder.name)

    @property
    def manifest(self) -> Manifest:
        return self.snapshot().manifest

    def snapshot(self) -> IndexSnapshot:
        """The current generation, reopened when a build has published a new one since."""
        published = current_generation(self.index_dir)
        with self._lock:
            if published != self._snapshot.folder:
                fresh = open_snapshot(self.index_dir)
                _check_model(self.index_dir, fresh.manifest.model, self.encoder.name)
                self._snapshot = fresh  # the old one closes when no caller holds it any more
            return self._snapshot

    def retrieve(self, question: str, k: int = 5) -> list[Result]:
        """The ``k`` passages that best answer ``question``, best first.

        Raises ValueError for an empty question or ``k < 1``; ``k`` above the number of
        passages returns them all.
        """
        if not isinstance(question, str) or not question.strip():
            raise ValueError("question is empty; ask something, e.g. 'how do I rebuild the index?'")
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ValueError(f"k must be a whole number of at least 1, got {k!r}")
        snap = self.snapshot()
        query = self.encoder.embed([question.strip()])[0]
        hits = snap.search(query, k)
        by_id = snap.passages(pid for pid, _ in hits)
        root = Path(snap.manifest.docs_root)
        out: list[Result] = []
        for pid, score in hits:
            passage = by_id.get(pid)
            if passage is not None:
                stale = _is_stale(root, passage.source, snap.manifest)
                out.append(Result.of(passage, score=score, rank=len(out) + 1, stale=stale))
        return out


def retrieve(
    question: str, k: int = 5, *, index: str | Path, model: str | None = None
) -> list[Result]:
    """One-shot retrieval: loads the index and model, answers, and lets them go.

    For more than one question, make a :class:`Retriever` once and call its ``retrieve``.
    """
    return Retriever(index, model=model).retrieve(question, k)


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
