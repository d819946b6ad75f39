"""One question asked in a conversation: ``qa`` retrieval turned into a :class:`Turn`."""

from __future__ import annotations

from collections.abc import Sequence

from index import DocqaError
from qa.retriever import Retriever

from .transcript import NO_WORD, Turn

__all__ = ["NO_MATCH", "TURNS", "answer_turn"]

# Earlier questions read for follow-ups (qa.followup reads at most 6).
TURNS = 6
NO_MATCH = "No passage matches the folder and type filters."


def answer_turn(
    retriever: Retriever,
    question: str,
    turns: Sequence[Turn],
    k: int,
    *,
    mode: str = "hybrid",
    folders: Sequence[str] = (),
    types: Sequence[str] = (),
) -> Turn:
    """One question asked in a conversation: the earlier turns' questions make follow-ups
    work. A bad question or an index problem becomes the turn's notice, not an exception."""
    asked = [t.question for t in turns][-TURNS:]
    try:
        results = retriever.retrieve(
            question, k, mode=mode, history=asked, folders=folders, types=types
        )
    except (DocqaError, ValueError) as exc:
        return Turn(question, notice=str(exc))
    if not results and retriever.manifest.passages:
        notice = NO_WORD if mode == "lexical" else NO_MATCH
        return Turn(question, notice=notice)
    return Turn(question, tuple(results))
