"""Documents uploaded from the browser, saved into the documents folder.

The client's file name is untrusted: only its base name is used, checked, and NFC-normalised.
A file lands only inside the documents folder (the optional subfolder is checked after resolving
symlinks), only with a type docqa indexes, only under the size limit, and never over an existing
file unless asked to replace it. Every write goes to a hidden temporary file beside the target
(hidden, so a sync running meanwhile skips it), is fsynced, then switched in with one rename: an
existing document is either kept whole or replaced whole. The upload's temporary file is removed
in every case, so uploads do not pile up in the server's temp folder.
"""

from __future__ import annotations

import os
import secrets
import stat
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from index import BUILTIN_FORMATS, DocsNotFoundError

__all__ = ["MAX_NAME_BYTES", "Refused", "UploadReport", "save_uploads"]

MAX_NAME_BYTES = 200
_CHUNK = 1 << 20
# Bidirectional overrides and isolates make "evil\u202eexe.md" display as something else.
_BIDI = {chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0x200E, 0x200F)}


@dataclass(frozen=True)
class Refused:
    """An uploaded file that was not saved, and why (one line a user can act on)."""

    name: str
    reason: str


@dataclass(frozen=True)
class UploadReport:
    """What became of one batch of uploads."""

    saved: tuple[str, ...]  # paths relative to the documents folder, as saved (POSIX form)
    refused: tuple[Refused, ...]
    conflicts: tuple[str, ...]  # client names of files that exist and were left as they are


def save_uploads(
    files: Sequence[tuple[str, Path]],
    docs: Path,
    *,
    replace: bool = False,
    max_bytes: int,
    subfolder: str = "",
) -> UploadReport:
    """Save uploaded files into ``docs`` (or ``docs/subfolder``, created if missing).

    ``files`` pairs each client file name with the temporary path the server stored it at; that
    temporary file is removed afterwards, whatever happened to it. A name that already exists is
    reported in ``conflicts`` and left untouched unless ``replace`` is true. Raises
    ``DocsNotFoundError`` if ``docs`` is not a folder (temporary files are removed even then).
    """
    if max_bytes <= 0:
        raise ValueError(f"max_bytes must be positive, got {max_bytes}")
    saved: list[str] = []
    refused: list[Refused] = []
    conflicts: list[str] = []
    try:
        root = _docs_root(Path(docs))
        folder, folder_problem = _target_folder(root, subfolder)
        seen: set[str] = set()
        for client_name, upload in files:
            if folder is None:
                refused.append(Refused(client_name, folder_problem))
                continue
            outcome = _save_one(client_name, Path(upload), root, folder, replace, max_bytes, seen)
            if isinstance(outcome, Refused):
                refused.append(outcome)
            elif outcome is None:
                conflicts.append(client_name)
            else:
                saved.append(outcome)
    finally:
        for _, upload in files:
            _discard(Path(upload), docs)
    return UploadReport(tuple(saved), tuple(refused), tuple(conflicts))


def _docs_root(docs: Path) -> Path:
    if not docs.is_dir():
        raise DocsNotFoundError(f"documents folder {str(docs)!r} does not exist; check the path")
    return docs.resolve(strict=True)


def _target_folder(root: Path, subfolder: str) -> tuple[Path | None, str]:
    """The real folder to save into, created if missing, or None and why not."""
    sub = unicodedata.normalize("NFC", subfolder.strip())
    shown = f"folder {subfolder!r}"
    if sub.startswith(("/", "\\")) or (len(sub) > 1 and sub[1] == ":"):
        return None, f"{shown} is absolute; give a folder inside the documents folder"
    parts = [p for p in sub.replace("\\", "/").split("/") if p not in ("", ".")]
    for part in parts:
        problem = _name_problem(part)
        if problem:
            return None, f"{shown} is not allowed: {problem}; pick another folder"
    target = root.joinpath(*parts)
    try:
        if not target.resolve().is_relative_to(root):
            return None, f"{shown} leads outside the documents folder; pick a folder inside it"
        target.mkdir(parents=True, exist_ok=True)
        real = target.resolve(strict=True)
    except OSError as exc:
        return None, f"{shown} cannot be created: {exc.strerror or exc}"
    if not real.is_relative_to(root) or not real.is_dir():
        return None, f"{shown} leads outside the documents folder; pick a folder inside it"
    return real, ""


