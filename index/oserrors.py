"""Failures the operating system reports while docqa reads or writes an index (a full disk or
quota, a permission missing, a read-only disk) as docqa errors: one line naming the path and
the fix.

SQLite and FAISS report the same failures in their own words (``database or disk is full``,
``No space left on device`` inside a RuntimeError), so those texts are recognised too; any
other error passes through unchanged, traceback and all: it is a bug, not the user's to fix.
"""

from __future__ import annotations

import contextlib
import errno
import shutil
import sqlite3
from collections.abc import Collection, Iterator
from pathlib import Path

from .errors import DiskFullError, DocqaError, PermissionDeniedError

__all__ = [
    "denied_error",
    "disk_full_error",
    "is_denied",
    "is_disk_full",
    "os_error_message",
    "os_errors",
]

# The fix for each errno, when the error reaches the user without an index folder to name.
_ACCESS = "give docqa access to that path (chmod, chown), or choose another --index"
_DENIED_FIXES = {
    errno.EACCES: _ACCESS,
    errno.EPERM: _ACCESS,
    errno.EROFS: "the file system is read-only; choose another --index",
}
_FULL_FIXES = {
    errno.ENOSPC: "the disk is full; free some space or choose another --index",
    errno.EDQUOT: "the disk quota is used up; free some space or choose another --index",
    errno.EFBIG: "the file is too large for this file system; choose another --index",
}
# How SQLite and FAISS (a RuntimeError holding strerror) say the same.
_FULL_TEXT = (
    "database or disk is full",
    "No space left on device",
    "Disk quota exceeded",
    "File too large",
)
_DENIED_TEXT = ("readonly database", "Permission denied", "Read-only file system")


def is_disk_full(exc: BaseException) -> bool:
    """Whether ``exc`` says the disk or the user's quota is full (or a file grew too large)."""
    return _says(exc, _FULL_FIXES.keys(), _FULL_TEXT)


def is_denied(exc: BaseException) -> bool:
    """Whether ``exc`` says a permission is missing or the disk is mounted read-only."""
    return _says(exc, _DENIED_FIXES.keys(), _DENIED_TEXT)


def _says(exc: BaseException, codes: Collection[int], texts: tuple[str, ...]) -> bool:
    if isinstance(exc, OSError):
        return exc.errno in codes
    if isinstance(exc, sqlite3.OperationalError | RuntimeError):
        return any(text in str(exc) for text in texts)
    return False


def os_error_message(exc: OSError) -> str | None:
    """One line naming the file and the fix for a full disk or a missing permission met
    outside :func:`os_errors` (so with no index folder to name); None for any other error,
    which is not the user's to fix."""
    fix = (_DENIED_FIXES | _FULL_FIXES).get(exc.errno or 0)
    if fix is None:
        return None
    where = exc.filename if exc.filename is not None else "a file"
    return f"{where}: {exc.strerror or exc}; {fix}"


def disk_full_error(index_dir: Path) -> DiskFullError:
    """The one-line error for a write to ``index_dir`` that found the disk full."""
    return DiskFullError(
        f"the disk holding index {str(index_dir)!r} is full{_free(Path(index_dir))}; "
        "nothing was changed and the previous index still answers: free some space, "
        "or use --index on another disk"
    )


def denied_error(
    exc: BaseException, index_dir: Path, *, writing: bool = True
) -> PermissionDeniedError:
    """The one-line error for a permission ``exc`` reported while working on ``index_dir``
    (``writing`` it, or only reading it): naming the file, whether it lies in the index or not
    (a document or folder docqa reads), and the fix."""
    index_dir = Path(index_dir)
    path = getattr(exc, "filename", None) or index_dir
    inside = _inside(Path(path), index_dir)
    if getattr(exc, "errno", None) == errno.EROFS or "Read-only file system" in str(exc):
        return PermissionDeniedError(
            f"cannot write index {str(index_dir)!r}: {str(path)!r} is on a read-only disk; "
            "use --index on a writable disk"
        )
    if inside and not writing:
        return PermissionDeniedError(
            f"cannot read index {str(index_dir)!r}: permission denied on {str(path)!r}; give "
            f"this user read access (as its owner: chmod -R a+rX {index_dir}) or run docqa as its owner"
        )
    if inside:
        return PermissionDeniedError(
            f"cannot write index {str(index_dir)!r}: permission denied on {str(path)!r}; "
            f"give this user write access (sudo chown -R $USER {index_dir}) or use --index elsewhere"
        )
    return PermissionDeniedError(
        f"cannot read {str(path)!r}: permission denied; give this user read access "
        f"(as its owner: chmod -R a+rX {path}) or move it out of the documents folder"
    )


@contextlib.contextmanager
def os_errors(index_dir: Path) -> Iterator[None]:
    """Let a full disk or a missing permission met inside the block out as a one-line
    :class:`DiskFullError` or :class:`PermissionDeniedError` about ``index_dir``."""
    try:
        yield
    except DocqaError:
        raise
    except (OSError, sqlite3.Error, RuntimeError) as exc:
        if isinstance(exc, RuntimeError) and str(index_dir) not in str(exc):
            raise  # FAISS names the file it failed on: this is some other library's error
        if is_disk_full(exc):
            raise disk_full_error(index_dir) from exc
        if is_denied(exc):
            raise denied_error(exc, index_dir) from exc
        raise


def _inside(path: Path, folder: Path) -> bool:
    try:
        return path.absolute().is_relative_to(folder.absolute())
    except (OSError, ValueError):
        return False


def _free(folder: Path) -> str:
    """`` (12.3 MB free)``, or nothing when the disk cannot say."""
    for place in (folder, *folder.absolute().parents):
        with contextlib.suppress(OSError):
            free = shutil.disk_usage(place).free
            for unit, size in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
                if free >= size:
                    return f" ({free / size:.1f} {unit} free)"
            return f" ({free} bytes free)"
    return ""
