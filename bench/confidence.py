"""Calibrating ``qa.confidence``: is the first result a confident match, or is the answer not here?

    HF_HUB_OFFLINE=1 OMP_NUM_THREADS=1 python bench/confidence.py \\
        --squad /work/shared/eval/squad/dev-v1.1.json --realdocs /work/shared/eval/realdocs \\
        --scifact /work/shared/eval/scifact --work /work/bench-answer

Answerable: SQuAD dev questions asked of the SQuAD index (``--squad-sample`` of them), realdocs
questions asked of their own docs (pydantic, httpx). Unanswerable: questions asked of a corpus
that does not hold their answer — SQuAD questions of the realdocs indexes, realdocs questions of
the SQuAD index and of the other realdocs corpus, SciFact claims of SQuAD and realdocs, and
off-topic questions ("what is the capital of France?") of docqa's own docs/.

Every question retrieves 2 results (``--mode`` passed only when given) and gives
``qa.confidence.features``. The questions are split in two random halves per group: on the
calibration half, each (coverage weight, margin weight) is given the threshold with the least
mean of the two error rates; the held-out half reports, for the best of them and for the top
score alone, the false "confident" rate on unanswerable questions and the false "no good
answer" rate on answerable ones (also on answerable questions whose first result is right).
"""

from __future__ import annotations

import argparse
import json
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from answerline import retrieve_kwargs, squad_index
from common import index_dir, index_folder, paragraph_ranking, ticker
from confidencecalib import Item, calibrate, print_report

import qa
from index import DEFAULT_MODEL
from qa.confidence import features

OFF_TOPIC = [
    "what is the capital of France?",
    "who won the 2014 football world cup?",
    "how tall is Mount Everest?",
    "what is the boiling point of water at sea level?",
    "who wrote Pride and Prejudice?",
    "how many moons does Jupiter have?",
    "what is the recipe for banana bread?",
    "when did the Roman Empire fall?",
    "what is the population of Tokyo?",
    "who painted the Mona Lisa?",
    "how do I change a flat tyre?",
    "what is the speed of light?",
    "which planet is closest to the sun?",
    "what causes the seasons on Earth?",
    "who was the first president of the United States?",
    "how do vaccines train the immune system?",
]


def realdocs_questions(folder: Path, corpus: str) -> list[dict[str, Any]]:
    path = folder / corpus / "questions.jsonl"
    return [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]


def collapse(text: str) -> str:
    return " ".join(text.split())


def dense_cosines(retriever: qa.Retriever, question: str, results: Sequence[Any]) -> list[float]:
    """The cosine of each result with the question, whatever the mode ranked by: the feature
    the Retriever's own ``confident`` flag is computed from."""
    vector = retriever.encoder.embed([question.strip()])[0]
    stored = retriever.snapshot().vectors([r.id for r in results])
    return [float(c) for c in stored @ vector]


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--squad", type=Path, required=True)
    parser.add_argument("--realdocs", type=Path, required=True)
    parser.add_argument("--scifact", type=Path, required=True)
    parser.add_argument(
        "--docs", type=Path, default=Path(__file__).resolve().parent.parent / "docs"
    )
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--mode", default=None, help="retrieval mode, passed only when given")
    parser.add_argument("--squad-sample", type=int, default=3000)
    parser.add_argument("--cross-sample", type=int, default=400, help="per unanswerable group")
    parser.add_argument("--json", type=Path)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    # One generator for every random choice, drawn in a fixed order: the samples, then the
    # halves; the same arguments give the same questions and the same split.
    rng = random.Random(0)
    squad_qs, retrievers = open_indexes(args)
    jobs = make_jobs(args, rng, squad_qs)
    items = ask(jobs, retrievers, args.mode)
    by_group, calib, held = halves(items, rng)
    table, best, shipped = calibrate(calib, held)
    print_report(items, by_group, calib, held, table, best, shipped)
    if args.json:
        args.json.write_text(
            json.dumps({"table": table, "best": best, "shipped": shipped}, indent=1) + "\n"
        )


