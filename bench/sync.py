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
bench/sync*.py and bench/crash.py into it, and run it there with ``PYTHONPATH=/tmp/snap``.
The corpus and its edits are in ``bench/synccorpus.py``, the tables in ``bench/syncreport.py``.

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
from crash import run_crash
from synccorpus import doc_path, edit_paragraph, scifact_paragraphs, word_paragraph, write_corpus
from syncreport import crash_rows, docqa_commit, edit_rows, load_note, noop_rows, table

import index.builder
from index import DEFAULT_MODEL, IndexConfig, build_index, load_encoder, model_name, walk_folder
from index.store import open_snapshot

DEFAULT_WORK = Path(__file__).resolve().parent / ".cache" / "sync"
DOCQA = [str(Path(sys.executable).parent / "docqa")]


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


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--only", choices=["noop", "edit", "crash"])
    parser.add_argument("--files", type=int, help="files per corpus (default 10000 / 1000 / 500)")
    parser.add_argument("--per-file", type=int, help="paragraphs per file (default 3 / 5 / 16)")
    parser.add_argument("--trials", type=int, default=200)
    parser.add_argument("--model", help=f"default: hashing for noop, {DEFAULT_MODEL} for edit")
    parser.add_argument("--scifact", type=Path, help="SciFact folder or corpus.jsonl for the text")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK)
    parser.add_argument("--json", type=Path, help="also write the numbers here as JSON")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    source = scifact_paragraphs(args.scifact, seed=0) if args.scifact else None
    text = f"SciFact abstracts from {args.scifact}" if source else "generated word-list text"
    out: dict[str, Any] = {}
    if args.only in (None, "noop"):
        out["noop"] = part_noop(args, source, text)
    if args.only == "crash" or args.only is None:
        out["crash"] = part_crash(args)
    if args.only in (None, "edit"):
        out["edit"] = part_edit(args, source, text)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(out, indent=1), encoding="utf-8")


def part_noop(args: argparse.Namespace, source: Sequence[str] | None, text: str) -> dict[str, Any]:
    """(a): measure and print; the numbers."""
    model = args.model or "hashing"
    r = bench_noop(args.work / "noop", args.files or 10_000, args.per_file or 3, model, source)
    print(
        table(
            f"(a) No-op sync over {r['files']:,} files",
            noop_rows(r),
            f"Text: {text}. Index model: {r['model']}; the no-op sync itself never loads a model. {r['load']}.",
        )
    )
    return r


def part_crash(args: argparse.Namespace) -> dict[str, Any]:
    """(c): run the crash harness and print; the numbers."""
    commit = docqa_commit()
    rep = run_crash(
        args.work / "crash",
        trials=args.trials,
        files=args.files or 500,
        per_file=args.per_file or 16,
        paragraph=word_paragraph,
        log=log,
    )
    r = rep.as_dict()
    print(
        table(
            f"(c) Crash harness: SIGKILL at a random moment of a sync, {rep.trials} trials",
            crash_rows(r),
            f"Model: hashing. Generated word-list text. {load_note(commit)}.",
        )
    )
    for failure in rep.failures:
        print(f"- {failure}")
    return r


def part_edit(args: argparse.Namespace, source: Sequence[str] | None, text: str) -> dict[str, Any]:
    """(b): measure and print; the numbers."""
    model = args.model or DEFAULT_MODEL
    r = bench_edit(args.work / "edit", args.files or 1_000, args.per_file or 5, model, source)
    print(
        table(
            f"(b) One-paragraph edit in {r['files']:,} files",
            edit_rows(r),
            f"Text: {text}. Model: {r['model']}. {r['load']}.",
        )
    )
    return r


if __name__ == "__main__":
    main()
