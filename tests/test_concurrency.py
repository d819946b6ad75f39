"""Questions answered from threads while syncs publish new generations and merges run.

One writer syncs a folder whose state is numbered: in version N, ``live.txt`` says "version N"
and ``gen_N.txt`` is the only generation file (``gen_{N-1}.txt`` was deleted). Readers ask
questions that match both all the while. Every answer must come from one generation: one
version number throughout, each text in the file it names, never the deleted file's text
beside its successor's. At the end every segment is released and no file of the index is
left open.
"""

from __future__ import annotations

import gc
import os
import threading
from pathlib import Path

import pytest
from helpers import rewrite

import index.merging
import qa
from index import HashingEncoder, IndexConfig, build_index, open_snapshot
from index.segment import Segment

VERSIONS = 12
READERS = 3
# Long enough that a starved reader fails the test instead of hanging it.
WAIT = 20.0


def live_text(n: int) -> str:
    return f"The shared marker says this folder is at version {n} of its history.\n"


def gen_text(n: int) -> str:
    return f"Generation file {n} carries the shared marker of version {n} alone.\n"


def write_version(docs: Path, n: int) -> None:
    (docs / f"gen_{n - 1}.txt").unlink(missing_ok=True)
    (docs / f"gen_{n}.txt").write_text(gen_text(n), encoding="utf-8")
    # A passage that stays: each sync's segment outlives it, so segments pile up and merge.
    (docs / f"keep_{n}.txt").write_text(f"Kept note number {n} about caves.\n", encoding="utf-8")
    live = docs / "live.txt"
    if live.exists():
        rewrite(live, live_text(n))  # moves the mtime on: the sync cannot miss the edit
    else:
        live.write_text(live_text(n), encoding="utf-8")


def open_files_under(folder: Path) -> list[str]:
    """Paths under ``folder`` this process holds open."""
    out = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue  # closed since listed
        if target.startswith(str(folder)):
            out.append(target)
    return out


def track_segments(monkeypatch: pytest.MonkeyPatch) -> list[Segment]:
    """Every Segment opened from now on, so that the test can check each was released."""
    opened: list[Segment] = []
    real_init = Segment.__init__

    def tracking_init(self: Segment, *args: object, **kwargs: object) -> None:
        real_init(self, *args, **kwargs)  # type: ignore[arg-type]
        opened.append(self)

    monkeypatch.setattr(Segment, "__init__", tracking_init)
    return opened


def check(results: list[qa.Result]) -> int:
    """The version all of ``results`` come from, checking they come from one generation."""
    by_source = {r.source: r.text for r in results}
    gens = [s for s in by_source if s.startswith("gen_")]
    assert len(gens) == 1, f"one generation file per answer, got {sorted(by_source)}"
    n = int(gens[0][len("gen_") : -len(".txt")])
    assert by_source[gens[0]] == gen_text(n).strip()
    assert by_source["live.txt"] == live_text(n).strip(), "a mix of two generations"
    return n


def reader(
    held: dict[str, qa.Retriever],
    seen: set[int],
    progress: threading.Condition,
    done: threading.Event,
    errors: list[BaseException],
) -> None:
    """A reader thread: ask until ``done``, adding each version answered to ``seen``."""
    try:
        while not done.is_set():
            for mode in ("hybrid", "dense", "lexical"):
                results = held["retriever"].retrieve(
                    "shared marker version generation", k=40, mode=mode, per_file=None
                )
                n = check(results)
                with progress:
                    seen.add(n)
                    progress.notify_all()
    except BaseException as exc:  # reported by the main thread
        errors.append(exc)
        done.set()
        with progress:
            progress.notify_all()


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc to count open files")
def test_retrieve_from_threads_during_syncs_and_merges(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Three segments in a tier are merged (instead of ten), and each sync deletes a passage
    # of a small segment: merges, purges and plain publishes all happen within a few syncs.
    monkeypatch.setattr(index.merging, "FACTOR", 3)
    opened = track_segments(monkeypatch)

    index_dir = tmp_path / "index"
    encoder = HashingEncoder()
    config = IndexConfig(index_dir=index_dir, model="hashing")
    write_version(corpus, 0)
    build_index(corpus, config, encoder=encoder)
    # Held in a dict so that the end of the test can let go of it (and of its snapshots).
    held = {"retriever": qa.Retriever(index_dir, encoder=encoder)}

    seen: list[set[int]] = [set() for _ in range(READERS)]
    progress = threading.Condition()
    done = threading.Event()
    errors: list[BaseException] = []
    merges = 0

    threads = [
        threading.Thread(target=reader, args=(held, seen[i], progress, done, errors), daemon=True)
        for i in range(READERS)
    ]
    for t in threads:
        t.start()
    try:
        for n in range(1, VERSIONS + 1):
            # Each version is asked about by every reader before the next is published, so
            # every publish overlaps questions and every generation is seen.
            with progress:
                assert progress.wait_for(
                    lambda n=n: done.is_set() or all(n - 1 in s for s in seen), WAIT
                ), "a reader stopped answering"
            if done.is_set():
                break
            before = open_snapshot_segments(index_dir)
            write_version(corpus, n)
            build_index(corpus, config, encoder=encoder)
            after = open_snapshot_segments(index_dir)
            # A sync adds one segment; fewer means segments were merged into one.
            merges += len(after) <= len(before)
    finally:
        done.set()
        for t in threads:
            t.join(WAIT)
    if errors:
        raise errors[0]
    assert not any(t.is_alive() for t in threads)
    assert merges >= 2, "the syncs were meant to merge segments"
    assert all(VERSIONS - 1 in s for s in seen)
    assert check(held["retriever"].retrieve("shared marker version generation", k=40)) == VERSIONS

    assert open_files_under(index_dir) != []  # the check below can see the retriever's files
    held.clear()
    gc.collect()
    assert [s.name for s in opened if s._users != 0] == [], "segments left acquired"
    assert open_files_under(index_dir) == []


def open_snapshot_segments(index_dir: Path) -> list[str]:
    """The names of the published generation's segments."""
    snap = open_snapshot(index_dir)
    try:
        return [seg.name for seg in snap.segments]
    finally:
        snap.close()
