"""Progress bars on stderr for a build, one per stage."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from ..terminal import safe

__all__ = ["progress_bars"]


@contextmanager
def progress_bars() -> Iterator[Callable[[str, int, int], None]]:
    """A ``progress(stage, done, total)`` callback drawing one tqdm bar per stage on stderr;
    every bar is closed when the block ends."""
    from tqdm import tqdm

    bars: dict[str, Any] = {}

    def progress(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage)
        if bar is None:
            # "reading" counts files checked; "embedding" the bytes of new files cut and embedded.
            by_bytes = stage != "reading"
            bar = bars[stage] = tqdm(
                total=total,
                desc=safe(stage),
                unit="B" if by_bytes else "file",
                unit_scale=by_bytes,
                unit_divisor=1024,
                file=sys.stderr,
                leave=True,
                dynamic_ncols=True,
            )
        bar.update(done - bar.n)
        if done >= total:
            bar.close()  # now, so its time is the stage's, not the whole command's

    try:
        yield progress
    finally:
        for bar in bars.values():
            bar.close()
