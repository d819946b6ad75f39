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
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import realdocs
from common import (
    DEFAULT_WORK,
    SQUAD_K,
    index_dir,
    index_folder,
    log,
    mean,
    one_line,
    paragraph_ranking,
    sync_folder,
    ticker,
)
from formats import DEFAULT_FORMATS, add_arguments, formats_markdown, run_formats
from ir_metrics import (
    first_rank,
    ndcg_at_k,
    recall_at_k,
    reciprocal_rank,
    unique_in_order,
)

import qa
from index import DEFAULT_MODEL, model_name

SCIFACT_K = 300
SCIFACT_DOCS = 100  # documents the ranking must reach for Recall@100


def build(
    docs: Path, index_dir: Path, model: str, *, full: bool, expected: dict[str, int]
) -> tuple[dict[str, Any], dict[tuple[str, int], int]]:
    """Index ``docs`` with docqa and describe the result, checking each file's paragraph count.
    Also returns the number of parts of every (source, paragraph)."""
    summary, seconds, passages = index_folder(
        docs, index_dir, model, full=full, label=f"index {docs.parent.name}"
    )
    parts = {
        (p.source, n): p.parts for p in passages for n in range(p.paragraph, p.last_paragraph + 1)
    }
    found = {src: 0 for src in expected}
    for src, para in parts:
        found[src] = max(found.get(src, 0), para)
    wrong = {s: (expected.get(s), n) for s, n in found.items() if expected.get(s) != n}
    if wrong or summary.files_skipped:
        raise SystemExit(
            f"paragraphs do not line up with the data: {wrong} {summary.files_skipped}"
        )
    info = {
        "files": summary.files_indexed,
        "units": len(parts),
        "split_units": sum(n > 1 for n in parts.values()),
        "max_parts": max(parts.values(), default=0),
        "joined_passages": sum(p.last_paragraph > p.paragraph for p in passages),
        "passages": summary.passages,
        "embedded": summary.embedded,
        "reused": summary.reused,
        "build_seconds": round(seconds, 1),
    }
    return info, parts


def squad_files(path: Path) -> tuple[dict[str, str], list[tuple[str, str, int]]]:
    """Article files (name -> text) and the questions as (question, file, 1-based paragraph)."""
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    files: dict[str, str] = {}
    questions: list[tuple[str, str, int]] = []
    for i, article in enumerate(data):
        name = f"{i:02d}_{re.sub(r'[^A-Za-z0-9.-]+', '_', article['title']).strip('_')}.txt"
        paragraphs = article["paragraphs"]
        files[name] = "\n\n".join(one_line(p["context"]) for p in paragraphs) + "\n"
        for number, p in enumerate(paragraphs, start=1):
            questions.extend((q["question"], name, number) for q in p["qas"])
    return files, questions


def run_squad(path: Path, work: Path, model: str, *, full: bool, mode: str) -> dict[str, Any]:
    files, questions = squad_files(path)
    docs = work / "squad" / "docs"
    sync_folder(docs, files)
    expected = {name: text.count("\n\n") + 1 for name, text in files.items()}
    info, parts = build(docs, index_dir(work, "squad", model), model, full=full, expected=expected)
    log(f"squad: {info}")
    started = time.perf_counter()
    retriever = qa.Retriever(index_dir(work, "squad", model), model=model)
    info["load_seconds"] = round(time.perf_counter() - started, 1)
    ranks: list[int | None] = []
    repeats = same_article = 0
    tick = ticker("squad queries", every=30.0)
    started = time.perf_counter()
    for n, (question, source, paragraph) in enumerate(questions, start=1):
        results = retriever.retrieve(question, k=SQUAD_K, mode=mode, per_file=0)
        ranking = paragraph_ranking(results, paragraph)
        repeats += len(ranking) < len(results)
        ranks.append(first_rank(ranking, (source, paragraph)))
        same_article += ranks[-1] != 1 and bool(ranking) and ranking[0][0] == source
        tick("question", n, len(questions))
    seconds = time.perf_counter() - started
    total = len(questions)
    misses = sum(r != 1 for r in ranks)
    split = [r for r, (_, s, p) in zip(ranks, questions, strict=True) if parts[(s, p)] > 1]
    whole = [r for r, (_, s, p) in zip(ranks, questions, strict=True) if parts[(s, p)] == 1]
    return info | {
        "questions": total,
        **{f"R@{k}": mean(r is not None and r <= k for r in ranks) for k in (1, 5, 20)},
        "MRR@10": mean(reciprocal_rank(r, 10) for r in ranks),
        "query_seconds": round(seconds, 1),
        "queries_per_second": round(total / seconds, 1),
        "questions_with_repeated_paragraph": repeats,
        "rank1_misses_same_article": round(same_article / misses, 3) if misses else 0.0,
        "questions_on_split_paragraphs": len(split),
        "R@1_on_split_paragraphs": mean(r == 1 for r in split),
        "R@1_on_whole_paragraphs": mean(r == 1 for r in whole),
    }


