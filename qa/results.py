"""What retrieval returns: a passage with its score and rank, and how each ranking saw it."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from index import Passage

__all__ = ["Result"]


@dataclass(frozen=True, kw_only=True)
class Result(Passage):
    """A retrieved passage: every citation field of :class:`~index.Passage`, plus

    ``score`` (the final score, higher is better: cosine similarity in ``"dense"`` mode, BM25 in
    ``"lexical"`` mode, the fused score in ``"hybrid"`` mode), ``rank`` (1 = best) and ``stale``
    (the source file changed on disk after it was indexed, so the citation may be off).

    How it was found: ``mode``; ``dense_score``/``dense_rank`` (cosine similarity and 1-based
    rank among the dense candidates) and ``lexical_score``/``lexical_rank`` (BM25 and rank among
    the passages sharing a word with the question), None when that ranking did not run or did
    not find the passage; ``matched_terms``, the question's words (stopwords left out) that the
    passage holds, in lexical and hybrid modes. ``also_in``: citations of other places whose
    text is identical (white space aside), collapsed into this result.

    The answer: ``answer_spans``, file offsets (like ``start``/``end``) of the sentences that
    best answer the question, best first, and ``answer``, the text of the first; ``confident``,
    whether the best passage of the result set is a confident match (False: no passage answers
    the question well; these are only the closest).
    """

    score: float
    rank: int
    stale: bool = False
    mode: str = "dense"
    dense_score: float | None = None
    dense_rank: int | None = None
    lexical_score: float | None = None
    lexical_rank: int | None = None
    matched_terms: tuple[str, ...] = ()
    also_in: tuple[str, ...] = ()
    answer_spans: tuple[tuple[int, int], ...] = ()
    confident: bool = True

    @property
    def answer(self) -> str:
        """The sentence(s) of the passage that best answer the question (its first answer span);
        for the first result, the answer line."""
        if not self.answer_spans:
            return ""
        a, b = self.answer_spans[0]
        return self.text[a - self.start : b - self.start]

    @property
    def answer_line(self) -> str:
        """``answer`` (or, without one, the whole text) on one line, as the CLI and app show it."""
        return " ".join((self.answer or self.text).split())

    @classmethod
    def of(cls, passage: Passage, *, score: float, rank: int, **how: Any) -> Result:
        """A result for ``passage``; ``how`` sets ``stale`` and the fields after it."""
        values = {f.name: getattr(passage, f.name) for f in fields(Passage)}
        return cls(**values, score=score, rank=rank, **how)

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data["score"] = round(self.score, 6)
        for key in ("dense_score", "lexical_score"):
            if data[key] is not None:
                data[key] = round(data[key], 6)
        data["matched_terms"] = list(self.matched_terms)
        data["also_in"] = list(self.also_in)
        data["answer_spans"] = [list(span) for span in self.answer_spans]
        data["answer"] = self.answer
        return data
