"""docqa's indexing side: documents -> passages -> vectors -> store.

Nothing heavy happens at import: the model and FAISS load when first used.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .builder import BuildSummary, Progress, build_index
from .config import IndexConfig, default_index_dir
from .documents import FORMATS, read_document, walk_folder
from .encoders import (
    DEFAULT_MODEL,
    Encoder,
    HashingEncoder,
    SentenceTransformerEncoder,
    load_encoder,
    model_name,
)
from .errors import (
    BackendError,
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
    SourceUnavailableError,
)
from .passage import Passage, format_citation
from .store import IndexSnapshot, open_snapshot

__all__ = [
    "DEFAULT_MODEL",
    "FORMATS",
    "BackendError",
    "BuildSummary",
    "DiskFullError",
    "DocqaError",
    "DocsNotFoundError",
    "Encoder",
    "HashingEncoder",
    "IndexBusyError",
    "IndexConfig",
    "IndexCorruptError",
    "IndexFormatError",
    "IndexNotFoundError",
    "IndexPointerError",
    "IndexSnapshot",
    "LexicalIndexMissingError",
    "ModelLoadError",
    "ModelMismatchError",
    "Passage",
    "PermissionDeniedError",
    "Progress",
    "SentenceTransformerEncoder",
    "SourceUnavailableError",
    "__version__",
    "build_index",
    "default_index_dir",
    "format_citation",
    "load_encoder",
    "model_name",
    "open_snapshot",
    "read_document",
    "walk_folder",
]
