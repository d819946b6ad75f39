"""What the model is given for each passage: heading path for prose, the code alone for code."""

from __future__ import annotations

import hashlib

from index.cutting import document_passages
from index.documents import Document
from index.encoders import HashingEncoder

# guide.md's title ("Guide", from its name) is its first heading: it is not repeated in front.
TEXT = (
    "# Guide\n\n## Rebuilding\n\nRun the build again to rebuild.\n\n"
    "## Command\n\n```bash\ndocqa index ~/notes\n```\n"
)


def test_prose_is_embedded_with_its_heading_path_and_code_without() -> None:
    doc = Document(path="guide.md", format="markdown", text=TEXT, sha256="", size=0, mtime_ns=0)
    enc = HashingEncoder()
    (prose, prose_in), (code, code_in) = document_passages(doc, enc.count_tokens, enc.max_tokens)
    assert prose_in == "Guide > Rebuilding\n\nRun the build again to rebuild."
    assert code.kind == "code"
    assert code.heading_path == ("Guide", "Command")  # still cited under its heading
    assert code.text == "```bash\ndocqa index ~/notes\n```"
    assert code_in == f"Guide\n\n{code.text}"  # the document's title, not the heading path
    for passage, embedded in ((prose, prose_in), (code, code_in)):
        assert passage.content_hash == hashlib.sha256(embedded.encode()).hexdigest()


def test_code_after_its_lead_in_is_one_passage_embedded_with_the_heading_path() -> None:
    text = "# Guide\n\n## Rebuilding\n\nRun the build again:\n\n```bash\ndocqa index ~/notes\n```\n"
    doc = Document(path="guide.md", format="markdown", text=text, sha256="", size=0, mtime_ns=0)
    enc = HashingEncoder()
    [(passage, embedded)] = document_passages(doc, enc.count_tokens, enc.max_tokens)
    assert passage.text == "Run the build again:\n\n```bash\ndocqa index ~/notes\n```"
    assert passage.text == text[passage.start : passage.end]
    assert (passage.kind, passage.paragraph, passage.paragraph_end) == ("text", 1, 2)
    assert passage.citation == "guide.md ¶1–2 · lines 5–9 · Guide > Rebuilding"
    assert embedded == f"Guide > Rebuilding\n\n{passage.text}"


def test_later_parts_of_a_long_paragraph_are_embedded_with_its_first_sentence() -> None:
    lead = "Zebras live in Africa."
    body = " ".join(f"They eat grass number {i} every day." for i in range(30))
    doc = Document(
        path="z.txt", format="text", text=f"{lead} {body}\n", sha256="", size=0, mtime_ns=0
    )
    enc = HashingEncoder(max_tokens=40)
    pairs = document_passages(doc, enc.count_tokens, enc.max_tokens)
    assert len(pairs) > 2
    first, first_in = pairs[0]
    # The title from the file name ("Z") goes first; part 1 holds the lead sentence already.
    assert first.text.startswith(lead) and first_in == f"Z\n\n{first.text}"
    for passage, embedded in pairs[1:]:
        assert embedded == f"Z\n\n{lead}\n\n{passage.text}"
        assert enc.count_tokens(embedded) <= enc.max_tokens
    assert " ".join(p.text for p, _ in pairs) == doc.text.strip()


def test_table_parts_repeat_the_header_row_once() -> None:
    from index.paragraphs import Block

    rows = [f"row {i} | value {i}" for i in range(40)]
    text = "\n".join(["name | value", *rows])
    block = Block(0, len(text), "table", ("Prices",), context="name | value")
    doc = Document(
        path="t.html", format="html", text=text, sha256="", size=0, mtime_ns=0, blocks=[block]
    )
    enc = HashingEncoder(max_tokens=40)
    pairs = document_passages(doc, enc.count_tokens, enc.max_tokens)
    assert len(pairs) > 2
    # The title from the file name ("T") goes first; part 1's text starts with the header.
    assert pairs[0][1] == f"T > Prices\n\n{pairs[0][0].text}"
    for passage, embedded in pairs[1:]:
        assert embedded == f"T > Prices\n\nname | value\n\n{passage.text}"
        assert passage.text.startswith("row ")  # split between rows
    assert "\n".join(p.text for p, _ in pairs) == text


def test_every_part_of_a_paragraph_crossing_a_page_cites_its_start_page_number() -> None:
    from index.paragraphs import Block

    first = ["Opening words.", "Second words."]
    long = " ".join(f"Sentence number {i} goes on here." for i in range(24))
    break_at = len("\n\n".join(first)) + 2 + len(long) // 2 + 1  # page 2 starts mid-paragraph
    text = "\n\n".join([*first, long, "Closing words."])
    spans, pos = [], 0
    for para in [*first, long, "Closing words."]:
        spans.append(Block(pos, pos + len(para), "text", ()))
        pos += len(para) + 2
    doc = Document(
        path="r.pdf",
        format="pdf",
        text=text,
        sha256="",
        size=0,
        mtime_ns=0,
        blocks=spans,
        pages=[0, break_at],
        page_labels=["i", "ii"],
    )
    enc = HashingEncoder(max_tokens=40)
    passages = [p for p, _ in document_passages(doc, enc.count_tokens, enc.max_tokens)]
    parts = [p for p in passages if p.parts > 1]
    assert len(parts) >= 3
    assert parts[0].end <= break_at < parts[-1].start  # a first part on page 1, a last on page 2
    for p in parts:
        assert (p.paragraph, p.page, p.page_label) == (3, 1, "i")
        assert p.page_end == (1 if p.end <= break_at else 2)
    assert parts[-1].citation == f"r.pdf pp. 1–2 (printed i) ¶3 (part {len(parts)}/{len(parts)})"
    closing = passages[-1]
    assert (closing.text, closing.paragraph, closing.page, closing.page_end) == (
        "Closing words.",
        1,
        2,
        2,
    )
