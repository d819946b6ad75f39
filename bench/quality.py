"""Retrieval quality of docqa measured through the whole system: files -> index -> Retriever -> citations.

Run from the repository root (the data stays where it is; only generated files go to the work dir):

    HF_HUB_OFFLINE=1 /work/venv/bin/python bench/quality.py \\
        --squad /work/shared/eval/squad/dev-v1.1.json --scifact /work/shared/eval/scifact \\
        [--model MODEL] [--work DIR] [--only squad|scifact|formats] [--json OUT] [--full]
        [--formats md,html,docx,pdf] [--articles N] [--every N] [--mode hybrid|dense|lexical]

``--model hashing`` is a quick smoke run without a neural model. The work dir (default
``bench/.cache/quality``, gitignored) holds the generated document folders and one index per model;
a re-run rewrites no unchanged file, so docqa's own sync reuses every vector (``--full`` re-embeds).
Progress goes to stderr; stdout gets Markdown tables comparable to /work/shared/eval/README.md.

``--mode`` is the Retriever's ranking (default hybrid). SQuAD and SciFact retrieve with
``per_file=0`` (no cap of results per file): SQuAD ranks paragraphs within one article file, and a
SciFact ranking reduces passages to abstracts itself.

SQuAD-closed (48 dev articles, 10,570 questions): each article is a .txt file whose i-th paragraph
(blank-line separated, internal newlines turned into spaces) is the article's i-th SQuAD context.
Every question goes through ``Retriever.retrieve(q, k=20)``; the results are reduced to a paragraph
ranking (a paragraph split into parts counts once, at its best part's position) and a hit is a
result whose citation (``source``, ``paragraph``) is the gold one.
  R@k     share of questions whose gold paragraph is among the first k paragraphs.
  MRR@10  mean of 1/rank of the gold paragraph, 0 when it is not in the first 10.

SciFact (BEIR, 5,183 abstracts, 300 test claims): one file per abstract, ``<doc id>.txt``, a single
paragraph "title. text" (BEIR's title + " " + text, with a full stop added after a title lacking
end punctuation so the sentence splitter can cut there). Each claim retrieves 300 passages (more if
they cover fewer than 100 abstracts); abstracts are ranked by their best passage.
  nDCG@10    trec_eval/pytrec_eval ndcg_cut.10 as BEIR reports it: gain = qrels relevance,
             discount log2(rank + 1), normalised by the ideal ordering of the query's judgements.
  Recall@100 relevant abstracts in the top 100 / relevant abstracts of the query.
Both are averaged over the 300 test queries.

Formats (``--formats``, not run by default; ``--only formats`` runs just it): the SQuAD articles
as .txt/.md/.html/.docx/.pdf files, with R@k and whether the top hit's citation leads to the
gold paragraph; see ``bench/formats.py``, which also runs on its own.

The tasks are in ``bench/realdocs.py``, ``bench/squad.py``, ``bench/scifact.py`` and
``bench/formats.py``, the tables in ``bench/qualityreport.py``.
"""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import realdocs
from common import DEFAULT_WORK, log
from formats import DEFAULT_FORMATS, add_arguments, formats_markdown, run_formats
from qualityreport import markdown
from scifact import run_scifact
from squad import run_squad

import qa
from index import DEFAULT_MODEL, model_name


def parse_args(argv: Sequence[str] | None) -> tuple[argparse.Namespace, list[str], list[str]]:
    """The options, the modes to run and the tasks to run (exits on a usage error)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--squad", type=Path, help="SQuAD v1.1 dev JSON file")
    parser.add_argument(
        "--scifact", type=Path, help="BEIR SciFact folder (corpus.jsonl, queries.jsonl, qrels/)"
    )
    parser.add_argument(
        "--model", default=DEFAULT_MODEL, help="docqa model spec (default: %(default)s)"
    )
    parser.add_argument(
        "--work", type=Path, default=DEFAULT_WORK, help="work dir (default: %(default)s)"
    )
    parser.add_argument(
        "--only", choices=("squad", "scifact", "formats", "realdocs"), help="run one benchmark"
    )
    add_arguments(parser)  # --formats, --articles, --every
    parser.add_argument(
        "--modes",
        default=",".join(qa.MODES),
        help="comma-separated rankings to run, each a row (default: %(default)s)",
    )
    parser.add_argument("--realdocs", type=Path, help="shared/eval/realdocs")
    parser.add_argument("--corpora", default="pydantic,httpx", help="realdocs corpora to run")
    parser.add_argument(
        "--guide", action="store_true", help="also docqa's docs/ with bench/guide/questions.jsonl"
    )
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    parser.add_argument(
        "--full", action="store_true", help="re-embed everything (a cold build time)"
    )
    args = parser.parse_args(argv)
    modes = [m for m in args.modes.split(",") if m]
    if not modes or set(modes) - set(qa.MODES):
        parser.error(f"--modes takes some of {', '.join(qa.MODES)}, got {args.modes!r}")
    tasks = (
        [args.only]
        if args.only
        else [
            t
            for t in ("realdocs", "squad", "scifact")
            if getattr(args, t) or (t == "realdocs" and args.guide)
        ]
        + ["formats"] * bool(args.formats)
    )
    if not tasks:
        parser.error("give --realdocs, --squad or --scifact (PATH of the data)")
    for task in tasks:
        data = "squad" if task == "formats" else task  # the formats run writes SQuAD articles
        if getattr(args, data) is None and not (task == "realdocs" and args.guide):
            parser.error(f"--{data} PATH is required (or choose another with --only)")
    return args, modes, tasks


def main(argv: Sequence[str] | None = None) -> None:
    args, modes, tasks = parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    by_format: dict[str, dict[str, Any]] = {}
    if "formats" in tasks:
        by_format = run_formats(
            args.squad,
            args.work,
            args.model,
            args.formats or DEFAULT_FORMATS,
            full=args.full,
            articles=args.articles,
            every=args.every,
        )
    runs = run_tasks(args, modes, tasks)
    if any(runs.values()):
        print(markdown(args.model, runs))
    if by_format:
        print(("\n" if any(runs.values()) else "") + formats_markdown(args.model, by_format))
    if args.json:
        extra = {"formats": by_format} if by_format else {}
        args.json.write_text(
            json.dumps({"model": model_name(args.model), "modes": runs} | extra, indent=1) + "\n"
        )


def run_tasks(
    args: argparse.Namespace, modes: list[str], tasks: list[str]
) -> dict[str, dict[str, Any]]:
    """Realdocs, SQuAD and SciFact (those of ``tasks``) for each mode: mode -> task -> scores."""
    runs: dict[str, dict[str, Any]] = {m: {} for m in modes}
    if "realdocs" in tasks:
        for name, docs, questions_file in realdocs.corpora(args):
            folder, info = realdocs.build(name, docs, args.work, args.model, full=args.full)
            log(f"{name}: {info}")
            retriever = qa.Retriever(folder, model=args.model)
            questions = realdocs.load_questions(questions_file)
            for mode in modes:
                scores, _ = realdocs.run_corpus(retriever, questions, mode)
                runs[mode].setdefault("realdocs", {})[name] = scores | {"index": info}
    for mode in modes:
        if "squad" in tasks:
            runs[mode]["squad"] = run_squad(
                args.squad, args.work, args.model, full=args.full and mode == modes[0], mode=mode
            )
        if "scifact" in tasks:
            runs[mode]["scifact"] = run_scifact(
                args.scifact, args.work, args.model, full=args.full and mode == modes[0], mode=mode
            )
    return runs


if __name__ == "__main__":
    main()
