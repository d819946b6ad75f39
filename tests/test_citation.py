"""How citations read for each kind of document."""

from __future__ import annotations

from dataclasses import replace

import pytest

from index.passage import Passage

BASE = Passage(
    id=1,
    source="guide.md",
    paragraph=4,
    part=1,
    parts=1,
    start=0,
    end=5,
    line_start=20,
    line_end=24,
    heading_path=("Indexing", "Rebuilding"),
    kind="text",
    text="hello",
    content_hash="h",
)


@pytest.mark.parametrize(
    ("changes", "citation"),
    [
        ({}, "guide.md ¶4 · lines 20–24 · Indexing > Rebuilding"),
        ({"line_end": 20, "heading_path": ()}, "guide.md ¶4 · line 20"),
        ({"part": 2, "parts": 3}, "guide.md ¶4 (part 2/3) · lines 20–24 · Indexing > Rebuilding"),
        (
            {"source": "report.pdf", "page": 4, "page_end": 4, "paragraph": 2, "heading_path": ()},
            "report.pdf p. 4 ¶2",
        ),
        (
            {"source": "report.pdf", "page": 4, "page_end": 5, "paragraph": 2, "heading_path": ()},
            "report.pdf pp. 4–5 ¶2",
        ),
        (
            {"source": "r.pdf", "page": 4, "page_end": 4, "page_label": "iv", "heading_path": ()},
            "r.pdf p. 4 (printed iv) ¶4",
        ),
        (
            {"source": "r.pdf", "page": 4, "page_end": 4, "page_label": "4", "heading_path": ()},
            "r.pdf p. 4 ¶4",
        ),
        ({"source": "page.html", "paragraph": 3}, "page.html ¶3 · Indexing > Rebuilding"),
        ({"source": "memo.docx", "heading_path": ()}, "memo.docx ¶4"),
    ],
)
def test_citation_formats(changes: dict[str, object], citation: str) -> None:
    assert replace(BASE, **changes).citation == citation  # type: ignore[arg-type]
