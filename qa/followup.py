"""Follow-up questions: the query to search with, given the conversation so far.

    >>> contextualize("and who designed it?", ["When was the Eiffel Tower built?"])
    'and who designed it? Eiffel Tower built'
    >>> contextualize("Who designed the Sydney Opera House?", ["When was the Eiffel Tower built?"])
    'Who designed the Sydney Opera House?'

A question that leans on an earlier turn (a pronoun with nothing in the question it could point
to, "and ..."/"what about ...", or next to no content words of its own) gets the previous turn's
names and content words appended; a self-contained question is returned unchanged. Pure and
model-free, so it adds no latency worth measuring.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .words import STOPWORDS, words

__all__ = ["contextualize", "is_followup"]

# Pronouns and determiners that point back at something said before.
_ANAPHORA = frozenset(
    "it its it's itself they them their theirs themselves he him his she her hers this these "
    "those there such".split()
)
# Personal and possessive pronouns: one after a name in the question usually points at that name
# ("When did ABC sell its stations?"); measured on SQuAD (bench/followup.py), counting "its" and
# "their" here halves the self-contained questions taken for follow-ups for 2% fewer follow-ups found.
_INNER = frozenset("he him his she her hers its it's their theirs".split())
# "How long did it take", "it costs": an "it" that points at nothing.
_DUMMY_IT = re.compile(r"(?i)it\s+(?:takes?|took|costs?)\b")
_LEADS = ("and ", "but ", "also ", "then ", "so ", "what about ", "how about ", "what of ")
_QUESTION_WORDS = frozenset("what which who whom whose when where why how".split())
# A history item longer than this many words is taken for an answer, not a question.
LONG_TURN = 40
# Earlier turns looked at: a follow-up leans on the last few, never on the tenth before.
MAX_TURNS = 6
# Capitalised runs ("Super Bowl 50", "Sydney Opera House"), allowing "of"/"the" inside.
_NAME = re.compile(r"\b[A-Z][\w'’.-]*(?:\s+(?:(?:of|the|de|von|van|and)\s+)*[A-Z0-9][\w'’.-]*)*")


def _names(text: str) -> list[str]:
    """Capitalised phrases of ``text``, minus a sentence-initial function or question word."""
    out: list[str] = []
    for m in _NAME.finditer(text):
        phrase = re.sub(r"['’]s?$", "", m.group().rstrip("."))
        first, _, rest = phrase.partition(" ")
        if first.lower() in STOPWORDS or first.lower() in _QUESTION_WORDS:
            phrase = rest if rest and rest[:1].isupper() else ""
        if phrase and phrase.lower() not in STOPWORDS:
            out.append(phrase)
    return out


def is_followup(question: str) -> bool:
    """Does ``question`` lean on an earlier turn?

    True for a question that opens with "and"/"what about"/..., one with fewer than two content
    words, one with "it", "they", "them", "there", "this"... (not the "it" of "did it take"), and
    one whose "he"/"she"/"his"/"her"/"its"/"their" comes before any name in the question it could
    point to ("When did Beyoncé release her album?" stands alone).
    """
    q = question.strip()
    low = q.lower()
    tokens = words(q)
    if not tokens:
        return False
    if low.startswith(_LEADS):
        return True
    content = [t for t in tokens if t not in STOPWORDS and t not in _ANAPHORA]
    if len(content) < 2:
        return True
    first_name = min((m.start() for m in _own_names(q)), default=len(q))
    for m in re.finditer(r"[^\W_]+(?:['’][^\W_]+)?", q):
        word = m.group().lower().replace("’", "'")
        if word in _INNER:  # "When did Beyoncé release her album?" points inside itself
            if m.start() < first_name:
                return True
        elif word in _ANAPHORA and not _DUMMY_IT.match(q, m.start()):
            return True
    return False


def _own_names(question: str) -> list[re.Match[str]]:
    """Names in the question, not counting its capitalised first word."""
    return [m for m in _NAME.finditer(question) if m.start() > 0 or " " in m.group()]


def contextualize(question: str, history: Sequence[str]) -> str:
    """The query to search with for ``question``, asked after the turns in ``history``.

    ``history`` holds earlier turns as plain strings, oldest first: the user's questions, and
    the assistant's answers too if the caller has them. Only the most recent turn with content
    is used; a turn of more than ``LONG_TURN`` words (an answer) lends only its names. A turn
    that was itself a follow-up is first expanded with the turns before it, so a chain of
    follow-ups keeps its subject. Only the last ``MAX_TURNS`` turns are looked at (a chain is
    expanded turn by turn, so the work grows with 2 ** turns). A self-contained question, or an
    empty history, gives ``question`` back unchanged.
    """
    return _contextualize(question, list(history)[-MAX_TURNS:])


def _contextualize(question: str, history: Sequence[str]) -> str:
    if not history or not is_followup(question):
        return question
    for i in range(len(history) - 1, -1, -1):
        carried = _carry(history[i], history[:i], question)
        if carried:
            return f"{question.strip()} {' '.join(carried)}"
    return question


def _carry(turn: str, before: Sequence[str], question: str) -> list[str]:
    """The words of an earlier ``turn`` to add to ``question``: its names, then its content
    words (only names for a long turn), none that the question already has."""
    if len(words(turn)) > LONG_TURN:
        terms = _names(turn)[:3]
    else:
        turn = _contextualize(turn, before)
        names = _names(turn)
        in_names = {w.removesuffix("'s") for n in names for w in words(n)}
        rest = [
            w
            for w in re.findall(r"[^\W_]+", turn)
            if w.lower() not in STOPWORDS
            and w.lower() not in _ANAPHORA
            and w.lower() not in in_names
        ]
        terms = names + rest
    have = {w.removesuffix("'s") for w in words(question)}
    out: list[str] = []
    for term in terms:
        if term not in out and not set(words(term)) <= have:
            out.append(term)
    return out
