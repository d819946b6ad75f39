"""The answer line on SQuAD: how often the best sentence of the first result holds a gold answer.

    HF_HUB_OFFLINE=1 OMP_NUM_THREADS=1 python bench/answerline.py \\
        --squad /work/shared/eval/squad/dev-v1.1.json --work /work/bench-answer [--sample N]

The index is the one ``bench/quality.py`` builds (the SQuAD dev articles, one file each, indexed
by docqa into ``WORK/squad/index-<model>``); every question goes through ``Retriever.retrieve``.
Of the questions whose first result is the gold paragraph, the rate is the share whose answer
line (``qa.answerline.answer_spans`` on that result) contains one of the question's gold
answers (``answers[].text``), for each scoring option. Also printed: the line's mean length in
words, and the per-question cost of choosing it in ms (the embedding options timed uncached on
``--time-sample`` questions, since the full run caches sentence vectors to stay short).
``--mode`` is passed to ``retrieve`` only when given (for a Retriever that has modes).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from common import build, index_dir, log, mean, paragraph_ranking, sync_folder, ticker
from squad import squad_files

import qa
from index import DEFAULT_MODEL
from index.encoders import Encoder
from qa.answerline import answer_spans
from qa.words import content_words

Span = tuple[int, int]


def squad_answers(path: Path) -> list[list[str]]:
    """The gold answer strings of every question, in the order of ``squad_files``."""
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    return [
        [a["text"] for a in q["answers"]]
        for art in data
        for p in art["paragraphs"]
        for q in p["qas"]
    ]


def squad_index(squad: Path, work: Path, model: str) -> tuple[dict[str, str], list[Any], Path]:
    """Article files, questions and the (built or synced) index folder, as squad.run_squad has them."""
    files, questions = squad_files(squad)
    docs = work / "squad" / "docs"
    sync_folder(docs, files)
    expected = {name: text.count("\n\n") + 1 for name, text in files.items()}
    folder = index_dir(work, "squad", model)
    build(docs, folder, model, full=False, expected=expected)
    return files, questions, folder


def retrieve_kwargs(mode: str | None) -> dict[str, Any]:
    return {} if mode is None else {"mode": mode}


def squad_parser(doc: str | None, work_help: str) -> argparse.ArgumentParser:
    """The options the SQuAD-based benchmarks share: --squad, --work, --model, --mode."""
    parser = argparse.ArgumentParser(description=doc.split("\n\n")[0] if doc else None)
    parser.add_argument("--squad", type=Path, required=True, help="SQuAD v1.1 dev JSON file")
    parser.add_argument("--work", type=Path, required=True, help=work_help)
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--mode", default=None, help="retrieval mode, passed only when given")
    return parser


def corpus_idf(texts: Sequence[str]) -> Callable[[str], float]:
    """BM25's IDF of a stem over ``texts`` (a word never seen weighs as one seen once)."""
    df: dict[str, int] = {}
    for text in texts:
        for w in set(content_words(text)):
            df[w] = df.get(w, 0) + 1
    n = len(texts)

    def idf(word: str) -> float:
        d = df.get(word, 1)
        return math.log(1.0 + (n - d + 0.5) / (d + 0.5))

    return idf


class CachedEncoder:
    """Embeds each distinct text once (the benchmark asks for the same sentences per option)."""

    def __init__(self, inner: Encoder) -> None:
        self.inner = inner
        self.name, self.dimension, self.max_tokens = inner.name, inner.dimension, inner.max_tokens
        self.cache: dict[str, np.ndarray] = {}

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        new = [t for t in dict.fromkeys(texts) if t not in self.cache]
        if new:
            self.cache.update(zip(new, self.inner.embed(new), strict=True))
        return np.stack([self.cache[t] for t in texts])

    def count_tokens(self, text: str) -> int:
        return self.inner.count_tokens(text)


