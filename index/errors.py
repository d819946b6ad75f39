"""Every exception docqa raises on purpose. The CLI and the app turn these into one-line messages."""

from __future__ import annotations

__all__ = [
    "AuthConfigError",
    "BackendError",
    "DiskFullError",
    "DocqaError",
    "DocsNotFoundError",
    "ExposureError",
    "IndexBusyError",
    "IndexCorruptError",
    "IndexFormatError",
    "IndexNotFoundError",
    "IndexPointerError",
    "LexicalIndexMissingError",
    "ModelLoadError",
    "ModelMismatchError",
    "PermissionDeniedError",
    "QueryError",
    "SourceUnavailableError",
]


class DocqaError(Exception):
    """Root of docqa's own errors: the message says what is wrong and what to do."""


class DocsNotFoundError(DocqaError):
    """The documents folder does not exist or is not a folder."""


class IndexNotFoundError(DocqaError):
    """No index has been built at the given path."""


class IndexCorruptError(DocqaError):
    """The index on disk is unreadable or its parts disagree."""


class IndexFormatError(IndexCorruptError):
    """The index was written by an older docqa; a sync upgrades it, reusing its vectors."""


class IndexPointerError(IndexCorruptError):
    """``INDEX/CURRENT``, which names the published generation, is damaged; a sync repairs it."""


class LexicalIndexMissingError(DocqaError):
    """The index predates the lexical (word) index. No longer raised: such an index is of an
    older format (:class:`IndexFormatError`); kept so that code catching it still runs."""


class IndexBusyError(DocqaError):
    """Another process is writing this index."""


class DiskFullError(DocqaError):
    """The disk or quota holding the index filled up during a write; the previous index stays."""


class PermissionDeniedError(DocqaError):
    """docqa may not read or write a file or folder it needs (the index or the documents)."""


class ModelLoadError(DocqaError):
    """The embedding model could not be loaded from local files."""


class BackendError(ModelLoadError):
    """The encoder backend asked for is unknown, cannot run here, or gives wrong vectors."""


class ModelMismatchError(DocqaError):
    """The index was built with a different model than the one asked for."""


class SourceUnavailableError(DocqaError):
    """A cited source file can no longer be read."""


class ExposureError(DocqaError):
    """The app would be reachable from other machines without a login."""


class AuthConfigError(DocqaError):
    """The login given to the app (``--auth`` or a password file) cannot be used."""


class QueryError(DocqaError, ValueError):
    """A question, or an option asked with it (k, mode, a folder or type filter), cannot be used.

    Also a ValueError, which callers of ``retrieve`` caught before it existed."""
