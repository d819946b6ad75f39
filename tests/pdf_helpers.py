"""PDFs generated with reportlab and views of their extraction, for the test_format_pdf*.py
modules."""

from __future__ import annotations

import io
import string
from collections.abc import Sequence

from reportlab.lib.enums import TA_JUSTIFY, TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.pdfgen import canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate

from index.formats import Extracted

__all__ = [
    "BODY",
    "SPACED",
    "Page",
    "block_texts",
    "canvas_pdf",
    "letters",
    "platypus_pdf",
    "prose",
]

Page = Sequence[Sequence[str]]  # paragraphs, each a list of printed lines


def canvas_pdf(
    pages: Sequence[Page],
    *,
    header: str | None = None,
    footer: str | None = None,
    leading: float = 14,
    gap: float = 10,
    title: str | None = None,
    encrypt: object = None,
    labels: Sequence[tuple[int, str, int]] = (),
) -> bytes:
    """Draw each line where asked: ``gap`` points between paragraphs; an empty page gets a
    filled rectangle and no text. ``header``/``footer`` may use ``{n}``, the page number."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, encrypt=encrypt)
    if title:
        c.setTitle(title)
    for n, page in enumerate(pages, 1):
        c.setFont("Helvetica", 9)
        if header:
            c.drawString(72, 800, header.format(n=n))
        if footer:
            c.drawString(72, 40, footer.format(n=n))
        c.setFont("Helvetica", 11)
        y = 760.0
        for paragraph in page:
            for line in paragraph:
                c.drawString(72, y, line)
                y -= leading
            y -= gap
        if not page:
            c.rect(100, 300, 300, 300, fill=1)  # a "scanned" page: an image, no text
        c.showPage()
    for index, style, start in labels:
        c.addPageLabel(index, style=style, start=start)
    c.save()
    return buf.getvalue()


BODY = getSampleStyleSheet()["BodyText"]  # 6 points of space between paragraphs
SPACED = {
    align: ParagraphStyle(f"s{align}", BODY, alignment=align) for align in (TA_LEFT, TA_JUSTIFY)
}


def platypus_pdf(paragraphs: Sequence[str], style: ParagraphStyle = SPACED[TA_LEFT]) -> bytes:
    """Paragraphs laid out by reportlab on A4, with a running header and numbered footer."""

    def on_page(c: canvas.Canvas, doc: SimpleDocTemplate) -> None:
        c.setFont("Helvetica", 9)
        c.drawString(72, A4[1] - 40, "ACME Corp Annual Report 2024")
        c.drawRightString(A4[0] - 72, 30, f"Page {doc.page}")

    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, title="Annual report")
    doc.build([Paragraph(p, style) for p in paragraphs], onFirstPage=on_page, onLaterPages=on_page)
    return buf.getvalue()


def block_texts(ex: Extracted) -> list[str]:
    """The blocks' texts, after checking every span round trip."""
    texts = []
    previous_end = 0
    for b in ex.blocks:
        text = ex.text[b.start : b.end]
        assert text and text == text.strip()
        assert b.start >= previous_end
        assert (b.kind, b.heading_path, b.context) == ("text", (), "")
        previous_end = b.end
        texts.append(text)
    return texts


def letters(n: int) -> str:
    """``n`` spelt in letters: words that differ only in digits look alike to the
    running-line detector, which reads every number as '#'."""
    return "".join(string.ascii_lowercase[int(d)] for d in str(n))


def prose(seed: int, words: int) -> str:
    """A paragraph of distinct lower-case words, one capital at the start, full stop at the end."""
    body = " ".join(f"w{letters(seed)}q{letters(k)}" for k in range(words))
    return f"Paragraph {body}."
