"""Follow-up questions on SQuAD: retrieval of a question that leans on the one before it.

    HF_HUB_OFFLINE=1 OMP_NUM_THREADS=1 python bench/followup.py \\
        --squad /work/shared/eval/squad/dev-v1.1.json --work /work/bench-answer [--mode MODE]

The follow-up set: for each SQuAD paragraph, the first two consecutive questions (q1, q2) where
q2 contains the article's title entity ("Super Bowl 50" for Super_Bowl_50), or else a
capitalised phrase that q1 also contains; q2 is rewritten with that phrase replaced by a
pronoun ("it", "they", "its"/"their" before 's). Same index and retrieval as
``bench/quality.py``'s SQuAD task (``--mode`` is passed to ``retrieve`` only when given).

Rows: the rewritten follow-up alone; the follow-up through ``qa.followup.contextualize`` with
q1 as history; the original q2 alone; the original q2 through ``contextualize`` after an
unrelated question (another article's) — a self-contained question must not be disturbed.
R@k = gold paragraph among the first k paragraphs (a split paragraph counts once).
"""

from __future__ import annotations

import itertools
import random
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from answerline import retrieve_kwargs, squad_index, squad_parser
from common import SQUAD_K, log, mean, paragraph_ranking, ticker
from ir_metrics import first_rank

import qa
from qa.followup import _names, contextualize


def title_entity(title: str) -> str:
    return re.sub(r"\s*\(.*?\)\s*", " ", title.replace("_", " ")).strip()


def rewrite(q1: str, q2: str, title: str) -> str | None:
    """``q2`` with the title entity (or a name shared with ``q1``) replaced by a pronoun; None
    when it has neither."""
    phrase = title_entity(title)
    if phrase.lower() not in q2.lower():
        shared = [n for n in _names(q2) if n.lower() in q1.lower()]
        if not shared:
            return None
        phrase = max(shared, key=len)
    m = re.search(r"(?i)\b(the\s+)?" + re.escape(phrase) + r"(['’]s?)?(?=\W|$)", q2)
    if m is None:
        return None
    plural = phrase.endswith("s") and not phrase.endswith("ss")
    possessive = bool(m.group(2))
    subject = re.match(r"(?i)\s*(what|which|who|when|where|why|how)\b.{0,30}$", q2[: m.start()])
    if possessive:
        pronoun = "their" if plural else "its"
    elif plural:
        pronoun = "they" if subject else "them"
    else:
        pronoun = "it"
    if m.start() == 0:
        pronoun = pronoun.capitalize()
    out = q2[: m.start()] + pronoun + q2[m.end() :]
    return out if out != q2 else None


def followup_set(squad: Path) -> list[dict[str, Any]]:
    import json

    data = json.loads(squad.read_text(encoding="utf-8"))["data"]
    pairs: list[dict[str, Any]] = []
    all_questions: list[tuple[int, str]] = []
    for i, art in enumerate(data):
        for p in art["paragraphs"]:
            all_questions.extend((i, q["question"]) for q in p["qas"])
    rng = random.Random(0)
    for i, art in enumerate(data):
        name = f"{i:02d}_{re.sub(r'[^A-Za-z0-9.-]+', '_', art['title']).strip('_')}.txt"
        for number, p in enumerate(art["paragraphs"], start=1):
            qs = [q["question"].strip() for q in p["qas"]]
            for q1, q2 in itertools.pairwise(qs):
                follow = rewrite(q1, q2, art["title"])
                if follow:
                    while True:
                        other_article, unrelated = rng.choice(all_questions)
                        if other_article != i:
                            break
                    pairs.append(
                        {
                            "q1": q1,
                            "q2": q2,
                            "followup": follow,
                            "unrelated": unrelated,
                            "gold": (name, number),
                        }
                    )
                    break
    return pairs


def main(argv: Sequence[str] | None = None) -> None:
    parser = squad_parser(__doc__, "work dir (index)")
    parser.add_argument("--show", type=int, default=8, help="print this many example rewrites")
    args = parser.parse_args(argv)

    _, _, folder = squad_index(args.squad, args.work, args.model)
    retriever = qa.Retriever(folder, model=args.model)
    pairs = followup_set(args.squad)
    log(f"{len(pairs)} follow-up pairs")

    def rank(query: str, gold: tuple[str, int]) -> int | None:
        results = retriever.retrieve(query, k=SQUAD_K, **retrieve_kwargs(args.mode))
        return first_rank(paragraph_ranking(results, gold[1]), gold)

    rows: dict[str, list[int | None]] = {
        "follow-up alone (no history)": [],
        "follow-up + contextualize(history=[q1])": [],
        "original q2 alone": [],
        "original q2 + contextualize(history=[unrelated])": [],
    }
    expanded = disturbed = 0
    tick = ticker("follow-up queries", every=30.0)
    for n, pair in enumerate(pairs, start=1):
        gold = pair["gold"]
        query = contextualize(pair["followup"], [pair["q1"]])
        expanded += query != pair["followup"]
        same = contextualize(pair["q2"], [pair["unrelated"]])
        disturbed += same != pair["q2"]
        pair["query"], pair["q2_query"] = query, same
        rows["follow-up alone (no history)"].append(rank(pair["followup"], gold))
        rows["follow-up + contextualize(history=[q1])"].append(rank(query, gold))
        q2_rank = rank(pair["q2"], gold)
        rows["original q2 alone"].append(q2_rank)
        rows["original q2 + contextualize(history=[unrelated])"].append(
            q2_rank if same == pair["q2"] else rank(same, gold)
        )
        tick("pair", n, len(pairs))
    print(f"SQuAD follow-up set: {len(pairs)} pairs (one per paragraph that has one).\n")
    print("| query | R@1 | R@5 |")
    print("|---|---|---|")
    for name, ranks in rows.items():
        r1 = mean(r == 1 for r in ranks)
        r5 = mean(r is not None and r <= 5 for r in ranks)
        print(f"| {name} | {r1:.3f} | {r5:.3f} |")
    print(
        f"\ncontextualize expanded {expanded}/{len(pairs)} rewritten follow-ups; it changed "
        f"{disturbed}/{len(pairs)} self-contained q2s asked after an unrelated question.\n"
    )
    for pair in random.Random(1).sample(pairs, min(args.show, len(pairs))):
        print(f"- q1: {pair['q1']}\n  follow-up: {pair['followup']}\n  query: {pair['query']}")
    changed = [p for p in pairs if p["q2_query"] != p["q2"]]
    for pair in changed[: args.show // 2]:
        print(f"- disturbed q2: {pair['q2']}\n  query: {pair['q2_query']}")


if __name__ == "__main__":
    main()
