"""The SQuAD articles as files of each format, and where a reader finds each paragraph in them.

One writer per format, ``Article -> Written``: the same paragraphs and nothing else (no title
heading). Text and Markdown: one paragraph per blank-line separated line. HTML: one ``<p>``
each. DOCX: one python-docx ``add_paragraph`` each. PDF: one reportlab ``Paragraph`` each
(DejaVu Sans 10/13 pt, 8 pt between paragraphs, A4, paragraphs broken across pages as reportlab
lays them out), recording the page each paragraph starts on. Equal articles give equal bytes.
"""

from __future__ import annotations

import html
import io
import json
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from common import one_line

__all__ = ["WRITERS", "Article", "Spot", "Written", "squad_articles"]

PDF_FONTS = (Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),)  # else Helvetica (Latin-1)


@dataclass(frozen=True)
class Article:
    """One SQuAD article: file stem, title, paragraphs (one line each), and the questions of
    each paragraph."""

    stem: str
    title: str
    paragraphs: list[str]
    questions: list[list[str]]


def squad_articles(path: Path) -> list[Article]:
    data = json.loads(path.read_text(encoding="utf-8"))["data"]
    return [
        Article(
            stem=f"{i:02d}_{re.sub(r'[^A-Za-z0-9.-]+', '_', article['title']).strip('_')}",
            title=article["title"].replace("_", " "),
            paragraphs=[one_line(p["context"]) for p in article["paragraphs"]],
            questions=[[q["question"] for q in p["qas"]] for p in article["paragraphs"]],
        )
        for i, article in enumerate(data)
    ]


# Where a reader finds a paragraph: (page it starts on, ¶ on that page) in a PDF, (None, ¶) else.
Spot = tuple[int | None, int]


@dataclass(frozen=True)
class Written:
    """A generated file, where each of its paragraphs is, and how many were broken over pages."""

    content: str | bytes
    spots: list[Spot]
    across_pages: int = 0


def _numbered(article: Article) -> list[Spot]:
    return [(None, n) for n in range(1, len(article.paragraphs) + 1)]


def write_text(article: Article) -> Written:
    return Written("\n\n".join(article.paragraphs) + "\n", _numbered(article))


def write_html(article: Article) -> Written:
    body = "".join(f"<p>{html.escape(p, quote=False)}</p>\n" for p in article.paragraphs)
    head = f'<meta charset="utf-8">\n<title>{html.escape(article.title, quote=False)}</title>'
    page = f"<!DOCTYPE html>\n<html>\n<head>\n{head}\n</head>\n<body>\n{body}</body>\n</html>\n"
    return Written(page, _numbered(article))


def write_docx(article: Article) -> Written:
    import datetime

    import docx

    document = docx.Document()
    document.core_properties.title = article.title
    when = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
    document.core_properties.created = document.core_properties.modified = when
    for paragraph in article.paragraphs:
        document.add_paragraph(paragraph)
    buffer = io.BytesIO()
    document.save(buffer)
    return Written(_fixed_zip(buffer.getvalue()), _numbered(article))


def _fixed_zip(data: bytes) -> bytes:
    """The same zip with every member dated 1980-01-01, so equal content gives equal bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            dst.writestr(fixed, src.read(info), compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def write_pdf(article: Article) -> Written:
    """The article as a PDF, and the page each paragraph starts on as reportlab laid it out."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    font = "Helvetica"
    for path in PDF_FONTS:
        if path.exists():
            font = path.stem
            if font not in pdfmetrics.getRegisteredFontNames():
                pdfmetrics.registerFont(TTFont(font, str(path)))
            break
    style = ParagraphStyle("body", fontName=font, fontSize=10, leading=13, spaceAfter=8)
    start_page: dict[int, int] = {}
    pieces: dict[int, int] = {}

    class Para(Paragraph):  # records the page each piece of a paragraph is drawn on
        number, first = 0, True

        def split(self, width: float, height: float) -> list[Any]:
            parts = super().split(width, height)
            for n, part in enumerate(parts):
                part.number, part.first = self.number, self.first and n == 0
            return parts

        def draw(self) -> None:
            super().draw()
            pieces[self.number] = pieces.get(self.number, 0) + 1
            if self.first:
                start_page[self.number] = self.canv.getPageNumber()

    flowables = []
    for n, text in enumerate(article.paragraphs, start=1):
        para = Para(html.escape(text, quote=False), style)
        para.number = n
        flowables.append(para)
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, title=article.title, invariant=True)
    doc.build(flowables)
    if sorted(start_page) != list(range(1, len(article.paragraphs) + 1)):
        raise SystemExit(f"{article.stem}: reportlab did not draw every paragraph")
    spots: list[Spot] = []
    for n in range(1, len(article.paragraphs) + 1):
        page = start_page[n]
        before = spots[-1] if spots else (None, 0)
        spots.append((page, before[1] + 1 if before[0] == page else 1))
    return Written(buffer.getvalue(), spots, sum(n > 1 for n in pieces.values()))


WRITERS: dict[str, Callable[[Article], Written]] = {
    "txt": write_text,
    "md": write_text,
    "html": write_html,
    "docx": write_docx,
    "pdf": write_pdf,
}
