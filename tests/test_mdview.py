"""Markdown shown rendered: structure survives, nothing executable or fetching does, the cited
passage is marked on its blocks, and URLs come out exactly as written."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from webapp.mdview import render_markdown

ALLOWED_TAGS = {
    *("h1", "h2", "h3", "h4", "h5", "h6", "p", "ul", "ol", "li", "pre", "code", "blockquote"),
    *("em", "strong", "a", "table", "thead", "tbody", "tr", "th", "td", "hr", "br", "del", "s"),
}


class Collect(HTMLParser):
    """Every start tag with its attributes, and the text, as a browser's parser sees them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse(html: str) -> Collect:
    c = Collect()
    c.feed(html)
    c.close()
    return c


def hits(html: str) -> list[tuple[str, dict[str, str | None]]]:
    return [(t, a) for t, a in parse(html).tags if "class" in a or "id" in a]


GUIDE = """\
# Install

Run the installer first.

- one
- two

```bash
pip install docqa
```

## Use

Ask a question.
"""


def test_headings_code_lists_and_inline_markup_render() -> None:
    html = render_markdown(GUIDE + "\n*em* **strong** `code` ~~gone~~\n\n> quoted\n\n---\n")
    tags = [t for t, _ in parse(html).tags]
    for tag in ("h1", "h2", "p", "ul", "li", "pre", "code", "em", "strong", "blockquote", "hr"):
        assert tag in tags, tag
    assert "<pre><code>pip install docqa\n</code></pre>" in html
    assert "#" not in "".join(parse(html).text)  # heading marks consumed, not shown


def test_tables_render() -> None:
    html = render_markdown("| a | b |\n|---|--:|\n| 1 | 2 |\n")
    tags = [t for t, _ in parse(html).tags]
    assert tags == ["table", "thead", "tr", "th", "th", "tbody", "tr", "td", "td"]
    assert "style" not in html  # column alignment is dropped, not inlined as CSS


HOSTILE = """\
<script>alert(1)</script>

<img src=x onerror=alert(2)> <b onclick="alert(3)">bold</b> <iframe src="http://evil/"></iframe>

[js](javascript:alert(4)) [js2](JaVaScRiPt:alert(5)) [ent](jav&#97;script:alert(6))
[data](data:text/html,<script>alert(7)</script>) [vb](vbscript:x) [file](file:///etc/passwd)
<javascript:alert(8)> [rel](../secret.md) [proto](//evil.example/x)

![pic](http://evil/x.png) ![](http://evil/y.png "t")

$$x^2$$ {{constructor}} ${alert(9)} `{{x}}` and a back`tick

```
{{#each x}}${y}{{/each}}
```

<style>body{display:none}</style>
<!-- comment --> <a href="http://evil/" style="color:red">raw link</a>
"""


def test_hostile_input_leaves_no_executable_markup_and_no_external_resource() -> None:
    html = render_markdown(HOSTILE)
    page = parse(html)
    for tag, attrs in page.tags:
        assert tag in ALLOWED_TAGS, tag
        for name, value in attrs.items():
            assert name in {"href", "title", "rel", "target", "class", "id"}, (tag, name)
            assert not name.startswith("on") and name not in {"src", "style", "srcset"}
            if name == "href":
                assert value is not None
                assert value.startswith(("http://", "https://", "mailto:", "#")), value
                assert "evil" not in value  # the only http links in the input are hostile
    # The text reads as the document wrote it.
    text = "".join(page.text)
    assert "<script>alert(1)</script>" in text
    assert "[image: pic]" in text and "[image]" in text
    assert "$$x^2$$ {{constructor}} ${alert(9)}" in text
    assert "{{#each x}}${y}{{/each}}" in text
    assert "[js](javascript:alert(4))" in text  # a refused link stays literal text
    # No template or math syntax survives as raw characters in the HTML itself.
    for ch in "${}`":
        assert ch not in html, ch
    assert "&#36;&#36;x^2&#36;&#36;" in html


def test_links_with_other_schemes_stay_literal_text() -> None:
    page = parse(render_markdown("[call](tel:123) [get](ftp://host/f) [ssh](ssh://h)"))
    assert [t for t, _ in page.tags] == ["p"]
    assert "".join(page.text) == "[call](tel:123) [get](ftp://host/f) [ssh](ssh://h)\n"


