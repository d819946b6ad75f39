"""The tables ``bench/sync.py`` prints: one Markdown table per part (measure, value, goal),
each closed by the docqa commit measured and the machine's load."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import index

__all__ = ["Row", "crash_rows", "docqa_commit", "edit_rows", "load_note", "noop_rows", "table"]

Row = tuple[str, str, str]  # measure, value, goal


def docqa_commit() -> str:
    """The commit of the docqa checkout imported, marked when index/ or qa/ have uncommitted
    changes, and its folder (run with PYTHONPATH=a clone to measure a frozen commit)."""
    where = Path(index.__file__).resolve().parent.parent
    git = ["git", "-C", str(where)]
    head = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    dirty = subprocess.run(
        [*git, "status", "--porcelain", "index", "qa"], capture_output=True, text=True
    )
    changed = " + uncommitted changes" if dirty.stdout.strip() else ""
    return f"{head.stdout.strip()}{changed} at {where}"


def load_note(commit_at_start: str) -> str:
    """Machine load now and the docqa code measured (others may be working in the same checkout)."""
    one, five, fifteen = os.getloadavg()
    now = docqa_commit()
    code = now if now == commit_at_start else f"{commit_at_start} at start, {now} at end"
    return (
        f"docqa {code}; load average {one:.1f} {five:.1f} {fifteen:.1f} on {os.cpu_count()} cores"
    )


def noop_rows(r: dict[str, Any]) -> list[Row]:
    ok = "met" if r["sync_median"] <= 1.0 else "MISSED"
    return [
        ("files / passages", f"{r['files']:,} / {r['passages']:,}", ""),
        ("model (initial build only)", r["model"], ""),
        ("initial build, in-process", f"{r['build_seconds']:.1f} s", ""),
        ("no-op sync in-process, median of 5", f"{r['sync_median']:.3f} s", f"<= 1 s: {ok}"),
        ("no-op sync in-process, max of 5", f"{r['sync_max']:.3f} s", ""),
        ("walk_folder alone, median of 5", f"{r['walk_median']:.3f} s", ""),
        (
            "CLI `docqa index DIR --index IDX --json`, wall, median of 5",
            f"{r['cli_median']:.2f} s",
            "",
        ),
        ("CLI same, wall, max of 5", f"{r['cli_max']:.2f} s", ""),
        ("CLI `docqa --version`, wall (start-up + imports only)", f"{r['cli_startup']:.2f} s", ""),
        ("model loaded or called by a no-op sync", "never (checked)", ""),
    ]


def edit_rows(r: dict[str, Any]) -> list[Row]:
    return [
        ("model", r["model"], ""),
        ("files / passages", f"{r['files']:,} / {r['passages']:,}", ""),
        ("model load, in-process (once)", f"{r['load_seconds']:.1f} s", ""),
        ("full build, in-process, model loaded", f"{r['full_seconds']:.1f} s", ""),
        ("  of which listing and hashing the files", f"{r['chunk_seconds']:.1f} s", ""),
        (
            "edited",
            f"{r['edited']} ¶{r['edited_paragraph']} ({r['edited_parts']} passage(s)), 3 words",
            "",
        ),
        ("sync after the edit, in-process (app's Sync now)", f"{r['sync_seconds']:.2f} s", ""),
        (
            "sync / full build",
            f"{r['ratio']:.4f}",
            "<= 0.01: " + ("met" if r["ratio"] <= 0.01 else "MISSED"),
        ),
        (
            "summary.embedded",
            str(r["embedded"]),
            "1-2: " + ("met" if 1 <= r["embedded"] <= 2 else "MISSED"),
        ),
        (
            "CLI `docqa index` after a 2nd edit, wall (start-up, imports, model load, sync)",
            f"{r['cli_seconds']:.1f} s",
            "",
        ),
        ("  of which the CLI's own summary.seconds", f"{r['cli_summary_seconds']:.1f} s", ""),
        ("  embedded by the CLI sync", str(r["cli_embedded"]), ""),
        ("CLI no-op sync after it, wall", f"{r['cli_noop_seconds']:.2f} s", ""),
    ]


def crash_rows(r: dict[str, Any]) -> list[Row]:
    c = r["change"]
    return [
        (
            "state A / B",
            f"{r['files_a']} files, {r['passages_a']} / {r['passages_b']} passages",
            "",
        ),
        (
            "change A -> B",
            f"{c['edited']} edited, {c['deleted']} deleted, {c['renamed']} renamed, {c['added']} added",
            "",
        ),
        ("unkilled sync (kill window), median of 5", f"{r['sync_seconds']:.3f} s", ""),
        ("  publish (CURRENT replaced) at, median of 5", f"{r['publish_seconds']:.3f} s", ""),
        ("trials", str(r["trials"]), ">= 200"),
        ("failures", str(len(r["failures"])), "0: " + ("met" if not r["failures"] else "MISSED")),
        ("ended in state A (killed before publish)", str(r["ended_a"]), ""),
        ("ended in state B (killed after publish or finished)", str(r["ended_b"]), ""),
        (
            "publish moment: latest kill leaving A / earliest leaving B",
            f"{r['last_a']:.3f} s / " + (f"{r['first_b']:.3f} s" if r["first_b"] else "none"),
            "",
        ),
        (
            "child died by SIGKILL / had finished the sync first",
            f"{r['killed']} / {r['finished_first']}",
            "",
        ),
    ]


def table(title: str, rows: list[Row], note: str) -> str:
    lines = [f"### {title}", "", "| measure | value | goal |", "|---|---|---|"]
    lines += [f"| {m} | {v} | {g} |" for m, v, g in rows]
    return "\n".join([*lines, "", note, ""])
