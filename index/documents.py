"""Finding documents in a folder and reading them as text, with a reason for every file left out."""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import DocsNotFoundError, PermissionDeniedError
from .formats import Extracted, ExtractError
from .formats.registry import BUILTIN_FORMATS, Format, FormatRegistry
from .paragraphs import Block
from .skips import SkipCode, Skipped
from .textstream import invalid_bytes, text_encoding

log = logging.getLogger(__name__)

__all__ = [
    "Document",
    "FileRef",
    "Fingerprint",
    "SkipCode",
    "Skipped",
    "decode_text",
    "fingerprint",
    "read_document",
    "walk_folder",
]

_BLOCK = 1 << 20
_BINARY = "binary file (contains NUL bytes), not text"


@dataclass(frozen=True)
class FileRef:
    """A candidate file: its path relative to the corpus root, size, modification time and
    format (found by :func:`walk_folder` in its registry; by default the built-in format of
    the file's extension, None when docqa does not read it)."""

    path: str
    abspath: Path
    size: int
    mtime_ns: int
    format: Format | None = None

    def __post_init__(self) -> None:
        if self.format is None:
            object.__setattr__(self, "format", BUILTIN_FORMATS.for_path(self.abspath))


@dataclass(frozen=True)
class Document:
    """A file's decoded text. Every passage's ``start``/``end`` index into ``text``."""

    path: str
    format: str
    text: str
    sha256: str
    size: int
    mtime_ns: int
    warning: str | None = None
    blocks: list[Block] | None = None  # paragraphs, when the format defines them (PDF, DOCX, HTML)
    pages: list[int] | None = None  # offset in ``text`` where each physical page starts
    page_labels: list[str] | None = None
    title: str | None = None


@dataclass(frozen=True)
class Fingerprint:
    """A file's content identity, read without decoding it: SHA-256 and size of its bytes."""

    ref: FileRef
    format: str
    sha256: str
    size: int

    @property
    def path(self) -> str:
        return self.ref.path

    @property
    def mtime_ns(self) -> int:
        return self.ref.mtime_ns


def walk_folder(
    root: Path, *, formats: FormatRegistry = BUILTIN_FORMATS
) -> tuple[list[FileRef], list[Skipped]]:
    """List the files under ``root`` that docqa can read, sorted; hidden files and folders skipped.

    A file is read when ``formats`` has a format for its extension. Folder symlinks are not
    followed (no loops); unsupported files are returned as ``Skipped``.
    """
    root = Path(root)
    if not root.exists():
        raise DocsNotFoundError(f"documents folder {str(root)!r} does not exist; check the path")
    if not root.is_dir():
        raise DocsNotFoundError(f"{str(root)!r} is not a folder; pass the folder that holds it")
    if not os.access(root, os.R_OK | os.X_OK):  # else it reads as an empty folder
        raise PermissionDeniedError(
            f"cannot read documents folder {str(root)!r}: permission denied; "
            f"give this user read access (as its owner: chmod -R a+rX {root})"
        )
    found: list[FileRef] = []
    skipped: list[Skipped] = []
    for rel, entry in _walk(str(root), "", skipped):
        abspath = Path(entry.path)
        if not _is_utf8(rel):  # bytes that are no UTF-8 come back as lone surrogates
            shown = rel.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            skipped.append(
                Skipped(shown, SkipCode.BAD_NAME, "file name is not valid UTF-8; rename the file")
            )
            continue
        ext = os.path.splitext(entry.name)[1].lower()
        fmt = formats.for_suffix(ext)
        try:
            is_file = entry.is_file()  # follows a symbolic link, as the file would be read
        except OSError:
            is_file = False
        if not is_file:
            skipped.append(Skipped(rel, SkipCode.NOT_A_FILE, _not_a_file(abspath)))
            continue
        if fmt is None:
            skipped.append(Skipped(rel, SkipCode.UNSUPPORTED, formats.unsupported(ext)))
            continue
        try:
            st = entry.stat()
        except OSError as exc:
            skipped.append(Skipped(rel, SkipCode.UNREADABLE, f"cannot read: {exc.strerror or exc}"))
            continue
        found.append(FileRef(rel, abspath, st.st_size, st.st_mtime_ns, fmt))
    found.sort(key=lambda f: f.path)
    skipped.sort(key=lambda s: s.path)
    return found, skipped


def _walk(folder: str, rel: str, skipped: list[Skipped]) -> Iterator[tuple[str, os.DirEntry[str]]]:
    """``(path relative to the root, entry)`` of every non-hidden entry under ``folder`` that
    is not a folder, in path order; folder symlinks are not followed (no loops) and
    unreadable folders are reported in ``skipped``. One ``scandir`` per folder: a folder of
    tens of thousands of files is listed without a ``stat`` per entry but the one it needs."""
    try:
        with os.scandir(folder) as it:
            entries = sorted((e for e in it if not e.name.startswith(".")), key=lambda e: e.name)
    except OSError as exc:
        reason = f"cannot read folder: {exc.strerror or exc}"
        skipped.append(Skipped((rel or ".") + "/", SkipCode.UNREADABLE, reason))
        return
    for entry in entries:
        path = f"{rel}/{entry.name}" if rel else entry.name
        try:
            is_dir = entry.is_dir(follow_symlinks=False)
        except OSError:
            is_dir = False
        if is_dir:
            yield from _walk(entry.path, path, skipped)
        elif not _is_dir_link(entry):
            yield path, entry


