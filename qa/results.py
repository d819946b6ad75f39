"""What retrieval returns: a passage with its score and rank."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from index.passage import Passage

__all__ = ["Result"]


@dataclass(frozen=True, kw_only=True)
class Result(Passage):
    """A retrieved passage: every citation field of :class:`~index.Passage`, plus

    ``score`` (cosine similarity, higher is better), ``rank`` (1 = best) and ``stale``
    (the source file changed on disk after it was indexed, so the citation may be off).
    """

    score: float
    rank: int
    stale: bool = False

    @classmethod
    def of(cls, passage: Passage, *, score: float, rank: int, stale: bool = False) -> Result:
        values = {f.name: getattr(passage, f.name) for f in fields(Passage)}
        return cls(**values, score=score, rank=rank, stale=stale)

    def to_dict(self) -> dict[str, Any]:
        data = super().to_dict()
        data["score"] = round(self.score, 6)
        return data
