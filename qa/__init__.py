"""docqa's question side: question -> ranked passages with citations a person can check.

    >>> import qa
    >>> for r in qa.retrieve("how do I rebuild the index?", k=3, index="~/.local/share/docqa/indexes/docs-…"):
    ...     print(r.citation, r.score)

Nothing heavy happens at import: the model loads when a Retriever is made.
"""

from __future__ import annotations

from index import (
    DiskFullError,
    DocqaError,
    DocsNotFoundError,
    IndexBusyError,
    IndexCorruptError,
    IndexFormatError,
    IndexNotFoundError,
    IndexPointerError,
    LexicalIndexMissingError,
    ModelLoadError,
    ModelMismatchError,
    PermissionDeniedError,
    QueryError,
    SourceUnavailableError,
)

from .context import PassageContext, passage_context
from .results import Result
from .retriever import MODES, Retriever, retrieve

__all__ = [
    "MODES",
    "DiskFullError",
    "DocqaError",
    "DocsNotFoundError",
    "IndexBusyError",
    "IndexCorruptError",
    "IndexFormatError",
    "IndexNotFoundError",
    "IndexPointerError",
    "LexicalIndexMissingError",
    "ModelLoadError",
    "ModelMismatchError",
    "PassageContext",
    "PermissionDeniedError",
    "QueryError",
    "Result",
    "Retriever",
    "SourceUnavailableError",
    "passage_context",
    "retrieve",
]
