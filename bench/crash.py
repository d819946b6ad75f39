"""Crash harness: SIGKILL a sync at random moments and check the index survives every one.

Used by ``bench/sync.py --only crash`` (see there for how to run it). One corpus state A (a few
hundred small files, indexed with the model-free ``hashing`` encoder, two generations on disk) and
one fixed change to state B (files edited, deleted, added and renamed). Each trial restores A (docs
and index, mtimes kept) from a pristine copy, applies the change, starts ``build_index`` in a child
process and SIGKILLs it after a delay drawn uniformly (seeded) over the measured duration of an
unkilled sync. Then, in this process:

  1. ``open_snapshot`` loads and ``qa.Retriever(index).retrieve(...)`` answers;
  2. the set of (source, text) passages is exactly state A's or state B's;
  3. a sync run to completion gives exactly state B and leaves at most 2 generation folders.

Any check that fails counts the trial as a failure, reported in detail. State B is what an
unkilled sync from A publishes; it is first checked against a build of B from scratch, which it
must equal except in renamed files (a rename keeps the passages as they were cut, while the new
file name's title can make a fresh cut join short paragraphs differently).
"""

from __future__ import annotations

import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from crashstates import restore, to_state_b, write_state_a

import qa
from index import IndexConfig, build_index, open_snapshot

__all__ = ["CrashReport", "run_crash"]

ROOT = Path(__file__).resolve().parent.parent
QUESTION = "what changed in the revised notes?"

# The child signals "go" once its imports are done, so kills land in the sync, not in start-up
# (faiss is imported up front, as in the app, whose process has it loaded already).
# It also says when the publish happened, to show where in the sync the kill window's A/B
# boundary lies.
CHILD = """
import sys, time, faiss
import index.builder
from index import IndexConfig, build_index
docs, index_dir = sys.argv[1:3]
publish = index.builder.publish
def timed(*args, **kwargs):
    publish(*args, **kwargs)
    print("published", time.perf_counter() - go, flush=True)
index.builder.publish = timed
print("go", flush=True)
go = time.perf_counter()
build_index(docs, IndexConfig(index_dir=index_dir, model="hashing"))
print("done", time.perf_counter() - go, flush=True)
"""

State = frozenset[tuple[str, str]]


@dataclass
class CrashReport:
    """Outcome of the harness; ``failures`` holds one description per failed trial."""

    trials: int
    files_a: int
    passages_a: int
    passages_b: int
    change: dict[str, int]
    sync_seconds: float  # median duration of an unkilled sync (the kill window)
    publish_seconds: float  # median moment of the publish in an unkilled sync
    killed: int = 0  # trials whose child died by SIGKILL
    ended_a: int = 0  # index left in state A: killed before the publish
    ended_b: int = 0  # index left in state B: killed after the publish (or finished)
    finished_first: int = 0  # the child had printed "done" before the kill
    last_a: float = 0.0  # latest kill (s into the sync) that left state A
    first_b: float | None = None  # earliest kill that left state B: the publish lies between
    failures: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class _Setup:
    """What every trial restores and checks against."""

    pristine: Path  # state A, docs and index, as each trial starts from it
    trial: Path  # where a trial runs: trial/docs, trial/index
    config: IndexConfig
    paragraph: Callable[[random.Random], str]
    seed: int
    state_a: State
    state_b: State

    @property
    def docs(self) -> Path:
        return self.trial / "docs"

    def run(self, delay: float | None) -> tuple[list[str], dict[str, Any]]:
        """Restore state A, change it to B and sync, killed after ``delay`` s (None: never)."""
        restore(self.pristine, self.trial, self.paragraph, self.seed)
        index_dir = self.config.index_dir
        return _trial(self.docs, index_dir, self.config, delay, self.state_a, self.state_b)


def run_crash(
    work: Path,
    *,
    trials: int,
    files: int,
    per_file: int,
    paragraph: Callable[[random.Random], str],
    seed: int = 0,
    log: Callable[[str], None] = print,
) -> CrashReport:
    """Run ``trials`` kill trials in ``work`` (wiped first) and return the counts."""
    shutil.rmtree(work, ignore_errors=True)
    pristine, trial, reference = work / "pristine", work / "trial", work / "reference"
    docs, index_dir = trial / "docs", trial / "index"
    config = IndexConfig(index_dir=index_dir, model="hashing")
    write_state_a(docs, files, per_file, paragraph, seed)
    build_index(docs, config)
    build_index(docs, config, full=True)  # a superseded generation exists, so cleanup has work
    shutil.copytree(trial, pristine, symlinks=True)
    state_a = passages_of(index_dir)

    change = to_state_b(docs, paragraph, seed)
    build_index(docs, IndexConfig(index_dir=reference, model="hashing"))
    fresh_b = passages_of(reference)
    restore(pristine, trial, paragraph, seed)
    build_index(docs, config)
    state_b = passages_of(index_dir)
    # A renamed file keeps the passages it was cut into (nothing is embedded): where its new
    # name gives another title, a build from scratch may join its short paragraphs differently.
    # Everything else must equal the independent build.
    differ = {source for source, _ in state_b ^ fresh_b}
    if any(not Path(source).name.startswith("moved-") for source in differ):
        raise SystemExit(f"a sync differs from a build from scratch beyond renamed files: {differ}")
    report = CrashReport(trials, files, len(state_a), len(state_b), change, 0.0, 0.0)
    setup = _Setup(pristine, trial, config, paragraph, seed, state_a, state_b)
    _measure_window(setup, report, log)
    _kill_trials(setup, report, trials, log)
    return report