def run_scifact(folder: Path, work: Path, model: str, *, full: bool, mode: str) -> dict[str, Any]:
    corpus = [json.loads(line) for line in (folder / "corpus.jsonl").open(encoding="utf-8")]
    files = {f"{d['_id']}.txt": _titled(d["title"], d["text"]) + "\n" for d in corpus}
    docs = work / "scifact" / "docs"
    sync_folder(docs, files)
    info, _ = build(
        docs, index_dir(work, "scifact", model), model, full=full, expected=dict.fromkeys(files, 1)
    )
    log(f"scifact: {info}")
    qrels: dict[str, dict[str, int]] = {}
    with (folder / "qrels" / "test.tsv").open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh, delimiter="\t"):
            qrels.setdefault(row["query-id"], {})[row["corpus-id"]] = int(row["score"])
    claims = {}
    for line in (folder / "queries.jsonl").open(encoding="utf-8"):
        q = json.loads(line)
        if q["_id"] in qrels:
            claims[q["_id"]] = q["text"]
    started = time.perf_counter()
    retriever = qa.Retriever(index_dir(work, "scifact", model), model=model)
    info["load_seconds"] = round(time.perf_counter() - started, 1)
    ndcg: list[float] = []
    recall: list[float] = []
    tick = ticker("scifact queries", every=30.0)
    started = time.perf_counter()
    for n, (qid, claim) in enumerate(claims.items(), start=1):
        ranking = _documents(retriever, claim, mode)
        ranking = [d for d in ranking if d != qid]  # BEIR's ignore_identical_ids
        ndcg.append(ndcg_at_k(ranking, qrels[qid], 10))
        recall.append(recall_at_k(ranking, qrels[qid], 100))
        tick("claim", n, len(claims))
    seconds = time.perf_counter() - started
    latency = _latency(retriever, list(claims.values()), mode)
    return info | {
        "retrieve_ms_p50": latency[0],
        "retrieve_ms_p99": latency[1],
        "queries": len(claims),
        "nDCG@10": mean(ndcg),
        "R@100": mean(recall),
        "query_seconds": round(seconds, 1),
        "queries_per_second": round(len(claims) / seconds, 1),
    }


