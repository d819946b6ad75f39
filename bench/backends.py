"""Encoder backends measured: build speed, vector agreement, question latency, SciFact quality.

Run from the repository root (data paths as in /work/shared/eval/README.md):

    HF_HUB_OFFLINE=1 python bench/backends.py throughput --squad SQUAD.json [--paragraphs 600] [--rounds 2]
    HF_HUB_OFFLINE=1 python bench/backends.py overlap --squad SQUAD.json [--backend auto]
    HF_HUB_OFFLINE=1 python bench/backends.py query --squad SQUAD.json [--hogs 2]
    HF_HUB_OFFLINE=1 python bench/backends.py scifact --scifact FOLDER --backend fp32|auto [--work DIR]

throughput: the first N SQuAD dev paragraphs, written as article files as bench/quality.py
    writes them; rounds interleave (raw, docqa auto, docqa fp32, ...) so that other load on the
    machine falls on each alike. raw = ``SentenceTransformer.encode(paragraphs, batch_size=32)``
    fp32; docqa = ``build_index(full=True)`` with the model already loaded (reading, cutting,
    embedding, writing). Reported: seconds (best and all), docqa speed / raw speed, load average.
overlap: every SQuAD dev paragraph embedded by fp32 and by ``--backend`` (the bulk engine);
    questions embedded once (fp32); top-10 overlap = mean |top10(fp32) & top10(fast)| / 10.
query: p50/p99 of one question's encode (ST ``encode``, the query engine at 1 and 2 threads),
    idle and with ``--hogs`` busy-loop processes running.
scifact: bench/quality.py's SciFact run, built and asked with one backend (``fp32`` also asks
    with PyTorch fp32), in its own work dir.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from backendtiming import interleaved, latencies, speeds
from common import DEFAULT_WORK, log
from squad import squad_paragraphs

import index
from index import IndexConfig, build_index, load_encoder
from index.encoders import SentenceTransformerEncoder
from index.generations import current_generation
from index.manifest import read_manifest


def throughput(args: argparse.Namespace) -> dict[str, Any]:
    files, texts = squad_paragraphs(args.squad, args.paragraphs)
    work = Path(tempfile.mkdtemp(prefix="docqa-backends-"))
    docs = work / "docs"
    docs.mkdir()
    for name, text in files.items():
        (docs / name).write_text(text, encoding="utf-8")
    fast = load_encoder(index.DEFAULT_MODEL, backend=args.backend)
    exact = load_encoder(index.DEFAULT_MODEL, backend="fp32")
    assert isinstance(fast, SentenceTransformerEncoder)
    raw = exact._model  # the same SentenceTransformer, called as a user of the library would
    log(f"throughput: {len(texts)} paragraphs in {len(files)} files; backend {fast.backend}")

    def run_raw() -> None:
        raw.encode(texts, batch_size=32, normalize_embeddings=True, show_progress_bar=False)

    def run_build(enc: Any, tag: str) -> None:
        folder = work / f"index-{tag}"
        shutil.rmtree(folder, ignore_errors=True)
        build_index(docs, IndexConfig(index_dir=folder), encoder=enc, full=True)

    runs = {
        "raw_fp32": run_raw,
        f"docqa_{fast.backend}": lambda: run_build(fast, "fast"),
        "docqa_fp32": lambda: run_build(exact, "fp32"),
    }
    seconds, cpu, loads = interleaved(runs, args.rounds)
    manifest = read_manifest(current_generation(work / "index-fast"))
    shutil.rmtree(work, ignore_errors=True)
    return {
        "paragraphs": len(texts),
        "files": len(files),
        "backend": fast.backend,
        "manifest_encoder_backend": manifest.encoder_backend,
        **speeds(seconds, cpu),
        "load_average_1min": loads,
        "cpus": os.cpu_count(),
    }


def overlap(args: argparse.Namespace) -> dict[str, Any]:
    import numpy as np

    data = json.loads(args.squad.read_text(encoding="utf-8"))["data"]
    paragraphs = [p["context"] for a in data for p in a["paragraphs"]]
    questions = [q["question"] for a in data for p in a["paragraphs"] for q in p["qas"]]
    fast = load_encoder(index.DEFAULT_MODEL, backend=args.backend)
    exact = load_encoder(index.DEFAULT_MODEL, backend="fp32")
    log(f"overlap: {len(paragraphs)} paragraphs, {len(questions)} questions, {fast.backend}")
    reference = exact.embed(paragraphs)
    vectors = fast.embed(paragraphs)
    asked = exact.embed(questions)
    top_ref = np.argsort(-(asked @ reference.T), axis=1)[:, :10]
    top_fast = np.argsort(-(asked @ vectors.T), axis=1)[:, :10]
    shared = [len(set(a) & set(b)) / 10 for a, b in zip(top_ref, top_fast, strict=True)]
    cosines = np.sum(reference * vectors, axis=1)
    return {
        "backend": fast.backend,
        "paragraphs": len(paragraphs),
        "questions": len(questions),
        "top10_overlap": round(float(np.mean(shared)), 4),
        "identical_top10": round(float(np.mean([s == 1.0 for s in shared])), 4),
        "cosine_min": round(float(cosines.min()), 6),
        "cosine_mean": round(float(cosines.mean()), 7),
    }


def query(args: argparse.Namespace) -> dict[str, Any]:
    import numpy as np

    from index.runners import OnnxRunner

    data = json.loads(args.squad.read_text(encoding="utf-8"))["data"]
    questions = [q["question"] for a in data for p in a["paragraphs"] for q in p["qas"]]
    questions = questions[: args.questions]
    enc = load_encoder(index.DEFAULT_MODEL)
    assert isinstance(enc, SentenceTransformerEncoder)
    engine = enc._engines.query
    assert isinstance(engine, OnnxRunner), "the query engine is ONNX Runtime where installed"
    one, two = (
        OnnxRunner(
            engine._path, engine._tokens, engine._pooling, enc.dimension, batch_size=32, threads=n
        )
        for n in (1, 2)
    )
    model = enc._model
    ways = {
        "st_encode_fp32": lambda q: model.encode([q], normalize_embeddings=True),
        "encoder_embed": lambda q: enc.embed([q]),  # the query engine as docqa runs it
        "onnx_1_thread": lambda q: one.embed([q]),
        "onnx_2_threads": lambda q: two.embed([q]),
    }
    reference = np.asarray(model.encode(questions[:50], normalize_embeddings=True))
    agree = {
        name: round(
            float(np.min(np.sum(np.vstack([fn(q) for q in questions[:50]]) * reference, 1))), 7
        )
        for name, fn in ways.items()
    }

    for q in questions[:20]:  # warm-up
        for fn in ways.values():
            fn(q)
    result: dict[str, Any] = {"questions": len(questions), "worst_cosine_vs_st": agree}
    result["idle"] = latencies(ways, questions)
    hogs = [subprocess.Popen([sys.executable, "-c", "while 1: pass"]) for _ in range(args.hogs)]
    try:
        time.sleep(1)
        result[f"with_{args.hogs}_hogs"] = latencies(ways, questions)
    finally:
        for hog in hogs:
            hog.kill()
            hog.wait()
    return result


def scifact(args: argparse.Namespace) -> dict[str, Any]:
    import common
    import scifact as scifact_task

    import qa

    backend = args.backend

    def index_folder(docs: Path, folder: Path, model: str, *, full: bool, label: str) -> Any:
        started = time.perf_counter()
        config = IndexConfig(index_dir=folder, model=model, backend=backend)
        summary = build_index(docs, config, full=full, progress=common.ticker(label))
        seconds = time.perf_counter() - started
        snap = index.open_snapshot(folder)
        try:
            return summary, seconds, snap.all_passages()
        finally:
            snap.close()

    plain = qa.Retriever

    def retriever(folder: Path, model: str | None = None) -> Any:
        return plain(folder, encoder=load_encoder(model or index.DEFAULT_MODEL, backend=backend))

    common.index_folder = index_folder  # common.build indexes through it
    qa.Retriever = retriever  # type: ignore[misc,assignment]
    work = args.work / f"backend-{backend}"
    out = scifact_task.run_scifact(
        args.scifact, work, index.DEFAULT_MODEL, full=args.full, mode="hybrid"
    )
    dense = scifact_task.run_scifact(
        args.scifact, work, index.DEFAULT_MODEL, full=False, mode="dense"
    )
    manifest = read_manifest(
        current_generation(common.index_dir(work, "scifact", index.DEFAULT_MODEL))
    )
    return {
        "backend": backend,
        "manifest_encoder_backend": manifest.encoder_backend,
        "hybrid": out,
        "dense": {k: dense[k] for k in ("nDCG@10", "R@100")},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("task", choices=("throughput", "overlap", "query", "scifact"))
    parser.add_argument("--squad", type=Path, default=Path("/work/shared/eval/squad/dev-v1.1.json"))
    parser.add_argument("--scifact", type=Path, default=Path("/work/shared/eval/scifact"))
    parser.add_argument("--backend", default="auto")
    parser.add_argument("--paragraphs", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--questions", type=int, default=300)
    parser.add_argument("--hogs", type=int, default=2)
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK.parent / "backends")
    parser.add_argument("--full", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    result = {"throughput": throughput, "overlap": overlap, "query": query, "scifact": scifact}[
        args.task
    ](args)
    text = json.dumps(result, indent=1)
    print(text)
    if args.json:
        args.json.write_text(text + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
