"""index.formats.html.extract: visible text as paragraphs, headings, tables, code and charsets."""

from __future__ import annotations

import codecs
import html as html_lib

from hypothesis import given, settings
from hypothesis import strategies as st

from index.formats import Extracted
from index.formats.html import extract


def read(page: str | bytes) -> Extracted:
    """Extract a page, checking every block's span on the way."""
    out = extract(page.encode() if isinstance(page, str) else page)
    end = 0
    for b in out.blocks:
        body = out.text[b.start : b.end]
        assert body and body == body.strip(), "a block is trimmed and never empty"
        assert end <= b.start < b.end <= len(out.text), "blocks are ordered, apart, in the text"
        end = b.end
    return out


def texts(page: str | bytes) -> list[str]:
    out = read(page)
    return [out.text[b.start : b.end] for b in out.blocks]


def blocks(page: str | bytes) -> list[tuple[str, str, tuple[str, ...]]]:
    """(kind, text, heading path) of every block."""
    out = read(page)
    return [(b.kind, out.text[b.start : b.end], b.heading_path) for b in out.blocks]


# --- headings ----------------------------------------------------------------------------------


def test_headings_give_the_heading_path_and_nest_like_markdown() -> None:
    page = (
        "<h1>Guide</h1><p>intro</p><h2>Install</h2><p>pip</p><h3>Linux</h3><p>apt</p>"
        "<h2>Use <em>it</em></h2><p>run</p><h1>Next</h1><p>more</p>"
    )
    assert blocks(page) == [
        ("text", "intro", ("Guide",)),
        ("text", "pip", ("Guide", "Install")),
        ("text", "apt", ("Guide", "Install", "Linux")),
        ("text", "run", ("Guide", "Use it")),  # an h2 pops the h3 under the previous h2
        ("text", "more", ("Next",)),
    ]


def test_headings_are_lines_of_the_text_but_not_blocks() -> None:
    out = read("<h1>Title</h1><p>Body text.</p><h2>Empty section</h2>")
    assert out.text == "Title\n\nBody text.\n\nEmpty section"
    assert [out.text[b.start : b.end] for b in out.blocks] == ["Body text."]


def test_an_empty_heading_closes_the_deeper_sections() -> None:
    assert blocks("<h1>A</h1><h2>B</h2><p>x</p><h2> </h2><p>y</p>") == [
        ("text", "x", ("A", "B")),
        ("text", "y", ("A",)),
    ]


# --- what is not read -------------------------------------------------------------------------


def test_scripts_styles_and_page_chrome_are_dropped() -> None:
    page = """<html><head><style>body { color: red }</style></head><body>
    <header>Site banner</header><nav><a href="/">Home</a></nav>
    <noscript>Enable JS</noscript><template><p>tmpl</p></template>
    <svg><text>drawn</text></svg><iframe>frame</iframe>
    <main><p>Kept main</p></main><article><p>Kept article</p></article><aside>Kept aside</aside>
    <script>var secret = 1;</script><footer>Copyright</footer></body></html>"""
    out = read(page)
    assert [out.text[b.start : b.end] for b in out.blocks] == [
        "Kept main",
        "Kept article",
        "Kept aside",
    ]
    assert out.text == "Kept main\n\nKept article\n\nKept aside"


def test_hidden_elements_are_dropped() -> None:
    page = (
        "<p hidden>a</p><p aria-hidden='true'>b</p><div style='display: none'>c</div>"
        "<p>seen <span aria-hidden=true>x</span>here</p><p aria-hidden='false'>shown</p>"
    )
    assert texts(page) == ["seen here", "shown"]


def test_an_articles_own_header_and_footer_are_kept() -> None:
    page = (
        "<header>Site</header><article><header><h1>Post</h1><p>by Ann</p></header>"
        "<p>Body</p><footer>Tags: x</footer></article><footer>Site footer</footer>"
    )
    assert blocks(page) == [
        ("text", "by Ann", ("Post",)),
        ("text", "Body", ("Post",)),
        ("text", "Tags: x", ("Post",)),
    ]


def test_a_script_in_the_body_never_reaches_the_text() -> None:
    out = read("<p>before</p><script>alert(1)</script><p>after<script>alert(2)</script></p>")
    assert "alert" not in out.text
    assert texts("<p>before</p><script>alert(1)</script><p>after</p>") == ["before", "after"]


