"""Words of a question or passage as docqa compares them: lower-cased, stop words dropped, lightly stemmed.

Shared by the answer line, follow-up questions and the confidence check. Pure functions, no corpus,
no model: good enough to tell which words of a question a sentence repeats.
"""

from __future__ import annotations

import functools
import re

from index import STOPWORDS as INDEX_STOPWORDS

__all__ = ["STOPWORDS", "content_words", "stem", "words"]

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")

# The word index's English stop words, plus contractions, a few more function words and the
# words questions are built with ("did", "called", "type").
STOPWORDS = INDEX_STOPWORDS | frozenset(
    """
    also aren't called can't cannot couldn't d didn't doesn't don't either else ever hadn't
    hasn't haven't he'd he'll he's here's how's however i'd i'll i'm i've isn't it's kind
    let's ll m many may might much must mustn't name named neither now number one ought per
    rather re shall shan't she'd she'll she's shouldn't since that's there's they'd they'll
    they're they've though thus toward towards type upon us ve via wasn't we'd we'll we're
    we've weren't what's whatever when's where's whereas whether who's whose why's within
    without won't wouldn't yet you'd you'll you're you've
    """.split()
)


def words(text: str) -> list[str]:
    """The words of ``text`` in order, lower-cased (letters and digits; inner apostrophes kept)."""
    return [w.replace("’", "'") for w in _WORD.findall(text.lower())]


@functools.lru_cache(maxsize=65536)
def stem(word: str) -> str:
    """A light English stem: plural, possessive and common verb endings removed.

    Deliberately conservative (``"united"`` -> ``"unit"``, ``"designed"`` -> ``"design"``,
    ``"cities"`` -> ``"city"``); it only has to make a question's word meet the passage's.
    """
    w = word.lower().removesuffix("'s").removesuffix("'")
    if len(w) <= 3 or w.isdigit():
        return w
    for suffix, repl, min_len in (
        ("ies", "y", 5),
        ("sses", "ss", 5),
        ("ing", "", 6),
        ("ed", "", 5),
        ("es", "", 6),
        ("s", "", 4),
    ):
        if w.endswith(suffix) and len(w) >= min_len and not w.endswith(("ss", "us", "is")):
            w = w[: len(w) - len(suffix)] + repl
            break
    if len(w) >= 4 and w[-1] == w[-2] and w[-1] not in "aeiouls":  # "planned" -> "plann" -> "plan"
        w = w[:-1]
    return w.removesuffix("e") if len(w) >= 4 else w


def content_words(text: str) -> list[str]:
    """Stems of the words of ``text`` that carry content (no stop words), in order, repeats kept."""
    return [stem(w) for w in words(text) if w not in STOPWORDS]
