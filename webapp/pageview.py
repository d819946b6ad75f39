"""The PDF page image beside the source text."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from index import BUILTIN_FORMATS, DocqaError, SourceView
from qa.results import Result

if TYPE_CHECKING:
    from PIL.Image import Image

__all__ = ["NOT_LOCATED", "PAGE_LABEL", "page_view"]


PAGE_LABEL = "PDF page {page} (passage marked)"
NOT_LOCATED = "PDF page {page} (passage not located on it: the file may have changed)"


def page_view(docs_root: Path, result: Result) -> tuple[Image | None, str]:
    """The PDF page a passage starts on with its region marked, and the label saying so;
    no image for other files or when the page cannot be shown (the text view says why)."""
    fmt = BUILTIN_FORMATS.for_path(result.source)
    if result.page is None or fmt is None or fmt.view is not SourceView.PAGE:
        return None, ""
    from .pdfpage import pdf_page_view

    try:
        view = pdf_page_view(docs_root / result.source, result)
    except DocqaError:
        return None, ""
    return view.image, (PAGE_LABEL if view.found else NOT_LOCATED).format(page=view.page)
