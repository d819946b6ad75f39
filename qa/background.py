"""Syncing an index in the background while the same process keeps answering questions."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path

from index import BuildSummary, DocqaError, IndexConfig, build_index

from .batching import BatchingEncoder
from .retriever import Retriever

__all__ = ["BackgroundSync", "SyncStatus"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SyncStatus:
    """Where the current (or last) sync is: ``stage`` is "reading" or "embedding"."""

    running: bool = False
    stage: str = ""
    done: int = 0
    total: int = 0
    summary: BuildSummary | None = None
    error: str | None = None


class BackgroundSync:
    """Runs one sync at a time in a thread, with the retriever's already loaded model.

    Questions go on being answered from the published index; the retriever answers from the
    new one as soon as the sync publishes it.
    """

    def __init__(self, retriever: Retriever, *, docs: str | Path | None = None) -> None:
        self._retriever = retriever
        self._docs = Path(docs) if docs is not None else None
        self._lock = threading.Lock()
        self._status = SyncStatus()
        self._thread: threading.Thread | None = None
        self._finished: float | None = None

    @property
    def last_finished(self) -> float | None:
        """When the last sync ended (``time.time()``), or None before the first."""
        with self._lock:
            return self._finished

    def status(self) -> SyncStatus:
        with self._lock:
            return self._status

    def start(self) -> bool:
        """Start a sync; False when one is already running."""
        with self._lock:
            if self._status.running:
                return False
            self._status = SyncStatus(running=True)
            self._thread = threading.Thread(target=self._run, name="docqa-sync", daemon=True)
            self._thread.start()
            return True

    def wait(self, timeout: float | None = None) -> SyncStatus:
        """Block until the running sync ends (or ``timeout`` passes); return its status."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
        return self.status()

    def _progress(self, stage: str, done: int, total: int) -> None:
        with self._lock:
            self._status = replace(self._status, stage=stage, done=done, total=total)

    def _failed(self, message: str) -> None:
        with self._lock:
            self._status = replace(self._status, running=False, error=message)
            self._finished = time.time()

    def _run(self) -> None:
        try:
            manifest = self._retriever.manifest
            docs = self._docs or Path(manifest.docs_root)
            config = IndexConfig(index_dir=self._retriever.index_dir, model=manifest.model)
            encoder = self._retriever.encoder
            if isinstance(encoder, BatchingEncoder):
                encoder = encoder.bulk  # questions asked meanwhile go first
            summary = build_index(docs, config, encoder=encoder, progress=self._progress)
        except (DocqaError, OSError) as exc:
            self._failed(str(exc))
            return
        except Exception as exc:  # never leave the app showing "Syncing…" for good
            log.exception("background sync failed")
            self._failed(f"{type(exc).__name__}: {exc}")
            return
        with self._lock:
            self._status = replace(self._status, running=False, summary=summary)
            self._finished = time.time()
