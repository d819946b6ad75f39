"""A subset of one generation's passages that a search is restricted to.

The restriction is applied inside each search, not to its results: FAISS skips vectors whose
id is outside the subset, and the BM25 query skips rows outside it, so a search for ``n``
passages returns ``n`` whenever the subset holds that many, however small it is.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from functools import cached_property
from typing import Any

import numpy as np

from .vectorindex.base import faiss_module

__all__ = ["Subset"]


class Subset:
    """The passage ids a search may return. Built once per filter and generation, then shared
    by the threads that search with it (nothing in it changes after the first use).

    With ``excluded=True``, ``ids`` are the passages a search may *not* return, out of
    ``total``: a filter that keeps most of an index is cheaper to check as the few it drops.
    """

    def __init__(self, ids: Iterable[int], *, excluded: bool = False, total: int = 0) -> None:
        self.ids: np.ndarray = np.unique(np.fromiter(ids, dtype=np.int64))
        self.excluded = excluded
        self._total = total

    def __len__(self) -> int:
        """How many passages a search may return."""
        return self._total - len(self.ids) if self.excluded else len(self.ids)

    @cached_property
    def selector(self) -> Any:
        """A FAISS selector admitting only the subset's passages (by passage id, as every
        segment's vector index stores them)."""
        faiss = faiss_module()
        batch = faiss.IDSelectorBatch(self.ids)
        if not self.excluded:
            return batch
        selector = faiss.IDSelectorNot(batch)
        selector.refs = batch  # FAISS holds only a pointer: the batch must outlive it
        return selector

    @cached_property
    def sql(self) -> tuple[str, str]:
        """An SQL condition on ``rowid`` and its one argument: the ids as a JSON list, read by
        ``json_each`` (a ``?`` per id would hit SQLite's limit on bound parameters). "+rowid":
        the condition filters rows as they come rather than becoming one lookup per id."""
        op = "NOT IN" if self.excluded else "IN"
        return f"+rowid {op} (SELECT value FROM json_each(?))", json.dumps(self.ids.tolist())
