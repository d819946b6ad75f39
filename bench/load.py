"""Throughput of the chat app's ``/retrieve`` API under concurrent clients, idle and during a sync.

    HF_HUB_OFFLINE=1 python bench/load.py [DOCS] [--seconds 60] [--clients 16] [--procs 4]
        [--client gradio|gradio-noverify|httpx|all ...] [--sync app|cli|none]
        [--questions FILE] [--server-env NAME=VALUE ...] [--url URL] [--json OUT]

DOCS (default: docqa's own ``docs/`` guide) is mirrored to the work dir (``--work``, default
``bench/.cache/load``, gitignored) and indexed there with the real default model (``--model``).
The app is served from that index by ``bench/loadserver.py`` (``docqa serve --index IDX
--port P`` in a subprocess, on 127.0.0.1 and a free port). ``--clients`` clients, spread over
``--procs`` processes (threads inside each), each ask questions from ``--questions`` (default
``bench/guide/questions.jsonl``, round robin, each client from its own offset) back to back
for ``--seconds``, after one warm-up question each that is not counted. ``--url`` measures an
app already running instead (idle only).

Clients (``--client``, repeatable; default ``gradio``):
- ``gradio``: one ``gradio_client.Client(url)`` per client, ``predict(q, k, "hybrid",
  api_name="/retrieve")``: the issue's measure. It costs the client ~65 ms of CPU a question:
  gradio_client opens a new ``httpx.Client`` for each request it sends (two per question), and
  each loads the CA bundle into a new SSL context. On a 2-core box that runs the clients too,
  that alone caps the rate near 2 cores / 65 ms = 30 questions/s, whatever the server does.
- ``gradio-noverify``: the same with ``Client(url, ssl_verify=False)``, which skips loading the
  CA bundle (the address is plain HTTP, so nothing else changes): ~6 ms of CPU a question.
- ``httpx``: one ``httpx.Client`` per client, ``POST /gradio_api/call/retrieve`` and read the
  event's SSE stream: the same queue without gradio_client.

Phases: ``idle``, then a sync (unless ``--sync none``): ``app`` keeps the app's own
BackgroundSync (what "Sync now" starts) busy for the whole window, re-embedding the rewritten
documents folder sync after sync; ``cli`` runs ``docqa index`` on the served index in another
process, back to back, on the same rewritten folder. Reported per phase and client:
questions/s (answers completed in the window / window), errors, p50/p90/p99/max latency, CPU
used in the window (100% = one core) by the server, the clients, the ``docqa index`` processes
and everything else on the machine ("other": other programs; numbers taken while other
programs are busy are not comparable), and syncs finished / passages embedded in the window.
``--server-env`` passes variables to the server (see ``bench/loadserver.py`` for experiments).

The clients and the summary of a window are in ``bench/loadclients.py``, the syncs measured
against in ``bench/loadsyncs.py``; this file serves the index, runs the phases and reports.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from common import REPO, log
from loadclients import CLIENTS, run_clients
from loadsyncs import sync_phase

from index import DEFAULT_MODEL

DEFAULT_WORK = REPO / "bench" / ".cache" / "load"
DEFAULT_QUESTIONS = REPO / "bench" / "guide" / "questions.jsonl"


def mirror(src: Path, dst: Path) -> None:
    """Make ``dst`` a copy of ``src``, rewriting only files whose bytes differ."""
    dst.mkdir(parents=True, exist_ok=True)
    wanted = {p.relative_to(src) for p in src.rglob("*") if p.is_file()}
    for p in sorted(dst.rglob("*"), reverse=True):
        rel = p.relative_to(dst)
        if p.is_file() and rel not in wanted:
            p.unlink()
    for rel in wanted:
        data = (src / rel).read_bytes()
        out = dst / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        if not out.exists() or out.read_bytes() != data:
            out.write_bytes(data)


def docqa(*args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "qa.cli", *args], env=env, cwd=REPO, text=True, **kwargs
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """The app in a subprocess; ``control`` is the loadserver's folder (``sync-on`` etc.)."""

    def __init__(self, index: Path, control: Path, env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.control = control
        for name in ("sync-on", "syncs.jsonl"):
            (control / name).unlink(missing_ok=True)
        cmd = [sys.executable, str(REPO / "bench" / "loadserver.py"), "--control", str(control)]
        cmd += ["--", "serve", "--index", str(index), "--port", str(self.port)]
        full_env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1", **env}
        self.log = (control / "server.log").open("w")
        self.proc = subprocess.Popen(cmd, env=full_env, stdout=self.log, stderr=subprocess.STDOUT)

    def wait_ready(self, timeout: float = 180) -> None:
        import httpx

        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"server exited; see {self.control / 'server.log'}")
            try:
                if httpx.get(self.url + "config", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise SystemExit("server did not start in time")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


# ---- main --------------------------------------------------------------------------------


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("docs", nargs="?", type=Path, default=REPO / "docs")
    parser.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS)
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--procs", type=int, default=4, help="client processes (threads inside)")
    parser.add_argument(
        "--client",
        action="append",
        choices=[*CLIENTS, "all"],
        help="client kind(s); default gradio",
    )
    parser.add_argument("--sync", choices=["app", "cli", "none"], default="app")
    parser.add_argument("-k", type=int, default=5)
    parser.add_argument("--server-env", action="append", default=[], metavar="NAME=VALUE")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--url", help="measure this running app instead (idle phase only)")
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    questions = [
        json.loads(line)["question"]
        for line in args.questions.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    kinds = list(CLIENTS) if "all" in (args.client or []) else args.client or ["gradio"]
    if args.url:
        url = args.url.rstrip("/") + "/"
        rows = [
            {"phase": "idle", "client": kind, "syncs": (0, 0),
             **run_clients(kind, url, questions, clients=args.clients, procs=args.procs,
                           seconds=args.seconds, k=args.k, watch={})}
            for kind in kinds
        ]  # fmt: skip
        print_table(rows, args)
        return
    rows = measure_served(args, kinds, questions)
    print_table(rows, args)
    if args.json:
        args.json.write_text(json.dumps({"args": vars(args), "rows": rows}, default=str, indent=1))


def measure_served(
    args: argparse.Namespace, kinds: list[str], questions: list[str]
) -> list[dict[str, Any]]:
    """Index the mirrored folder, serve it, and measure idle and (unless ``--sync none``)
    during syncs: one row per phase and client kind."""
    work = args.work.resolve()
    docs, index, control = work / "docs", work / "index", work / "control"
    control.mkdir(parents=True, exist_ok=True)
    mirror(args.docs.resolve(), docs)
    log(f"indexing {docs} with {args.model} ...")
    built = docqa("index", str(docs), "--index", str(index), "--model", args.model, "--json",
                  capture_output=True)  # fmt: skip
    if built.returncode != 0:
        raise SystemExit(built.stderr)
    log(f"index ready: {json.loads(built.stdout).get('passages')} passages")

    server_env = dict(item.split("=", 1) for item in args.server_env)
    server = Server(index, control, server_env)
    rows: list[dict[str, Any]] = []
    try:
        server.wait_ready()
        log(f"serving on {server.url}")
        for kind in kinds:
            log(f"idle, {kind} clients, {args.seconds:.0f} s ...")
            r = run_clients(kind, server.url, questions, clients=args.clients, procs=args.procs,
                            seconds=args.seconds, k=args.k, watch={"server": server.proc.pid})  # fmt: skip
            rows.append({"phase": "idle", "client": kind, **r, "syncs": (0, 0)})
        if args.sync != "none":
            rows += sync_phase(args, server, kinds, questions, docs, index, control)
    finally:
        server.stop()
        mirror(args.docs.resolve(), docs)  # leave the copy as the source, for the next run
    return rows


def print_table(rows: list[dict[str, Any]], args: argparse.Namespace) -> None:
    head = "| phase | client | q/s | errors | p50 s | p90 s | p99 s | max s | server CPU | client CPU | sync CPU | other CPU | syncs (passages) |"
    print(f"\n{args.clients} clients in {args.procs} processes, {args.seconds:.0f} s per row, "
          f"{os.cpu_count()} cores (CPU: 100% = one core)\n")  # fmt: skip
    print(head)
    print("|---" * (head.count("|") - 1) + "|")
    for r in rows:
        cpu = r["cpu_pct"]
        sync_cpu = cpu.get("sync")
        other = cpu["machine"] - cpu.get("server", 0) - r["client_cpu_pct"] - (sync_cpu or 0)
        print(
            f"| {r['phase']} | {r['client']} | {r['questions_per_s']} | {r['errors']} | "
            f"{r['p50']} | {r['p90']} | {r['p99']} | {r['max']} | {cpu.get('server', '?')}% | "
            f"{r['client_cpu_pct']}% | {'' if sync_cpu is None else f'{sync_cpu}%'} | {other}% | "
            f"{r['syncs'][0]} ({r['syncs'][1]}) |"
        )
    for r in rows:
        for e in r["error_examples"]:
            print(f"error ({r['phase']}, {r['client']}): {e}")
    load = os.getloadavg()
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, text=True,
                            capture_output=True).stdout.strip()  # fmt: skip
    print(f"\ndocqa {commit}; load average {load[0]:.1f}")


if __name__ == "__main__":
    main()
