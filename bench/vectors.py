"""Vector-index backends by segment size: build time and memory, load, latency, recall@10.

Run from the repository root:

    /work/main/.venv/bin/python bench/vectors.py [--sizes 10000,100000,1000000]
        [--kinds flat,hnsw] [--queries 500] [--threads 1,2] [--hog] [--json OUT]

Data: clustered unit vectors (``bench/vectordata.py``), written once per size under
``bench/.cache/vectors`` (gitignored) as a segment's raw files; queries are drawn from the same
model, not from the set. Exact top 10 comes from numpy over the raw file. For each size and
kind, a fresh process builds and saves the index (build s, its peak RSS less the RSS before the
build, per passage), another loads it (load s, RSS delta per passage, and ``resident_bytes``).
A last process per size loads every kind and times single queries, the kinds interleaved query
by query so that other load on the machine hits all alike; the load average is printed with the
figures. ``--threads 1,2`` times each kind with each OpenMP thread count, interleaved
(``index.vectorindex.base.SEARCH_THREADS``, 1 unless changed); ``--hog`` runs a busy Python process
while queries are timed. Exact search at 1M is slow (~0.2 s a query): it times 50 queries.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # this checkout's docqa first

from vectordata import Clusters, write_segment

WORK = Path(__file__).resolve().parent / ".cache" / "vectors"
K = 10


def rss(field: str = "VmRSS") -> int:
    """This process's resident set (or its peak, ``VmHWM``) in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(field)


def reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM := VmRSS


def segment(n: int, clusters: Clusters) -> Path:
    folder = WORK / f"seg-{n}"
    if not folder.exists():
        write_segment(folder, n, clusters)
    return folder


def exact(folder: Path, queries: np.ndarray, dimension: int) -> np.ndarray:
    """The ids of each query's exact top 10 (numpy over the raw file, cached)."""
    cache = folder / f"truth-{len(queries)}.npy"
    if cache.exists():
        return np.load(cache)
    from index.vectorindex import RawVectors

    best_s = np.full((len(queries), K), -np.inf, np.float32)
    best_i = np.full((len(queries), K), -1, np.int64)
    for ids, matrix in RawVectors(folder, dimension).chunks():
        s = np.hstack([best_s, queries @ matrix.T])
        i = np.hstack([best_i, np.broadcast_to(ids, (len(queries), len(ids)))])
        top = np.argsort(-s, axis=1)[:, :K]
        best_s, best_i = np.take_along_axis(s, top, 1), np.take_along_axis(i, top, 1)
    np.save(cache, best_i)
    return best_i


def child_build(folder: Path, kind: str, dimension: int) -> dict[str, Any]:
    import faiss

    from index.vectorindex import RawVectors, build_vector_index

    faiss.omp_set_num_threads(2)  # a build uses both cores
    raw = RawVectors(folder, dimension)
    out = folder / f"index-{kind}"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    before = rss()
    reset_peak()
    started = time.perf_counter()
    index = build_vector_index(raw, kind)
    files = index.save(out)
    seconds = time.perf_counter() - started
    disk = sum((out / f).stat().st_size for f in files)
    peak = rss("VmHWM") - before
    return {"build_s": seconds, "build_peak_b": peak, "index_disk_b": disk}


def child_load(folder: Path, kind: str, dimension: int) -> dict[str, Any]:
    import faiss  # noqa: F401  (its import is not the index's memory)

    from index.vectorindex import RawVectors, load_vector_index

    before = rss()
    started = time.perf_counter()
    index = load_vector_index(folder / f"index-{kind}", RawVectors(folder, dimension), kind)
    seconds = time.perf_counter() - started
    return {"load_s": seconds, "rss_delta_b": rss() - before, "resident_b": index.resident_bytes()}