def _measure_window(setup: _Setup, report: CrashReport, log: Callable[[str], None]) -> None:
    """The kill window: whole trials without the kill, so that the disk is as busy
    (write-back of the previous trial's files) as in the real ones."""
    timings = []
    for n in range(5):
        problems, outcome = setup.run(None)
        if problems or outcome["state"] != "B" or not outcome["finished"]:
            raise SystemExit(f"unkilled sync {n} did not reach state B: {problems}")
        timings.append((outcome["seconds"], outcome["published"]))
    report.sync_seconds = statistics.median(t for t, _ in timings)
    report.publish_seconds = statistics.median(p for _, p in timings)
    log(
        f"crash: state A {len(setup.state_a)} passages, B {len(setup.state_b)}; change "
        f"{report.change}; unkilled sync (publish at, s) "
        f"{', '.join(f'{t:.2f} ({p:.2f})' for t, p in timings)}"
    )


def _kill_trials(
    setup: _Setup, report: CrashReport, trials: int, log: Callable[[str], None]
) -> None:
    """``trials`` syncs killed at seeded random moments of the window, counted in ``report``."""
    rng = random.Random(setup.seed)
    for n in range(trials):
        delay = rng.uniform(0.0, report.sync_seconds)
        problems, outcome = setup.run(delay)
        report.killed += outcome["killed"]
        report.finished_first += outcome["finished"]
        report.ended_a += outcome["state"] == "A"
        report.ended_b += outcome["state"] == "B"
        if outcome["state"] == "A":
            report.last_a = max(report.last_a, delay)
        elif outcome["state"] == "B":
            report.first_b = min(report.first_b or delay, delay)
        if problems:
            report.failures.append(f"trial {n} (kill after {delay:.3f} s): " + "; ".join(problems))
            log(f"crash: trial {n} FAILED: {report.failures[-1]}")
        if (n + 1) % 20 == 0 or n + 1 == trials:
            log(
                f"crash: {n + 1}/{trials} trials, {report.ended_a} in A, {report.ended_b} in B, "
                f"{len(report.failures)} failures"
            )


def _spawn(docs: Path, index_dir: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(docs), str(index_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    if proc.stdout is None or proc.stdout.readline().strip() != "go":
        proc.kill()
        raise SystemExit(f"crash child did not start: {proc.communicate()[1][-2000:]}")
    return proc


def _trial(
    docs: Path, index_dir: Path, config: IndexConfig, delay: float | None, a: State, b: State
) -> tuple[list[str], dict[str, Any]]:
    """One kill (none when ``delay`` is None) and the checks after it: (problems, outcome)."""
    proc = _spawn(docs, index_dir)
    if delay is not None:
        time.sleep(delay)
        proc.kill()
    out, err = proc.communicate(timeout=120)
    said = dict(line.split(" ", 1) for line in out.splitlines() if " " in line)
    problems: list[str] = []
    if proc.returncode not in (0, -9):
        problems.append(f"child exited {proc.returncode}: {err[-1000:]}")
    state: State | None = None
    try:
        state = passages_of(index_dir)
    except Exception as exc:
        problems.append(f"open_snapshot failed: {exc!r}")
    try:
        retriever = qa.Retriever(index_dir)
        if not retriever.retrieve(QUESTION, k=3):
            problems.append("retrieve returned nothing")
        retriever.snapshot().close()
    except Exception as exc:
        problems.append(f"Retriever failed: {exc!r}")
    label = "A" if state == a else "B" if state == b else "?"
    if state is not None and label == "?":
        problems.append(
            f"mixed state: {len(state)} passages, {len(state - a)} not in A, {len(a - state)} of A "
            f"missing, {len(state - b)} not in B, {len(b - state)} of B missing"
        )
    try:
        build_index(docs, config)
        if passages_of(index_dir) != b:
            problems.append("sync after the kill did not reach state B")
        left = sorted(p.name for p in (index_dir / "generations").iterdir())
        if len(left) > 2:
            problems.append(f"{len(left)} generation folders left: {left}")
    except Exception as exc:
        problems.append(f"sync after the kill failed: {exc!r}")
    outcome = {
        "killed": proc.returncode == -9,
        "finished": "done" in said,
        "state": label,
        "seconds": float(said.get("done", "nan")),
        "published": float(said.get("published", "nan")),
    }
    return problems, outcome


def passages_of(index_dir: Path) -> State:
    snap = open_snapshot(index_dir)
    try:
        return frozenset((p.source, p.text) for p in snap.all_passages())
    finally:
        snap.close()
