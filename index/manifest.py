"""The manifest: what an index generation holds and how it was made, as inspectable JSON."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from .errors import IndexCorruptError
from .oserrors import denied_error
from .skips import Skipped

__all__ = [
    "FORMAT_VERSION",
    "FileEntry",
    "Manifest",
    "SegmentEntry",
    "read_manifest",
    "write_manifest",
]

# Bump on any change to the on-disk layout; readers refuse formats they do not know.
# 3: passages.paragraph_end, the lexical (FTS5) table beside the passages.
# 4: a generation lists immutable segments (index.segment) and the passages deleted from them.
FORMAT_VERSION = 4
# Formats still read, so that a sync migrates them reusing their vectors (index.legacy).
READABLE_FORMATS = (2, 3, FORMAT_VERSION)
MANIFEST_NAME = "manifest.json"


@dataclass(frozen=True)
class FileEntry:
    """One indexed file: content hash, the size and mtime it had, its passage count and format."""

    sha256: str
    size: int
    mtime_ns: int
    passages: int
    format: str
    warning: str | None = None
    title: str | None = None  # the document's own title (HTML <title>, PDF/DOCX metadata)


@dataclass(frozen=True)
class SegmentEntry:
    """One immutable segment a generation uses: its folder name under ``segments/``, the
    passages written into it, those deleted since (ascending ids), the kind of vector index it
    has, and the size and CRC-32 of each of its files, checked before its data is trusted."""

    name: str
    rows: int
    deleted: list[int] = field(default_factory=list)
    vector_index: str = "flat"
    checksums: dict[str, list[int]] = field(default_factory=dict)  # file -> [size, crc32]

    @property
    def live(self) -> int:
        """Passages of the segment a search may return."""
        return self.rows - len(self.deleted)


@dataclass(frozen=True)
class Manifest:
    """Everything a reader checks before trusting a generation."""

    format_version: int
    model: str
    dimension: int
    max_tokens: int
    chunker_version: int
    docs_root: str
    built_at: str
    build_seconds: float
    passages: int
    next_id: int
    files: dict[str, FileEntry] = field(default_factory=dict)
    scanned_at_ns: int = 0  # when the build looked at the files (time.time_ns())
    data_sizes: dict[str, int] = field(default_factory=dict)  # byte size of each data file
    skipped: list[Skipped] = field(default_factory=list)  # files left out, and why
    docqa_version: str = ""
    segments: list[SegmentEntry] = field(default_factory=list)
    next_segment: int = 1  # segment names are never reused, even after a segment is deleted
    # The engine of the encoder that made this build (index.backends: fp32, bf16, onnx,
    # openvino); carried over from the last build when it loaded no model.
    encoder_backend: str = ""


def write_manifest(folder: Path, manifest: Manifest) -> None:
    """Write ``manifest.json`` durably; it is written last, so its presence marks a complete generation."""
    data = {f.name: getattr(manifest, f.name) for f in fields(manifest)}
    # A million passages make a manifest of tens of thousands of files: converted shallowly
    # (dataclasses.asdict deep-copies every value) and written by json's C encoder in one
    # piece (an indent would take the pure-Python one, ten times slower). One file a line
    # keeps it readable and diffable.
    data["files"] = {path: vars(entry) for path, entry in manifest.files.items()}
    data["segments"] = [vars(entry) for entry in manifest.segments]
    data["skipped"] = [skip.record() for skip in manifest.skipped]
    text = json.dumps(data, sort_keys=True, ensure_ascii=False)
    text = text.replace('}, "', '},\n "')
    tmp = folder / (MANIFEST_NAME + ".tmp")
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, folder / MANIFEST_NAME)


def read_manifest(folder: Path) -> Manifest:
    """Read and check a generation's manifest; IndexCorruptError when it is missing or unknown."""
    path = folder / MANIFEST_NAME
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IndexCorruptError(
            f"index generation {str(folder)!r} has no manifest; rebuild with docqa index --full"
        ) from None
    except PermissionError as exc:
        raise denied_error(exc, folder.parent.parent, writing=False) from None
    except (OSError, ValueError) as exc:
        raise IndexCorruptError(
            f"cannot read {str(path)!r}: {exc}; rebuild with docqa index --full"
        ) from exc
    if not isinstance(data, dict):
        raise IndexCorruptError(
            f"malformed manifest {str(path)!r}; rebuild with docqa index --full"
        )
    version = data.get("format_version")
    if version not in READABLE_FORMATS:
        raise IndexCorruptError(
            f"index format {version} at {str(folder)!r} is not format {FORMAT_VERSION} that this docqa reads; "
            "rebuild it with docqa index --full"
        )
    try:
        data["files"] = {k: FileEntry(**v) for k, v in data.get("files", {}).items()}
        data["segments"] = [SegmentEntry(**v) for v in data.get("segments", [])]
        data["skipped"] = [Skipped.from_record(v) for v in data.get("skipped", [])]
        return Manifest(**data)
    except (TypeError, AttributeError, KeyError, ValueError) as exc:
        raise IndexCorruptError(
            f"malformed manifest {str(path)!r} ({exc}); rebuild with docqa index --full"
        ) from exc
