"""Sync speed and crash safety of docqa: the three numbers of the sync acceptance issue.

Run from the repository root (data under ../shared is read where it is, never copied here):

    HF_HUB_OFFLINE=1 /work/venv/bin/python bench/sync.py [--only noop|edit|crash] [--files N]
        [--per-file N] [--trials N] [--model M] [--scifact PATH] [--work DIR] [--json OUT]

Generated files and indexes go to the work dir (default ``bench/.cache/sync``, gitignored, wiped
per part). Progress goes to stderr; stdout gets one Markdown table per part. ``--files`` and
``--per-file`` (paragraphs per file) override the defaults of whichever parts run. Text is
generated from a fixed word list with a seeded RNG, or, with ``--scifact DIR``, made of SciFact
abstracts (one abstract per paragraph). All files are given an mtime an hour in the past before the
first build, as files older than 2 s are what a sync may skip ("racy clean" otherwise).
Each table ends with the docqa commit measured and the load average: on 2 cores another busy
process slows torch (2 threads) many times over, so read (b) with the load in mind. To measure
one commit while others edit the checkout, run a clone: ``git clone . /tmp/snap``, copy
bench/sync.py and bench/crash.py into it, and run it there with ``PYTHONPATH=/tmp/snap``.

(a) noop: 10,000 files x 3 paragraphs, built once (``--model``, default ``hashing``; a no-op sync
    never loads or calls a model: the timed syncs get an encoder that raises if used, and one
    more runs with ``load_encoder`` made to raise). Reported: median and max wall time of 5
    in-process no-op syncs (goal <= 1 s), ``walk_folder`` alone, and the wall time of
    ``docqa index DIR --index IDX --json`` in a subprocess (Python start-up and imports
    included; ``docqa --version`` gives the start-up share alone).
(b) edit: 1,000 files x 5 paragraphs with the real default model (``--model`` overrides), built
    with the model loaded once (load time reported apart); then a few words of one paragraph
    change and an in-process sync runs (the app's "Sync now"): its time, its ratio to the full
    build (goal <= 0.01) and ``summary.embedded`` (goal 1-2). A second edit, of another file, is
    synced by the CLI: its wall time includes importing torch and loading the model.
(c) crash: ``--trials`` (default 200) random SIGKILLs of a sync of 500 files x 16 paragraphs
    (hashing model); see ``bench/crash.py``. Reported: failures (goal 0), how many trials ended
    in state A (killed before the publish) or B (after it), and when the publish happens in an
    unkilled sync: it is the sync's last step, so uniform kill times rarely land after it.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from unittest import mock

import numpy as np
from crash import age_files, run_crash

import index.builder
from index import DEFAULT_MODEL, IndexConfig, build_index, load_encoder, model_name, walk_folder
from index.store import open_snapshot

DEFAULT_WORK = Path(__file__).resolve().parent / ".cache" / "sync"
DOCQA = [str(Path(sys.executable).parent / "docqa")]
WORDS = (
    "index folder passage model vector sync answer question file paragraph citation offline "
    "search query result library notes report chapter section table figure method sample data "
    "value error change version reader writer system local network memory disk time speed test "
    "the a of to and in is for on with as by at from that this it be are was can will not or "
    "each every new old small large first last quick slow clear simple exact careful early late"
).split()
Row = tuple[str, str, str]  # measure, value, goal


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def ticker(label: str, every: float = 10.0) -> Callable[[str, int, int], None]:
    started, last = time.perf_counter(), [0.0]

    def tick(stage: str, done: int, total: int) -> None:
        now = time.perf_counter() - started
        if done == total or now - last[0] >= every:
            last[0] = now
            log(f"{label}: {stage} {done}/{total} ({now:.0f} s)")

    return tick


def word_paragraph(rng: random.Random) -> str:
    sentences = []
    for _ in range(rng.randint(2, 4)):
        words = rng.choices(WORDS, k=rng.randint(6, 14))
        sentences.append(" ".join(words).capitalize() + ".")
    return " ".join(sentences)


def scifact_paragraphs(path: Path, seed: int) -> list[str]:
    """SciFact abstracts as one-line paragraphs "Title. Text", in a seeded order."""
    corpus = path / "corpus.jsonl" if path.is_dir() else path
    out = []
    for line in corpus.read_text(encoding="utf-8").splitlines():
        doc = json.loads(line)
        title = doc["title"].strip()
        title += "" if title.endswith((".", "?", "!")) else "."
        out.append(" ".join(f"{title} {doc['text']}".split()))
    random.Random(seed).shuffle(out)
    return out


def write_corpus(docs: Path, files: int, per_file: int, source: Sequence[str] | None) -> None:
    """``files`` files (half .txt, half .md, 100 per folder), aged an hour. With ``source``,
    paragraph i of the corpus is ``source[i % len(source)]``; otherwise generated."""
    shutil.rmtree(docs, ignore_errors=True)
    rng = random.Random(0)
    for k in range(files):
        path = doc_path(docs, k)
        path.parent.mkdir(parents=True, exist_ok=True)
        paras = [
            source[(k * per_file + j) % len(source)] if source else word_paragraph(rng)
            for j in range(per_file)
        ]
        path.write_text("\n\n".join(paras) + "\n", encoding="utf-8")
    age_files(docs)


def doc_path(docs: Path, k: int) -> Path:
    return docs / f"d{k // 100:03d}" / f"doc{k:05d}.{'md' if k % 2 else 'txt'}"


class ForbiddenEncoder:
    """Stands in for the model in a no-op sync: using it in any way is an error."""

    def __init__(self, name: str) -> None:
        self.name, self.dimension, self.max_tokens = name, 0, 0

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        raise AssertionError("a no-op sync embedded text")

    def count_tokens(self, text: str) -> int:
        raise AssertionError("a no-op sync cut a file into passages")


def run_cli(args: list[str]) -> tuple[float, dict[str, Any]]:
    """Wall time of one ``docqa`` command and its JSON output (empty when it prints none)."""
    started = time.perf_counter()
    proc = subprocess.run(DOCQA + args, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"docqa {' '.join(args)} failed: {proc.stderr[-2000:]}")
    return seconds, json.loads(proc.stdout) if "--json" in args else {}


def docqa_commit() -> str:
    """The commit of the docqa checkout imported, marked when index/ or qa/ have uncommitted
    changes, and its folder (run with PYTHONPATH=a clone to measure a frozen commit)."""
    where = Path(index.__file__).resolve().parent.parent
    git = ["git", "-C", str(where)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(
        [*git, "status", "--porcelain", "index", "qa"], capture_output=True, text=True
    )
    changed = " + uncommitted changes" if dirty.stdout.strip() else ""
    return f"{head.stdout.strip()}{changed} at {where}"


def load_note(commit_at_start: str) -> str:
    """Machine load now and the docqa code measured (others may be working in the same checkout)."""
    one, five, fifteen = os.getloadavg()
    now = docqa_commit()
    code = now if now == commit_at_start else f"{commit_at_start} at start, {now} at end"
    return (
        f"docqa {code}; load average {one:.1f} {five:.1f} {fifteen:.1f} on {os.cpu_count()} cores"
    )


def bench_noop(
    work: Path, files: int, per_file: int, model: str, source: Sequence[str] | None
) -> dict[str, Any]:
    docs, index_dir, commit = work / "docs", work / "index", docqa_commit()
    shutil.rmtree(work, ignore_errors=True)
    write_corpus(docs, files, per_file, source)
    config = IndexConfig(index_dir=index_dir, model=model)
    log(f"noop: building {files} files with {model}")
    started = time.perf_counter()
    built = build_index(docs, config, progress=ticker("noop build"))
    build_s = time.perf_counter() - started
    guard = ForbiddenEncoder(model_name(model))
    syncs = []
    for _ in range(5):
        started = time.perf_counter()
        s = build_index(docs, config, encoder=guard)
        syncs.append(time.perf_counter() - started)
        assert s.embedded == 0 and not s.published and s.files_indexed == files, s
    refuse = AssertionError("a no-op sync loaded the model")
    with mock.patch.object(index.builder, "load_encoder", side_effect=refuse):
        assert not build_index(docs, config).published  # the app's path: no encoder passed
    walks = []
    for _ in range(5):
        started = time.perf_counter()
        walk_folder(docs)
        walks.append(time.perf_counter() - started)
    cli = [run_cli(["index", str(docs), "--index", str(index_dir), "--json"]) for _ in range(5)]
    assert all(out["embedded"] == 0 and not out["published"] for _, out in cli), cli
    bare = statistics.median(run_cli(["--version"])[0] for _ in range(3))
    cli_s = [s for s, _ in cli]
    return {
        "model": built.model,
        "files": files,
        "passages": built.passages,
        "build_seconds": build_s,
        "sync_median": statistics.median(syncs),
        "sync_max": max(syncs),
        "syncs": syncs,
        "walk_median": statistics.median(walks),
        "cli_median": statistics.median(cli_s),
        "cli_max": max(cli_s),
        "cli": cli_s,
        "cli_startup": bare,
        "load": load_note(commit),
    }


def edit_paragraph(path: Path, number: int, words: Sequence[str]) -> None:
    """Replace ``len(words)`` words in the middle of paragraph ``number`` (1-based) of ``path``."""
    paras = path.read_text(encoding="utf-8").split("\n\n")
    tokens = paras[number - 1].split(" ")
    mid = len(tokens) // 2
    tokens[mid : mid + len(words)] = words
    paras[number - 1] = " ".join(tokens)
    path.write_text("\n\n".join(paras), encoding="utf-8")


def parts_of(index_dir: Path, source: str, paragraph: int) -> int:
    snap = open_snapshot(index_dir)
    try:
        return sum(p.source == source and p.paragraph == paragraph for p in snap.all_passages())
    finally:
        snap.close()


def bench_edit(
    work: Path, files: int, per_file: int, model: str, source: Sequence[str] | None
) -> dict[str, Any]:
    docs, index_dir, commit = work / "docs", work / "index", docqa_commit()
    shutil.rmtree(work, ignore_errors=True)
    write_corpus(docs, files, per_file, source)
    config = IndexConfig(index_dir=index_dir, model=model)
    started = time.perf_counter()
    encoder = load_encoder(model)
    load_s = time.perf_counter() - started
    log(f"edit: model {encoder.name} loaded in {load_s:.1f} s; full build of {files} files")
    tick, stages = ticker("edit build"), dict[str, float]()

    def progress(stage: str, done: int, total: int) -> None:
        stages.setdefault(stage, time.perf_counter())
        tick(stage, done, total)

    started = time.perf_counter()
    full = build_index(docs, config, encoder=encoder, full=True, progress=progress)
    full_s = time.perf_counter() - started
    # Listing and hashing the files; cutting into passages runs interleaved with embedding.
    chunk_s = stages.get("embedding", started) - started
    paragraph = min(3, per_file)
    first = doc_path(docs, files // 2)
    rel = first.relative_to(docs).as_posix()
    parts = parts_of(index_dir, rel, paragraph)
    edit_paragraph(first, paragraph, ["quite", "different", "words"])
    started = time.perf_counter()
    sync = build_index(docs, config, encoder=encoder)
    sync_s = time.perf_counter() - started
    second = doc_path(docs, (files // 2 + 1) % files)
    edit_paragraph(second, paragraph, ["another", "small", "edit"])
    cli_s, cli = run_cli(["index", str(docs), "--index", str(index_dir), "--json"])
    noop_s, noop = run_cli(["index", str(docs), "--index", str(index_dir), "--json"])
    return {
        "model": full.model,
        "files": files,
        "passages": full.passages,
        "load_seconds": load_s,
        "full_seconds": full_s,
        "chunk_seconds": chunk_s,
        "full_embedded": full.embedded,
        "edited": rel,
        "edited_paragraph": paragraph,
        "edited_parts": parts,
        "sync_seconds": sync_s,
        "ratio": sync_s / full_s,
        "embedded": sync.embedded,
        "files_changed": sync.files_changed,
        "cli_seconds": cli_s,
        "cli_summary_seconds": cli["seconds"],
        "cli_embedded": cli["embedded"],
        "cli_noop_seconds": noop_s,
        "cli_noop_embedded": noop["embedded"],
        "load": load_note(commit),
    }


def noop_rows(r: dict[str, Any]) -> list[Row]:
    ok = "met" if r["sync_median"] <= 1.0 else "MISSED"
    return [
        ("files / passages", f"{r['files']:,} / {r['passages']:,}", ""),
        ("model (initial build only)", r["model"], ""),
        ("initial build, in-process", f"{r['build_seconds']:.1f} s", ""),
        ("no-op sync in-process, median of 5", f"{r['sync_median']:.3f} s", f"<= 1 s: {ok}"),
        ("no-op sync in-process, max of 5", f"{r['sync_max']:.3f} s", ""),
        ("walk_folder alone, median of 5", f"{r['walk_median']:.3f} s", ""),
        (
            "CLI `docqa index DIR --index IDX --json`, wall, median of 5",
            f"{r['cli_median']:.2f} s",
            "",
        ),
        ("CLI same, wall, max of 5", f"{r['cli_max']:.2f} s", ""),
        ("CLI `docqa --version`, wall (start-up + imports only)", f"{r['cli_startup']:.2f} s", ""),
        ("model loaded or called by a no-op sync", "never (checked)", ""),
    ]


def edit_rows(r: dict[str, Any]) -> list[Row]:
    return [
        ("model", r["model"], ""),
        ("files / passages", f"{r['files']:,} / {r['passages']:,}", ""),
        ("model load, in-process (once)", f"{r['load_seconds']:.1f} s", ""),
        ("full build, in-process, model loaded", f"{r['full_seconds']:.1f} s", ""),
        ("  of which listing and hashing the files", f"{r['chunk_seconds']:.1f} s", ""),
        (
            "edited",
            f"{r['edited']} ¶{r['edited_paragraph']} ({r['edited_parts']} passage(s)), 3 words",
            "",
        ),
        ("sync after the edit, in-process (app's Sync now)", f"{r['sync_seconds']:.2f} s", ""),
        (
            "sync / full build",
            f"{r['ratio']:.4f}",
            "<= 0.01: " + ("met" if r["ratio"] <= 0.01 else "MISSED"),
        ),
        (
            "summary.embedded",
            str(r["embedded"]),
            "1-2: " + ("met" if 1 <= r["embedded"] <= 2 else "MISSED"),
        ),
        (
            "CLI `docqa index` after a 2nd edit, wall (start-up, imports, model load, sync)",
            f"{r['cli_seconds']:.1f} s",
            "",
        ),
        ("  of which the CLI's own summary.seconds", f"{r['cli_summary_seconds']:.1f} s", ""),
        ("  embedded by the CLI sync", str(r["cli_embedded"]), ""),
        ("CLI no-op sync after it, wall", f"{r['cli_noop_seconds']:.2f} s", ""),
    ]


def crash_rows(r: dict[str, Any]) -> list[Row]:
    c = r["change"]
    return [
        (
            "state A / B",
            f"{r['files_a']} files, {r['passages_a']} / {r['passages_b']} passages",
            "",
        ),
        (
            "change A -> B",
            f"{c['edited']} edited, {c['deleted']} deleted, {c['renamed']} renamed, {c['added']} added",
            "",
        ),
        ("unkilled sync (kill window), median of 5", f"{r['sync_seconds']:.3f} s", ""),
        ("  publish (CURRENT replaced) at, median of 5", f"{r['publish_seconds']:.3f} s", ""),
        ("trials", str(r["trials"]), ">= 200"),
        ("failures", str(len(r["failures"])), "0: " + ("met" if not r["failures"] else "MISSED")),
        ("ended in state A (killed before publish)", str(r["ended_a"]), ""),
        ("ended in state B (killed after publish or finished)", str(r["ended_b"]), ""),
        (
            "publish moment: latest kill leaving A / earliest leaving B",
            f"{r['last_a']:.3f} s / " + (f"{r['first_b']:.3f} s" if r["first_b"] else "none"),
            "",
        ),
        (
            "child died by SIGKILL / had finished the sync first",
            f"{r['killed']} / {r['finished_first']}",
            "",
        ),
    ]


def table(title: str, rows: list[Row], note: str) -> str:
    lines = [f"### {title}", "", "| measure | value | goal |", "|---|---|---|"]
    lines += [f"| {m} | {v} | {g} |" for m, v, g in rows]
    return "\n".join([*lines, "", note, ""])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=["noop", "edit", "crash"])
    parser.add_argument("--files", type=int, help="files per corpus (default 10000 / 1000 / 500)")
    parser.add_argument("--per-file", type=int, help="paragraphs per file (default 3 / 5 / 16)")
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--model", help=f"default: hashing for noop, {DEFAULT_MODEL} for edit")
    parser.add_argument("--scifact", type=Path, help="SciFact folder or corpus.jsonl for the text")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK)
    parser.add_argument("--json", type=Path, help="also write the numbers here as JSON")
    args = parser.parse_args()
    source = scifact_paragraphs(args.scifact, seed=0) if args.scifact else None
    text = f"SciFact abstracts from {args.scifact}" if source else "generated word-list text"
    out: dict[str, Any] = {}
    if args.only in (None, "noop"):
        model = args.model or "hashing"
        r = out["noop"] = bench_noop(
            args.work / "noop", args.files or 10_000, args.per_file or 3, model, source
        )
        print(
            table(
                f"(a) No-op sync over {r['files']:,} files",
                noop_rows(r),
                f"Text: {text}. Index model: {r['model']}; the no-op sync itself never loads a model. {r['load']}.",
            )
        )
    if args.only == "crash" or args.only is None:
        commit = docqa_commit()
        rep = run_crash(
            args.work / "crash",
            trials=args.trials,
            files=args.files or 500,
            per_file=args.per_file or 16,
            paragraph=word_paragraph,
            log=log,
        )
        r = out["crash"] = rep.as_dict()
        print(
            table(
                f"(c) Crash harness: SIGKILL at a random moment of a sync, {rep.trials} trials",
                crash_rows(r),
                f"Model: hashing. Generated word-list text. {load_note(commit)}.",
            )
        )
        for failure in rep.failures:
            print(f"- {failure}")
    if args.only in (None, "edit"):
        model = args.model or DEFAULT_MODEL
        r = out["edit"] = bench_edit(
            args.work / "edit", args.files or 1_000, args.per_file or 5, model, source
        )
        print(
            table(
                f"(b) One-paragraph edit in {r['files']:,} files",
                edit_rows(r),
                f"Text: {text}. Model: {r['model']}. {r['load']}.",
            )
        )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
