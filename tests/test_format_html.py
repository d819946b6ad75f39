"""index.formats.html.extract: visible text as paragraphs, headings, tables and code. Charsets,
broken pages and random pages are in test_format_html_pages.py."""

from __future__ import annotations

from html_helpers import blocks, read, texts

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
