"""docqa's indexing side: documents -> passages -> vectors -> store.

Nothing heavy happens at import: the model and FAISS load when first used.
"""

from __future__ import annotations

from .builder import build_index
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
    DocqaError,
    DocsNotFoundError,
    IndexBusyError,
    IndexCorruptError,
    IndexFormatError,
    IndexNotFoundError,
    LexicalIndexMissingError,
    ModelLoadError,
    ModelMismatchError,
    SourceUnavailableError,
)
from .passage import Passage, format_citation
from .progress import Progress
from .skips import SkipCode, Skipped
from .store import IndexSnapshot, open_snapshot
from .summary import BuildSummary
from .version import __version__

__all__ = [
    "DEFAULT_MODEL",
    "FORMATS",
    "BackendError",
    "BuildSummary",
    "DocqaError",
    "DocsNotFoundError",
    "Encoder",
    "HashingEncoder",
    "IndexBusyError",
    "IndexConfig",
    "IndexCorruptError",
    "IndexFormatError",
    "IndexNotFoundError",
    "IndexSnapshot",
    "LexicalIndexMissingError",
    "ModelLoadError",
    "ModelMismatchError",
    "Passage",
    "Progress",
    "SentenceTransformerEncoder",
    "SkipCode",
    "Skipped",
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
