"""The two corpus states of the crash harness (``bench/crash.py``): state A written from a
seeded paragraph maker, state B the same fixed change of A every time, and a trial folder
restored to A then changed to B."""

from __future__ import annotations

import os
import random
import shutil
import time
from collections.abc import Callable
from pathlib import Path

__all__ = ["age_files", "restore", "to_state_b", "write_state_a"]


def write_state_a(
    docs: Path, files: int, per_file: int, paragraph: Callable[[random.Random], str], seed: int
) -> None:
    """``files`` files of ``per_file`` paragraphs, half .txt, half .md, all modified an hour ago
    (older than the sync's 2 s racy window, so an unchanged file is never re-read)."""
    rng = random.Random(seed)
    docs.mkdir(parents=True)
    for k in range(files):
        path = docs / f"d{k // 100:02d}" / f"note{k:04d}.{'md' if k % 2 else 'txt'}"
        path.parent.mkdir(exist_ok=True)
        path.write_text("\n\n".join(paragraph(rng) for _ in range(per_file)) + "\n", "utf-8")
    age_files(docs)


def age_files(docs: Path, seconds: float = 3600.0) -> None:
    past = time.time_ns() - int(seconds * 1e9)
    for path in docs.rglob("*"):
        if path.is_file():
            os.utime(path, ns=(past, past))


def to_state_b(docs: Path, paragraph: Callable[[random.Random], str], seed: int) -> dict[str, int]:
    """The same change every time: every 10th file gets a new second paragraph, every 20th is
    deleted, another 20th renamed, and 1 new file is added per 20."""
    rng = random.Random(seed + 1)
    paths = sorted(p for p in docs.rglob("*") if p.is_file())
    edited, deleted, renamed = paths[0::10], paths[3::20], paths[5::20]
    for path in edited:
        paras = path.read_text("utf-8").split("\n\n")
        paras[1 % len(paras)] = "Revised notes. " + paragraph(rng)
        path.write_text("\n\n".join(paras), "utf-8")
    for path in deleted:
        path.unlink()
    for path in renamed:
        path.rename(path.with_name("moved-" + path.name))
    added = max(1, len(paths) // 20)
    for k in range(added):
        (docs / f"new{k:03d}.txt").write_text(paragraph(rng) + "\n\n" + paragraph(rng) + "\n")
    return {"edited": len(edited), "deleted": len(deleted), "renamed": len(renamed), "added": added}


def restore(
    pristine: Path, trial: Path, paragraph: Callable[[random.Random], str], seed: int
) -> None:
    """The trial folder back to state A (docs and index, mtimes kept), then changed to state B."""
    shutil.rmtree(trial)
    shutil.copytree(pristine, trial, symlinks=True)
    to_state_b(trial / "docs", paragraph, seed)
