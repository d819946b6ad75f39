"""Restricting a question to some folders and file types of the corpus.

A folder is a path relative to the documents folder, as in ``Passage.source`` (``"guides"``,
``"guides/advanced"``); a passage is under it when its file is inside it at any depth. ``""``
or ``"."`` is the whole corpus. A type is a file suffix or a format name, case-insensitive:
with a leading dot it is that suffix alone (``".md"``, ``".htm"``); without one it is the
format of that name when there is one (``"markdown"``: ``.md`` and ``.markdown``; ``"html"``:
``.html`` and ``.htm``; ``"text"``: ``.txt`` and ``.text``), otherwise that suffix (``"md"``).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from index import BUILTIN_FORMATS, FormatRegistry, IndexSnapshot, Manifest, QueryError, Subset

__all__ = ["Filter", "Subsets", "choices"]

# Folders and types listed in an error message before the rest are counted.
_LIST_AT_MOST = 12
_EXAMPLE = "like 'guides' or 'guides/advanced'"


@dataclass(frozen=True)
class Filter:
    """Which files a question may be answered from: under one of ``folders`` (none: anywhere)
    and with a suffix in ``suffixes`` (none: any). Make one with :meth:`of`, which checks and
    normalises, so that equal filters compare and hash equal."""

    folders: tuple[str, ...] = ()
    suffixes: tuple[str, ...] = ()

    @classmethod
    def of(
        cls,
        folders: Sequence[str] = (),
        types: Sequence[str] = (),
        *,
        formats: FormatRegistry = BUILTIN_FORMATS,
    ) -> Filter:
        """The filter for ``folders`` and ``types`` as a caller gives them.

        Raises QueryError (a ValueError) naming the value and what is allowed for a folder
        that is absolute or climbs out with ``..``, a type docqa does not index, or a bare
        string (a list of strings is expected). Types are those of ``formats``.
        """
        folder_set = {_folder(f) for f in _strings("folders", folders)}
        suffix_set = {s for t in _strings("types", types) for s in _suffixes(t, formats)}
        # The whole corpus among the folders makes the others moot.
        return cls(
            folders=() if "" in folder_set else tuple(sorted(folder_set)),
            suffixes=tuple(sorted(suffix_set)),
        )

    def __bool__(self) -> bool:
        return bool(self.folders or self.suffixes)

    def matches(self, source: str) -> bool:
        """Whether the file ``source`` (relative path) passes the filter."""
        in_folder = not self.folders or any(source.startswith(f + "/") for f in self.folders)
        return in_folder and (not self.suffixes or _suffix(source) in self.suffixes)

    def sources(self, manifest: Manifest) -> list[str]:
        """The indexed files that pass, in path order.

        Raises QueryError (a ValueError), naming the index's folders or types, for a folder
        that holds no indexed file or a type no indexed file has: a typo, or a file since
        removed. A combination of folders and types that no file has is no error; no file passes.
        """
        folders, types = choices(manifest)
        for folder in self.folders:
            if folder not in folders:
                raise QueryError(
                    f"folder {folder!r} holds no indexed file; folders in this index: "
                    f"{_listed(folders, 'none (every file is at the top)')}"
                )
        if self.suffixes and not set(self.suffixes) & set(types):
            raise QueryError(
                f"no indexed file is of type {' or '.join(self.suffixes)}; types in this index: "
                f"{_listed(types, 'none')}"
            )
        return [source for source in sorted(manifest.files) if self.matches(source)]


def choices(manifest: Manifest) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``(folders, types)`` to offer for filtering ``manifest``'s index, each sorted.

    ``folders``: every folder level that holds an indexed file, itself or in a subfolder
    (``"guides"`` and ``"guides/advanced"`` for ``guides/advanced/x.md``); the top of the
    corpus is not listed (it is no filter, ``""``). ``types``: the suffixes of the indexed
    files, lowercase with their dot (``".md"``, ``".pdf"``). Each is a valid filter value.
    """
    folders: set[str] = set()
    for source in manifest.files:
        cut = source.rfind("/")
        while cut > 0 and source[:cut] not in folders:  # else its parents are in already
            folders.add(source[:cut])
            cut = source.rfind("/", 0, cut)
    types = {_suffix(source) for source in manifest.files} - {""}
    return tuple(sorted(folders)), tuple(sorted(types))


class Subsets:
    """The passages each filter allows, worked out once per generation and filter: a UI asks
    many questions with the same filter, and listing a large folder's passage ids costs
    more than the search. A filter that every indexed file passes is no restriction (None)."""

    def __init__(self, size: int = 32) -> None:
        self._size = size
        self._cache: OrderedDict[tuple[str, Filter], Subset | None] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, snap: IndexSnapshot, filt: Filter) -> Subset | None:
        """The subset of ``snap``'s passages ``filt`` allows; None for no restriction.
        Raises QueryError (a ValueError) as :meth:`Filter.sources` does."""
        if not filt:
            return None
        key = (str(snap.folder), filt)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        files = snap.manifest.files
        sources = set(filt.sources(snap.manifest))
        kept = sum(files[s].passages for s in sources)
        found: Subset | None = None
        if len(sources) < len(files):
            if kept <= snap.manifest.passages // 2:
                found = snap.subset(sources)
            else:  # cheaper to check as the passages left out
                found = snap.subset(set(files) - sources, excluded=True)
        with self._lock:
            self._cache[key] = found
            while len(self._cache) > self._size:
                self._cache.popitem(last=False)
        return found


def _strings(name: str, values: Sequence[str]) -> Iterable[str]:
    if isinstance(values, str) or not all(isinstance(v, str) for v in values):
        raise QueryError(f"{name} must be a list of strings, got {values!r:.80}")
    return values


def _folder(value: str) -> str:
    """``value`` as ``Passage.source`` spells a folder: no ``./``, no trailing ``/``;
    ``""`` for the whole corpus."""
    path = PurePosixPath(value.strip())
    if path.is_absolute() or value.strip().startswith("~"):
        raise QueryError(
            f"folder {value!r} is not relative to the documents folder; give one {_EXAMPLE}"
        )
    if ".." in path.parts:
        raise QueryError(
            f"folder {value!r} climbs out with '..'; give a folder inside the documents "
            f"folder, {_EXAMPLE}"
        )
    return "" if str(path) == "." else str(path)


def _suffixes(value: str, formats: FormatRegistry) -> set[str]:
    """The file suffixes a type stands for (see the module docstring)."""
    word = value.strip().lower()
    fmt = None if word.startswith(".") else formats.named(word)
    if fmt is not None:
        return set(fmt.extensions)
    suffix = word if word.startswith(".") else "." + word
    if formats.for_suffix(suffix) is None:
        raise QueryError(
            f"unknown file type {value!r}; choose a suffix ({', '.join(formats.suffixes)}) "
            f"or a format ({', '.join(formats.names)})"
        )
    return {suffix}


def _suffix(source: str) -> str:
    """The file's suffix, lowercase, as ``PurePosixPath(source).suffix.lower()`` but faster
    (the filter looks at every indexed file)."""
    name = source[source.rfind("/") + 1 :]
    dot = name.rfind(".")
    return name[dot:].lower() if 0 < dot < len(name) - 1 else ""


def _listed(values: Sequence[str], none: str) -> str:
    if not values:
        return none
    shown = ", ".join(values[:_LIST_AT_MOST])
    more = len(values) - _LIST_AT_MOST
    return shown + (f" and {more} more" if more > 0 else "")