def _latency(retriever: qa.Retriever, questions: list[str], mode: str) -> tuple[float, float]:
    """p50 and p99 milliseconds of one ``retrieve(q, k=5)`` as a user calls it (query encode,
    search, fusion, answer line, confidence and formatting), over ``questions`` after a warm-up."""
    for q in questions[:10]:
        retriever.retrieve(q, k=5, mode=mode)
    times = []
    for q in questions:
        started = time.perf_counter()
        retriever.retrieve(q, k=5, mode=mode)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return (
        round(times[len(times) // 2], 1),
        round(times[min(len(times) - 1, int(len(times) * 0.99))], 1),
    )


def _documents(retriever: qa.Retriever, claim: str, mode: str) -> list[str]:
    """Document ids ranked by their best passage, at least SCIFACT_DOCS of them when the index has them."""
    k = SCIFACT_K
    while True:
        results = retriever.retrieve(claim, k=k, mode=mode, per_file=0)
        ranking = unique_in_order(r.source.removesuffix(".txt") for r in results)
        if len(ranking) >= SCIFACT_DOCS or len(results) < k:
            return ranking
        k *= 2


def _titled(title: str, text: str) -> str:
    title = one_line(title)
    if title and title[-1] not in ".?!":
        title += "."
    return one_line(f"{title} {text}")


def markdown(model: str, runs: dict[str, dict[str, dict[str, Any]]]) -> str:
    """One table: a row per mode, realdocs (per corpus), SQuAD, SciFact and latency columns."""

    def cell(d: dict[str, Any] | None, key: str) -> str:
        return f"{d[key]:.3f}" if d and key in d else "–"

    modes = list(runs)
    corpora = list(dict.fromkeys(c for r in runs.values() for c in r.get("realdocs", {})))
    head = ["mode"]
    for c in corpora:
        head += [f"{c} R@1", "R@5", "R@20", "MRR@10"]
    head += ["SQuAD R@1", "R@5", "R@20", "MRR@10", "SciFact nDCG@10", "R@100", "p50 ms", "p99 ms"]
    lines = [
        f"docqa ({model_name(model)}), files → index → Retriever",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    for mode in modes:
        r = runs[mode]
        row = [mode]
        for c in corpora:
            rd = r.get("realdocs", {}).get(c)
            row += [cell(rd, k) for k in ("R@1", "R@5", "R@20", "MRR@10")]
        sq, sf = r.get("squad"), r.get("scifact")
        row += [cell(sq, k) for k in ("R@1", "R@5", "R@20", "MRR@10")]
        row += [cell(sf, "nDCG@10"), cell(sf, "R@100")]
        row += [
            str(sf["retrieve_ms_p50"]) if sf else "–",
            str(sf["retrieve_ms_p99"]) if sf else "–",
        ]
        lines.append("| " + " | ".join(row) + " |")
    lines += [
        "",
        "| corpus | files | paragraphs | split paragraphs | joined passages | passages | embedded | build s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    first = runs[modes[0]]
    for task in ("squad", "scifact"):
        d = first.get(task)
        if d:
            lines.append(
                f"| {task} | {d['files']} | {d['units']} | {d['split_units']} (max {d['max_parts']} parts) | "
                f"{d['joined_passages']} | {d['passages']} | {d['embedded']} | {d['build_seconds']} |"
            )
    for c, d in first.get("realdocs", {}).items():
        info = d["index"]
        lines.append(
            f"| {c} | – | – | – | {info['joined']} | {info['passages']} | {info['embedded']} | {info['build_seconds']} |"
        )
    sq = first.get("squad")
    if sq:
        lines.append(
            f"\nSQuAD ({modes[0]}): {sq['questions_on_split_paragraphs']} questions ask about a split paragraph, "
            f"R@1 {sq['R@1_on_split_paragraphs']:.3f} (whole paragraphs {sq['R@1_on_whole_paragraphs']:.3f}); "
            f"{sq['rank1_misses_same_article']:.0%} of rank-1 misses are a sibling paragraph."
        )
    if any("scifact" in r for r in runs.values()):
        lines.append(
            "Latency: one `retrieve(q, k=5)` per SciFact claim on the SciFact index (10k passages), "
            "after 10 warm-up questions: query encode, search, fusion, answer line, confidence."
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
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
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
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
    runs: dict[str, dict[str, Any]] = {m: {} for m in modes}
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
    if any(runs.values()):
        print(markdown(args.model, runs))
    if by_format:
        print(("\n" if any(runs.values()) else "") + formats_markdown(args.model, by_format))
    if args.json:
        extra = {"formats": by_format} if by_format else {}
        args.json.write_text(
            json.dumps({"model": model_name(args.model), "modes": runs} | extra, indent=1) + "\n"
        )


if __name__ == "__main__":
    main()
