"""What the app says about its index and its sync: the status line, skipped files, progress."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime

from index import DocqaError, Manifest, skipped_report
from qa.background import BackgroundSync, SyncStatus
from qa.retriever import Retriever

from .text import esc

__all__ = ["note_html", "skipped_html", "status_html", "sync_message", "sync_updates"]


def status_html(retriever: Retriever, last_sync: float | None = None) -> str:
    """One line: files, passages, model, when the index was built and last synced."""
    try:
        m = retriever.manifest
    except DocqaError as exc:
        return f'<div class="docqa-status docqa-warn">Index: {esc(str(exc))}</div>'
    bits = [
        f"{len(m.files)} files",
        f"{m.passages} passages",
        f"model {m.model}",
        f"built {_when(m.built_at)}",
    ]
    if last_sync is not None:
        bits.append(f"last sync {time.strftime('%H:%M:%S', time.localtime(last_sync))}")
    if m.skipped:
        n = len(m.skipped)
        bits.append(f"{n} file{'' if n == 1 else 's'} skipped or with warnings")
    return f'<div class="docqa-status"><b>Index</b> · {esc(" · ".join(bits))}</div>'


def _when(iso: str) -> str:
    """``2026-11-27T04:54:30+00:00`` as local time, ``2026-11-27 05:54``."""
    try:
        return datetime.fromisoformat(iso).astimezone().strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return iso


def skipped_html(manifest: Manifest) -> str:
    """The files the last build skipped or indexed with a warning, each with its reason."""
    report = skipped_report(manifest.skipped, manifest.files)  # as docqa status lists them
    if not report:
        return '<p class="docqa-muted">No file was skipped.</p>'
    items = "".join(
        f"<li><b>{'warning' if item.get('indexed') else 'skipped'}</b> "
        f"<code>{esc(item['path'])}</code>: {esc(item['reason'])}</li>"
        for item in report
    )
    return f'<ul class="docqa-skipped">{items}</ul>'


def note_html(message: str) -> str:
    """A progress or result line (plain text) as the page shows it."""
    return f'<div class="docqa-note" role="status">{esc(message)}</div>' if message else ""


def sync_message(status: SyncStatus) -> str:
    """The sync line's text for a status (plain text)."""
    if status.running:
        if not status.total:
            return "Syncing: looking for changes…"
        if status.stage == "reading":
            return f"Syncing: checking files {status.done}/{status.total}…"
        share = 100 * status.done // status.total
        return f"Syncing: embedding new text, {share}% done…"
    if status.error:
        return f"Sync failed: {status.error}"
    s = status.summary
    if s is None:
        return ""
    if not s.published:
        return f"Index is up to date ({s.files_indexed} files, {s.passages} passages)."
    return (
        f"Synced in {s.seconds:.1f} s: {s.files_added} added, {s.files_changed} changed, "
        f"{s.files_renamed} renamed, {s.files_removed} removed; "
        f"{s.embedded} passage{'' if s.embedded == 1 else 's'} embedded."
    )


def sync_updates(sync: BackgroundSync, *, poll: float = 0.5) -> Iterator[str]:
    """Start a sync (or join the running one) and yield its progress until it ends."""
    sync.start()
    while (status := sync.status()).running:
        yield sync_message(status)
        time.sleep(poll)
    yield sync_message(status)
