"""A PDF passage shown on its page: the right page, rendered, with the passage's lines marked.

The PDFs are drawn with reportlab's canvas, so that each paragraph's place on the page is
known; they are indexed with the hashing model and the passages read back from the index.
Matching a passage's words on the page (webapp.pdfmatch.locate) is in test_pdfmatch.py.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import replace
from itertools import pairwise
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageChops
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from index import IndexConfig, build_index
from index.errors import SourceUnavailableError
from index.passage import Passage
from index.store import open_snapshot
from qa import Retriever
from webapp.pdfpage import PageView, pdf_page_view

WIDTH, HEIGHT = A4  # points
LEADING = 14


def words(tag: str, n: int = 70) -> list[str]:
    """``n`` distinct words (a paragraph long enough to be a passage of its own)."""
    return [f"{tag}{k}x" for k in range(n)]


def lines(tag: str, n: int = 70) -> list[str]:
    """A paragraph's printed lines, ten words each: a capital first, a full stop last."""
    w = words(tag, n)
    w[0], w[-1] = w[0].capitalize(), w[-1] + "."
    return [" ".join(w[k : k + 10]) for k in range(0, len(w), 10)]


# Page 1: one paragraph at the top, one in the lower half. Page 2: one in the lower half.
TOP, LOW, SECOND = lines("alpha"), lines("bravo"), lines("charlie")
# Page 3 ends with a paragraph cut mid-sentence at its foot; page 4 goes on with it.
CUT = lines("delta", 100)
# (page, first baseline, lines) for every paragraph drawn.
LAYOUT: list[tuple[int, float, list[str]]] = [
    (1, 760, TOP),
    (1, 300, LOW),
    (2, 300, SECOND),
    (3, 760, lines("echo")),
    (3, 60 + LEADING * 4, CUT[:5]),
    (4, 760, CUT[5:]),
]


