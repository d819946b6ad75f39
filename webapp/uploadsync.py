"""Documents added from the browser: saved into the documents folder, then synced."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from index import DocqaError
from qa.background import BackgroundSync

from .saveuploads import UploadReport, save_uploads
from .status import sync_updates

__all__ = ["report_message", "upload_and_sync"]


def upload_and_sync(
    files: Sequence[str],
    docs: Path,
    sync: BackgroundSync,
    *,
    replace: bool,
    max_bytes: int,
    subfolder: str = "",
    poll: float = 0.5,
) -> Iterator[str]:
    """Save the uploaded files (Gradio's temporary paths, named as the user's files were)
    and, when any was saved, sync: yields what happened, then the sync's progress."""
    if not files:
        yield "Choose files to add first."
        return
    named = [(Path(f).name, Path(f)) for f in files]
    try:
        report = save_uploads(
            named, docs, replace=replace, max_bytes=max_bytes, subfolder=subfolder.strip()
        )
    except (DocqaError, ValueError) as exc:
        yield f"Nothing added: {exc}"
        return
    message = report_message(report)
    if not report.saved:
        yield message
        return
    yield message
    # A sync already running may have looked at the folder before these files arrived: wait
    # for it, then sync again (sync_updates joins the one started here).
    while not sync.start():
        yield f"{message} Waiting for the running sync to end…"
        time.sleep(poll)
    for progress in sync_updates(sync, poll=poll):
        yield f"{message} {progress}"


def report_message(report: UploadReport) -> str:
    """One paragraph: what was added, what was refused and why, what needs "Replace"."""
    bits = []
    if report.saved:
        bits.append(f"Added {', '.join(report.saved)}.")
    for item in report.refused:
        bits.append(f"Refused {item.name}: {item.reason}.")
    if report.conflicts:
        bits.append(
            f"Not replaced (already in the folder): {', '.join(report.conflicts)}; "
            "tick 'Replace files with the same name' to replace them."
        )
    return " ".join(bits) or "Nothing added."
