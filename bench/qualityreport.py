"""The Markdown ``bench/quality.py`` prints: a row of scores per ranking mode (realdocs per
corpus, SQuAD, SciFact, latency), then what each corpus's index holds."""

from __future__ import annotations

from typing import Any

import common  # noqa: F401 - puts this checkout first on sys.path, before index is imported

from index import model_name

__all__ = ["markdown"]


def markdown(model: str, runs: dict[str, dict[str, dict[str, Any]]]) -> str:
    """One table: a row per mode, realdocs (per corpus), SQuAD, SciFact and latency columns."""
    modes = list(runs)
    first = runs[modes[0]]
    lines = _scores(model, runs)
    lines += _corpora(first)
    sq = first.get("squad")
    if sq:
        lines.append(
            f"\nSQuAD ({modes[0]}): {sq['questions_on_split_paragraphs']} questions ask about a split paragraph, "
            f"R@1 {sq['R@1_on_split_paragraphs']:.3f} (whole paragraphs {sq['R@1_on_whole_paragraphs']:.3f}); "
            f"{sq['rank1_misses_same_article']:.0%} of rank-1 misses are a sibling paragraph."
        )
    if any("scifact" in r for r in runs.values()):
        lines.append(
            "Latency: one `retrieve(q, k=5)` per SciFact claim on the SciFact index (10k passages), "
            "after 10 warm-up questions: query encode, search, fusion, answer line, confidence."
        )
    return "\n".join(lines)


def _cell(d: dict[str, Any] | None, key: str) -> str:
    return f"{d[key]:.3f}" if d and key in d else "–"


def _scores(model: str, runs: dict[str, dict[str, dict[str, Any]]]) -> list[str]:
    """The title and the scores table: a row per mode."""
    corpora = list(dict.fromkeys(c for r in runs.values() for c in r.get("realdocs", {})))
    head = ["mode"]
    for c in corpora:
        head += [f"{c} R@1", "R@5", "R@20", "MRR@10"]
    head += ["SQuAD R@1", "R@5", "R@20", "MRR@10", "SciFact nDCG@10", "R@100", "p50 ms", "p99 ms"]
    lines = [
        f"docqa ({model_name(model)}), files → index → Retriever",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    for mode, r in runs.items():
        row = [mode]
        for c in corpora:
            rd = r.get("realdocs", {}).get(c)
            row += [_cell(rd, k) for k in ("R@1", "R@5", "R@20", "MRR@10")]
        sq, sf = r.get("squad"), r.get("scifact")
        row += [_cell(sq, k) for k in ("R@1", "R@5", "R@20", "MRR@10")]
        row += [_cell(sf, "nDCG@10"), _cell(sf, "R@100")]
        row += [
            str(sf["retrieve_ms_p50"]) if sf else "–",
            str(sf["retrieve_ms_p99"]) if sf else "–",
        ]
        lines.append("| " + " | ".join(row) + " |")
    return lines


def _corpora(first: dict[str, Any]) -> list[str]:
    """What each corpus's index holds (from the first mode's run: they share the index)."""
    lines = [
        "",
        "| corpus | files | paragraphs | split paragraphs | joined passages | passages | embedded | build s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for task in ("squad", "scifact"):
        d = first.get(task)
        if d:
            lines.append(
                f"| {task} | {d['files']} | {d['units']} | {d['split_units']} (max {d['max_parts']} parts) | "
                f"{d['joined_passages']} | {d['passages']} | {d['embedded']} | {d['build_seconds']} |"
            )
    for c, d in first.get("realdocs", {}).items():
        info = d["index"]
        lines.append(
            f"| {c} | – | – | – | {info['joined']} | {info['passages']} | {info['embedded']} | {info['build_seconds']} |"
        )
    return lines