def _name_problem(name: str) -> str:
    """Why a single path component cannot be used, or '' if it can."""
    if not name:
        return "the name is empty"
    if name in (".", ".."):
        return f"{name!r} is not a name"
    if name.startswith("."):
        return "hidden names (starting with '.') are not indexed"
    if any(unicodedata.category(ch) in ("Cc", "Cs") or ch in _BIDI for ch in name):
        return "the name contains control characters"
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        return f"the name is longer than {MAX_NAME_BYTES} bytes"
    return ""


def _save_one(
    client_name: str,
    upload: Path,
    root: Path,
    folder: Path,
    replace: bool,
    max_bytes: int,
    seen: set[str],
) -> str | Refused | None:
    """Saved relative path, a refusal, or None for a conflict left alone."""
    # Base name only: browsers send one, anything with directories in it is not to be trusted.
    name = unicodedata.normalize("NFC", client_name.replace("\\", "/").rsplit("/", 1)[-1])
    problem = _name_problem(name)
    if problem:
        return Refused(client_name, f"{problem}; rename the file and upload it again")
    ext = Path(name).suffix.lower()
    if BUILTIN_FORMATS.for_suffix(ext) is None:
        return Refused(client_name, BUILTIN_FORMATS.unsupported(ext))
    if name.casefold() in seen:
        return Refused(client_name, f"{name!r} is in this upload twice; upload one of them")
    try:
        src = upload.stat()
    except OSError:
        return Refused(client_name, "the upload did not arrive; upload the file again")
    if upload.resolve().is_relative_to(root):  # never a file of the documents folder itself
        return Refused(client_name, "not an uploaded file")
    if src.st_size > max_bytes:
        return Refused(client_name, _too_big(src.st_size, max_bytes))
    dest = folder / name
    rel = dest.relative_to(root).as_posix()
    try:
        existing = dest.lstat()
    except FileNotFoundError:
        existing = None
    except OSError as exc:
        return Refused(client_name, f"{rel} cannot be checked: {exc.strerror or exc}")
    if existing is not None:
        if stat.S_ISLNK(existing.st_mode):
            return Refused(client_name, f"{rel} is a symbolic link; docqa does not replace links")
        if not stat.S_ISREG(existing.st_mode):
            return Refused(client_name, f"{rel} exists and is not a file; rename the upload")
        if not replace:
            return None
    seen.add(name.casefold())
    try:
        _write(upload, dest, max_bytes, replace=existing is not None)
    except FileExistsError:  # appeared since the check above: still not ours to replace
        return None
    except _TooBig as exc:
        return Refused(client_name, _too_big(exc.size, max_bytes))
    except OSError as exc:
        return Refused(client_name, f"{rel} could not be saved: {exc.strerror or exc}")
    return rel


class _TooBig(Exception):
    def __init__(self, size: int) -> None:
        self.size = size


def _write(upload: Path, dest: Path, max_bytes: int, *, replace: bool) -> None:
    """Copy ``upload`` to a hidden temp file beside ``dest``, fsync, switch it in."""
    tmp = dest.with_name(f".docqa-upload-{secrets.token_hex(8)}.part")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    # Mode 0o666 lets the umask decide, as for any file the user creates.
    fd = os.open(tmp, flags, 0o666)
    try:
        with os.fdopen(fd, "wb") as out, upload.open("rb") as src:
            size = 0
            while chunk := src.read(_CHUNK):
                size += len(chunk)
                if size > max_bytes:  # grew since it was measured
                    raise _TooBig(size)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if replace:
            os.replace(tmp, dest)  # replaces the name; a link there was refused before
        else:
            _link_new(tmp, dest)
        _fsync_dir(dest.parent)
    finally:
        tmp.unlink(missing_ok=True)


def _link_new(tmp: Path, dest: Path) -> None:
    """Give ``tmp`` the name ``dest`` only if that name is free (FileExistsError if not)."""
    try:
        os.link(tmp, dest)  # atomic and never overwrites
    except FileExistsError:
        raise
    except OSError:  # a filesystem without hard links: check, then rename
        if os.path.lexists(dest):
            raise FileExistsError(dest) from None
        os.replace(tmp, dest)


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # not possible everywhere (Windows); the rename is done either way
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _discard(upload: Path, docs: Path) -> None:
    """Remove an upload's temporary file; never one inside the documents folder."""
    try:
        if upload.resolve().is_relative_to(Path(docs).resolve()):
            return
        upload.unlink(missing_ok=True)
    except OSError:
        pass  # already gone or not ours to remove; nothing for the user to do


def _too_big(size: int, limit: int) -> str:
    return f"the file is {_mb(size)}, over the upload limit of {_mb(limit)}; upload a smaller file"


def _mb(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB" if n >= 100_000 else f"{n:,} bytes"
