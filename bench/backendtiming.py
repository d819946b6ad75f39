"""Timing for ``bench/backends.py``: runs interleaved round by round (so that other load on the
machine falls on each alike), speeds relative to raw fp32, and one question's encode latency."""

from __future__ import annotations

import os
import time
from typing import Any

import numpy as np
from common import log

__all__ = ["interleaved", "latencies", "speeds"]


def interleaved(
    runs: dict[str, Any], rounds: int
) -> tuple[dict[str, list[float]], dict[str, list[float]], list[float]]:
    """Each run once to warm up, then ``rounds`` rounds of all of them in turn: wall and CPU
    seconds of each run per round, and the load average after each."""
    for fn in runs.values():  # warm-up: first-call costs (allocations, OpenVINO compile)
        fn()
    seconds: dict[str, list[float]] = {name: [] for name in runs}
    cpu: dict[str, list[float]] = {name: [] for name in runs}
    loads = []
    for r in range(rounds):
        for name, fn in runs.items():
            started, used = time.perf_counter(), time.process_time()
            fn()
            seconds[name].append(round(time.perf_counter() - started, 2))
            cpu[name].append(round(time.process_time() - used, 2))
            loads.append(round(os.getloadavg()[0], 2))
            log(
                f"round {r + 1}: {name} {seconds[name][-1]} s, cpu {cpu[name][-1]} s (load {loads[-1]})"
            )
    return seconds, cpu, loads


def speeds(seconds: dict[str, list[float]], cpu: dict[str, list[float]]) -> dict[str, Any]:
    """The throughput figures: seconds, and each docqa run's speed relative to raw fp32."""
    best = {name: min(s) for name, s in seconds.items()}
    return {
        "seconds": seconds,
        "best_seconds": best,
        "speed_vs_raw_fp32": {
            name: round(best["raw_fp32"] / s, 2) for name, s in best.items() if name != "raw_fp32"
        },
        # Per round, raw / docqa, and the median: load from other processes comes and goes.
        "speed_vs_raw_fp32_per_round": {
            name: [round(a / b, 2) for a, b in zip(seconds["raw_fp32"], s, strict=True)]
            for name, s in seconds.items()
            if name != "raw_fp32"
        },
        "cpu_seconds": cpu,
        "cpu_speed_vs_raw_fp32": {
            name: round(min(cpu["raw_fp32"]) / min(c), 2)
            for name, c in cpu.items()
            if name != "raw_fp32"
        },
    }


def latencies(ways: dict[str, Any], questions: list[str]) -> dict[str, dict[str, float]]:
    """p50 and p99 ms of one question's encode by each way, over two interleaved rounds."""
    out: dict[str, dict[str, list[float]]] = {}
    for _ in range(2):  # rounds interleaved
        for name, fn in ways.items():
            times = []
            for q in questions:
                started = time.perf_counter()
                fn(q)
                times.append(time.perf_counter() - started)
            prev = out.get(name, {}).get("_all", [])
            out[name] = {"_all": prev + times}
    return {
        name: {
            "p50_ms": round(float(np.percentile(v["_all"], 50)) * 1e3, 2),
            "p99_ms": round(float(np.percentile(v["_all"], 99)) * 1e3, 2),
            "load": round(os.getloadavg()[0], 2),
        }
        for name, v in out.items()
    }