def test_an_escaped_tag_is_read_as_literal_text() -> None:
    assert texts("<p>&lt;script&gt;</p>") == ["<script>"]


# --- text --------------------------------------------------------------------------------------


def test_entities_are_decoded() -> None:
    assert texts("<p>a &amp; b &lt; c&nbsp;d caf&#233; &eacute;&#x263A;</p>") == [
        "a & b < c d café é☺"
    ]


def test_title_is_read_with_its_white_space_collapsed() -> None:
    out = read("<html><head><title>\n  My   page\n</title></head><body><p>x</p></body></html>")
    assert out.title == "My page"
    assert "My page" not in out.text
    assert read("<p>x</p><svg><title>icon</title></svg>").title is None


def test_inline_elements_stay_in_their_paragraph_and_white_space_collapses() -> None:
    page = "<p>A <b>bold</b>,\n   <a href='#'>linked</a> and <code>code</code>   word.</p>"
    assert texts(page) == ["A bold, linked and code word."]


def test_loose_text_in_a_div_is_a_paragraph_of_its_own() -> None:
    page = "<div>Loose text <b>bold</b><p>Inner</p>tail <i>end</i></div><section>S</section>"
    assert texts(page) == ["Loose text bold", "Inner", "tail end", "S"]


def test_br_is_a_newline_and_two_end_the_paragraph() -> None:
    assert texts("<p>line one<br>  line two<br/></p>") == ["line one\nline two"]
    assert texts("<p>first<br><br>second</p>") == ["first", "second"]


def test_lists_give_one_block_per_item_without_the_nested_list() -> None:
    page = "<ul><li>one<ul><li>one.a</li><li>one.b</li></ul></li><li>two <b>bold</b></li></ul>"
    assert blocks(page) == [
        ("list", "one", ()),
        ("list", "one.a", ()),
        ("list", "one.b", ()),
        ("list", "two bold", ()),
    ]


def test_pre_is_kept_exactly() -> None:
    code = "def f(x):\n    if x:\n\n        return  <b>1</b>\n\treturn 2"
    out = read(f"<h2>Code</h2><pre>\n{code}\n\n</pre><p>after</p>")
    assert blocks(f"<h2>Code</h2><pre>\n{code}\n\n</pre>") == [
        ("code", "def f(x):\n    if x:\n\n        return  1\n\treturn 2", ("Code",))
    ]
    assert out.text.endswith("return 2\n\nafter")


def test_a_pre_indented_first_line_stays_in_the_text_before_the_block() -> None:
    out = read("<pre>    indented\n  less</pre>")
    assert out.text == "    indented\n  less"
    assert out.text[out.blocks[0].start : out.blocks[0].end] == "indented\n  less"


# --- tables ------------------------------------------------------------------------------------


def test_a_table_is_one_block_of_rows_with_its_header_as_context() -> None:
    page = (
        "<table><caption>Prices</caption><tr><td>apple</td><td>1 &amp; 2</td></tr>"
        "<tr><th>Fruit</th><th>Price</th></tr><tr><td>pear</td><td><b>3</b></td></tr></table>"
    )
    out = read(page)
    caption, table = out.blocks
    assert out.text[caption.start : caption.end] == "Prices"
    assert table.kind == "table"
    assert out.text[table.start : table.end] == "Fruit | Price\napple | 1 & 2\npear | 3"
    assert table.context == "Fruit | Price"


def test_thead_rows_are_the_header_and_a_table_without_one_has_no_context() -> None:
    out = read(
        "<table><thead><tr><td>K</td><td>V</td></tr></thead><tr><td>a</td><td>b</td></table>"
    )
    assert out.text == "K | V\na | b"
    assert out.blocks[0].context == "K | V"
    assert read("<table><tr><td>a</td><td>b</td></tr></table>").blocks[0].context == ""


def test_table_cells_keep_words_apart_and_skip_empty_and_hidden_rows() -> None:
    page = (
        "<table><tr><td>a<p>b</p></td><td>x<table><tr><td>in</td></tr></table></td></tr>"
        "<tr><td> </td></tr><tr hidden><td>secret</td></tr></table>"
    )
    assert blocks(page) == [("table", "a b | x in", ())]


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
