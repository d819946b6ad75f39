"""The index folder: numbered generations, one published by an atomic pointer, and a write lock.

    INDEX_DIR/CURRENT            name of the published generation (replaced atomically)
    INDEX_DIR/generations/NNNNNN one index state each: manifest.json, listing the segments it uses
    INDEX_DIR/segments/NNNNNN    immutable batches of passages and vectors (index.segment)
    INDEX_DIR/lock               held (flock) by the one process writing this index

A reader reads CURRENT and opens that generation, so it sees the old index or the new one,
never a mix. The superseded generation is kept one round for readers still opening it; a
segment is removed once no kept generation lists it. Names are never reused. CURRENT is read
and checked by :mod:`index.pointer`; a sync repairs a damaged one (:func:`repair_current`).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

from .errors import IndexBusyError, IndexNotFoundError, IndexPointerError, PermissionDeniedError
from .manifest import MANIFEST_NAME
from .pointer import (
    CURRENT,
    GENERATIONS,
    SEGMENTS,
    current_generation,
    newest_intact_generation,
    read_pointer,
)

__all__ = [
    "collect_garbage",
    "current_generation",
    "discard_unpublished",
    "fsync_path",
    "new_generation",
    "new_segment",
    "newest_intact_generation",
    "publish",
    "repair_current",
    "write_lock",
    "writing",
]

log = logging.getLogger(__name__)


def repair_current(index_dir: Path) -> str | None:
    """Point a damaged ``CURRENT`` at the newest intact generation (one whose manifest reads
    and whose segments' files are all there at their sizes), or remove it when there is none,
    so that a sync starts afresh (call holding the write lock). Returns what was done, for
    the user to see (it is logged too); None when ``CURRENT`` was sound or absent."""
    index_dir = Path(index_dir)
    try:
        current_generation(index_dir)
        return None
    except (IndexNotFoundError, PermissionDeniedError):
        return None
    except IndexPointerError as exc:
        problem = str(exc).split(";")[0]
    pointer = index_dir / CURRENT
    intact = newest_intact_generation(index_dir)
    if pointer.is_dir() and not pointer.is_symlink():
        shutil.rmtree(pointer)
    if intact is None:
        pointer.unlink(missing_ok=True)
        done = f"{problem}, and no generation is intact: building the index afresh"
    else:
        _write_pointer(index_dir, intact.name)
        done = f"{problem}: repaired, it names generation {intact.name}, the newest intact one"
    log.warning("%s", done)
    return done


def _write_pointer(index_dir: Path, name: str) -> None:
    """Replace ``CURRENT`` atomically and durably by one naming generation ``name``."""
    tmp = index_dir / f"{CURRENT}.tmp"
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(name + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, index_dir / CURRENT)
    fsync_path(index_dir)


def new_generation(index_dir: Path) -> Path:
    """Create an empty folder for the next generation (call while holding the write lock).

    Its number is above every generation on disk and the published one, even when that
    folder was deleted, so a name is never reused: an open reader tells a new generation
    from the one it holds by its name. The folder's entry is made durable at once.
    """
    root = Path(index_dir) / GENERATIONS
    root.mkdir(parents=True, exist_ok=True)
    numbers = [int(p.name) for p in root.iterdir() if p.name.isdigit()]
    with contextlib.suppress(IndexNotFoundError, IndexPointerError, PermissionDeniedError):
        numbers.append(int(read_pointer(Path(index_dir))))
    path = root / f"{max(numbers, default=0) + 1:06d}"
    path.mkdir()
    fsync_path(root)
    return path


def new_segment(index_dir: Path, at_least: int = 1) -> Path:
    """Create an empty folder for a new segment (call holding the write lock), numbered above
    every segment on disk and at least ``at_least`` (the manifest's ``next_segment``: a number
    a published generation used is never given again)."""
    root = Path(index_dir) / SEGMENTS
    root.mkdir(parents=True, exist_ok=True)
    numbers = [int(p.name) for p in root.iterdir() if p.name.isdigit()]
    path = root / f"{max(max(numbers, default=0) + 1, at_least):06d}"
    path.mkdir()
    fsync_path(root)
    return path


def publish(index_dir: Path, generation: Path, *, segments: Iterable[str] | None = None) -> None:
    """Make ``generation`` the current one with one atomic replace, then drop old generations
    and the segments no kept generation lists. ``segments``: the names the new and the
    previous generation list, when the caller knows them (else their manifests are read)."""
    index_dir = Path(index_dir)
    previous = None
    with contextlib.suppress(IndexNotFoundError, IndexPointerError):
        previous = current_generation(index_dir).name
    fsync_path(generation)
    _write_pointer(index_dir, generation.name)
    _remove_all_but(index_dir, {generation.name, previous})
    _collect_segments(index_dir, None if segments is None else set(segments))


def collect_garbage(index_dir: Path) -> None:
    """Remove what crashed builds and interrupted clean-ups left behind (call holding the lock):
    every generation but the current one and the newest one before it."""
    current = current_generation(index_dir).name
    older = [
        p.name
        for p in (Path(index_dir) / GENERATIONS).iterdir()
        if p.name.isdigit() and p.name < current
    ]
    _remove_all_but(Path(index_dir), {current, max(older, default=None)})
    (Path(index_dir) / f"{CURRENT}.tmp").unlink(missing_ok=True)
    _collect_segments(Path(index_dir))


def discard_unpublished(index_dir: Path) -> None:
    """Remove what a failed write left (call holding the lock): the generations above the
    published one, ``CURRENT.tmp``, and the segments no remaining generation lists. With no
    sound ``CURRENT`` it leaves the generations alone (a sync repairs the pointer first)."""
    index_dir = Path(index_dir)
    try:
        current = int(current_generation(index_dir).name)
    except IndexNotFoundError:
        current = 0  # nothing published: every generation is unfinished
    except (IndexPointerError, PermissionDeniedError):
        return
    root = index_dir / GENERATIONS
    if root.is_dir():
        for path in root.iterdir():
            if path.name.isdigit() and int(path.name) > current:
                shutil.rmtree(path, ignore_errors=True)
    (index_dir / f"{CURRENT}.tmp").unlink(missing_ok=True)
    if root.is_dir():
        _collect_segments(index_dir)


def _remove_all_but(index_dir: Path, keep: set[str | None]) -> None:
    for path in (index_dir / GENERATIONS).iterdir():
        if path.name not in keep:
            shutil.rmtree(path, ignore_errors=True)


def _collect_segments(index_dir: Path, used: set[str] | None = None) -> None:
    """Remove the segments that no generation left on disk lists (a crashed sync's partial
    segment, or segments merged away): every kept generation's manifest names its segments,
    unless ``used`` already says which they are."""
    root = index_dir / SEGMENTS
    if not root.is_dir():
        return
    if used is not None:
        for path in root.iterdir():
            if path.name not in used:
                shutil.rmtree(path, ignore_errors=True)
        return
    used = set()
    for folder in (index_dir / GENERATIONS).iterdir():
        try:
            data = json.loads((folder / MANIFEST_NAME).read_text(encoding="utf-8"))
            used.update(entry["name"] for entry in data.get("segments", []))
        except FileNotFoundError:
            continue  # an unfinished generation lists nothing yet
        except (OSError, ValueError, TypeError, KeyError):
            return  # a manifest that cannot be read: remove nothing rather than a used segment
    for path in root.iterdir():
        if path.name not in used:
            shutil.rmtree(path, ignore_errors=True)


def fsync_path(path: Path) -> None:
    """Make a file's bytes, or a folder's entries (new files, renames), durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def write_lock(index_dir: Path) -> Iterator[None]:
    """Hold the index's write lock, or fail at once naming the process that holds it.

    The lock is an flock, so the kernel frees it when its holder dies: a crash never leaves
    an index locked.
    """
    index_dir = Path(index_dir)
    index_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(index_dir / "lock", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 4096, 0).decode("utf-8", "replace")
            raise IndexBusyError(
                f"index {str(index_dir)!r} is being written by another docqa process ({_describe(holder)}); "
                "wait for it to finish"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"pid": os.getpid(), "since": time.time()}).encode(), 0)
        yield
    finally:
        os.close(fd)


def _describe(holder: str) -> str:
    try:
        info = json.loads(holder)
        since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(info["since"]))
        return f"pid {info['pid']}, since {since}"
    except (ValueError, KeyError, TypeError):
        return "holder unknown"


@contextlib.contextmanager
def writing(index_dir: Path) -> Iterator[str | None]:
    """Hold the write lock for a sync: a damaged ``CURRENT`` is repaired first (see
    :func:`repair_current`; what it did is yielded, None if nothing), and if the block fails, what it left unpublished is removed
    before the lock is let go (:func:`discard_unpublished`), so the index holds only the
    generation still published and the one before it."""
    with write_lock(index_dir):
        repaired = repair_current(index_dir)
        try:
            yield repaired
        except BaseException:
            with contextlib.suppress(OSError):
                discard_unpublished(index_dir)
            raise
