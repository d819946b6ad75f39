"""Retrieval and citations of docqa over the SQuAD articles written as files of each format.

Run from the repository root (only generated files go to the work dir), on its own:

    HF_HUB_OFFLINE=1 /work/venv/bin/python bench/formats.py \\
        --squad /work/shared/eval/squad/dev-v1.1.json [--formats md,html,docx,pdf]
        [--model MODEL] [--work DIR] [--articles N] [--every N] [--json OUT] [--full]

or as part of ``bench/quality.py --formats ...`` (``--only formats`` runs just it), with the same
options and results.

The SQuAD articles are written as .txt/.md/.html/.docx/.pdf (see ``writers.py``; ``txt`` is the
baseline), one folder and one index per format. ``--articles N`` writes only the first N articles
(and asks only their questions); ``--every N`` indexes every paragraph but asks only every Nth
question (a quicker, fixed sample). A retrieved passage *is from* the gold paragraph when its
text, without white space, is part of the gold paragraph's text without white space: docqa's
reading of the file decides, not its citation. Results are deduplicated by docqa's paragraph
(block) as in the text run: the parts of a paragraph count once, at the best part's position.
  R@k        share of questions with a passage from the gold paragraph among the first k paragraphs.
  cited      of the questions whose first result is from the gold paragraph, the share whose
             citation names it: (file, ¶) for txt/md/html/docx; for PDF (file, page, ¶) where the
             page is the one the gold paragraph starts on and ¶ counts the paragraphs starting on
             that page (a paragraph carried over from the page before is not counted), both taken
             from reportlab's layout, not from docqa.
  exact      gold paragraphs that docqa read as exactly one block (paragraph) of their own; the
             others were split (into several blocks), merged (with a neighbour) or changed (their
             text differs from what was written).

Known limits of the PDF run: DejaVu Sans has no CJK glyphs (the PDF shows boxes, and no text, for
元朝), reportlab draws Arabic unshaped left to right (the page shows it mirrored and docqa reads
it so), and U+FEFF/doubled U+200B do not survive; passages of those few paragraphs are not "from"
the gold paragraph. A paragraph that reportlab breaks over a page right after a sentence that
fills the last line looks exactly like a paragraph that ends there (in this layout nothing tells
them apart), so docqa reads two paragraphs and the ¶ numbers on the next page are off by one.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from common import DEFAULT_WORK, SQUAD_K, index_dir, index_folder, log, mean, sync_folder, ticker
from formatreading import reading
from ir_metrics import first_rank, reciprocal_rank, squash, unique_in_order
from writers import WRITERS, Article, squad_articles

import qa
from index import DEFAULT_MODEL, Passage, model_name

__all__ = [
    "DEFAULT_FORMATS",
    "FORMATS",
    "add_arguments",
    "formats_markdown",
    "run_format",
    "run_formats",
]

FORMATS = ("txt", "md", "html", "docx", "pdf")
DEFAULT_FORMATS = ["md", "html", "docx", "pdf"]


def run_formats(
    path: Path,
    work: Path,
    model: str,
    formats: Sequence[str],
    *,
    full: bool,
    articles: int | None,
    every: int = 1,
) -> dict[str, dict[str, Any]]:
    chosen = squad_articles(path)[:articles]
    results = {}
    for fmt in formats:
        results[fmt] = run_format(fmt, chosen, work, model, full=full, every=every)
        log(f"{fmt}: {json.dumps(results[fmt])}")
    return results


def run_format(
    fmt: str, articles: list[Article], work: Path, model: str, *, full: bool, every: int = 1
) -> dict[str, Any]:
    """Write, index and query one format; see the module docstring for the measures."""
    written = {f"{a.stem}.{fmt}": WRITERS[fmt](a) for a in articles}
    files = {name: w.content for name, w in written.items()}
    spots = {name: w.spots for name, w in written.items()}
    docs = work / "formats" / fmt / "docs"
    sync_folder(docs, files)
    folder = index_dir(work / "formats", fmt, model)
    summary, build_seconds, passages = index_folder(
        docs, folder, model, full=full, label=f"index {fmt}"
    )
    passages = sorted(passages, key=lambda p: (p.source, p.start))
    by_file = {a.stem + "." + fmt: a for a in articles}
    read = reading(by_file, passages)
    log(f"{fmt}: {summary.files_indexed} files, {summary.passages} passages, {read}")
    questions = [
        (q, name, n)
        for name, a in by_file.items()
        for n, qs in enumerate(a.questions, start=1)
        for q in qs
    ][::every]
    asked = _ask(fmt, qa.Retriever(folder, model=model), questions, by_file, spots, passages)
    ranks, cited, wrong = asked["ranks"], asked["cited"], asked["wrong"]
    return {
        "files": summary.files_indexed,
        "skipped": len(summary.files_skipped),
        "skipped_files": summary.files_skipped,
        "degraded": len(summary.files_degraded),
        "paragraphs": sum(len(a.paragraphs) for a in articles),
        "passages": summary.passages,
        "embedded": summary.embedded,
        "build_seconds": round(build_seconds, 1),
        **read,
        "across_pages": sum(w.across_pages for w in written.values()),
        "questions": len(questions),
        **{f"R@{k}": mean(r is not None and r <= k for r in ranks) for k in (1, 5, 20)},
        "MRR@10": mean(reciprocal_rank(r, 10) for r in ranks),
        "top1_from_gold": len(cited),
        "top1_cited_right": sum(cited),
        "citation_accuracy": mean(cited),
        "wrong_citations": wrong,
        "query_seconds": asked["seconds"],
    }


def _ask(
    fmt: str,
    retriever: qa.Retriever,
    questions: list[tuple[str, str, int]],
    by_file: dict[str, Article],
    spots: dict[str, list[tuple[int | None, int]]],
    passages: list[Passage],
) -> dict[str, Any]:
    """Ask every question: the rank of the gold paragraph, whether each first result from the
    gold paragraph is cited right, the first wrong citations and the seconds taken."""
    # The paragraph (block) of every passage, for deduplication: what docqa read, whatever
    # its citation says (the citation is what is measured).
    block_of: dict[tuple[str, int], int] = {}
    block = -1
    for p in passages:
        block += p.part == 1
        block_of[p.source, p.start] = block
    ranks: list[int | None] = []
    cited: list[bool] = []
    wrong: list[str] = []
    tick = ticker(f"{fmt} queries", every=30.0)
    started = time.perf_counter()
    for done, (question, name, n) in enumerate(questions, start=1):
        results = retriever.retrieve(question, k=SQUAD_K)
        firsts = {block_of[r.source, r.start]: r for r in reversed(results)}
        ranking = [firsts[b] for b in unique_in_order(block_of[r.source, r.start] for r in results)]
        gold = squash(by_file[name].paragraphs[n - 1])
        hits = [r.source == name and squash(r.text) in gold for r in ranking]
        ranks.append(first_rank(hits, True))
        if ranks[-1] == 1:
            top = ranking[0]
            cited.append((top.page, top.paragraph) == spots[name][n - 1])
            if not cited[-1] and len(wrong) < 10:
                wrong.append(f"{name} {spots[name][n - 1]}: cited as {top.citation!r}")
        tick("question", done, len(questions))
    seconds = time.perf_counter() - started
    if wrong:
        log(f"{fmt}: first wrong citations: " + "; ".join(wrong))
    return {"ranks": ranks, "cited": cited, "wrong": wrong, "seconds": round(seconds, 1)}


def formats_markdown(model: str, results: dict[str, dict[str, Any]]) -> str:
    questions = next(iter(results.values()))["questions"] if results else 0
    lines = [
        f"Formats: SQuAD dev as files of each format, docqa ({model_name(model)}), "
        f"{questions} questions per format.",
        "",
        "| format | files | skipped | paragraphs | blocks read | exact | split | merged | changed "
        "| passages | build s | R@1 | R@5 | R@20 | MRR@10 | top-1 from gold | cited right | query s |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for fmt, d in results.items():
        lines.append(
            f"| {fmt} | {d['files']} | {d['skipped']} | {d['paragraphs']} | {d['blocks']} | "
            f"{d['exact']} | {d['split']} | {d['merged']} | {d['changed']} | {d['passages']} | "
            f"{d['build_seconds']} | {d['R@1']:.3f} | {d['R@5']:.3f} | {d['R@20']:.3f} | "
            f"{d['MRR@10']:.3f} | {d['top1_from_gold']} | {d['top1_cited_right']} "
            f"({d['citation_accuracy']:.1%}) | {d['query_seconds']} |"
        )
    pdf = results.get("pdf")
    lines += [
        "",
        "A passage is from the gold paragraph when its text (white space removed) is part of the "
        "gold paragraph's text; results are deduplicated by docqa's paragraph. *cited right*: of the "
        "questions whose first result is from the gold paragraph, those whose citation names it: "
        "(file, ¶), and for PDF (file, page, ¶) with the page the paragraph starts on and ¶ "
        "counting the paragraphs that start on that page, both from reportlab's layout. *exact*: "
        "written paragraphs read back as exactly one block of their own"
        + (f"; reportlab broke {pdf['across_pages']} PDF paragraphs over a page." if pdf else "."),
    ]
    return "\n".join(lines)


def format_list(value: str) -> list[str]:
    formats = [f.strip().lstrip(".") for f in value.split(",") if f.strip()]
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown or not formats:
        raise argparse.ArgumentTypeError(
            f"unknown format {unknown}; choose from {','.join(FORMATS)}"
        )
    return list(dict.fromkeys(formats))


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--squad", type=Path, required=True, help="SQuAD v1.1 dev JSON file")
    add_arguments(parser)
    parser.add_argument(
        "--model", default=DEFAULT_MODEL, help="docqa model spec (default: %(default)s)"
    )
    parser.add_argument(
        "--work", type=Path, default=DEFAULT_WORK, help="work dir (default: %(default)s)"
    )
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    parser.add_argument(
        "--full", action="store_true", help="re-embed everything (a cold build time)"
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    by_format = run_formats(
        args.squad,
        args.work,
        args.model,
        args.formats or DEFAULT_FORMATS,
        full=args.full,
        articles=args.articles,
        every=args.every,
    )
    print(formats_markdown(args.model, by_format))
    if args.json:  # as bench/quality.py --only formats writes it
        data = {"model": model_name(args.model), "formats": by_format}
        args.json.write_text(json.dumps(data, indent=1) + "\n")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of the formats run (shared with bench/quality.py)."""
    parser.add_argument(
        "--formats",
        type=format_list,
        help="run SQuAD as files of these formats, comma separated, from "
        + ",".join(FORMATS)
        + f" (default {','.join(DEFAULT_FORMATS)}; bench/quality.py runs them only when given"
        + " or with --only formats)",
    )
    parser.add_argument("--articles", type=int, help="formats run: only the first N SQuAD articles")
    parser.add_argument(
        "--every",
        type=int,
        default=1,
        help="formats run: ask only every Nth question (1st, N+1th...; all paragraphs indexed)",
    )


if __name__ == "__main__":
    main()
