"""kill -9 at fixed points of a sync: the index still loads, answers, and is the old or the new
state; the next sync finishes the work. (bench/crash.py kills at random moments, 200+ times.)"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from helpers import paragraph

import qa
from index import IndexConfig, build_index, open_snapshot
from index.manifest import read_manifest

ROOT = Path(__file__).resolve().parent.parent

# Each kill point wraps one step of a sync and kills the process (SIGKILL) just before or after it.
CHILD = textwrap.dedent(
    """
    import os, signal, sys
    import index.assemble, index.builder, index.generations, index.merging, index.store, index.writer
    point, docs, index_dir = sys.argv[1:4]

    def die():
        os.kill(os.getpid(), signal.SIGKILL)

    def wrap(module, name, before):
        real = getattr(module, name)
        def wrapped(*args, **kwargs):
            if before:
                die()
            out = real(*args, **kwargs)
            die()
            return out
        setattr(module, name, wrapped)

    module, name, when = {
        "embedding": (index.assemble._Assembler, "_vectors", "before"),
        "writing": (index.builder, "write_manifest", "before"),
        "written": (index.writer.SegmentWriter, "finish", "after"),
        "merging": (index.merging, "_merge", "after"),
        "replacing": (index.generations.os, "replace", "before"),
        "replaced": (index.generations.os, "replace", "after"),
        "cleaning": (index.generations.shutil, "rmtree", "before"),
    }[point]
    wrap(module, name, when == "before")
    from index import IndexConfig, build_index
    build_index(docs, IndexConfig(index_dir=index_dir, model="hashing"))
    print("sync finished without being killed")
    """
)


def text(n: int, version: str) -> str:
    """Two paragraphs of 64+ words (a quarter of the hashing encoder's 256 tokens), so that each
    is a passage of its own; the second is the same in both versions."""
    return (
        f"{paragraph(f'File {n} {version} version.', 64)}\n\n{paragraph(f'Shared tail {n}.', 64)}\n"
    )


def state(index_dir: Path) -> set[tuple[str, str]]:
    snap = open_snapshot(index_dir)
    try:
        return {(p.source, p.text) for p in snap.all_passages()}
    finally:
        snap.close()


@pytest.mark.parametrize(
    "point", ["embedding", "written", "writing", "replacing", "replaced", "cleaning", "merging"]
)
def test_kill_during_sync_leaves_old_or_new_state(point: str, tmp_path: Path) -> None:
    docs, index_dir = tmp_path / "docs", tmp_path / "index"
    docs.mkdir()
    for n in range(5):
        (docs / f"f{n}.txt").write_text(text(n, "first"), encoding="utf-8")
    config = IndexConfig(index_dir=index_dir, model="hashing")
    build_index(docs, config)
    build_index(docs, config, full=True)  # a previous generation exists, so cleanup has work
    before = state(index_dir)
    (docs / "f0.txt").write_text(text(0, "second"), encoding="utf-8")
    (docs / "f1.txt").unlink()
    (docs / "new.txt").write_text("A new file.\n", encoding="utf-8")

    proc = subprocess.run(
        [sys.executable, "-c", CHILD, point, str(docs), str(index_dir)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == -9, proc.stdout + proc.stderr

    after_kill = state(index_dir)
    assert qa.Retriever(index_dir).retrieve("second version", k=1)  # it loads and answers
    summary = build_index(docs, config)  # the lock of the dead process is free; this finishes
    after = state(index_dir)
    assert after_kill in (before, after)
    assert ("f0.txt", paragraph("File 0 second version.", 64)) in after and not any(
        s == "f1.txt" for s, _ in after
    )
    assert summary.published or after_kill == after
    leftovers = sorted(p.name for p in (index_dir / "generations").iterdir())
    assert len(leftovers) <= 2, leftovers
    listed = {
        s.name for g in leftovers for s in read_manifest(index_dir / "generations" / g).segments
    }
    assert {p.name for p in (index_dir / "segments").iterdir()} == listed, "no orphan segment"
