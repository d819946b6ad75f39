"""The chat app server for ``bench/load.py``: ``docqa serve`` as it is, plus a switch to keep the
app's own "Sync now" busy.

    python bench/loadserver.py --control DIR -- serve --index IDX --port P

Everything after ``--`` goes to docqa's command line unchanged. For experiments, three
environment variables change the server: ``LOAD_SWITCH_INTERVAL`` (seconds, for
``sys.setswitchinterval``), ``LOAD_TORCH_THREADS`` (``torch.set_num_threads``) and
``LOAD_BULK_BATCH`` (the BatchingEncoder's ``bulk_batch``). The app's BackgroundSync (the
object its "Sync now" button starts) is recorded when the app makes it. While the file
``DIR/sync-on`` exists, a control thread rewrites every text file of the index's documents
folder (a marker word appended to each line, so every passage is new) and starts that sync,
again and again; each finished sync is logged to ``DIR/syncs.jsonl``. Without the file the
server is plain ``docqa serve``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from qa import background  # noqa: E402 - after the sys.path entry above

TEXT_SUFFIXES = {".md", ".txt", ".rst", ".markdown"}
_syncs: list[background.BackgroundSync] = []


def _record(init: Any) -> Any:
    def wrapper(self: background.BackgroundSync, *args: Any, **kwargs: Any) -> None:
        init(self, *args, **kwargs)
        _syncs.append(self)

    return wrapper


def mark_docs(folder: Path, originals: dict[Path, str], n: int) -> None:
    """Rewrite every text file of ``folder`` with `` rN`` at the end of each non-blank line."""
    for path, text in originals.items():
        lines = [f"{line} r{n}" if line.strip() else line for line in text.split("\n")]
        path.write_text("\n".join(lines), encoding="utf-8")


def control(folder: Path) -> None:
    """Keep the app's sync running while ``folder/sync-on`` exists."""
    trigger, log = folder / "sync-on", folder / "syncs.jsonl"
    n = 0
    originals: dict[Path, str] | None = None
    while True:
        if not trigger.exists() or not _syncs:
            time.sleep(0.1)
            continue
        sync = _syncs[-1]
        docs = Path(sync._retriever.manifest.docs_root)
        if originals is None:
            originals = {
                p: p.read_text(encoding="utf-8")
                for p in sorted(docs.rglob("*"))
                if p.suffix.lower() in TEXT_SUFFIXES and p.is_file()
            }
        n += 1
        mark_docs(docs, originals, n)
        started = time.time()
        sync.start()
        status = sync.wait()
        embedded = status.summary.embedded if status.summary else 0
        entry = {"start": started, "end": time.time(), "embedded": embedded, "error": status.error}
        with log.open("a", encoding="utf-8") as f:
            f.write(json.dumps(entry) + "\n")


def experiments() -> None:
    if interval := os.environ.get("LOAD_SWITCH_INTERVAL"):
        sys.setswitchinterval(float(interval))
    if threads := os.environ.get("LOAD_TORCH_THREADS"):
        import torch

        torch.set_num_threads(int(threads))
    if bulk := os.environ.get("LOAD_BULK_BATCH"):
        from qa import batching

        init = batching.BatchingEncoder.__init__

        def with_bulk(self: batching.BatchingEncoder, encoder: Any, **kwargs: Any) -> None:
            init(self, encoder, **{**kwargs, "bulk_batch": int(bulk)})

        batching.BatchingEncoder.__init__ = with_bulk  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--control", type=Path, required=True)
    parser.add_argument("docqa_args", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    background.BackgroundSync.__init__ = _record(background.BackgroundSync.__init__)  # type: ignore[method-assign]
    experiments()
    threading.Thread(target=control, args=(args.control,), daemon=True).start()
    from qa.cli import cli

    rest = args.docqa_args[1:] if args.docqa_args[:1] == ["--"] else args.docqa_args
    cli(rest, prog_name="docqa")


if __name__ == "__main__":
    main()
