"""Shared fixtures. Tests never touch the network: Hugging Face libraries run offline."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"

GUIDE = """\
# docqa guide

docqa answers questions about your own documents.

## Indexing

Run docqa index on a folder to build the index.
The first build embeds every paragraph.

### Rebuilding

To rebuild the index after documents change, run docqa index again.
Only changed paragraphs are embedded.

```bash
docqa index docs --index idx

docqa ask "question" --index idx
```

## Asking

Ask a question with docqa ask and read the cited passages.
"""

NOTES = """\
Bananas are yellow fruit rich in potassium.

The capital of France is Paris, a city on the Seine.

Photosynthesis turns sunlight, water and carbon dioxide into sugar.
"""


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A tiny corpus: a Markdown guide, a text file and a few files docqa must skip."""
    docs = tmp_path / "docs"
    (docs / "sub").mkdir(parents=True)
    (docs / "guide.md").write_text(GUIDE, encoding="utf-8")
    (docs / "sub" / "notes.txt").write_text(NOTES, encoding="utf-8")
    (docs / "sheet.xlsx").write_bytes(b"PK not supported")
    (docs / ".hidden.md").write_text("secret paragraph", encoding="utf-8")
    return docs


@pytest.fixture
def hashing_index(corpus: Path, tmp_path: Path) -> Path:
    """``corpus`` indexed with the model-free hashing encoder."""
    from index import IndexConfig, build_index

    index_dir = tmp_path / "index"
    build_index(corpus, IndexConfig(index_dir=index_dir, model="hashing"))
    return index_dir
