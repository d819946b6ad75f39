"""The child processes of ``bench/speed.py``: a build and a Retriever, measured alone.

    python bench/speedchild.py build DOCS INDEX --encoder synthetic|real
    python bench/speedchild.py open INDEX --encoder synthetic|real --questions FILE

Each prints one JSON object on its last stdout line; progress goes to stderr. ``build`` builds
INDEX from scratch (the folder must not exist) with the encoder loaded first, and reports the
wall time, the resident memory after the imports and the model load, and the peak
(``VmHWM``: Linux carries ``ru_maxrss`` over from the parent through exec, so a child of a
big parent would report the parent's peak). ``open`` loads the encoder, then reads VmRSS before opening a
``qa.Retriever`` on INDEX, after opening it, and after asking it every question of FILE (one a
line), so what the query path keeps resident is measured apart from the imports and the model.
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from pathlib import Path
from typing import Any

from common import ticker

from index import DEFAULT_MODEL, Encoder, IndexConfig, build_index, load_encoder

__all__ = ["encoder_of", "folder_bytes", "vm_rss"]


def encoder_of(kind: str) -> Encoder:
    """``synthetic`` (bench/synthetic.py) or ``real`` (docqa's default model, as docqa loads it)."""
    if kind == "synthetic":
        from synthetic import SyntheticEncoder

        return SyntheticEncoder()
    if kind == "real":
        return load_encoder(DEFAULT_MODEL)
    raise SystemExit(f"unknown encoder {kind!r}; use synthetic or real")


def vm_rss(field: str = "VmRSS") -> int:
    """This process's resident memory now (``VmRSS``) or its peak (``VmHWM``), in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def folder_bytes(folder: Path) -> int:
    """Bytes of the files under ``folder``, a hard-linked file counted once."""
    seen: dict[tuple[int, int], int] = {}
    for path in folder.rglob("*"):
        st = path.lstat()
        if path.is_file() and not path.is_symlink():
            seen[(st.st_dev, st.st_ino)] = st.st_size
    return sum(seen.values())


def build(docs: Path, index_dir: Path, kind: str) -> dict[str, Any]:
    import faiss  # noqa: F401 - loaded up front, as in the app, so the baseline includes it

    if index_dir.exists():
        raise SystemExit(f"{index_dir} exists; the child builds from scratch only")
    encoder = encoder_of(kind)
    gc.collect()
    baseline = vm_rss()
    started = time.perf_counter()
    summary = build_index(
        docs,
        IndexConfig(index_dir=index_dir, model=encoder.name),
        encoder=encoder,
        progress=ticker(f"build {index_dir.parent.name}", every=15.0),
    )
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "passages": summary.passages,
        "files": summary.files_indexed,
        "embedded": summary.embedded,
        "baseline_rss": baseline,
        "peak_rss": vm_rss("VmHWM"),
        "disk_bytes": folder_bytes(index_dir),
    }


def open_retriever(index_dir: Path, kind: str, questions: list[str]) -> dict[str, Any]:
    import faiss  # noqa: F401

    import qa

    encoder = encoder_of(kind)
    encoder.embed(["warm up the encoder before measuring"])
    gc.collect()
    before = vm_rss()
    started = time.perf_counter()
    retriever = qa.Retriever(index_dir, encoder=encoder)
    open_seconds = time.perf_counter() - started
    opened = vm_rss()
    for q in questions:
        retriever.retrieve(q, 5)
    gc.collect()
    asked = vm_rss()
    snap = retriever.snapshot()
    reported = snap.resident_bytes() if hasattr(snap, "resident_bytes") else None
    return {
        "passages": len(snap),
        "open_seconds": open_seconds,
        "rss_before": before,
        "rss_opened": opened,
        "rss_asked": asked,
        "questions": len(questions),
        "resident_bytes_reported": reported,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="what", required=True)
    b = sub.add_parser("build")
    b.add_argument("docs", type=Path)
    b.add_argument("index", type=Path)
    b.add_argument("--encoder", default="synthetic")
    o = sub.add_parser("open")
    o.add_argument("index", type=Path)
    o.add_argument("--encoder", default="synthetic")
    o.add_argument("--questions", type=Path, required=True)
    args = parser.parse_args()
    if args.what == "build":
        out = build(args.docs, args.index, args.encoder)
    else:
        asked = args.questions.read_text(encoding="utf-8").splitlines()
        out = open_retriever(args.index, args.encoder, [q for q in asked if q.strip()])
    sys.stdout.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
