"""Index configuration: one frozen value passed explicitly."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from .backends import AUTO, check_backend
from .encoders import DEFAULT_MODEL
from .formats.registry import BUILTIN_FORMATS, FormatRegistry

__all__ = ["IndexConfig", "default_index_dir"]


@dataclass(frozen=True, kw_only=True)
class IndexConfig:
    """Where the index lives and which model embeds it.

    ``model`` is the default packaged model name, a local model folder, a name already in the
    local Hugging Face cache, or ``hashing`` (no model; for tests). ``backend`` is the engine
    that embeds passages: ``auto`` (the fastest that matches fp32 here), ``fp32``, ``bf16``,
    ``onnx`` or ``openvino`` (see :mod:`index.backends`). ``formats`` are the file formats
    read (see :mod:`index.formats.registry`).
    """

    index_dir: Path
    model: str = DEFAULT_MODEL
    batch_size: int = 32
    backend: str = AUTO
    formats: FormatRegistry = BUILTIN_FORMATS

    def __post_init__(self) -> None:
        object.__setattr__(self, "index_dir", Path(self.index_dir).expanduser())
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {self.batch_size}")
        check_backend(self.backend)


def default_index_dir(docs: Path, *, data_home: Path | None = None) -> Path:
    """Where the index for ``docs`` lives when none is given: outside the documents folder,
    under ``$XDG_DATA_HOME/docqa/indexes`` (``~/.local/share`` by default), one per folder."""
    docs = Path(docs).expanduser().resolve()
    if data_home is None:
        data_home = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    digest = hashlib.sha256(str(docs).encode()).hexdigest()[:10]
    return data_home / "docqa" / "indexes" / f"{docs.name or 'root'}-{digest}"
