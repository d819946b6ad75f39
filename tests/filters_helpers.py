"""The indexed corpus in folders and formats shared by the test_filters*.py modules."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import paragraph, write_files

from index import IndexConfig, build_index
from qa.ranking import CANDIDATES

__all__ = ["MANY", "QUESTION", "_page", "herd"]

QUESTION = "zebra river crossing"
# More passages that match the question well than a search takes candidates, so that a filter
# applied to the candidates afterwards would find none of the two weak ones in tiny/.
MANY = CANDIDATES + 20


def _page(text: str) -> str:
    return f"<html><body><p>{text}</p></body></html>"


@pytest.fixture(scope="module")
def herd(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A corpus in folders and formats, indexed with the hashing encoder."""
    root = tmp_path_factory.mktemp("herd")
    strong = [
        paragraph(f"Zebra herd {i} waits at the river crossing; zebra after zebra crosses.", 64)
        for i in range(MANY)
    ]
    files: dict[str, str | bytes] = {
        f"many/part{n}.txt": "\n\n".join(strong[n::10]) for n in range(10)
    }
    files |= {
        "tiny/pair.md": paragraph("A heron fishes by the river at dawn.", 64)
        + "\n\n"
        + paragraph("Otters play where the river bends.", 64),
        "guides/intro.md": paragraph("The intro guide talks about zebra stripes.", 64),
        "guides/advanced/tuning.md": paragraph("Tuning a zebra crossing light.", 64),
        "guides/advanced/notes.txt": paragraph("Notes on river crossing safety.", 64),
        "guides/advanced/old.markdown": paragraph("An old page on zebra crossings.", 64),
        "ref/page.html": _page(paragraph("A reference page on the river.", 64)),
        "ref/legacy.htm": _page(paragraph("A legacy page on the zebra.", 64)),
        "top.txt": paragraph("A top-level note on a zebra at the river crossing.", 64),
    }
    docs = write_files(root / "docs", files)
    build_index(docs, IndexConfig(index_dir=root / "index", model="hashing"))
    return root / "index"