def _is_dir_link(entry: os.DirEntry[str]) -> bool:
    """A symbolic link to a folder: not followed, and not reported (as ``os.walk`` does)."""
    try:
        return entry.is_symlink() and entry.is_dir()
    except OSError:
        return False


def _is_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _not_a_file(path: Path) -> str:
    if path.is_symlink():
        try:
            path.resolve(strict=True)
        except RuntimeError:
            return "symbolic link loop"
        except OSError:
            return "broken symbolic link"
    return "not a regular file"


def fingerprint(ref: FileRef) -> Fingerprint | Skipped:
    """Hash a file in blocks (memory stays bounded for any size); a ``Skipped`` says why it
    cannot be indexed when that shows in its bytes alone (unreadable, empty, binary)."""
    fmt = _format(ref)
    digest, size, head, nul = hashlib.sha256(), 0, b"", False
    try:
        with ref.abspath.open("rb") as f:
            while block := f.read(_BLOCK):
                head = head or block[:4]
                nul = nul or (fmt.streamed and b"\x00" in block)
                digest.update(block)
                size += len(block)
    except OSError as exc:
        return Skipped(ref.path, SkipCode.UNREADABLE, f"cannot read: {exc.strerror or exc}")
    sha = digest.hexdigest()
    if not size:
        return Skipped(ref.path, SkipCode.EMPTY, "empty file", size, ref.mtime_ns, sha)
    if nul and text_encoding(head)[0] == "utf-8":
        return Skipped(ref.path, SkipCode.BINARY, _BINARY, size, ref.mtime_ns, sha)
    return Fingerprint(ref, fmt.name, sha, size)


def read_document(ref: FileRef) -> Document | Skipped:
    """Read and decode one file; a ``Skipped`` says why it cannot be indexed."""
    try:
        data = ref.abspath.read_bytes()
    except OSError as exc:
        return Skipped(ref.path, SkipCode.UNREADABLE, f"cannot read: {exc.strerror or exc}")
    if not data:
        return Skipped(ref.path, SkipCode.EMPTY, "empty file")
    fmt = _format(ref)
    if fmt.extract is not None:
        return _extracted(ref, fmt, fmt.extract, data)
    decoded = decode_text(data)
    if decoded is None:
        return Skipped(ref.path, SkipCode.BINARY, _BINARY)
    text, warning = decoded
    if not text.strip():
        return Skipped(ref.path, SkipCode.NO_TEXT, "no text (only whitespace)")
    return Document(
        path=ref.path,
        format=fmt.name,
        text=text,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        mtime_ns=ref.mtime_ns,
        warning=warning,
    )


def _format(ref: FileRef) -> Format:
    if ref.format is None:  # walk_folder never lists such a file
        raise ValueError(f"{ref.path!r} is of no format docqa reads")
    return ref.format


def _extracted(
    ref: FileRef, fmt: Format, extract: Callable[[bytes], Extracted], data: bytes
) -> Document | Skipped:
    try:
        ex = extract(data)
    except ExtractError as exc:
        return Skipped(ref.path, SkipCode.UNEXTRACTABLE, str(exc))
    except Exception as exc:  # a parser bug must not stop the whole folder
        log.warning("cannot extract %s", ref.path, exc_info=True)
        reason = f"cannot read this {fmt.name.upper()} file ({type(exc).__name__}: {exc})"
        return Skipped(ref.path, SkipCode.READER_FAILED, reason)
    return Document(
        path=ref.path,
        format=fmt.name,
        text=ex.text,
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        mtime_ns=ref.mtime_ns,
        warning=ex.warning,
        blocks=ex.blocks,
        pages=ex.pages,
        page_labels=ex.page_labels,
        title=ex.title,
    )


def decode_text(data: bytes) -> tuple[str, str | None] | None:
    """Decode file bytes the way ``open(path, encoding=...).read()`` would, or None if binary.

    UTF-8 (BOM dropped), and UTF-16 or UTF-32 with a BOM, are read; a NUL byte elsewhere marks
    a binary file. Invalid bytes are replaced and reported in the returned warning. Newlines
    become ``\\n``, as Python's text mode does, so passage offsets match what a reader sees in
    ``open(path).read()``. (:class:`index.textstream.TextStream` decodes the same way in pieces.)
    """
    encoding, skip = text_encoding(data[:4])
    if encoding == "utf-8" and b"\x00" in data:
        return None
    warning = None
    try:
        text = data[skip:].decode(encoding)
    except UnicodeDecodeError as exc:
        text = data[skip:].decode(encoding, errors="replace")
        warning = invalid_bytes(encoding, exc.start + skip)
    return text.replace("\r\n", "\n").replace("\r", "\n"), warning
