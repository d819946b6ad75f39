"""Memory of indexing one very large text file: peak RSS stays flat as the file grows.

Run from the repository root:

    HF_HUB_OFFLINE=1 python bench/bigfile.py [--mb 200] [--baseline-mb 2] [--model hashing:dim=384]
        [--work DIR] [--json OUT]

Writes a text file of ``--mb`` MiB (paragraphs of 40-120 words from a fixed word list, seeded),
indexes it with ``docqa index DIR --index IDX --model M --json`` in a child process, and reports
the child's wall time and peak resident memory (``ru_maxrss`` from ``wait4``), next to the same
run on a ``--baseline-mb`` file. The index holds one float32 vector per passage (FAISS keeps them
in memory while writing them), so the vector bytes are reported apart: what the sync holds
beyond them is what streaming bounds. The default model is the hashing encoder with the real
model's 384 dimensions: at about 30 passages/s the real model would take hours on a file this
size, and the encoder does not change what is held in memory. Text is never held whole.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

WORDS = (
    "the of and to in a is that for it as was with be by on not he this are or his from at "
    "which but have an they you were her she there one all we their can has been if more when "
    "will would who so no index passage paragraph model vector search answer question citation "
    "document folder file page line heading river mountain city history science music language"
).split()


def write_text(path: Path, mib: float, seed: int = 7) -> int:
    """A file of about ``mib`` MiB of paragraphs separated by blank lines; returns its size."""
    rng = random.Random(seed)
    target = int(mib * (1 << 20))
    size = 0
    with path.open("w", encoding="utf-8") as out:
        while size < target:
            words = rng.choices(WORDS, k=rng.randint(40, 120))
            paragraph = " ".join(words).capitalize() + ".\n\n"
            out.write(paragraph)
            size += len(paragraph)
    return path.stat().st_size


def run_index(docs: Path, index_dir: Path, model: str) -> dict[str, Any]:
    """Index ``docs`` in a child process; its summary, wall time and peak RSS."""
    cmd = [sys.executable, "-m", "qa.cli", "index", str(docs), "--index", str(index_dir)]
    cmd += ["--model", model, "--json", "--full"]
    started = time.perf_counter()
    with index_dir.with_suffix(".json").open("w") as out:
        env = {**os.environ, "HF_HUB_OFFLINE": "1"}
        child = subprocess.Popen(cmd, stdout=out, env=env)
        _, status, usage = os.wait4(child.pid, 0)  # the child's own peak RSS, not ours
        child.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"docqa index failed ({status}): {' '.join(cmd)}")
    return {"seconds": round(seconds, 1), "peak_rss_mib": round(usage.ru_maxrss / 1024, 1)}


def measure(work: Path, name: str, mib: float, model: str, dimension: int) -> dict[str, Any]:
    docs = work / name
    docs.mkdir(parents=True, exist_ok=True)
    size = write_text(docs / f"{name}.txt", mib)
    index_dir = work / f"{name}-index"
    result = run_index(docs, index_dir, model)
    manifest = _manifest(index_dir)
    passages = int(manifest["passages"])
    vectors = passages * dimension * 4 / (1 << 20)
    return {
        "file_mib": round(size / (1 << 20), 1),
        "passages": passages,
        **result,
        "vectors_mib": round(vectors, 1),
        "rss_beyond_vectors_mib": round(result["peak_rss_mib"] - vectors, 1),
    }


def _manifest(index_dir: Path) -> dict[str, Any]:
    current = (index_dir / "CURRENT").read_text(encoding="utf-8").strip()
    return dict(json.loads((index_dir / "generations" / current / "manifest.json").read_text()))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=float, default=200.0, help="size of the large file (MiB)")
    parser.add_argument("--baseline-mb", type=float, default=2.0, help="size of the small file")
    parser.add_argument("--model", default="hashing:dim=384")
    parser.add_argument("--work", type=Path, default=Path("bench/.cache/bigfile"))
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    dimension = _dimension(args.model)
    args.work.mkdir(parents=True, exist_ok=True)
    rows = {}
    for name, mib in (("small", args.baseline_mb), ("large", args.mb)):
        print(f"bigfile: indexing a {mib} MiB file ...", file=sys.stderr)
        rows[name] = measure(args.work, name, mib, args.model, dimension)
    print("| file | MiB | passages | seconds | peak RSS MiB | vectors MiB | RSS beyond vectors |")
    print("|---|---|---|---|---|---|---|")
    for name, r in rows.items():
        print(
            f"| {name} | {r['file_mib']} | {r['passages']} | {r['seconds']} | {r['peak_rss_mib']} "
            f"| {r['vectors_mib']} | {r['rss_beyond_vectors_mib']} |"
        )
    print(f"\nmodel {args.model}")
    if args.json:
        args.json.write_text(json.dumps({"model": args.model, **rows}, indent=1) + "\n")


def _dimension(model: str) -> int:
    if model.startswith("hashing"):
        for option in model.partition(":")[2].split(","):
            key, _, value = option.partition("=")
            if key == "dim":
                return int(value)
        return 256
    return 384


if __name__ == "__main__":
    main()
