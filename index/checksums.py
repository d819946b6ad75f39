"""Checksums of segment files: computed when a segment is written, checked before its data is
trusted again (merged, copied into a new segment, verified), so damage is never carried on."""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from pathlib import Path

from .errors import IndexCorruptError
from .oserrors import denied_error, is_denied

__all__ = ["check_files", "checksum", "checksums"]

_CHUNK = 1 << 20


def checksum(path: Path) -> list[int]:
    """``[size, crc32]`` of a file, read a MiB at a time."""
    crc, size = 0, 0
    with open(path, "rb") as fh:
        while block := fh.read(_CHUNK):
            crc = zlib.crc32(block, crc)
            size += len(block)
    return [size, crc]


def checksums(folder: Path, names: Iterable[str]) -> dict[str, list[int]]:
    return {name: checksum(folder / name) for name in names}


def check_files(folder: Path, expected: dict[str, list[int]], *, full: bool = True) -> None:
    """Raise IndexCorruptError naming the first file that is missing, of another size or (with
    ``full``) of another CRC-32 than ``expected``."""
    for name, (size, crc) in sorted(expected.items()):
        path = folder / name
        try:
            actual = checksum(path) if full else [path.stat().st_size, crc]
        except OSError as exc:
            if is_denied(exc):  # not damage: the index is someone else's
                raise denied_error(exc, folder.parent.parent, writing=False) from None
            raise IndexCorruptError(
                f"index segment file {str(path)!r} is unreadable ({exc.strerror or exc}); "
                "run docqa index --repair"
            ) from exc
        if actual != [size, crc]:
            what = "size" if actual[0] != size else "checksum"
            raise IndexCorruptError(
                f"index segment file {str(path)!r} has the wrong {what} (damaged on disk); "
                "run docqa index --repair"
            )
