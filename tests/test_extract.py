"""What the model is given for each passage: heading path for prose, the code alone for code."""

from __future__ import annotations

import hashlib

from index.documents import Document
from index.encoders import HashingEncoder
from index.extract import document_passages

TEXT = "# Guide\n\n## Rebuilding\n\nRun the build again to rebuild.\n\n```bash\ndocqa index ~/notes\n```\n"


def test_prose_is_embedded_with_its_heading_path_and_code_without() -> None:
    doc = Document(path="g.md", format="markdown", text=TEXT, sha256="", size=0, mtime_ns=0)
    enc = HashingEncoder()
    (prose, prose_in), (code, code_in) = document_passages(doc, enc.count_tokens, enc.max_tokens)
    assert prose_in == "Guide > Rebuilding\n\nRun the build again to rebuild."
    assert code.kind == "code"
    assert code.heading_path == ("Guide", "Rebuilding")  # still cited under its heading
    assert code_in == code.text == "```bash\ndocqa index ~/notes\n```"
    for passage, embedded in ((prose, prose_in), (code, code_in)):
        assert passage.content_hash == hashlib.sha256(embedded.encode()).hexdigest()