def open_indexes(args: argparse.Namespace) -> tuple[list[tuple[str, str, int]], dict[str, Any]]:
    """The SQuAD questions and a Retriever per corpus (SQuAD, the realdocs corpora, docs/),
    each index built or synced first."""
    _, squad_qs, squad_index_dir = squad_index(args.squad, args.work, args.model)
    retrievers = {"squad": qa.Retriever(squad_index_dir, model=args.model)}
    encoder = retrievers["squad"].encoder
    for name, docs in [
        ("pydantic", args.realdocs / "pydantic" / "docs"),
        ("httpx", args.realdocs / "httpx" / "docs"),
        ("docqa-docs", args.docs),
    ]:
        folder = index_dir(args.work, name, args.model)
        index_folder(docs, folder, args.model, full=False, label=f"index {name}")
        retrievers[name] = qa.Retriever(folder, encoder=encoder)
    return squad_qs, retrievers


# (group, corpus, question, answerable, is_right(result) or None)
Job = tuple[str, str, str, bool, Any]


def make_jobs(
    args: argparse.Namespace, rng: random.Random, squad_qs: list[tuple[str, str, int]]
) -> list[Job]:
    """Every question to ask, in groups: answerable ones of their own corpus, unanswerable
    ones of another."""
    real = {c: realdocs_questions(args.realdocs, c) for c in ("pydantic", "httpx")}
    claims = [json.loads(line)["text"] for line in (args.scifact / "queries.jsonl").open()]
    squad_sample = rng.sample(squad_qs, min(args.squad_sample, len(squad_qs)))

    def cross(questions: Sequence[str]) -> list[str]:
        return rng.sample(list(questions), min(args.cross_sample, len(questions)))

    squad_texts = [q for q, _, _ in squad_qs]
    jobs: list[Job] = []
    for q, src, para in squad_sample:
        jobs.append(
            (
                "SQuAD on SQuAD",
                "squad",
                q,
                True,
                lambda r, s=src, p=para: paragraph_ranking([r], p) == [(s, p)],
            )
        )
    for c, qs in real.items():
        for item in qs:
            quote = collapse(item["answer"])
            jobs.append(
                (
                    f"{c} on {c}",
                    c,
                    item["question"],
                    True,
                    lambda r, f=item["file"], a=quote: r.source == f and a in collapse(r.text),
                )
            )
            jobs.append((f"{c} on SQuAD", "squad", item["question"], False, None))
            other = "httpx" if c == "pydantic" else "pydantic"
            jobs.append((f"{c} on {other}", other, item["question"], False, None))
    for c in ("pydantic", "httpx"):
        jobs.extend((f"SQuAD on {c}", c, q, False, None) for q in cross(squad_texts))
        jobs.extend((f"SciFact on {c}", c, q, False, None) for q in cross(claims))
    jobs.extend(("SciFact on SQuAD", "squad", q, False, None) for q in cross(claims))
    for c in ("docqa-docs", "pydantic", "httpx", "squad"):
        jobs.extend((f"off-topic on {c}", c, q, False, None) for q in OFF_TOPIC)
    return jobs


def ask(jobs: list[Job], retrievers: dict[str, Any], mode: str | None) -> list[Item]:
    """Ask every job's question for 2 results: the confidence features of the first."""
    items: list[Item] = []
    tick = ticker("confidence queries", every=30.0)
    for n, (group, corpus, question, answerable, is_right) in enumerate(jobs, start=1):
        retriever = retrievers[corpus]
        results = retriever.retrieve(question, k=2, **retrieve_kwargs(mode))
        f = features(question, results[0].text, dense_cosines(retriever, question, results))
        right = bool(is_right and is_right(results[0]))
        items.append(Item(group, answerable, right, f))
        tick("question", n, len(jobs))
    return items


def halves(
    items: list[Item], rng: random.Random
) -> tuple[dict[str, list[Item]], list[Item], list[Item]]:
    """The items by group, and each group split at random into a calibration half and a
    held-out half."""
    by_group: dict[str, list[Item]] = {}
    for it in items:
        by_group.setdefault(it.group, []).append(it)
    calib: list[Item] = []
    held: list[Item] = []
    for group_items in by_group.values():
        shuffled = group_items[:]
        rng.shuffle(shuffled)
        half = len(shuffled) // 2
        calib += shuffled[:half]
        held += shuffled[half:]
    return by_group, calib, held


if __name__ == "__main__":
    main()
