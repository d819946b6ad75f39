"""BEIR SciFact through the whole system (see ``bench/quality.py``): one file per abstract, each
test claim ranks abstracts by their best passage; nDCG@10, Recall@100 and retrieve latency."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path
from typing import Any

from common import build, index_dir, log, mean, one_line, sync_folder, ticker
from ir_metrics import ndcg_at_k, recall_at_k, unique_in_order

import qa

__all__ = ["SCIFACT_DOCS", "SCIFACT_K", "run_scifact"]

SCIFACT_K = 300
SCIFACT_DOCS = 100  # documents the ranking must reach for Recall@100


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