def test_relative_links_keep_their_text_but_lose_their_target() -> None:
    page = parse(render_markdown("[setup](setup.md) and [top](#install)"))
    links = [a for t, a in page.tags if t == "a"]
    assert "href" not in links[0]
    assert links[1]["href"] == "#install" and "target" not in links[1]
    assert "".join(page.text) == "setup and top\n"


@pytest.mark.parametrize(
    "source",
    [
        "[index](https://download.pytorch.org/whl/cpu)",
        "<https://download.pytorch.org/whl/cpu>",
        "[index](<https://download.pytorch.org/whl/cpu>)",
    ],
)
def test_urls_come_out_exactly(source: str) -> None:
    html = render_markdown(source)
    links = [a for t, a in parse(html).tags if t == "a"]
    assert links == [
        {
            "href": "https://download.pytorch.org/whl/cpu",
            "target": "_blank",
            "rel": "noopener noreferrer nofollow",
        }
    ]
    assert "%5C" not in html and "\\" not in html


def test_url_in_plain_text_stays_as_written() -> None:
    page = parse(
        render_markdown("pip install torch --index-url https://download.pytorch.org/whl/cpu")
    )
    assert (
        "".join(page.text) == "pip install torch --index-url https://download.pytorch.org/whl/cpu\n"
    )


def test_url_with_query_and_template_characters_round_trips() -> None:
    url = "https://example.org/a?b=1&c=$x"
    links = [a for t, a in parse(render_markdown(f"[q]({url})")).tags if t == "a"]
    assert links[0]["href"] == url  # the browser decodes &amp; and &#36; back


def test_empty_source_renders_nothing() -> None:
    assert render_markdown("") == ""
    assert render_markdown("", mark=(0, 10)) == ""


def span(source: str, needle: str) -> tuple[int, int]:
    start = source.index(needle)
    return start, start + len(needle)


def test_mark_lands_on_the_block_that_holds_the_passage() -> None:
    html = render_markdown(GUIDE, mark=span(GUIDE, "Ask a question."))
    assert hits(html) == [("p", {"class": "docqa-hit", "id": "docqa-hit"})]
    assert '<p class="docqa-hit" id="docqa-hit">Ask a question.</p>' in html


def test_mark_over_several_blocks_marks_each_and_ids_the_first() -> None:
    start = GUIDE.index("Run the")
    end = GUIDE.index("pip install")
    html = render_markdown(GUIDE, mark=(start, end))
    assert hits(html) == [
        ("p", {"class": "docqa-hit", "id": "docqa-hit"}),
        ("ul", {"class": "docqa-hit"}),
        ("pre", {"class": "docqa-hit"}),
    ]


def test_mark_on_a_fence_goes_on_pre() -> None:
    html = render_markdown(GUIDE, mark=span(GUIDE, "pip install docqa"))
    assert '<pre class="docqa-hit" id="docqa-hit"><code>pip install docqa' in html


def test_mark_uses_file_offsets_of_the_window() -> None:
    doc = "# Intro\n\nPadding paragraph.\n\n" + GUIDE
    base = doc.index("# Install")
    html = render_markdown(doc[base:], mark=span(doc, "- two"), base_offset=base)
    assert [t for t, _ in hits(html)] == ["ul"]


def test_mark_counts_crlf_and_cr_lines_as_markdown_it_does() -> None:
    crlf = GUIDE.replace("\n", "\r\n")
    assert [t for t, _ in hits(render_markdown(crlf, mark=span(crlf, "Ask a question.")))] == ["p"]
    cr = GUIDE.replace("\n", "\r")
    assert [t for t, _ in hits(render_markdown(cr, mark=span(cr, "- one")))] == ["ul"]


@pytest.mark.parametrize("mark", [(0, 5), (10_000, 10_050), (60, 60), (80, 70)])
def test_mark_outside_the_window_or_empty_marks_nothing(mark: tuple[int, int]) -> None:
    html = render_markdown(GUIDE, mark=mark, base_offset=1000)
    assert hits(html) == []
    assert html == render_markdown(GUIDE)


def test_mark_starting_before_the_window_marks_its_first_blocks() -> None:
    html = render_markdown(GUIDE, mark=(500, 1000 + GUIDE.index("Run") + 3), base_offset=1000)
    assert [t for t, _ in hits(html)] == ["h1", "p"]


def test_document_cannot_forge_the_hit_mark() -> None:
    source = '<p id="docqa-hit" class="docqa-hit">fake</p>\n\n{#docqa-hit .docqa-hit}\n'
    assert hits(render_markdown(source)) == []