def options(
    idf: Callable[[str], float], encoder: Encoder
) -> dict[str, Callable[[str, str, int, bool], tuple[Span, ...]]]:
    """Scoring options by name: (question, text, start, neighbours) -> spans."""

    def first(q: str, text: str, start: int, nb: bool) -> tuple[Span, ...]:
        return answer_spans("", text, start, neighbours=nb)  # no question words: the first unit

    return {
        "first sentence (baseline)": first,
        "lexical, passage IDF": lambda q, t, s, nb: answer_spans(q, t, s, neighbours=nb),
        "lexical, passage IDF, no answer-type bonus": lambda q, t, s, nb: answer_spans(
            q, t, s, neighbours=nb, answer_type=False
        ),
        "lexical, corpus IDF": lambda q, t, s, nb: answer_spans(q, t, s, idf=idf, neighbours=nb),
        "embedding cosine only": lambda q, t, s, nb: answer_spans(
            q, t, s, encoder=encoder, embedding_weight=1.0, neighbours=nb
        ),
        "lexical (passage IDF) + embedding 0.5": lambda q, t, s, nb: answer_spans(
            q, t, s, encoder=encoder, embedding_weight=0.5, neighbours=nb
        ),
        "lexical (passage IDF) + embedding 0.3": lambda q, t, s, nb: answer_spans(
            q, t, s, encoder=encoder, embedding_weight=0.3, neighbours=nb
        ),
        "lexical (corpus IDF) + embedding 0.3": lambda q, t, s, nb: answer_spans(
            q, t, s, encoder=encoder, idf=idf, embedding_weight=0.3, neighbours=nb
        ),
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = squad_parser(__doc__, "work dir (index and caches)")
    parser.add_argument("--sample", type=int, default=0, help="use N random questions (0 = all)")
    parser.add_argument("--time-sample", type=int, default=300, help="questions timed uncached")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = parser.parse_args(argv)

    _, questions, folder = squad_index(args.squad, args.work, args.model)
    answers = squad_answers(args.squad)
    items = list(zip(questions, answers, strict=True))
    if args.sample:
        items = random.Random(0).sample(items, args.sample)
    retriever = qa.Retriever(folder, model=args.model)
    snap = retriever.snapshot()
    idf = corpus_idf([p.text for p in snap.all_passages()])
    hits = gold_first(retriever, items, args.mode)
    # Every option shares one cache of sentence vectors (the full run would be long without).
    encoder = CachedEncoder(retriever.encoder)
    table = [
        measure(name, nb, hits, idf, encoder, args.time_sample)
        for name in options(idf, retriever.encoder)
        for nb in (False, True)
    ]
    print_table(len(items), hits, table)
    if args.json:
        args.json.write_text(json.dumps({"hits": len(hits), "table": table}, indent=1) + "\n")


Hit = tuple[str, str, int, list[str]]  # question, passage text, its start, gold answers


def gold_first(retriever: qa.Retriever, items: list[Any], mode: str | None) -> list[Hit]:
    """The questions whose first result is the gold paragraph, with that result."""
    hits: list[Hit] = []
    tick = ticker("retrieve", every=30.0)
    for n, ((question, source, paragraph), golds) in enumerate(items, start=1):
        top = retriever.retrieve(question, k=1, **retrieve_kwargs(mode))[0]
        if paragraph_ranking([top], paragraph) == [(source, paragraph)]:
            hits.append((question, top.text, top.start, golds))
        tick("question", n, len(items))
    log(f"top-1 gold paragraph: {len(hits)}/{len(items)}")
    return hits


def measure(
    name: str, nb: bool, hits: list[Hit], idf: Any, encoder: CachedEncoder, time_sample: int
) -> dict[str, Any]:
    """One option's row: how often its line holds a gold answer, its mean words, its cost
    (timed on ``time_sample`` questions without the cache when the option embeds)."""
    choose = options(idf, encoder)[name]
    contained, lengths = [], []
    started = time.perf_counter()
    for question, text, start, golds in hits:
        span = choose(question, text, start, nb)
        line = text[span[0][0] - start : span[0][1] - start] if span else ""
        contained.append(any(g in line for g in golds))
        lengths.append(len(line.split()))
    ms = (time.perf_counter() - started) * 1000 / max(len(hits), 1)
    if "embedding" in name:  # the cached run is no cost measure: time it uncached
        uncached = options(idf, encoder.inner)[name]
        sample = hits[:time_sample]
        started = time.perf_counter()
        for question, text, start, _ in sample:
            uncached(question, text, start, nb)
        ms = (time.perf_counter() - started) * 1000 / max(len(sample), 1)
    row = {
        "option": name,
        "neighbours": nb,
        "rate": mean(contained),
        "words": round(sum(lengths) / max(len(lengths), 1), 1),
        "ms": round(ms, 2),
    }
    log(str(row))
    return row


def print_table(asked: int, hits: list[Hit], table: list[dict[str, Any]]) -> None:
    passage_words = round(sum(len(t.split()) for _, t, _, _ in hits) / max(len(hits), 1), 1)
    print(
        f"SQuAD dev, {asked} questions, {len(hits)} with the gold paragraph first "
        f"({len(hits) / asked:.3f}); mean passage {passage_words} words.\n"
    )
    print(
        "| option | neighbour sentence | answer line holds a gold answer | line words | ms/question |"
    )
    print("|---|---|---|---|---|")
    for r in table:
        print(
            f"| {r['option']} | {'yes' if r['neighbours'] else 'no'} | {r['rate']:.3f} | "
            f"{r['words']} | {r['ms']} |"
        )


if __name__ == "__main__":
    main()
