"""A sentence-transformers model's transformer, exported once to ONNX and kept in a per-user cache.

The file lives in ``$XDG_CACHE_HOME/docqa/onnx/<model digest>/model.onnx``: the digest covers
the weights, the configuration and the exporter, so a changed model gets a new export and an
unchanged one is reused by every later load. The export is written in a scratch folder beside
it and renamed into place, so a reader never sees half a file, and two processes exporting at
once both end up using one complete copy. ONNX Runtime and OpenVINO both read it.
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import os
import shutil
import tempfile
import warnings
from pathlib import Path
from typing import Any

from .backends import cache_root
from .generations import fsync_path

__all__ = ["EXPORT_VERSION", "MODEL_FILE", "export_onnx", "model_digest"]

log = logging.getLogger(__name__)

# Bump when the exported graph changes (inputs, outputs, opset, attention), to export anew.
EXPORT_VERSION = 1
MODEL_FILE = "model.onnx"
_OPSET = 17


def model_digest(transformer: Any, extra: str = "") -> str:
    """A content digest of a Hugging Face model: every weight, the configuration (not the
    folder it came from), ``extra`` (the pooling, say) and the export version. About 0.1 s for
    all-MiniLM-L6-v2."""
    h = hashlib.sha256(f"docqa-onnx-{EXPORT_VERSION}\n{extra}\n".encode())
    config = transformer.config.to_dict()
    config.pop("_name_or_path", None)  # where it was loaded from: a copy elsewhere is the same
    h.update(json.dumps(config, sort_keys=True, default=str).encode())
    for name, tensor in transformer.state_dict().items():
        h.update(name.encode())
        h.update(str(tuple(tensor.shape)).encode())
        h.update(tensor.detach().contiguous().cpu().numpy().tobytes())
    return h.hexdigest()[:32]


def export_onnx(transformer: Any, tokenizer: Any, digest: str, *, root: Path | None = None) -> Path:
    """The ONNX file of ``transformer`` (inputs ``input_ids``, ``attention_mask``; output the
    last hidden state), exported now unless the cache already holds it."""
    folder = (root or cache_root()) / "onnx" / digest
    path = folder / MODEL_FILE
    if path.is_file():
        return path
    folder.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=".tmp-", dir=folder.parent))
    try:
        _export(transformer, tokenizer, scratch / MODEL_FILE)
        meta = {"digest": digest, "export_version": EXPORT_VERSION, "opset": _OPSET}
        (scratch / "export.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
        for item in scratch.iterdir():
            fsync_path(item)
        fsync_path(scratch)
        try:
            os.rename(scratch, folder)  # atomic; fails when another process got there first
        except OSError:
            if not path.is_file():
                raise
            log.info("ONNX export of %s was made meanwhile by another process", digest)
        else:
            fsync_path(folder.parent)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return path


def discard(path: Path) -> None:
    """Remove a cached export that failed to load, so that the next load exports it again."""
    shutil.rmtree(path.parent, ignore_errors=True)


def _export(transformer: Any, tokenizer: Any, target: Path) -> None:
    import torch

    # The eager attention exports as plain MatMul/Softmax, which ONNX Runtime and OpenVINO
    # fuse into their own attention kernels; PyTorch's SDPA exports as a slower graph.
    model = copy.deepcopy(transformer).eval()
    if hasattr(model, "set_attn_implementation"):
        model.set_attn_implementation("eager")

    class _Hidden(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.inner = model

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            return self.inner(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    sample = tokenizer(
        ["docqa exports this model once.", "A second, longer sample sentence pads the first."],
        padding=True,
        return_tensors="pt",
    )
    axes = {0: "batch", 1: "tokens"}
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")  # the TorchScript exporter's deprecation and tracer notes
        torch.onnx.export(
            _Hidden(),
            (sample["input_ids"], sample["attention_mask"]),
            str(target),
            input_names=["input_ids", "attention_mask"],
            output_names=["token_embeddings"],
            dynamic_axes={"input_ids": axes, "attention_mask": axes, "token_embeddings": axes},
            opset_version=_OPSET,
            dynamo=False,
        )
