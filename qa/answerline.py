"""The answer line: the sentence (or line) of a retrieved passage that best answers the question.

    >>> from qa.answerline import answer_spans
    >>> text = "Paris is large. The Eiffel Tower was designed by Gustave Eiffel's company."
    >>> answer_spans("who designed the Eiffel Tower?", text, 100)
    ((116, 174),)

Spans are FILE offsets (the passage's ``start`` plus the offset in its ``text``), so they cite
like a :class:`~qa.Result` does: ``file_text[a:b]`` is the sentence. Scoring is lexical by
default (the question's content words a sentence repeats, each weighted by how rare it is
among the passage's sentences, or by a caller's ``idf``); an encoder adds the cosine of sentence
and question embeddings, at the price of embedding every sentence of the passage.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from itertools import pairwise
from typing import TYPE_CHECKING

from index import line_spans, sentence_spans

from .words import STOPWORDS, content_words, words

if TYPE_CHECKING:
    from index import Encoder

__all__ = ["EMBEDDING_WEIGHT", "answer_spans", "sentence_scores", "sentence_units"]

Span = tuple[int, int]

# Weight of the embedding cosine against the lexical score when an encoder is given (0.3 was
# best of 0.3/0.5/1.0 on SQuAD, bench/answerline.py; lexical alone is within ~2 points, ~200x cheaper).
EMBEDDING_WEIGHT = 0.3
# A best sentence of fewer words than this is shown with its neighbour.
SHORT_SENTENCE = 8
_PRONOUN_START = frozenset(
    "it its it's they their them this these those he his she her such there".split()
)
# A line that is list item, quote, table row, heading or code rather than wrapped prose.
_STRUCTURED_LINE = re.compile(r"\s*(?:[-*+•>|#]|\d+[.)]\s|```|~~~)|\s{4}|\t")
_SENTENCE_END = re.compile(r"[.!?…][\"'”’)\]]*$")  # a prose sentence, not a code line
_CODE_LINE = re.compile(r"\s{4}|\t")
_FENCE = re.compile(r"\s*(```|~~~)[\w+-]*\s*$")
_YEAR_OR_NUMBER = re.compile(r"\d")


def sentence_units(text: str) -> list[Span]:
    """Spans (offsets in ``text``) of the units an answer line may be: sentences of prose, and
    single lines of code, lists and tables. Fence lines are left out. Text with no sentence
    end is one unit (or one per line when its lines are structured)."""
    if not ("\n" in text.strip() and _is_structured(text)):
        return sentence_spans(text, 0, len(text))
    units: list[Span] = []
    in_fence = False
    for a, b in line_spans(text, 0, len(text)):
        line = text[a:b]
        if _FENCE.fullmatch(line):
            in_fence = not in_fence
        elif in_fence or _CODE_LINE.match(text, _line_start(text, a)):
            units.append((a, b))
        else:
            units.extend(sentence_spans(text, a, b))
    return units


def _is_structured(text: str) -> bool:
    lines = [line for line in text.split("\n") if line.strip()]
    return any(_STRUCTURED_LINE.match(line) for line in lines)


def _line_start(text: str, pos: int) -> int:
    return text.rfind("\n", 0, pos) + 1


def sentence_scores(
    question: str,
    sentences: Sequence[str],
    *,
    idf: Callable[[str], float] | None = None,
    answer_type: bool = True,
) -> list[float]:
    """Lexical score in [0, 1] of each sentence: the IDF-weighted share of the question's content
    words (stemmed) it contains, plus a small bonus for words in the question's order.

    ``idf(stem)`` weights a word; without it a word weighs ``log(1 + n / df)``, ``df`` being the
    number of the ``n`` sentences that contain it (a word in every sentence tells little).
    ``answer_type`` adds a small bonus to a sentence holding a number for "when"/"how many"
    questions and a capitalised word the question lacks for "who"/"where" questions.
    """
    q_stems = list(dict.fromkeys(content_words(question)))
    if not sentences:
        return []
    bags = [content_words(s) for s in sentences]
    sets = [set(bag) for bag in bags]
    n = len(sentences)

    def weight(w: str) -> float:
        if idf is not None:
            return max(idf(w), 0.0)
        df = sum(w in s for s in sets)
        return math.log(1.0 + n / (df or 1))

    weights = {w: weight(w) for w in q_stems}
    total = sum(weights.values()) or 1.0
    q_bigrams = set(pairwise(q_stems))
    wants = _answer_type(question) if answer_type else None
    q_words = set(words(question))
    scores: list[float] = []
    for sentence, bag, found in zip(sentences, bags, sets, strict=True):
        score = sum(weights[w] for w in q_stems if w in found) / total
        if q_bigrams:
            shared = len(q_bigrams & set(pairwise(bag)))
            score += 0.1 * shared / len(q_bigrams)
        if _has_answer_type(wants, sentence, q_words):
            score += 0.05
        scores.append(score)
    return scores


def _answer_type(question: str) -> str | None:
    q = question.lower()
    if re.search(r"\b(when|what year|how many|how much|how long|how old|what percentage)\b", q):
        return "number"
    if re.search(r"\b(who|whom|whose|where)\b", q):
        return "name"
    return None


def _has_answer_type(wants: str | None, sentence: str, question_words: set[str]) -> bool:
    if wants == "number":
        return bool(_YEAR_OR_NUMBER.search(sentence))
    return wants == "name" and _new_capitalised(sentence, question_words)


def _new_capitalised(sentence: str, question_words: set[str]) -> bool:
    for m in re.finditer(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-z]+", sentence):
        if m.group().lower() not in question_words and m.group().lower() not in STOPWORDS:
            return True
    return False


def answer_spans(
    question: str,
    text: str,
    start: int,
    *,
    encoder: Encoder | None = None,
    top: int = 1,
    idf: Callable[[str], float] | None = None,
    embedding_weight: float = EMBEDDING_WEIGHT,
    neighbours: bool = True,
    answer_type: bool = True,
) -> tuple[Span, ...]:
    """File spans of the ``top`` units of ``text`` (a passage starting at file offset ``start``)
    that best answer ``question``, best first.

    A unit is a sentence, or a line of a code block, list or table (see :func:`sentence_units`).
    With ``encoder``, each unit's score is ``(1 - embedding_weight) * lexical + embedding_weight *
    cosine``; that embeds every unit (one batch). With ``neighbours``, a unit that is a short
    sentence (under ``SHORT_SENTENCE`` words) is widened to the unit after it (else before), one that
    opens with a pronoun ("It was...") to the sentence before it, so the line reads on its own.
    ``idf`` and ``answer_type`` are passed to :func:`sentence_scores`.
    An empty passage gives ``()``; a passage of one unit gives that unit.
    """
    if top < 1:
        raise ValueError(f"top must be at least 1, got {top!r}")
    units = sentence_units(text)
    if not units:
        return ()
    pieces = [text[a:b] for a, b in units]
    scores = sentence_scores(question, pieces, idf=idf, answer_type=answer_type)
    if encoder is not None and embedding_weight > 0 and len(units) > 1:
        vectors = encoder.embed([question, *pieces])
        cosines = vectors[1:] @ vectors[0]
        scores = [
            (1.0 - embedding_weight) * s + embedding_weight * float(c)
            for s, c in zip(scores, cosines, strict=True)
        ]
    order = sorted(range(len(units)), key=lambda i: (-scores[i], i))[:top]
    out: list[Span] = []
    for i in order:
        a, b = units[i]
        j = _neighbour(pieces, i) if neighbours else None
        if j is not None:
            a, b = min(a, units[j][0]), max(b, units[j][1])
        out.append((start + a, start + b))
    return tuple(out)


def _neighbour(pieces: Sequence[str], i: int) -> int | None:
    """The unit to show with unit ``i``: the one before a sentence that opens with a pronoun,
    the one after (else before) a short sentence (not a short line of code); None when ``i``
    reads on its own."""
    tokens = words(pieces[i])
    if tokens and tokens[0] in _PRONOUN_START and i > 0:
        return i - 1
    if len(tokens) < SHORT_SENTENCE and _SENTENCE_END.search(pieces[i]) and len(pieces) > 1:
        return i + 1 if i + 1 < len(pieces) else i - 1
    return None
