"""The load bench's clients (``bench/load.py``): askers over gradio_client or httpx, run in
threads of worker processes for one measured window, and that window's summary.

Worker processes are spawned: they import this module, not ``load.py``, so it stays light.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import resource
import statistics
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = ["CLIENTS", "cpu_seconds", "machine_busy_seconds", "run_clients", "summarize"]

TICK = os.sysconf("SC_CLK_TCK")


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
