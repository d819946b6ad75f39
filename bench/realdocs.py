"""Retrieval on real documentation folders (shared/eval/realdocs): Markdown docs as their authors
wrote them, and questions a user types into a search box.

    HF_HUB_OFFLINE=1 python bench/realdocs.py --realdocs ../shared/eval/realdocs [--guide] \\
        [--corpora pydantic,httpx] [--modes hybrid,dense,lexical] [--model M] [--work DIR] [--json OUT]

``--guide`` adds docqa's own user guide (``docs/``) with the questions in
``bench/guide/questions.jsonl`` (same format as realdocs, written for docqa's guide).

Each corpus folder (``<corpus>/docs``) is indexed by docqa as a user would index it, then every
question of ``<corpus>/questions.jsonl`` goes through ``Retriever.retrieve(q, k=20)`` with docqa's
defaults. A hit is a returned passage from the question's ``file`` whose text, white space
collapsed, contains the ``answer`` quote (the realdocs README's rule).
  R@k      share of questions with a hit among the first k passages (1, 5, 20)
  MRR@10   mean of 1/rank of the first hit within 10, 0 without one
  file@5   share of questions with any passage of the right file among the first 5
Also split by ``paraphrase`` (the question shares no 4-word run with its file).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from common import DEFAULT_WORK, REPO, index_dir, index_folder, log, mean

import qa
from index import DEFAULT_MODEL, model_name

K = 20


def collapse(text: str) -> str:
    return " ".join(text.split())


def load_questions(path: Path) -> list[dict[str, Any]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def build(
    name: str, docs: Path, work: Path, model: str, *, full: bool = False
) -> tuple[Path, dict[str, Any]]:
    """Index ``docs`` (synced: unchanged passages keep their vectors)."""
    folder = index_dir(work, f"realdocs-{name}", model)
    summary, seconds, passages = index_folder(docs, folder, model, full=full, label=name)
    words = [len(p.text.split()) for p in passages]
    info = {
        "passages": len(passages),
        "embedded": summary.embedded,
        "build_seconds": round(seconds, 1),
        "mean_words": round(sum(words) / max(1, len(words)), 1),
        "joined": sum(p.last_paragraph > p.paragraph for p in passages),
    }
    return folder, info


def rank_of_hit(results: Sequence[Any], question: dict[str, Any]) -> tuple[int | None, int | None]:
    """1-based rank of the first hit and of the first passage from the right file (None: none)."""
    answer = collapse(question["answer"])
    hit = in_file = None
    for r in results:
        if r.source.endswith(question["file"]):
            in_file = in_file or r.rank
            if answer in collapse(r.text):
                hit = r.rank
                break
    return hit, in_file


def run_corpus(
    retriever: qa.Retriever, questions: list[dict[str, Any]], mode: str | None
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    rows = []
    for q in questions:
        kwargs = {"mode": mode} if mode else {}
        results = retriever.retrieve(q["question"], K, **kwargs)
        hit, in_file = rank_of_hit(results, q)
        top = results[0] if results else None
        rows.append(
            {
                "id": q["id"],
                "hit": hit,
                "file_rank": in_file,
                "paraphrase": q["paraphrase"],
                "top": top.citation if top else None,
            }
        )
    hits = [r["hit"] for r in rows]
    scores = {f"R@{k}": mean(h is not None and h <= k for h in hits) for k in (1, 5, 20)}
    scores["MRR@10"] = mean(1 / h if h is not None and h <= 10 else 0 for h in hits)
    scores["file@5"] = mean(r["file_rank"] is not None and r["file_rank"] <= 5 for r in rows)
    para = [r["hit"] for r in rows if r["paraphrase"]]
    scores["R@5 paraphrase"] = mean(h is not None and h <= 5 for h in para)
    return scores, rows


def corpora(args: argparse.Namespace) -> list[tuple[str, Path, Path]]:
    """(name, documents folder, questions file) of every corpus to run."""
    out = []
    if args.realdocs:
        for name in args.corpora.split(","):
            out.append(
                (name, args.realdocs / name / "docs", args.realdocs / name / "questions.jsonl")
            )
    if args.guide:
        out.append(("guide", REPO / "docs", REPO / "bench" / "guide" / "questions.jsonl"))
    return out


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--realdocs", type=Path, help="shared/eval/realdocs")
    parser.add_argument("--corpora", default="pydantic,httpx")
    parser.add_argument(
        "--guide",
        action="store_true",
        help="also docqa's own docs/ with bench/guide/questions.jsonl",
    )
    parser.add_argument(
        "--modes", default="", help="comma-separated retrieval modes (default: docqa's)"
    )
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK)
    parser.add_argument("--full", action="store_true", help="re-embed everything")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    parser.add_argument("--misses", action="store_true", help="list the questions missed at 5")
    args = parser.parse_args(argv)
    modes: list[str | None] = [m for m in args.modes.split(",") if m] or [None]
    out: dict[str, Any] = {"model": model_name(args.model), "corpora": {}}
    print(
        "| corpus | mode | passages | mean words | R@1 | R@5 | R@20 | MRR@10 | file@5 | R@5 paraphrase |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, docs, questions_file in corpora(args):
        folder, info = build(name, docs, args.work, args.model, full=args.full)
        log(f"{name}: {info}")
        retriever = qa.Retriever(folder, model=args.model)
        questions = load_questions(questions_file)
        for mode in modes:
            scores, rows = run_corpus(retriever, questions, mode)
            out["corpora"].setdefault(name, {"index": info})[mode or "default"] = scores
            cells = " | ".join(
                str(scores[c]) for c in ("R@1", "R@5", "R@20", "MRR@10", "file@5", "R@5 paraphrase")
            )
            print(
                f"| {name} | {mode or 'default'} | {info['passages']} | {info['mean_words']} | {cells} |"
            )
            if args.misses:
                for row, q in zip(rows, questions, strict=True):
                    if row["hit"] is None or row["hit"] > 5:
                        log(
                            f"  miss {q['id']} hit@{row['hit']} file@{row['file_rank']}: {q['question']!r} top={row['top']}"
                        )
            sys.stdout.flush()
    if args.json:
        args.json.write_text(json.dumps(out, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
