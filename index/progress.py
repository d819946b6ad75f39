"""The progress callback every long step of a sync reports through."""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["Progress"]

# progress(stage, done, total), called as a step advances (done == total when it ends):
#   "reading"   files checked for changes (sizes and mtimes compared, changed ones hashed),
#   "embedding" bytes of new or changed files cut into passages and embedded,
#   "merging"   passages copied while segments are merged.
Progress = Callable[[str, int, int], None]
