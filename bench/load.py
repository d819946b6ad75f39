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
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import resource
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common import REPO, log

from index import DEFAULT_MODEL

DEFAULT_WORK = REPO / "bench" / ".cache" / "load"
DEFAULT_QUESTIONS = REPO / "bench" / "guide" / "questions.jsonl"
TICK = os.sysconf("SC_CLK_TCK")


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


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its waited-for children."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return sum(int(f) for f in fields[11:15]) / TICK


def machine_busy_seconds() -> float:
    """CPU seconds all cores have spent busy since boot (``/proc/stat``, idle and iowait excluded)."""
    fields = [int(f) for f in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(fields[:8]) - fields[3] - fields[4]) / TICK


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


# ---- clients (run in worker processes) ---------------------------------------------------


def _gradio_asker(url: str, **options: Any) -> Callable[[str, int, str], Any]:
    from gradio_client import Client

    client = Client(url, verbose=False, **options)
    return lambda q, k, mode: client.predict(q, k, mode, api_name="/retrieve")


def _gradio_noverify_asker(url: str) -> Callable[[str, int, str], Any]:
    # gradio_client makes a new httpx.Client for each request it sends (two per question),
    # and each one loads the CA bundle into a new SSL context: ~60 ms of CPU per question on
    # this box, for a plain-HTTP address that never uses it. ssl_verify=False skips the load.
    return _gradio_asker(url, ssl_verify=False)


def _httpx_asker(url: str) -> Callable[[str, int, str], Any]:
    import httpx

    http = httpx.Client(base_url=url + "gradio_api/", timeout=60)

    def ask(q: str, k: int, mode: str) -> Any:
        r = http.post("call/retrieve", json={"data": [q, k, mode]})
        r.raise_for_status()
        event = r.json()["event_id"]
        kind = None
        with http.stream("GET", f"call/retrieve/{event}") as s:
            for line in s.iter_lines():
                if line.startswith("event:"):
                    kind = line[6:].strip()
                elif line.startswith("data:") and kind in ("complete", "error"):
                    data = json.loads(line[5:])
                    if kind == "error":
                        raise RuntimeError(f"server error: {data}")
                    return data[0]
        raise RuntimeError("stream ended without a result")

    return ask


CLIENTS = {
    "gradio": _gradio_asker,
    "gradio-noverify": _gradio_noverify_asker,
    "httpx": _httpx_asker,
}


def client_process(
    kind: str,
    url: str,
    ids: list[int],
    questions: list[str],
    k: int,
    ready: Any,
    start: Any,
    seconds: float,
    out: Any,
) -> None:
    """``len(ids)`` clients in threads; puts (records, cpu seconds in the window) on ``out``."""
    make = CLIENTS[kind]
    records: list[tuple[float, float, str | None]] = []  # (started, latency, error)
    lock = threading.Lock()
    go = threading.Event()
    window: list[float] = []

    def run(cid: int) -> None:
        ask = make(url)
        ask(questions[cid % len(questions)], k, "hybrid")  # warm-up, not counted
        ready.put(cid)
        go.wait()
        t0, end = window
        i = cid * 7
        while (began := time.time()) < end:
            q = questions[i % len(questions)]
            i += 1
            error = None
            try:
                got = ask(q, k, "hybrid")
                if not isinstance(got, list) or not got:
                    error = f"bad result: {str(got)[:80]}"
            except Exception as exc:
                error = f"{type(exc).__name__}: {str(exc)[:120]}"
            with lock:
                records.append((began - t0, time.time() - began, error))

    threads = [threading.Thread(target=run, args=(cid,), daemon=True) for cid in ids]
    for t in threads:
        t.start()
    t0 = start.get()
    window[:] = [t0, t0 + seconds]
    time.sleep(max(0.0, t0 - time.time()))
    go.set()
    before = resource.getrusage(resource.RUSAGE_SELF)
    time.sleep(max(0.0, t0 + seconds - time.time()))
    after = resource.getrusage(resource.RUSAGE_SELF)
    for t in threads:
        t.join(120)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    out.put((records, cpu))


def run_clients(
    kind: str,
    url: str,
    questions: list[str],
    *,
    clients: int,
    procs: int,
    seconds: float,
    k: int,
    watch: dict[str, int],
) -> dict[str, Any]:
    """Run the clients for one window; the measurements, with CPU of the ``watch`` pids."""
    ctx = mp.get_context("spawn")
    ready, out = ctx.Queue(), ctx.Queue()
    starts = [ctx.Queue() for _ in range(procs)]
    groups = [list(range(clients))[p::procs] for p in range(procs)]
    workers = [
        ctx.Process(
            target=client_process,
            args=(kind, url, g, questions, k, ready, s, seconds, out),
            daemon=True,
        )
        for g, s in zip(groups, starts, strict=True)
        if g
    ]
    for w in workers:
        w.start()
    for _ in range(clients):
        ready.get(timeout=300)
    t0 = time.time() + 0.5
    for s in starts:
        s.put(t0)
    time.sleep(max(0.0, t0 - time.time()))
    cpu0 = {name: cpu_seconds(pid) for name, pid in watch.items()}
    cpu0["machine"] = machine_busy_seconds()
    time.sleep(max(0.0, t0 + seconds - time.time()))
    cpu1 = {name: cpu_seconds(pid) for name, pid in watch.items()}
    cpu1["machine"] = machine_busy_seconds()
    records: list[tuple[float, float, str | None]] = []
    client_cpu = 0.0
    for _ in workers:
        got, cpu = out.get(timeout=300)
        records += got
        client_cpu += cpu
    for w in workers:
        w.join(30)
    return summarize(records, seconds, client_cpu, {n: cpu1[n] - cpu0[n] for n in cpu0}, t0)


def summarize(
    records: list[tuple[float, float, str | None]],
    seconds: float,
    client_cpu: float,
    cpu: dict[str, float],
    t0: float,
) -> dict[str, Any]:
    done = [(s, lat) for s, lat, err in records if err is None and s + lat <= seconds]
    lat = sorted(lat for _, lat in done)
    errors = [err for _, _, err in records if err is not None]

    def pct(p: float) -> float:
        return round(lat[min(len(lat) - 1, int(p * len(lat)))], 3) if lat else float("nan")

    return {
        "t0": t0,
        "questions_per_s": round(len(done) / seconds, 1),
        "answered": len(done),
        "errors": len(errors),
        "error_examples": sorted(set(errors))[:3],
        "p50": round(statistics.median(lat), 3) if lat else float("nan"),
        "p90": pct(0.90),
        "p99": pct(0.99),
        "max": round(lat[-1], 3) if lat else float("nan"),
        "cpu_pct": {n: round(100 * c / seconds) for n, c in cpu.items()},
        "client_cpu_pct": round(100 * client_cpu / seconds),
    }


# ---- syncs -------------------------------------------------------------------------------


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


# ---- main --------------------------------------------------------------------------------


def main() -> None:
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
    args = parser.parse_args()

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
    print_table(rows, args)
    if args.json:
        args.json.write_text(json.dumps({"args": vars(args), "rows": rows}, default=str, indent=1))


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