def draw_pdf(layout: Sequence[tuple[int, float, list[str]]], pages: int) -> bytes:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    for n in range(1, pages + 1):
        c.setFont("Helvetica", 11)
        for page, y, text in layout:
            if page == n:
                for k, line in enumerate(text):
                    c.drawString(72, y - LEADING * k, line)
        c.showPage()
    c.save()
    return buf.getvalue()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The docs folder (report.pdf) and its index."""
    root = tmp_path_factory.mktemp("pdfpage")
    docs = root / "docs"
    docs.mkdir()
    (docs / "report.pdf").write_bytes(draw_pdf(LAYOUT, pages=4))
    build_index(docs, IndexConfig(index_dir=root / "index", model="hashing"))
    return docs, root / "index"


@pytest.fixture(scope="module")
def passages(corpus: tuple[Path, Path]) -> list[Passage]:
    snap = open_snapshot(corpus[1])
    try:
        return snap.all_passages()
    finally:
        snap.close()


def passage_with(passages: list[Passage], word: str) -> Passage:
    (found,) = [p for p in passages if word in p.text.split()]
    return found


def render(path: Path, page: int, width: int = 900) -> Image.Image:
    """The page as pdfium renders it, unmarked."""
    pdf = pdfium.PdfDocument(path)
    try:
        p = pdf[page - 1]
        return p.render(scale=(width - 1e-6) / p.get_width()).to_pil().convert("RGB")
    finally:
        pdf.close()


def pixel_y(baseline: float, width: int = 900) -> float:
    """A baseline (points from the bottom) as image pixels from the top."""
    return (HEIGHT - baseline) * width / WIDTH


def assert_marks_lines(view: PageView, first_baseline: float, n_lines: int) -> None:
    """One box per printed line, each around its baseline, and all of them at the left margin."""
    assert view.found and len(view.boxes) == n_lines
    scale = view.image.width / WIDTH
    for k, (left, top, right, bottom) in enumerate(view.boxes):
        base = pixel_y(first_baseline - LEADING * k)
        assert top < base < bottom + 4 * scale  # the descenders reach below the baseline
        assert bottom - top < LEADING * scale + 6
        assert abs(left - 72 * scale) < 6 and right > left + 100
    for upper, lower in pairwise(view.boxes):  # lines meet: the paragraph is one shape
        assert upper[3] == lower[1]


def test_a_passage_at_the_top_of_page_one_is_marked_there(
    corpus: tuple[Path, Path], passages: list[Passage]
) -> None:
    docs, _ = corpus
    passage = passage_with(passages, "Alpha0x")
    view = pdf_page_view(docs / passage.source, passage)
    assert view.page == 1 and view.image.mode == "RGB"
    assert view.image.size == (900, round(900 * HEIGHT / WIDTH))
    assert_marks_lines(view, 760, len(TOP))
    assert all(bottom < view.image.height / 2 for _, _, _, bottom in view.boxes)
    # The marked region's pixels change, the rest of the page does not.
    plain = render(docs / passage.source, 1)
    left, top, right, bottom = (round(v) for v in view.boxes[0])
    assert ImageChops.difference(view.image, plain).getbbox() is not None
    inside = ImageChops.difference(
        view.image.crop((left, top, right, bottom)), plain.crop((left, top, right, bottom))
    )
    assert inside.getbbox() is not None
    lower_half = (0, view.image.height // 2, 900, view.image.height)
    assert (
        ImageChops.difference(view.image.crop(lower_half), plain.crop(lower_half)).getbbox() is None
    )


def test_a_passage_lower_on_the_same_page_is_marked_lower(
    corpus: tuple[Path, Path], passages: list[Passage]
) -> None:
    docs, _ = corpus
    passage = passage_with(passages, "Bravo0x")
    view = pdf_page_view(docs / passage.source, passage)
    assert view.page == 1
    assert_marks_lines(view, 300, len(LOW))
    assert all(top > view.image.height / 2 for _, top, _, _ in view.boxes)


def test_a_page_two_passage_shows_page_two_with_its_mark(
    corpus: tuple[Path, Path], passages: list[Passage]
) -> None:
    docs, _ = corpus
    passage = passage_with(passages, "Charlie0x")
    assert passage.page == 2
    view = pdf_page_view(docs / passage.source, passage, width=600)
    assert view.page == 2 and view.image.width == 600
    plain = render(docs / passage.source, 2, width=600)
    assert ImageChops.difference(view.image, plain).getbbox() is not None
    assert ImageChops.difference(view.image, render(docs / passage.source, 1, width=600)).getbbox()
    scale = 600 / WIDTH
    assert len(view.boxes) == len(SECOND)
    assert abs(view.boxes[0][1] - pixel_y(300 + 11, 600)) < 4 * scale + 3  # the cap height


def test_a_retrieved_result_is_shown_like_a_passage(corpus: tuple[Path, Path]) -> None:
    docs, index = corpus
    (result, *_) = Retriever(index).retrieve("charlie5x charlie6x charlie7x", k=1)
    view = pdf_page_view(docs / result.source, result)
    assert view.page == 2 and view.found


def test_a_passage_running_onto_the_next_page_is_marked_on_its_first_page_to_its_end(
    corpus: tuple[Path, Path], passages: list[Passage]
) -> None:
    docs, _ = corpus
    passage = passage_with(passages, "Delta0x")
    assert (passage.page, passage.page_end) == (3, 4)
    view = pdf_page_view(docs / passage.source, passage)
    assert view.page == 3
    assert_marks_lines(view, 60 + LEADING * 4, 5)  # the 5 lines at the foot of page 3 only


def test_text_not_on_the_page_shows_the_page_unmarked(
    corpus: tuple[Path, Path], passages: list[Passage]
) -> None:
    docs, _ = corpus
    passage = passage_with(passages, "Alpha0x")
    changed = replace(passage, text="Words that this page does not hold anywhere at all.")
    view = pdf_page_view(docs / passage.source, changed)
    assert not view.found and view.boxes == () and view.page == 1
    plain = render(docs / passage.source, 1)
    assert ImageChops.difference(view.image, plain).getbbox() is None
    assert plain.convert("L").getextrema()[0] < 100  # the page's text is drawn


def test_the_same_file_can_be_shown_many_times(
    corpus: tuple[Path, Path], passages: list[Passage]
) -> None:
    docs, _ = corpus
    passage = passage_with(passages, "Bravo0x")
    views = [pdf_page_view(docs / passage.source, passage, width=200) for _ in range(30)]
    assert len({v.boxes for v in views}) == 1


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (None, "No such file"),
        (b"%PDF-1.7\n" + bytes(range(256)) * 4, "not a readable PDF"),
        ("encrypted", "encrypted"),
    ],
    ids=["missing", "garbage", "encrypted"],
)
def test_an_unreadable_file_raises_naming_file_and_page(
    tmp_path: Path, passages: list[Passage], content: bytes | str | None, reason: str
) -> None:
    path = tmp_path / "report.pdf"
    if content == "encrypted":
        buf = io.BytesIO()
        c = canvas.Canvas(buf, pagesize=A4, encrypt="pw")
        c.drawString(72, 760, "secret")
        c.showPage()
        c.save()
        path.write_bytes(buf.getvalue())
    elif isinstance(content, bytes):
        path.write_bytes(content)
    with pytest.raises(SourceUnavailableError) as err:
        pdf_page_view(path, passages[0])
    message = str(err.value)
    assert reason in message and "report.pdf" in message and "page 1" in message
    assert "\n" not in message


@pytest.mark.parametrize("page", [0, 5, None])
def test_a_page_out_of_range_raises(
    corpus: tuple[Path, Path], passages: list[Passage], page: int | None
) -> None:
    docs, _ = corpus
    with pytest.raises(SourceUnavailableError, match=rf"page {page} of .*report\.pdf.*4 pages"):
        pdf_page_view(docs / "report.pdf", replace(passages[0], page=page))


@pytest.mark.parametrize("width", [0, -5, 4001])
def test_a_width_out_of_range_is_refused(
    corpus: tuple[Path, Path], passages: list[Passage], width: int
) -> None:
    with pytest.raises(ValueError, match="width must be 1 to 4000"):
        pdf_page_view(corpus[0] / "report.pdf", passages[0], width=width)


def test_a_rotated_page_is_marked_where_the_rotated_text_shows(
    tmp_path: Path, passages: list[Passage]
) -> None:
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4)
    c.setPageRotation(90)  # shown turned a quarter clockwise: its top edge at the right
    c.drawString(72, 560, "Text along the top edge of the unrotated page.")
    c.showPage()
    c.save()
    path = tmp_path / "turned.pdf"
    path.write_bytes(buf.getvalue())
    text = "Text along the top edge of the unrotated page."
    passage = replace(passages[0], source="turned.pdf", text=text, page=1, page_end=1)
    view = pdf_page_view(path, passage, width=600)
    ((left, top, right, bottom),) = view.boxes
    assert view.image.height > view.image.width  # shown upright, tall
    assert left > 500 and bottom - top > 5 * (right - left)  # a tall box at the right