def child_search(folder: Path, kinds: list[str], args: argparse.Namespace) -> dict[str, Any]:
    from index.vectorindex import RawVectors, base, load_vector_index

    threads = [int(t) for t in args.threads.split(",")]
    raw = RawVectors(folder, args.dimension)
    runs = [(k, t) for k in kinds for t in threads]
    # Each run gets queries of its own: a query just answered by another run would find the
    # parts of the index it needs in the CPU caches.
    queries = Clusters(dimension=args.dimension).points(args.queries * len(runs), 99)
    truth = exact(folder, queries, args.dimension)
    indexes = {k: load_vector_index(folder / f"index-{k}", raw, k) for k in kinds}
    for index in indexes.values():  # warm: the first queries pay page faults
        index.search(queries[:20], K)
    times: dict[tuple[str, int], list[float]] = {run: [] for run in runs}
    found: dict[tuple[str, int], list[float]] = {run: [] for run in runs}
    hog = subprocess.Popen([sys.executable, "-c", "while 1: pass"]) if args.hog else None
    load = [os.getloadavg()[0]]
    try:
        for round_ in range(args.queries):
            for r, (kind, t) in enumerate(runs):
                if kind == "flat" and len(raw) > 200_000 and round_ >= 50:
                    continue
                q = round_ * len(runs) + r
                base.SEARCH_THREADS = t  # what each search sets around itself
                started = time.perf_counter()
                _, ids = indexes[kind].search(queries[q : q + 1], K)
                times[kind, t].append(time.perf_counter() - started)
                found[kind, t].append(len(set(ids[0].tolist()) & set(truth[q].tolist())) / K)
    finally:
        if hog is not None:
            hog.kill()
            hog.wait()
    load.append(os.getloadavg()[0])
    return {
        f"{k}/{t}": {
            "threads": t,
            "p50_ms": 1000 * float(np.percentile(times[k, t], 50)),
            "p99_ms": 1000 * float(np.percentile(times[k, t], 99)),
            "recall10": float(np.mean(found[k, t])),
            "timed": len(times[k, t]),
            "load_avg": load,
        }
        for k, t in runs
    }


def run_child(*argv: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, *argv], check=True, capture_output=True, text=True
    )
    return json.loads(done.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--kinds", default="flat,hnsw")
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--dimension", type=int, default=384)
    parser.add_argument("--threads", default="1", help="e.g. 1,2: interleaved")
    parser.add_argument("--hog", action="store_true", help="a busy process runs while timing")
    parser.add_argument("--reuse", action="store_true", help="search indexes already built")
    parser.add_argument("--json", type=Path)
    parser.add_argument("--child", choices=["build", "load", "search"], help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    kinds = args.kinds.split(",")
    if args.child:
        if args.child == "search":
            result = child_search(args.folder, kinds, args)
        else:
            fn = child_build if args.child == "build" else child_load
            result = fn(args.folder, kinds[0], args.dimension)
        print(json.dumps(result))
        return
    WORK.mkdir(parents=True, exist_ok=True)
    rows: list[dict[str, Any]] = []
    common = ["--dimension", str(args.dimension)]
    for n in [int(s) for s in args.sizes.split(",")]:
        folder = segment(n, Clusters(dimension=args.dimension))
        measured: dict[str, dict[str, Any]] = {k: {"size": n, "kind": k} for k in kinds}
        for kind in kinds:
            if not args.reuse:
                print(f"{n} {kind}: building", file=sys.stderr, flush=True)
                measured[kind] |= run_child(
                    "--child", "build", "--folder", str(folder), "--kinds", kind, *common
                )
            measured[kind] |= run_child(
                "--child", "load", "--folder", str(folder), "--kinds", kind, *common
            )
        print(f"{n}: timing queries", file=sys.stderr, flush=True)
        search = ["--queries", str(args.queries), "--threads", str(args.threads)]
        search += ["--hog"] if args.hog else []
        timed = run_child(
            "--child", "search", "--folder", str(folder), "--kinds", args.kinds, *common, *search
        )
        for key, figures in timed.items():
            rows.append(measured[key.split("/")[0]] | figures)
    print(table(rows, args))
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1) + "\n")


def table(rows: list[dict[str, Any]], args: argparse.Namespace) -> str:
    head = "| passages | kind | threads | build s | build peak B/p | load s | RSS B/p | resident B/p | p50 ms | p99 ms | recall@10 | load avg |"
    lines = [head, "|" + "---|" * (head.count("|") - 1)]
    for r in rows:
        n = r["size"]
        lines.append(
            f"| {n:,} | {r['kind']} | {r['threads']} | {r.get('build_s', float('nan')):.1f} | "
            f"{r.get('build_peak_b', 0) / n:,.0f} | {r['load_s']:.2f} | {r['rss_delta_b'] / n:,.0f} | "
            f"{r['resident_b'] / n:,.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | "
            f"{r['recall10']:.3f} | {r['load_avg'][0]:.2f}–{r['load_avg'][1]:.2f} |"
        )
    lines.append(
        f"\nthreads={args.threads} hog={args.hog} queries={args.queries} a run (flat over 200k: 50)"
    )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
