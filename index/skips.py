"""Why a file was left out of the index: one record type, with a stable code that code branches on
and a human reason that only people read."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

__all__ = ["SkipCode", "Skipped"]


class SkipCode(StrEnum):
    """Why a file was not indexed, as a short stable value (the ``code`` of ``--json`` output)."""

    BAD_NAME = "bad_name"  # the file name is not valid UTF-8
    NOT_A_FILE = "not_a_file"  # a folder-like entry, a broken link or a link loop
    UNSUPPORTED = "unsupported"  # an extension docqa does not read
    UNREADABLE = "unreadable"  # the system refused to read it (permissions, I/O error, vanished)
    EMPTY = "empty"  # zero bytes
    BINARY = "binary"  # NUL bytes in what should be text
    NO_TEXT = "no_text"  # only white space
    NO_PARAGRAPHS = "no_paragraphs"  # only headings or markup
    UNEXTRACTABLE = "unextractable"  # its format's reader refused it: encrypted, invalid, no text
    READER_FAILED = "reader_failed"  # its format's reader crashed (a docqa bug)
    DEGRADED = "degraded"  # indexed, with a problem (such as undecodable bytes)

    @property
    def retried(self) -> bool:
        """Whether the reason may not last with the same bytes, so the next sync reads the file
        again instead of skipping it unread (a read error, or a reader that crashed)."""
        return self in (SkipCode.UNREADABLE, SkipCode.READER_FAILED)


@dataclass(frozen=True)
class Skipped:
    """A file that was not indexed: ``code`` says why to code, ``reason`` to people.

    ``size``, ``mtime_ns`` and ``sha256`` are set when the file's content is the reason: a
    later sync skips the file again without reading it while size and mtime stay the same, or
    without cutting it while its content does.
    """

    path: str
    code: SkipCode
    reason: str
    size: int | None = None
    mtime_ns: int | None = None
    sha256: str | None = None

    def __post_init__(self) -> None:
        # SkipCode("...") raises ValueError for an unknown code: a typo fails where it is made.
        object.__setattr__(self, "code", SkipCode(self.code))

    def record(self) -> dict[str, Any]:
        """The record the manifest keeps: with the file's size and mtime (and hash) when its
        content was the reason, so the next sync can skip it again without reading it."""
        out: dict[str, Any] = {"path": self.path, "code": self.code.value, "reason": self.reason}
        if self.size is not None and self.mtime_ns is not None:
            out.update(size=self.size, mtime_ns=self.mtime_ns)
            if self.sha256:
                out["sha256"] = self.sha256
        return out

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Skipped:
        """A record written by :meth:`record`; one from a manifest older than the code gets the
        code its reason text was written for."""
        reason = str(record["reason"])
        return cls(
            path=str(record["path"]),
            code=SkipCode(record["code"]) if "code" in record else _code_of_old(reason),
            reason=reason,
            size=record.get("size"),
            mtime_ns=record.get("mtime_ns"),
            sha256=record.get("sha256"),
        )


# The reason texts docqa wrote before records had a code (read only from old manifests).
_OLD_PREFIXES = (
    ("file name is not valid UTF-8", SkipCode.BAD_NAME),
    ("symbolic link loop", SkipCode.NOT_A_FILE),
    ("broken symbolic link", SkipCode.NOT_A_FILE),
    ("not a regular file", SkipCode.NOT_A_FILE),
    ("unsupported file type", SkipCode.UNSUPPORTED),
    ("cannot read this ", SkipCode.READER_FAILED),
    ("cannot read", SkipCode.UNREADABLE),
    ("empty file", SkipCode.EMPTY),
    ("binary file", SkipCode.BINARY),
    ("no text (only whitespace)", SkipCode.NO_TEXT),
    ("no paragraphs", SkipCode.NO_PARAGRAPHS),
)


def _code_of_old(reason: str) -> SkipCode:
    for prefix, code in _OLD_PREFIXES:
        if reason.startswith(prefix):
            return code
    return SkipCode.UNEXTRACTABLE
