"""index.formats.html.extract on whole pages: charsets and BOMs, invalid UTF-8, malformed and deeply
nested markup, empty pages, determinism, and random nesting of a few tags."""

from __future__ import annotations

import codecs
import html as html_lib

from html_helpers import blocks, read, texts
from hypothesis import given, settings
from hypothesis import strategies as st

from index.formats.html import extract

# --- bytes and broken pages --------------------------------------------------------------------


def test_meta_charset_decodes_latin_1_bytes() -> None:
    page = '<html><head><meta charset="ISO-8859-1"></head><body><p>café € naïve</p>'
    out = read(page.encode("cp1252"))  # browsers read "latin-1" as windows-1252
    assert out.warning is None
    assert texts(page.encode("cp1252")) == ["café € naïve"]


def test_http_equiv_charset_is_honoured() -> None:
    page = '<meta http-equiv="Content-Type" content="text/html; charset=windows-1251"><p>Привет'
    assert texts(page.encode("cp1251")) == ["Привет"]


def test_a_bom_wins_over_the_meta_charset() -> None:
    data = codecs.BOM_UTF16_LE + '<meta charset="latin-1"><p>é ☺</p>'.encode("utf-16-le")
    assert texts(data) == ["é ☺"]
    assert texts(codecs.BOM_UTF8 + "<p>é</p>".encode()) == ["é"]


def test_invalid_utf8_is_replaced_and_reported() -> None:
    out = read(b"<p>caf\xe9 ok</p>")
    assert out.text == "caf\ufffd ok"
    assert out.warning is not None and "byte 6" in out.warning
    assert read("<p>café</p>".encode()).warning is None
    assert texts(b'<meta charset="no-such-charset"><p>x \xc3\xa9</p>') == ["x é"]


def test_malformed_html_is_read_as_a_browser_would() -> None:
    page = "<p>unclosed <b>bold <i>both<p>next</i></b></div></span><li>item<table><tr><td>c"
    assert blocks(page) == [
        ("text", "unclosed bold both", ()),
        ("text", "next", ()),
        ("list", "item", ()),
        ("table", "c", ()),
    ]


def test_an_empty_or_invisible_page_has_no_blocks() -> None:
    for page in (b"", b"   ", b"<html><head><title>T</title></head><body> </body></html>"):
        out = read(page)
        assert out.blocks == [] and out.text == ""
    assert read(b"<title>T</title>").title == "T"


def test_deep_nesting_does_not_hit_the_recursion_limit() -> None:
    depth = 3000  # three times Python's default recursion limit, for each kind of walk
    heading = "<h2>" + "<span>" * depth + "Deep</h2>"
    cell = "<table><tr><td>" + "<i>" * depth + "c</td></tr></table>"
    page = "<div>" * depth + heading + "deep <b>" * depth + "end" + cell
    assert blocks(page) == [
        ("text", "deep " * depth + "end", ("Deep",)),
        ("table", "c", ("Deep",)),
    ]


def test_the_same_bytes_give_the_same_extraction() -> None:
    page = b"<title>t</title><h1>A</h1><p>x<br>y</p><table><tr><th>h</th></tr></table>"
    assert extract(page) == extract(page)


# --- property: random nesting of a few tags ----------------------------------------------------

_WORDS = st.text(alphabet="ab é中\n\t&<>;'\"\xa0", max_size=8)
_HIDDEN = ("<script>SCRIPTX</script>", "<style>STYLEX</style>", "<nav>NAVX</nav>")


def _leaf() -> st.SearchStrategy[tuple[str, str]]:
    """(markup, visible text) of a text node, a <br>, or an element that is not read."""
    return st.one_of(
        _WORDS.map(lambda t: (html_lib.escape(t), t)),
        st.sampled_from([*_HIDDEN, "<br>"]).map(lambda m: (m, "")),
    )


def _element(children: st.SearchStrategy[tuple[str, str]]) -> st.SearchStrategy[tuple[str, str]]:
    tags = st.sampled_from(["p", "div", "span", "b", "a", "h2", "h3", "pre", "ul", "table"])

    def render(tag: str, kids: list[tuple[str, str]]) -> tuple[str, str]:
        visible = "".join(v for _, v in kids)
        if tag == "ul":
            return "<ul>" + "".join(f"<li>{m}</li>" for m, _ in kids) + "</ul>", visible
        if tag == "table":
            return "<table><tr>" + "".join(
                f"<td>{m}</td>" for m, _ in kids
            ) + "</tr></table>", visible
        return f"<{tag}>" + "".join(m for m, _ in kids) + f"</{tag}>", visible

    return st.builds(render, tags, st.lists(children, max_size=4))


@settings(max_examples=200, deadline=None, database=None)
@given(st.recursive(_leaf(), _element, max_leaves=25))
def test_random_pages_give_trimmed_ordered_blocks_and_only_visible_text(
    page: tuple[str, str],
) -> None:
    markup, visible = page
    out = read(markup)  # checks spans: trimmed, non-empty, ordered, apart
    assert not any(marker in out.text for marker in ("SCRIPTX", "STYLEX", "NAVX"))
    # Every visible character is read once, in order; only white space and " | " are added.
    assert "".join(out.text.replace("|", "").split()) == "".join(visible.split())
