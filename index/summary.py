"""What a build or sync reports: the BuildSummary behind ``docqa index --json``."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import IndexNotFoundError, IndexPointerError
from .generations import current_generation
from .manifest import FileEntry
from .plan import SyncPlan
from .skips import SkipCode, Skipped

__all__ = ["BuildSummary", "Report", "skipped_report"]


@dataclass(frozen=True)
class BuildSummary:
    """What a build or sync did (or, with ``dry_run``, would do).

    ``embedded`` is the exact number of passages sent to the model; ``removed`` the number of
    passages that left the index. ``changes`` lists the paths behind the ``files_*`` counts.
    """

    files_indexed: int
    files_skipped: list[dict[str, Any]]  # path, code, reason (and "indexed": true if degraded)
    passages: int
    embedded: int
    seconds: float
    files_added: int = 0
    files_changed: int = 0
    files_removed: int = 0
    files_renamed: int = 0
    removed: int = 0
    reused: int = 0
    files_degraded: list[dict[str, str]] = field(default_factory=list)
    changes: dict[str, list[Any]] = field(default_factory=dict)
    dry_run: bool = False
    published: bool = False
    index_dir: str = ""
    generation: str = ""
    model: str = ""
    repaired: str = ""  # a damaged CURRENT the sync repaired first, and how; "" if none


class Report:
    """Turns a plan and its outcome into the BuildSummary the CLI prints."""

    def __init__(self, index_dir: Path, model: str, started: float) -> None:
        self.index_dir, self.model, self.started = index_dir, model, started

    def __call__(
        self,
        plan: SyncPlan,
        files: dict[str, FileEntry],
        passages: int,
        embedded: int,
        removed: int,
        *,
        dry_run: bool = False,
        generation: str = "",
    ) -> BuildSummary:
        degraded = {k: e.warning for k, e in files.items() if e.warning}
        return BuildSummary(
            files_indexed=len(files),
            files_skipped=skipped_report(plan.skipped, files),
            passages=passages,
            embedded=embedded,
            seconds=round(time.perf_counter() - self.started, 3),
            files_added=len(plan.added),
            files_changed=len(plan.changed),
            files_removed=len(plan.removed),
            files_renamed=len(plan.renamed),
            removed=removed,
            reused=passages - embedded,
            files_degraded=[{"path": k, "reason": v} for k, v in sorted(degraded.items()) if v],
            changes={
                "added": plan.added,
                "changed": plan.changed,
                "removed": plan.removed,
                "renamed": plan.renamed,
            },
            dry_run=dry_run,
            published=bool(generation),
            index_dir=str(self.index_dir),
            generation=generation or _current_name(self.index_dir),
            model=self.model,
        )


def skipped_report(skipped: Sequence[Skipped], files: dict[str, FileEntry]) -> list[dict[str, Any]]:
    """Every file left out, with its code and reason, then every file indexed with a problem
    (such as undecodable bytes), marked ``"indexed": true``: the ``files_skipped`` the CLI
    reports."""
    out: list[dict[str, Any]] = [
        {"path": s.path, "reason": s.reason, "code": s.code.value} for s in skipped
    ]
    out += [
        {
            "path": path,
            "reason": f"indexed with a problem: {e.warning}",
            "code": SkipCode.DEGRADED.value,
            "indexed": True,
        }
        for path, e in sorted(files.items())
        if e.warning
    ]
    return out


def _current_name(index_dir: Path) -> str:
    """The published generation's name; "" when there is none, or ``CURRENT`` is damaged (a
    dry run reports without repairing it)."""
    try:
        return current_generation(index_dir).name
    except (IndexNotFoundError, IndexPointerError):
        return ""
