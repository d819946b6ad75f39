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

# Three facts, one paragraph a line, each long enough (>= 64 words, a quarter of the hashing
# encoder's 256 tokens) to stand alone as its own passage rather than be joined with the others.
NOTES = (
    "Bananas are yellow fruit rich in potassium, a mineral the body needs to keep the heart "
    "beating steadily and the muscles working. A medium banana holds about four hundred "
    "milligrams of it, roughly a tenth of what an adult needs each day, along with fibre and "
    "vitamin B6. Bananas ripen after they are picked: the starch in their flesh turns to sugar, "
    "which is why a green banana tastes chalky and a spotted one tastes sweet.\n"
    "\n"
    "The capital of France is Paris, a city on the Seine. About two million people live in the "
    "city itself and more than ten million in the region around it, which makes it by far the "
    "largest city in the country. Paris has been the capital since the Middle Ages; the "
    "government, the parliament and the great national museums are there, from the Louvre on "
    "the right bank of the river to the Musee d'Orsay on the left.\n"
    "\n"
    "Photosynthesis turns sunlight, water and carbon dioxide into sugar. Green plants, algae and "
    "some bacteria do it in their chloroplasts, where the pigment chlorophyll absorbs red and "
    "blue light and reflects green, which is why leaves look green to us. The energy of the "
    "light splits water into hydrogen and oxygen; the oxygen goes into the air, and the "
    "hydrogen builds sugar from carbon dioxide taken in through small pores in the leaves.\n"
)


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
