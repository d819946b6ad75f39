"""Retrieval quality of docqa measured through the whole system: files -> index -> Retriever -> citations.

Run from the repository root (the data stays where it is; only generated files go to the work dir):

    HF_HUB_OFFLINE=1 /work/venv/bin/python bench/quality.py \\
        --squad /work/shared/eval/squad/dev-v1.1.json --scifact /work/shared/eval/scifact \\
        [--model MODEL] [--work DIR] [--only squad|scifact|formats] [--json OUT] [--full]
        [--formats md,html,docx,pdf] [--articles N] [--every N]

``--model hashing`` is a quick smoke run without a neural model. The work dir (default
``bench/.cache/quality``, gitignored) holds the generated document folders and one index per model;
a re-run rewrites no unchanged file, so docqa's own sync reuses every vector (``--full`` re-embeds).
Progress goes to stderr; stdout gets Markdown tables comparable to /work/shared/eval/README.md.

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

Formats (``--formats``, not run by default; ``--only formats`` runs just it; ``txt`` is the baseline):
the SQuAD articles written as .txt/.md/.html/.docx/.pdf, one folder and one index per format, the
same paragraphs and nothing else (no title heading): Markdown as the text file; HTML one ``<p>``
per paragraph; DOCX one python-docx ``add_paragraph`` each; PDF one reportlab ``Paragraph`` each
(DejaVu Sans 10/13 pt, 8 pt between paragraphs, A4, paragraphs broken across pages as reportlab
lays them out). ``--articles N`` writes only the first N articles (and asks only their questions);
``--every N`` indexes every paragraph but asks only every Nth question (a quicker, fixed sample).
A retrieved passage *is from* the gold paragraph when its text, without white space, is part of
the gold paragraph's text without white space: docqa's reading of the file decides, not its
citation. Results are deduplicated by docqa's paragraph (block) as in the text run: the parts of a
paragraph count once, at the best part's position.
  R@k        share of questions with a passage from the gold paragraph among the first k paragraphs.
  cited      of the questions whose first result is from the gold paragraph, the share whose
             citation names it: (file, ¶) for txt/md/html/docx; for PDF (file, page, ¶) where the
             page is the one the gold paragraph starts on and ¶ counts the paragraphs starting on
             that page (a paragraph carried over from the page before is not counted), both taken
             from reportlab's layout, not from docqa.
  exact      gold paragraphs that docqa read as exactly one block (paragraph) of their own; the
             others were split (into several blocks), merged (with a neighbour) or changed (their
             text differs from what was written).
"""

from __future__ import annotations

import argparse
import csv
import html
import io
import json
import os
import re
import sys
import time
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ir_metrics import (
    cover,
    first_rank,
    ndcg_at_k,
    recall_at_k,
    reciprocal_rank,
    squash,
    unique_in_order,
)

import qa
from index import DEFAULT_MODEL, IndexConfig, Passage, build_index, model_name, open_snapshot

DEFAULT_WORK = Path(__file__).resolve().parent / ".cache" / "quality"
SQUAD_K = 20
SCIFACT_K = 300
SCIFACT_DOCS = 100  # documents the ranking must reach for Recall@100
FORMATS = ("txt", "md", "html", "docx", "pdf")
PDF_FONTS = (Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),)  # else Helvetica (Latin-1)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def ticker(label: str, every: float = 5.0) -> Callable[[str, int, int], None]:
    """A progress callback (stage, done, total) that logs at most every ``every`` seconds."""
    started, last = time.perf_counter(), [0.0]

    def tick(stage: str, done: int, total: int) -> None:
        now = time.perf_counter() - started
        if done == total or now - last[0] >= every:
            last[0] = now
            log(f"{label}: {stage} {done}/{total} ({done / max(now, 1e-9):.1f}/s, {now:.0f} s)")

    return tick


def one_line(text: str) -> str:
    """``text`` as one paragraph line: newlines, and the white space around them, become a space."""
    return re.sub(r"\s*[\r\n]+\s*", " ", text.strip())


