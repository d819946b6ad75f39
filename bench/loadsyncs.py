"""Syncs that run while the load bench (``bench/load.py``) measures: the app's own background
sync, or ``docqa index`` back to back in another process, and what they did in a window."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from common import REPO, log
from loadclients import cpu_seconds, run_clients

if TYPE_CHECKING:
    from load import Server

__all__ = ["CliSyncs", "sync_phase", "syncs_in", "wait_for_sync_start"]


class CliSyncs:
    """``docqa index DOCS --index IDX`` back to back on a rewritten folder, in a thread."""

    def __init__(self, docs: Path, index: Path, log_path: Path) -> None:
        sys.path.insert(0, str(REPO / "bench"))
        from loadserver import TEXT_SUFFIXES, mark_docs

        self._mark = mark_docs
        self.originals = {
            p: p.read_text(encoding="utf-8")
            for p in sorted(docs.rglob("*"))
            if p.suffix.lower() in TEXT_SUFFIXES and p.is_file()
        }
        self.docs, self.index, self.log_path = docs, index, log_path
        self.stop = threading.Event()
        self.pid = 0
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        n = 1000
        while not self.stop.is_set():
            n += 1
            self._mark(self.docs, self.originals, n)
            started = time.time()
            env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1"}
            cmd = [sys.executable, "-m", "qa.cli", "index", str(self.docs)]
            cmd += ["--index", str(self.index), "--json"]
            with (self.log_path.parent / "index.log").open("a") as err:
                proc = subprocess.Popen(
                    cmd, env=env, cwd=REPO, text=True, stdout=subprocess.PIPE, stderr=err
                )
            self.pid = proc.pid
            assert proc.stdout is not None
            stdout = proc.stdout.read()
            _, _, usage = os.wait4(proc.pid, 0)  # reaps it, with its CPU time
            proc.returncode = 0
            try:
                embedded = json.loads(stdout).get("embedded", 0)
            except json.JSONDecodeError:
                embedded = -1
            cpu = usage.ru_utime + usage.ru_stime
            entry = {"start": started, "end": time.time(), "embedded": embedded, "cpu": cpu}
            with self.log_path.open("a", encoding="utf-8") as f:
                f.write(json.dumps(entry) + "\n")


def syncs_in(log_path: Path, t0: float, seconds: float) -> tuple[int, int, float | None]:
    """Syncs that ended inside the window, the passages they embedded, and the CPU seconds the
    sync processes spent in it (their CPU spread evenly over their run; None: not logged)."""
    if not log_path.exists():
        return 0, 0, None
    entries = [json.loads(line) for line in log_path.read_text().splitlines() if line]
    inside = [e for e in entries if t0 <= e["end"] <= t0 + seconds]
    cpu = None
    if any("cpu" in e for e in entries):
        cpu = 0.0
        for e in entries:
            overlap = min(e["end"], t0 + seconds) - max(e["start"], t0)
            if overlap > 0:
                cpu += e["cpu"] * overlap / max(e["end"] - e["start"], 1e-9)
    return len(inside), sum(max(0, e["embedded"]) for e in inside), cpu


def _logged_after(log_path: Path, t: float) -> bool:
    if not log_path.exists():
        return False
    return any(json.loads(line)["end"] >= t for line in log_path.read_text().splitlines() if line)


def wait_for_sync_start(log_path: Path, pid_of: Callable[[], int], timeout: float = 60) -> None:
    """Until the sync process has burnt some CPU (it is embedding, not starting up)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        pid = pid_of()
        if pid and cpu_seconds(pid) > 8:
            return
        time.sleep(0.5)


def sync_phase(
    args: argparse.Namespace,
    server: Server,
    kinds: list[str],
    questions: list[str],
    docs: Path,
    index: Path,
    control: Path,
) -> list[dict[str, Any]]:
    log_path = control / "syncs.jsonl"
    cli_syncs = None
    if args.sync == "app":
        (control / "sync-on").touch()
        watch = {"server": server.proc.pid}
        time.sleep(3)  # the first sync is reading files and embedding by then
    else:
        cli_syncs = CliSyncs(docs, index, log_path)
        cli_syncs.thread.start()
        wait_for_sync_start(log_path, lambda: cli_syncs.pid)
        watch = {"server": server.proc.pid}
    rows = []
    try:
        for kind in kinds:
            log(f"during {args.sync} syncs, {kind} clients, {args.seconds:.0f} s ...")
            r = run_clients(kind, server.url, questions, clients=args.clients, procs=args.procs,
                            seconds=args.seconds, k=args.k, watch=watch)  # fmt: skip
            if cli_syncs is not None:  # the syncs still running are logged when they end
                while not cli_syncs.stop.is_set() and not _logged_after(
                    log_path, r["t0"] + args.seconds
                ):
                    time.sleep(0.5)
            n, embedded, cpu = syncs_in(log_path, r["t0"], args.seconds)
            if cpu is not None:
                r["cpu_pct"]["sync"] = round(100 * cpu / args.seconds)
            rows.append({"phase": f"{args.sync} sync", "client": kind, **r, "syncs": (n, embedded)})
    finally:
        (control / "sync-on").unlink(missing_ok=True)
        if cli_syncs is not None:
            cli_syncs.stop.set()
            cli_syncs.thread.join(600)
        else:
            time.sleep(1)
    return rows
