"""What the benchmarks share: logging, progress, the generated document folders, index paths.

Importing it puts the repository this file is in first on ``sys.path``, so a benchmark measures
the docqa of its own checkout, not whichever docqa is installed (an editable install may point
at another worktree). Import it before ``index`` and ``qa``.
"""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

__all__ = [
    "DEFAULT_WORK",
    "REPO",
    "SQUAD_K",
    "build",
    "index_dir",
    "index_folder",
    "log",
    "mean",
    "one_line",
    "paragraph_ranking",
    "sync_folder",
    "ticker",
]

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path[:1]:
    sys.path.insert(0, str(REPO))

DEFAULT_WORK = REPO / "bench" / ".cache" / "quality"
SQUAD_K = 20  # results asked for per SQuAD question


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


def index_dir(work: Path, task: str, model: str) -> Path:
    from index import model_name  # after the path is set, above

    return work / task / ("index-" + re.sub(r"[^A-Za-z0-9._-]+", "_", model_name(model)))


def mean(values: Any) -> float:
    items = [float(v) for v in values]
    return round(sum(items) / len(items), 4) if items else 0.0


def index_folder(
    docs: Path, folder: Path, model: str, *, full: bool, label: str
) -> tuple[Any, float, list[Any]]:
    """Build or sync the index ``folder`` of ``docs`` with docqa: its BuildSummary, the wall
    seconds it took, and every passage in document order."""
    from index import IndexConfig, build_index, open_snapshot  # after the sys.path entry above

    started = time.perf_counter()
    summary = build_index(
        docs, IndexConfig(index_dir=folder, model=model), full=full, progress=ticker(label)
    )
    seconds = time.perf_counter() - started
    snap = open_snapshot(folder)
    try:
        return summary, seconds, snap.all_passages()
    finally:
        snap.close()


def paragraph_ranking(results: Any, paragraph: int) -> list[tuple[str, int]]:
    """The results as ``(source, ¶)`` in rank order, repeats dropped (the parts of a long
    paragraph count once). A passage joining short paragraphs cites a range: it stands for
    the gold ``paragraph`` when it covers it, else for its first paragraph."""
    ranking = (
        (r.source, paragraph if r.paragraph <= paragraph <= r.last_paragraph else r.paragraph)
        for r in results
    )
    return list(dict.fromkeys(ranking))


def build(
    docs: Path, index_dir: Path, model: str, *, full: bool, expected: dict[str, int]
) -> tuple[dict[str, Any], dict[tuple[str, int], int]]:
    """Index ``docs`` with docqa and describe the result, checking each file's paragraph count.
    Also returns the number of parts of every (source, paragraph)."""
    summary, seconds, passages = index_folder(
        docs, index_dir, model, full=full, label=f"index {docs.parent.name}"
    )
    parts = {
        (p.source, n): p.parts for p in passages for n in range(p.paragraph, p.last_paragraph + 1)
    }
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
        "joined_passages": sum(p.last_paragraph > p.paragraph for p in passages),
        "passages": summary.passages,
        "embedded": summary.embedded,
        "reused": summary.reused,
        "build_seconds": round(seconds, 1),
    }
    return info, parts