def sync_folder(folder: Path, files: Mapping[str, str | bytes]) -> None:
    """Make ``folder`` hold exactly ``files`` (name -> text, or bytes), leaving unchanged files
    untouched so their mtime, and docqa's reuse of their vectors, stays."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.iterdir():
        if old.name not in files:
            old.unlink()
    for name, content in files.items():
        path = folder / name
        data = content.encode("utf-8") if isinstance(content, str) else content
        if not path.exists() or path.read_bytes() != data:
            path.write_bytes(data)


def build(
    docs: Path, index_dir: Path, model: str, *, full: bool, expected: dict[str, int]
) -> tuple[dict[str, Any], dict[tuple[str, int], int]]:
    """Index ``docs`` with docqa and describe the result, checking each file's paragraph count.
    Also returns the number of parts of every (source, paragraph)."""
    started = time.perf_counter()
    summary = build_index(
        docs,
        IndexConfig(index_dir=index_dir, model=model),
        full=full,
        progress=ticker(f"index {docs.parent.name}"),
    )
    seconds = time.perf_counter() - started
    snap = open_snapshot(index_dir)
    try:
        passages = snap.all_passages()
    finally:
        snap.close()
    parts = {(p.source, p.paragraph): p.parts for p in passages}
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


def run_squad(path: Path, work: Path, model: str, *, full: bool) -> dict[str, Any]:
    files, questions = squad_files(path)
    docs = work / "squad" / "docs"
    sync_folder(docs, files)
    expected = {name: text.count("\n\n") + 1 for name, text in files.items()}
    info, parts = build(docs, _index_dir(work, "squad", model), model, full=full, expected=expected)
    log(f"squad: {info}")
    started = time.perf_counter()
    retriever = qa.Retriever(_index_dir(work, "squad", model), model=model)
    info["load_seconds"] = round(time.perf_counter() - started, 1)
    ranks: list[int | None] = []
    repeats = same_article = 0
    tick = ticker("squad queries", every=30.0)
    started = time.perf_counter()
    for n, (question, source, paragraph) in enumerate(questions, start=1):
        results = retriever.retrieve(question, k=SQUAD_K)
        ranking = unique_in_order((r.source, r.paragraph) for r in results)
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
        **{f"R@{k}": _mean(r is not None and r <= k for r in ranks) for k in (1, 5, 20)},
        "MRR@10": _mean(reciprocal_rank(r, 10) for r in ranks),
        "query_seconds": round(seconds, 1),
        "queries_per_second": round(total / seconds, 1),
        "questions_with_repeated_paragraph": repeats,
        "rank1_misses_same_article": round(same_article / misses, 3) if misses else 0.0,
        "questions_on_split_paragraphs": len(split),
        "R@1_on_split_paragraphs": _mean(r == 1 for r in split),
        "R@1_on_whole_paragraphs": _mean(r == 1 for r in whole),
    }


def run_scifact(folder: Path, work: Path, model: str, *, full: bool) -> dict[str, Any]:
    corpus = [json.loads(line) for line in (folder / "corpus.jsonl").open(encoding="utf-8")]
    files = {f"{d['_id']}.txt": _titled(d["title"], d["text"]) + "\n" for d in corpus}
    docs = work / "scifact" / "docs"
    sync_folder(docs, files)
    info, _ = build(
        docs, _index_dir(work, "scifact", model), model, full=full, expected=dict.fromkeys(files, 1)
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
    retriever = qa.Retriever(_index_dir(work, "scifact", model), model=model)
    info["load_seconds"] = round(time.perf_counter() - started, 1)
    ndcg: list[float] = []
    recall: list[float] = []
    tick = ticker("scifact queries", every=30.0)
    started = time.perf_counter()
    for n, (qid, claim) in enumerate(claims.items(), start=1):
        ranking = _documents(retriever, claim)
        ranking = [d for d in ranking if d != qid]  # BEIR's ignore_identical_ids
        ndcg.append(ndcg_at_k(ranking, qrels[qid], 10))
        recall.append(recall_at_k(ranking, qrels[qid], 100))
        tick("claim", n, len(claims))
    seconds = time.perf_counter() - started
    return info | {
        "queries": len(claims),
        "nDCG@10": _mean(ndcg),
        "R@100": _mean(recall),
        "query_seconds": round(seconds, 1),
        "queries_per_second": round(len(claims) / seconds, 1),
    }


@dataclass(frozen=True)
class Article:
    """One SQuAD article: file stem, title, paragraphs (one line each), and the questions of
    each paragraph."""

    stem: str
    title: str
    paragraphs: list[str]
    questions: list[list[str]]


def squad_articles(path: Path) -> list[Article]:
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    return [
        Article(
            stem=f"{i:02d}_{re.sub(r'[^A-Za-z0-9.-]+', '_', article['title']).strip('_')}",
            title=article["title"].replace("_", " "),
            paragraphs=[one_line(p["context"]) for p in article["paragraphs"]],
            questions=[[q["question"] for q in p["qas"]] for p in article["paragraphs"]],
        )
        for i, article in enumerate(data)
    ]


# Where a reader finds a paragraph: (page it starts on, ¶ on that page) in a PDF, (None, ¶) else.
Spot = tuple[int | None, int]


@dataclass(frozen=True)
class Written:
    """A generated file, where each of its paragraphs is, and how many were broken over pages."""

    content: str | bytes
    spots: list[Spot]
    across_pages: int = 0


def _numbered(article: Article) -> list[Spot]:
    return [(None, n) for n in range(1, len(article.paragraphs) + 1)]


def write_text(article: Article) -> Written:
    return Written("\n\n".join(article.paragraphs) + "\n", _numbered(article))


def write_html(article: Article) -> Written:
    body = "".join(f"<p>{html.escape(p, quote=False)}</p>\n" for p in article.paragraphs)
    head = f'<meta charset="utf-8">\n<title>{html.escape(article.title, quote=False)}</title>'
    page = f"<!DOCTYPE html>\n<html>\n<head>\n{head}\n</head>\n<body>\n{body}</body>\n</html>\n"
    return Written(page, _numbered(article))


def write_docx(article: Article) -> Written:
    import datetime

    import docx

    document = docx.Document()
    document.core_properties.title = article.title
    when = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
    document.core_properties.created = document.core_properties.modified = when
    for paragraph in article.paragraphs:
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return Written(_fixed_zip(buffer.getvalue()), _numbered(article))


def _fixed_zip(data: bytes) -> bytes:
    """The same zip with every member dated 1980-01-01, so equal content gives equal bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            dst.writestr(fixed, src.read(info), compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def write_pdf(article: Article) -> Written:
    """The article as a PDF, and the page each paragraph starts on as reportlab laid it out."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    font = "Helvetica"
    for path in PDF_FONTS:
        if path.exists():
            font = path.stem
            if font not in pdfmetrics.getRegisteredFontNames():
                pdfmetrics.registerFont(TTFont(font, str(path)))
            break
    style = ParagraphStyle("body", fontName=font, fontSize=10, leading=13, spaceAfter=8)
    start_page: dict[int, int] = {}
    pieces: dict[int, int] = {}

    class Para(Paragraph):  # records the page each piece of a paragraph is drawn on
        number, first = 0, True

        def split(self, width: float, height: float) -> list[Any]:
            parts = super().split(width, height)
            for n, part in enumerate(parts):
                part.number, part.first = self.number, self.first and n == 0
            return parts

        def draw(self) -> None:
            super().draw()
            pieces[self.number] = pieces.get(self.number, 0) + 1
            if self.first:
                start_page[self.number] = self.canv.getPageNumber()

    flowables = []
    for n, text in enumerate(article.paragraphs, start=1):
        para = Para(html.escape(text, quote=False), style)
        para.number = n
        flowables.append(para)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, title=article.title, invariant=True)
    doc.build(flowables)
    if sorted(start_page) != list(range(1, len(article.paragraphs) + 1)):
        raise SystemExit(f"{article.stem}: reportlab did not draw every paragraph")
    spots: list[Spot] = []
    for n in range(1, len(article.paragraphs) + 1):
        page = start_page[n]
        before = spots[-1] if spots else (None, 0)
        spots.append((page, before[1] + 1 if before[0] == page else 1))
    return Written(buffer.getvalue(), spots, sum(n > 1 for n in pieces.values()))


WRITERS: dict[str, Callable[[Article], Written]] = {
    "txt": write_text,
    "md": write_text,
    "html": write_html,
    "docx": write_docx,
    "pdf": write_pdf,
}


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
    index_dir = _index_dir(work / "formats", fmt, model)
    started = time.perf_counter()
    summary = build_index(
        docs,
        IndexConfig(index_dir=index_dir, model=model),
        full=full,
        progress=ticker(f"index {fmt}"),
    )
    build_seconds = time.perf_counter() - started
    snap = open_snapshot(index_dir)
    try:
        passages = sorted(snap.all_passages(), key=lambda p: (p.source, p.start))
    finally:
        snap.close()
    by_file = {a.stem + "." + fmt: a for a in articles}
    reading = _reading(by_file, passages)
    # The paragraph (block) of every passage, for deduplication: the parts of a paragraph that
    # crosses a page are cited with different pages (see the report), so (page, ¶) will not do.
    block_of: dict[tuple[str, int], int] = {}
    block = -1
    for p in passages:
        block += p.part == 1
        block_of[p.source, p.start] = block
    log(f"{fmt}: {summary.files_indexed} files, {summary.passages} passages, {reading}")

    retriever = qa.Retriever(index_dir, model=model)
    questions = [
        (q, name, n)
        for name, a in by_file.items()
        for n, qs in enumerate(a.questions, start=1)
        for q in qs
    ][::every]
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
    return {
        "files": summary.files_indexed,
        "skipped": len(summary.files_skipped),
        "skipped_files": summary.files_skipped,
        "degraded": len(summary.files_degraded),
        "paragraphs": sum(len(a.paragraphs) for a in articles),
        "passages": summary.passages,
        "embedded": summary.embedded,
        "build_seconds": round(build_seconds, 1),
        **reading,
        "across_pages": sum(w.across_pages for w in written.values()),
        "questions": len(questions),
        **{f"R@{k}": _mean(r is not None and r <= k for r in ranks) for k in (1, 5, 20)},
        "MRR@10": _mean(reciprocal_rank(r, 10) for r in ranks),
        "top1_from_gold": len(cited),
        "top1_cited_right": sum(cited),
        "citation_accuracy": _mean(cited),
        "wrong_citations": wrong,
        "query_seconds": round(seconds, 1),
    }


def _reading(articles: dict[str, Article], passages: list[Passage]) -> dict[str, Any]:
    """How docqa's paragraphs (blocks) line up with the written ones, over all files."""
    blocks: dict[str, dict[tuple[int | None, int], list[str]]] = {name: {} for name in articles}
    for p in passages:  # in document order; a block's later parts may name a later page
        if p.part == 1:
            key = (p.page, p.paragraph)
        blocks.setdefault(p.source, {}).setdefault(key, []).append(p.text)
    exact = split = merged = changed = 0
    examples: list[str] = []

    for name, article in articles.items():
        texts = [" ".join(parts) for parts in blocks[name].values()]
        covers = cover(article.paragraphs, texts)
        if (
            covers is None
        ):  # some text differs: count the paragraphs read exactly, call the rest changed
            found = {squash(t) for t in texts}
            ok = sum(squash(p) in found for p in article.paragraphs)
            exact, changed = exact + ok, changed + len(article.paragraphs) - ok
            examples.append(
                f"{name}: text differs ({_first_difference(article.paragraphs, texts)})"
            )
            continue
        uses = [0] * len(texts)
        for covered in covers:
            for j in covered:
                uses[j] += 1
        for i, covered in enumerate(covers):
            if len(covered) > 1:
                split += 1
            elif uses[covered[0]] > 1:
                merged += 1
            else:
                exact += 1
                continue
            if len(examples) < 20:
                keys = [list(blocks[name])[j] for j in covered]
                examples.append(f"{name} ¶{i + 1} read as (page, ¶) {keys}")
    return {
        "blocks": sum(len(b) for b in blocks.values()),
        "exact": exact,
        "split": split,
        "merged": merged,
        "changed": changed,
        "reading_examples": examples,
    }


def _first_difference(gold: list[str], texts: list[str]) -> str:
    a, b = "".join(squash(t) for t in gold), "".join(squash(t) for t in texts)
    i = next((k for k, (x, y) in enumerate(zip(a, b, strict=False)) if x != y), min(len(a), len(b)))
    return f"written {a[max(i - 20, 0) : i + 20]!r}, read {b[max(i - 20, 0) : i + 20]!r}"


def _documents(retriever: qa.Retriever, claim: str) -> list[str]:
    """Document ids ranked by their best passage, at least SCIFACT_DOCS of them when the index has them."""
    k = SCIFACT_K
    while True:
        results = retriever.retrieve(claim, k=k)
        ranking = unique_in_order(r.source.removesuffix(".txt") for r in results)
        if len(ranking) >= SCIFACT_DOCS or len(results) < k:
            return ranking
        k *= 2


def _titled(title: str, text: str) -> str:
    title = one_line(title)
    if title and title[-1] not in ".?!":
        title += "."
    return one_line(f"{title} {text}")


def _index_dir(work: Path, task: str, model: str) -> Path:
    return work / task / ("index-" + re.sub(r"[^A-Za-z0-9._-]+", "_", model_name(model)))


def _mean(values: Any) -> float:
    items = [float(v) for v in values]
    return round(sum(items) / len(items), 4) if items else 0.0


def markdown(model: str, results: dict[str, dict[str, Any]]) -> str:
    sq, sf = results.get("squad", {}), results.get("scifact", {})

    def cell(d: dict[str, Any], key: str) -> str:
        return f"{d[key]:.3f}" if key in d else "–"

    cells = [cell(sf, "nDCG@10"), cell(sf, "R@100")] + [
        cell(sq, k) for k in ("R@1", "R@5", "R@20", "MRR@10")
    ]
    lines = [
        "| system | SciFact nDCG@10 | SciFact R@100 | SQuAD R@1 | R@5 | R@20 | MRR@10 |",
        "|---|---|---|---|---|---|---|",
        f"| docqa ({model_name(model)}), files → index → Retriever | " + " | ".join(cells) + " |",
        "",
        "| corpus | files | paragraphs | split paragraphs | passages | embedded | build s | queries | query s | queries/s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for task, d in results.items():
        queries = d.get("questions", d.get("queries"))
        lines.append(
            f"| {task} | {d['files']} | {d['units']} | {d['split_units']} (max {d['max_parts']} parts) | "
            f"{d['passages']} | {d['embedded']} | {d['build_seconds']} | {queries} | "
            f"{d['query_seconds']} | {d['queries_per_second']} |"
        )
    if sq:
        lines.append(
            f"\nSQuAD: {sq['questions_on_split_paragraphs']} questions ask about a split paragraph, "
            f"R@1 {sq['R@1_on_split_paragraphs']:.3f} (whole paragraphs {sq['R@1_on_whole_paragraphs']:.3f}); "
            f"{sq['rank1_misses_same_article']:.0%} of rank-1 misses are a sibling paragraph; "
            f"{sq['questions_with_repeated_paragraph']} top-20 lists repeat a paragraph."
        )
    return "\n".join(lines)


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
    parser.add_argument("--only", choices=("squad", "scifact", "formats"), help="run one benchmark")
    parser.add_argument(
        "--formats",
        type=_format_list,
        help="also run SQuAD as files of these formats, comma separated, from "
        + ",".join(FORMATS)
        + " (with --only formats: default md,html,docx,pdf)",
    )
    parser.add_argument("--articles", type=int, help="formats run: only the first N SQuAD articles")
    parser.add_argument(
        "--every",
        type=int,
        default=1,
        help="formats run: ask only every Nth question (1st, N+1th...; all paragraphs indexed)",
    )
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    parser.add_argument(
        "--full", action="store_true", help="re-embed everything (a cold build time)"
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    tasks = [args.only] if args.only else ["squad", "scifact"] + ["formats"] * bool(args.formats)
    for task in tasks:
        if getattr(args, "squad" if task == "formats" else task) is None:
            parser.error(f"--{task} PATH is required (or choose another with --only)")
    results: dict[str, dict[str, Any]] = {}
    by_format: dict[str, dict[str, Any]] = {}
    if "formats" in tasks:
        formats = args.formats or ["md", "html", "docx", "pdf"]
        by_format = run_formats(
            args.squad,
            args.work,
            args.model,
            formats,
            full=args.full,
            articles=args.articles,
            every=args.every,
        )
    if "squad" in tasks:
        results["squad"] = run_squad(args.squad, args.work, args.model, full=args.full)
    if "scifact" in tasks:
        results["scifact"] = run_scifact(args.scifact, args.work, args.model, full=args.full)
    if results:
        print(markdown(args.model, results))
    if by_format:
        print(("\n" if results else "") + formats_markdown(args.model, by_format))
    if args.json:
        extra = {"formats": by_format} if by_format else {}
        args.json.write_text(
            json.dumps({"model": model_name(args.model)} | results | extra, indent=1) + "\n"
        )


def _format_list(value: str) -> list[str]:
    formats = [f.strip().lstrip(".") for f in value.split(",") if f.strip()]
    unknown = sorted(set(formats) - set(FORMATS))
    if unknown or not formats:
        raise argparse.ArgumentTypeError(
            f"unknown format {unknown}; choose from {','.join(FORMATS)}"
        )
    return list(dict.fromkeys(formats))


if __name__ == "__main__":
    main()
