"""Property tests: every passage's offsets point at its text in the file as Python reads it."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index.cutting import document_passages
from index.documents import Document, FileRef, read_document
from index.encoders import HashingEncoder
from index.passage import Passage

MAX_TOKENS = 12
ENCODER = HashingEncoder(dimension=16, max_tokens=MAX_TOKENS)

# hypothesis runs many examples in one tmp_path: each example overwrites the same files.
SETTINGS = settings(
    max_examples=150,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

_PIECES = st.sampled_from(
    [
        "word",
        "Docqa",
        "Dr.",
        "e.g.",
        "end.",
        "Why?",
        "wow!",
        "…",
        "3.14",
        '"quoted."',
        "# ",
        "## ",
        "### ",
        "```",
        "~~~",
        "---",
        "===",
        "***",
        "| a | b |",
        "|---|---|",
        "<!--",
        "-->",
        "> ",
        "- ",
        "1. ",
        "    ",
        "\t",
        " ",
        "\n",
        "\n\n",
        "\r\n",
        "\r",
        "\r\n\r\n",
        "é",
        "日本語のテキスト",
        "🎉",
        "\u00a0",
        "\u2028",
        "\x0c",
        "a-b-c-d-e-f-g-h-i-j-k-l-m-n-o-p",
        "x" * 40,
        "[link](http://x.y)",
        "`code`",
    ]
)
_TEXT = st.one_of(
    st.lists(_PIECES, min_size=1, max_size=80).map("".join),
    st.lists(
        st.one_of(
            _PIECES,
            st.text(
                st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=12
            ),
        ),
        min_size=1,
        max_size=40,
    ).map("".join),
)


def read(path: Path) -> Document:
    st_ = path.stat()
    doc = read_document(FileRef(path.name, path, st_.st_size, st_.st_mtime_ns))
    assert isinstance(doc, Document), doc
    return doc


def check_passages(doc: Document) -> list[Passage]:
    pairs = document_passages(doc, ENCODER.count_tokens, MAX_TOKENS)
    text = doc.text
    previous_end = 0
    for p, embedded in pairs:
        assert text[p.start : p.end] == p.text
        assert p.text and p.text == p.text.strip()
        assert p.line_start == text.count("\n", 0, p.start) + 1
        assert p.line_end == text.count("\n", 0, p.end - 1) + 1
        assert p.start >= previous_end, "passages are ordered and do not overlap"
        previous_end = p.end
        assert ENCODER.count_tokens(embedded) <= MAX_TOKENS, embedded
        assert embedded.endswith(p.text)
        assert 1 <= p.part <= p.parts
        assert p.source == doc.path
    paragraphs = [p.paragraph for p, _ in pairs]
    assert paragraphs == sorted(paragraphs)
    return [p for p, _ in pairs]


def uncovered(text: str, passages: list[Passage]) -> list[int]:
    """Offsets of the non-whitespace characters that no passage covers."""
    covered = {i for p in passages for i in range(p.start, p.end)}
    return [i for i, c in enumerate(text) if not c.isspace() and i not in covered]


@SETTINGS
@given(text=_TEXT, suffix=st.sampled_from([".txt", ".md"]))
def test_passage_offsets_round_trip(tmp_path: Path, text: str, suffix: str) -> None:
    path = tmp_path / f"doc{suffix}"
    path.write_bytes(text.encode("utf-8"))
    if not text.removeprefix("\ufeff").strip():
        return  # read_document skips empty and whitespace-only files (tested elsewhere)
    doc = read(path)
    passages = check_passages(doc)
    # What a Python user sees. A UTF-8 BOM is dropped, as "utf-8-sig" does (see test_documents).
    encoding = "utf-8-sig" if text.startswith("\ufeff") else "utf-8"
    with open(path, encoding=encoding) as fh:
        seen = fh.read()
    assert seen == doc.text
    for p in passages:
        assert seen[p.start : p.end] == p.text
    if doc.format == "text":
        assert uncovered(doc.text, passages) == []


@SETTINGS
@given(text=_TEXT)
def test_crlf_files_give_the_same_passages_as_lf_files(tmp_path: Path, text: str) -> None:
    lf = text.replace("\r\n", "\n").replace("\r", "\n")
    if not lf.removeprefix("\ufeff").strip():
        return
    (tmp_path / "lf.md").write_bytes(lf.encode("utf-8"))
    (tmp_path / "crlf.md").write_bytes(lf.replace("\n", "\r\n").encode("utf-8"))
    a = check_passages(read(tmp_path / "lf.md"))
    b = check_passages(read(tmp_path / "crlf.md"))
    key = [(p.start, p.end, p.line_start, p.line_end, p.heading_path, p.kind) for p in a]
    assert key == [(p.start, p.end, p.line_start, p.line_end, p.heading_path, p.kind) for p in b]


# Structured Markdown: we know which lines are headings, so we know the heading path of every
# paragraph and that nothing but heading lines may be left out. Short paragraphs are joined with
# their neighbours, but only within a section: a passage covers a run of whole paragraphs under
# one heading path, or parts of a single one.

_LETTERS = "abcdefghijklmnopqrstuvwxyzàéü"
_WORDS = st.text(alphabet=_LETTERS, min_size=1, max_size=12)
_PUNCT = st.sampled_from(["", ".", ",", "!", "?", " e.g.", " Dr."])


@st.composite
def _paragraph(draw: st.DrawFn) -> tuple[str, str]:
    lines = []
    for _ in range(draw(st.integers(1, 3))):
        words = draw(st.lists(_WORDS, min_size=1, max_size=12))
        lines.append(" ".join(w + draw(_PUNCT) for w in words))
    return ("text", "\n".join(lines))


@st.composite
def _heading(draw: st.DrawFn) -> tuple[str, int, str]:
    title = " ".join(draw(st.lists(_WORDS, min_size=1, max_size=8)))
    return ("heading", draw(st.integers(1, 4)), title)


@st.composite
def _fence(draw: st.DrawFn) -> tuple[str, str]:
    body = draw(
        st.lists(st.sampled_from(["x = 1", "", "# comment", "print(x)", "  y", "---"]), max_size=6)
    )
    return ("code", "\n".join(["```", *body, "```"]))


_BLOCKS = st.lists(st.one_of(_paragraph(), _heading(), _fence()), min_size=1, max_size=12)


@SETTINGS
@given(
    blocks=_BLOCKS, newline=st.sampled_from(["\n", "\r\n"]), gap=st.sampled_from(["\n", "\n\n\n"])
)
def test_markdown_heading_paths_and_only_headings_are_left_out(
    tmp_path: Path, blocks: list[tuple[str, ...]], newline: str, gap: str
) -> None:
    source, heading_lines = "", set()
    expected: list[tuple[str, str, tuple[str, ...], int]] = []  # kind, body, path, start
    stack: list[tuple[int, str]] = []
    for block in blocks:
        if source:
            source += "\n" + gap
        if block[0] == "heading":
            _, level, title = block
            heading_lines.add(source.count("\n") + 1)
            source += "#" * int(level) + " " + str(title)
            while stack and stack[-1][0] >= int(level):
                stack.pop()
            stack.append((int(level), str(title)))
        else:
            kind, body = block
            expected.append((str(kind), str(body), tuple(t for _, t in stack), len(source)))
            source += str(body)
    source += "\n"
    path = tmp_path / "doc.md"
    path.write_bytes(source.replace("\n", newline).encode("utf-8"))
    doc = read(path)
    assert doc.text == source
    passages = check_passages(doc)

    runs: dict[tuple[int, int], list[Passage]] = {}  # (first, last paragraph) -> its parts
    for p in passages:
        runs.setdefault((p.paragraph, p.paragraph_end or p.paragraph), []).append(p)
    numbers = [n for first, last in sorted(runs) for n in range(first, last + 1)]
    assert numbers == list(range(1, len(expected) + 1)), "every paragraph, once, in order"
    for (first, last), ps in runs.items():
        members = expected[first - 1 : last]
        kinds = {kind for kind, *_ in members}
        assert ps[0].kind == (members[0][0] if len(kinds) == 1 else "text")
        assert {path for _, _, path, _ in members} == {ps[0].heading_path}, "one section"
        start, end = members[0][3], members[-1][3] + len(members[-1][1])
        assert (ps[0].start, ps[-1].end) == (start, end)
        if first == last:
            assert source[start:end] == members[0][1]
        assert [p.part for p in ps] == list(range(1, len(ps) + 1))
        assert {p.parts for p in ps} == {len(ps)}
        assert len(ps) == 1 or first == last, "only a single paragraph is cut in parts"

    left_out = {source.count("\n", 0, i) + 1 for i in uncovered(source, passages)}
    assert left_out <= heading_lines
