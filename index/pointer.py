"""``INDEX/CURRENT``, the pointer to the published generation: read and checked, so that a
damaged one (a folder, not UTF-8, empty, garbage, naming a generation that is gone) is one
line naming it and the repair, and a sync can find the generation to repair it with.
"""

from __future__ import annotations

import stat
from pathlib import Path

from .checksums import check_files
from .errors import IndexCorruptError, IndexNotFoundError, IndexPointerError
from .manifest import read_manifest
from .oserrors import denied_error, is_denied

__all__ = [
    "CURRENT",
    "GENERATIONS",
    "SEGMENTS",
    "current_generation",
    "newest_intact_generation",
    "pointer_stamp",
    "read_pointer",
]

# The index folder's layout: the pointer, and the folders of generations and of segments.
CURRENT = "CURRENT"
GENERATIONS = "generations"
SEGMENTS = "segments"
# A generation name is a few digits: more than this is garbage, not worth reading.
_AT_MOST = 256


def current_generation(index_dir: Path) -> Path:
    """The published generation's folder. IndexNotFoundError when nothing was published,
    IndexPointerError when ``CURRENT`` is damaged, PermissionDeniedError when it cannot be read."""
    index_dir = Path(index_dir)
    name = read_pointer(index_dir)
    for _ in range(3):
        folder = index_dir / GENERATIONS / name
        try:
            if stat.S_ISDIR(folder.stat().st_mode):
                return folder
        except PermissionError as exc:
            raise denied_error(exc, index_dir, writing=False) from None
        except OSError:
            pass  # not there (yet, or any more)
        again = read_pointer(index_dir)
        if again == name:
            break
        name = again  # a publish replaced it (and dropped the old one) as it was read
    raise _damaged(index_dir, f"names generation {name}, which does not exist")


def pointer_stamp(index_dir: Path) -> tuple[int, int, int] | None:
    """What changes whenever a publish replaces ``CURRENT`` (a new file, so a new inode): one
    ``stat``, for a reader to tell cheaply whether to read the pointer again. None when it
    cannot be stat'ed (:func:`current_generation` says why)."""
    try:
        st = (Path(index_dir) / CURRENT).stat()
    except OSError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def read_pointer(index_dir: Path) -> str:
    """The generation name ``CURRENT`` holds, checked to be one (the folder may be gone)."""
    pointer = index_dir / CURRENT
    try:
        with open(pointer, "rb") as fh:
            raw = fh.read(_AT_MOST)
    except FileNotFoundError:
        raise IndexNotFoundError(
            f"no index at {str(index_dir)!r}; build one with: docqa index DOCS --index {index_dir}"
        ) from None
    except IsADirectoryError:
        raise _damaged(index_dir, "is a folder, not a file") from None
    except OSError as exc:
        if is_denied(exc):
            raise denied_error(exc, index_dir, writing=False) from None
        raise _damaged(index_dir, f"cannot be read: {exc.strerror or exc}") from exc
    try:
        name = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise _damaged(index_dir, "is not UTF-8 text") from None
    if not name:
        raise _damaged(index_dir, "is empty")
    if not (name.isascii() and name.isdigit()):
        raise _damaged(index_dir, f"holds {name[:40]!r}, not a generation number")
    return name


def _damaged(index_dir: Path, what: str) -> IndexPointerError:
    return IndexPointerError(
        f"the index pointer {str(index_dir / CURRENT)!r} {what}; repair it with: "
        f"docqa index DOCS --index {index_dir}"
    )


def newest_intact_generation(index_dir: Path) -> Path | None:
    """The newest generation whose manifest reads and whose segments' files are all there
    at their sizes (what :func:`repair_current` points ``CURRENT`` at); None if there is none."""
    root = Path(index_dir) / GENERATIONS
    if not root.is_dir():
        return None
    folders = sorted((p for p in root.iterdir() if p.name.isdigit()), key=lambda p: -int(p.name))
    return next((f for f in folders if _intact(f)), None)


def _intact(folder: Path) -> bool:
    """Whether a generation's manifest reads and every file of its segments is there."""
    try:
        manifest = read_manifest(folder)
        for entry in manifest.segments:
            check_files(folder.parent.parent / SEGMENTS / entry.name, entry.checksums, full=False)
    except IndexCorruptError:
        return False
    return True
