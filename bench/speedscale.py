"""The synthetic-scale part of ``bench/speed.py``: one corpus size, every figure measured on it.

For ``n`` passages (see bench/synthetic.py): the corpus and its index are made once in the work
dir and reused while the corpus spec and the docqa code are unchanged (the build runs in a child,
``bench/speedchild.py build``, for its peak RSS; a reused build's figures come from its record).
Then, in this process with the synthetic encoder loaded: one-paragraph edits synced one at a
time (the edited files are put back afterwards, so the corpus stays the cached one), ``retrieve``
latency over single warm questions, the vector index's recall@10 against exact search and, in a
fresh child (``speedchild.py open``), the memory a Retriever keeps resident.
"""

from __future__ import annotations

import gc
import hashlib
import inspect
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from common import REPO, log, ticker
from speedchild import folder_bytes
from synthetic import CorpusSpec, SyntheticEncoder, doc_path, file_text, questions, write_corpus

import qa
from index import IndexConfig, open_snapshot
from index import build_index as docqa_build

__all__ = [
    "child",
    "docqa_key",
    "percentiles",
    "recall_at_10",
    "retrieve_latency",
    "run_size",
]

EDITS = 3  # one-paragraph edits synced, one at a time
WARMUP = 20  # questions asked before timing


def docqa_key() -> str:
    """The docqa code measured: the git trees of index/ and qa/ at HEAD plus a digest of their
    uncommitted changes (untracked files included), so a cached index is rebuilt whenever that
    code changes, and only then (a commit elsewhere keeps it)."""
    git = ["git", "-C", str(REPO)]
    trees = subprocess.run(
        [*git, "rev-parse", "HEAD:index", "HEAD:qa"], capture_output=True, text=True
    ).stdout.split()
    diff = subprocess.run(
        [*git, "diff", "HEAD", "--", "index", "qa"], capture_output=True, text=True
    ).stdout
    untracked = subprocess.run(
        [*git, "ls-files", "--others", "--exclude-standard", "--", "index", "qa"],
        capture_output=True,
        text=True,
    ).stdout.split()
    digest = hashlib.sha256(diff.encode())
    for name in sorted(untracked):
        digest.update(name.encode() + (REPO / name).read_bytes())
    dirty = f"+{digest.hexdigest()[:12]}" if diff or untracked else ""
    return "trees " + ",".join(t[:12] for t in trees) + dirty


def child(*args: str) -> dict[str, Any]:
    """Run ``bench/speedchild.py`` with ``args`` and return the JSON of its last stdout line."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1"}
    script = str(REPO / "bench" / "speedchild.py")
    proc = subprocess.run(
        [sys.executable, script, *args], env=env, stdout=subprocess.PIPE, text=True, check=False
    )
    if proc.returncode != 0:
        raise SystemExit(f"speedchild.py {' '.join(args)} failed (exit {proc.returncode})")
    return dict(json.loads(proc.stdout.strip().splitlines()[-1]))


def percentiles(seconds: list[float]) -> dict[str, float]:
    """p50, p99 and mean of ``seconds``, in milliseconds."""
    ms = np.asarray(seconds, dtype=np.float64) * 1000.0
    return {
        "p50_ms": float(np.percentile(ms, 50)),
        "p99_ms": float(np.percentile(ms, 99)),
        "mean_ms": float(ms.mean()),
    }


def recall_at_10(found: list[list[int]], exact: list[list[int]]) -> float:
    """Mean share of each exact top-10 that the index's top-10 holds."""
    shares = [
        len(set(f[:10]) & set(e[:10])) / max(1, min(10, len(e)))
        for f, e in zip(found, exact, strict=True)
    ]
    return float(np.mean(shares)) if shares else 0.0


def ensure_corpus(spec: CorpusSpec, folder: Path) -> dict[str, Any]:
    """The documents folder of ``spec`` under ``folder``: reused when its record matches."""
    docs, record = folder / "docs", folder / "corpus.json"
    if record.exists() and json.loads(record.read_text())["key"] == spec.key():
        return {"docs": docs, "seconds": 0.0, "cached": True}
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    started = time.perf_counter()
    write_corpus(spec, docs, progress=ticker(f"corpus {spec.passages:,}", every=15.0))
    seconds = time.perf_counter() - started
    record.write_text(json.dumps({"key": spec.key(), "seconds": seconds}))
    return {"docs": docs, "seconds": seconds, "cached": False}


