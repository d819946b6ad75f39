"""SQuAD-closed through the whole system (see ``bench/quality.py``): the 48 dev articles as .txt
files, one paragraph per SQuAD context, and every question asked of their index."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

from common import (
    SQUAD_K,
    build,
    index_dir,
    log,
    mean,
    one_line,
    paragraph_ranking,
    sync_folder,
    ticker,
)
from ir_metrics import first_rank, reciprocal_rank

import qa

__all__ = ["run_squad", "squad_files", "squad_paragraphs"]


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


def squad_paragraphs(path: Path, limit: int | None = None) -> tuple[dict[str, str], list[str]]:
    """Article files holding the first ``limit`` paragraphs (as :func:`squad_files` writes
    them), and those paragraphs."""
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    files: dict[str, str] = {}
    texts: list[str] = []
    for i, article in enumerate(data):
        room = (limit - len(texts)) if limit is not None else None
        if room is not None and room <= 0:
            break
        paragraphs = [one_line(p["context"]) for p in article["paragraphs"]][:room]
        name = f"{i:02d}_{re.sub(r'[^A-Za-z0-9.-]+', '_', article['title']).strip('_')}.txt"
        files[name] = "\n\n".join(paragraphs) + "\n"
        texts += paragraphs
    return files, texts
