"""docqa's indexing side: documents -> passages -> vectors -> store.

This package's ``__all__`` is its public API: ``qa``, the app (``webapp``, ``app.py``) and the
CLI import from ``index`` only, never from its modules (``tests/test_layers.py`` checks), so
the modules can be reorganised without touching them.

Nothing heavy happens at import: the model and FAISS load when first used.
"""

from __future__ import annotations

from .backends import AUTO as AUTO_BACKEND
from .backends import BACKENDS
from .builder import build_index
from .config import IndexConfig, default_index_dir
from .documents import FileRef, read_document, walk_folder
from .encoders import (
    DEFAULT_MODEL,
    Encoder,
    HashingEncoder,
    SentenceTransformerEncoder,
    load_encoder,
    model_name,
)
from .errors import (
    AuthConfigError,
    BackendError,
    DiskFullError,
    DocqaError,
    DocsNotFoundError,
    ExposureError,
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
from .formats.registry import BUILTIN_FORMATS, FORMATS, Format, FormatRegistry, Locator, SourceView
from .generations import current_generation, newest_intact_generation
from .lexical import STOPWORDS, LexicalHit
from .manifest import FileEntry, Manifest, read_manifest
from .oserrors import os_error_message
from .passage import Passage, format_citation
from .pdflock import PDFIUM_LOCK
from .pointer import pointer_stamp
from .progress import Progress
from .sentences import line_spans, sentence_spans
from .skips import SkipCode, Skipped
from .store import IndexSnapshot, open_snapshot
from .subset import Subset
from .summary import BuildSummary, skipped_report
from .textstream import TextStream
from .verify import VerifyReport, verify_index
from .version import __version__

__all__ = [
    "AUTO_BACKEND",
    "BACKENDS",
    "BUILTIN_FORMATS",
    "DEFAULT_MODEL",
    "FORMATS",
    "PDFIUM_LOCK",
    "STOPWORDS",
    "AuthConfigError",
    "BackendError",
    "BuildSummary",
    "DiskFullError",
    "DocqaError",
    "DocsNotFoundError",
    "Encoder",
    "ExposureError",
    "FileEntry",
    "FileRef",
    "Format",
    "FormatRegistry",
    "HashingEncoder",
    "IndexBusyError",
    "IndexConfig",
    "IndexCorruptError",
    "IndexFormatError",
    "IndexNotFoundError",
    "IndexPointerError",
    "IndexSnapshot",
    "LexicalHit",
    "LexicalIndexMissingError",
    "Locator",
    "Manifest",
    "ModelLoadError",
    "ModelMismatchError",
    "Passage",
    "PermissionDeniedError",
    "Progress",
    "QueryError",
    "SentenceTransformerEncoder",
    "SkipCode",
    "Skipped",
    "SourceUnavailableError",
    "SourceView",
    "Subset",
    "TextStream",
    "VerifyReport",
    "__version__",
    "build_index",
    "current_generation",
    "default_index_dir",
    "format_citation",
    "line_spans",
    "load_encoder",
    "model_name",
    "newest_intact_generation",
    "open_snapshot",
    "os_error_message",
    "pointer_stamp",
    "read_document",
    "read_manifest",
    "sentence_spans",
    "skipped_report",
    "verify_index",
    "walk_folder",
]