def ensure_index(spec: CorpusSpec, folder: Path, docs: Path, code: str) -> dict[str, Any]:
    """The index of ``docs``: reused when built from this corpus by this docqa, else built from
    scratch in a child. Returns the build's record (time, RSS, disk bytes)."""
    index_dir, record = folder / "index", folder / "build.json"
    key = {"corpus": spec.key(), "docqa": code}
    if record.exists() and index_dir.exists():
        old = json.loads(record.read_text())
        if old["key"] == key:
            return {**old["build"], "cached": True, "built_at": old["built_at"]}
    record.unlink(missing_ok=True)
    shutil.rmtree(index_dir, ignore_errors=True)
    log(f"size {spec.passages:,}: building from scratch in a child process")
    build = child("build", str(docs), str(index_dir), "--encoder", "synthetic")
    built_at = time.strftime("%Y-%m-%d %H:%M")
    record.write_text(json.dumps({"key": key, "build": build, "built_at": built_at}))
    return {**build, "cached": False, "built_at": built_at}


def edited_files(spec: CorpusSpec) -> list[int]:
    return sorted({(spec.files * (i + 1)) // (EDITS + 1) for i in range(EDITS)})


def put_back(spec: CorpusSpec, docs: Path) -> int:
    """Rewrite the files the edits touch as generated (a run stopped mid-way leaves them
    edited), aged an hour; returns how many differed."""
    past = time.time_ns() - 3600 * 10**9
    changed = 0
    for n, k in enumerate(edited_files(spec)):
        path, text = doc_path(docs, k), file_text(spec, k)
        if path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            os.utime(path, ns=(past + n, past + n))
            changed += 1
    return changed


def edit_syncs(
    spec: CorpusSpec, docs: Path, index_dir: Path, enc: SyntheticEncoder
) -> dict[str, Any]:
    """Sync after each of ``EDITS`` one-paragraph edits (3 words of paragraph 3 of one file),
    the model loaded; each edited file gets an old mtime so no sync re-reads it as racy."""
    config = IndexConfig(index_dir=index_dir, model=enc.name)
    tag = f"x{time.time_ns() % 10**9}"  # new words each run: no old generation holds the text
    past = time.time_ns() - 1800 * 10**9
    runs = []
    for n, k in enumerate(edited_files(spec)):
        path = doc_path(docs, k)
        paras = path.read_text(encoding="utf-8").split("\n\n")
        number = min(2, len(paras) - 1)
        words = paras[number].split(" ")
        words[len(words) // 2 : len(words) // 2 + 3] = ["edited", tag, f"w{n}"]
        paras[number] = " ".join(words)
        path.write_text("\n\n".join(paras), encoding="utf-8")
        os.utime(path, ns=(past + n, past + n))
        started = time.perf_counter()
        summary = docqa_build(docs, config, encoder=enc)
        runs.append((time.perf_counter() - started, summary.embedded, summary.files_changed))
    put_back(spec, docs)
    started = time.perf_counter()
    docqa_build(docs, config, encoder=enc)
    seconds = [s for s, _, _ in runs]
    return {
        "edit_seconds": seconds,
        "edit_median": statistics.median(seconds),
        "edit_max": max(seconds),
        "embedded": [e for _, e, _ in runs],
        "files_changed": [f for _, _, f in runs],
        "restore_seconds": time.perf_counter() - started,
    }


def retrieve_latency(
    retriever: qa.Retriever, asked: list[str], warmup: list[str]
) -> dict[str, Any]:
    """Single questions one after another (hybrid, k=5), warm; and ``retrieve_many`` over all
    of them when the Retriever has it."""
    for q in warmup:
        retriever.retrieve(q, 5, mode="hybrid")
    times = []
    for q in asked:
        started = time.perf_counter()
        retriever.retrieve(q, 5, mode="hybrid")
        times.append(time.perf_counter() - started)
    out: dict[str, Any] = {"questions": len(asked), **percentiles(times)}
    out["single_qps"] = len(asked) / sum(times)
    out["many_qps"] = None
    if hasattr(retriever, "retrieve_many"):
        started = time.perf_counter()
        retriever.retrieve_many(asked, 5)
        out["many_qps"] = len(asked) / (time.perf_counter() - started)
    return out


def vector_recall(index_dir: Path, enc: Any, asked: list[str]) -> dict[str, Any]:
    """Recall@10 of the snapshot's vector search against exact search of the same vectors:
    ``search(v, 10, exact=True)`` when the snapshot offers it, else numpy over its vectors."""
    snap = open_snapshot(index_dir)
    try:
        vectors = enc.embed(asked)
        found, times = [], []
        for v in vectors:
            started = time.perf_counter()
            found.append([pid for pid, _ in snap.search(v, 10)])
            times.append(time.perf_counter() - started)
        if "exact" in inspect.signature(snap.search).parameters:
            how = "search(exact=True)"
            search: Any = snap.search  # exact= is newer than some stores this bench measures
            exact = [[pid for pid, _ in search(v, 10, exact=True)] for v in vectors]
        elif hasattr(snap, "all_vectors"):
            how = "numpy over all_vectors()"
            ids, matrix = snap.all_vectors()
            scores = matrix @ vectors.T
            del matrix
            k = min(10, len(ids))
            top = np.argpartition(-scores, k - 1, axis=0)[:k]
            exact = [ids[top[:, j]].tolist() for j in range(len(asked))]
        else:
            return {"recall_at_10": None, "exact_by": "unavailable", **_search_ms(times)}
        manifest = snap.manifest
        return {
            "recall_at_10": recall_at_10(found, exact),
            "exact_by": how,
            "vector_index": ",".join(
                sorted({s.vector_index for s in getattr(manifest, "segments", [])})
            )
            or getattr(manifest, "vector_index", None),
            "encoder_backend": getattr(manifest, "encoder_backend", None),
            **_search_ms(times),
        }
    finally:
        snap.close()


def _search_ms(times: list[float]) -> dict[str, float]:
    p = percentiles(times)
    return {"search_p50_ms": p["p50_ms"], "search_p99_ms": p["p99_ms"]}


def run_size(passages: int, work: Path, code: str, n_questions: int) -> dict[str, Any]:
    """Every synthetic-scale figure at ``passages`` passages."""
    spec = CorpusSpec(passages)
    folder = work / f"synthetic-{passages}"
    started = time.perf_counter()
    corpus = ensure_corpus(spec, folder)
    docs, index_dir = corpus["docs"], folder / "index"
    build = ensure_index(spec, folder, docs, code)
    enc = SyntheticEncoder()
    put_back(spec, docs)  # in step with the generated corpus before the timed syncs
    docqa_build(docs, IndexConfig(index_dir=index_dir, model=enc.name), encoder=enc)
    log(f"size {passages:,}: timing {EDITS} one-paragraph edit syncs")
    sync = edit_syncs(spec, docs, index_dir, enc)
    asked = questions(spec, n_questions + WARMUP, seed=1)
    log(f"size {passages:,}: timing {n_questions} questions")
    retriever = qa.Retriever(index_dir, encoder=enc)
    latency = retrieve_latency(retriever, asked[WARMUP:], asked[:WARMUP])
    del retriever
    gc.collect()
    recall = vector_recall(index_dir, enc, asked[WARMUP:])
    listed = folder / "questions.txt"
    listed.write_text("\n".join(asked[WARMUP : WARMUP + 50]) + "\n", encoding="utf-8")
    log(f"size {passages:,}: resident memory of a Retriever, in a child process")
    resident = child("open", str(index_dir), "--encoder", "synthetic", "--questions", str(listed))
    return {
        "size": passages,
        "passages": build["passages"],
        "files": spec.files,
        "corpus": {"key": spec.key(), "seconds": corpus["seconds"], "cached": corpus["cached"]},
        "build": build,
        "disk_bytes_now": folder_bytes(index_dir),
        "sync": sync,
        "retrieve": latency,
        "recall": recall,
        "resident": resident,
        "seconds": time.perf_counter() - started,
    }
