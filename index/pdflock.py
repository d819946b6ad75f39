"""The one lock around PDFium, which is not thread-safe: held by every call into it, from
indexing a PDF (``index.formats.pdf``) or drawing a page in the app (``webapp.pdfpage``)."""

from __future__ import annotations

import threading

__all__ = ["PDFIUM_LOCK"]

PDFIUM_LOCK = threading.Lock()
