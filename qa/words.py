"""Words of a question or passage as docqa compares them: lower-cased, stop words dropped, lightly stemmed.

Shared by the answer line, follow-up questions and the confidence check. Pure functions, no corpus,
no model: good enough to tell which words of a question a sentence repeats.
"""

from __future__ import annotations

import re

__all__ = ["STOPWORDS", "content_words", "stem", "words"]

_WORD = re.compile(r"[^\W_]+(?:['’][^\W_]+)*")

# English function words, question words and the verbs questions are built with ("did", "does").
STOPWORDS = frozenset(
    """
    a about above after again against all also am an and any are aren't as at be because been
    before being below between both but by can can't cannot could couldn't did didn't do does
    doesn't doing don't down during each either else ever few for from further had hadn't has
    hasn't have haven't having he he'd he'll he's her here here's hers herself him himself his how
    how's however i i'd i'll i'm i've if in into is isn't it it's its itself just let's many may
    me might more most much must mustn't my myself neither no nor not now of off on once one only
    or other ought our ours ourselves out over own per rather same shall shan't she she'd she'll
    she's should shouldn't since so some such than that that's the their theirs them themselves
    then there there's these they they'd they'll they're they've this those though through thus
    to too toward towards under until up upon us very via was wasn't we we'd we'll we're we've
    were weren't what what's whatever when when's where where's whereas whether which while who
    who's whom whose why why's will with within without won't would wouldn't yet you you'd you'll
    you're you've your yours yourself yourselves
    s t d ll m re ve name named called kind type number
    """.split()
)


def words(text: str) -> list[str]:
    """The words of ``text`` in order, lower-cased (letters and digits; inner apostrophes kept)."""
    return [w.replace("’", "'") for w in _WORD.findall(text.lower())]


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
