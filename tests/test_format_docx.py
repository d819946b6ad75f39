"""index.formats.docx.extract: body order, heading paths, lists and title. Tables are in
test_format_docx_tables.py, whole documents and bad files in test_format_docx_files.py.

Every document is built here with python-docx; ``extract_ok`` checks each block's span.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable

import docx
import pytest
from docx.document import Document as DocxDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from docx_helpers import extract_ok, rewrite, rows, save

from index.formats import Extracted
from index.formats.docx import extract


def add_xml(doc: DocxDocument, xml: str) -> None:
    """Append a raw body element (w:p, w:sdt...) written with the ``w``, ``v`` and ``mc`` prefixes."""
    head, rest = xml.split(">", 1)
    namespaces = (
        f'{nsdecls("w")} xmlns:v="urn:schemas-microsoft-com:vml"'
        ' xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006"'
    )
    doc.element.body.sectPr.addprevious(parse_xml(f"{head} {namespaces}>{rest}"))


# --- headings and paragraphs ------------------------------------------------------------------


def test_headings_set_nested_paths_and_are_not_passages() -> None:
    doc = docx.Document()
    doc.add_paragraph("Before any heading.")
    doc.add_heading("Install", 1)
    doc.add_paragraph("Install it.")
    doc.add_heading("Linux", 2)
    doc.add_paragraph("Use apt.")
    doc.add_heading("Debian", 3)
    doc.add_paragraph("apt-get install.")
    doc.add_heading("Windows", 2)  # pops Linux and Debian
    doc.add_paragraph("Use the installer.")
    doc.add_heading("Usage", 1)  # pops everything
    doc.add_paragraph("Run it.")
    ex = extract_ok(doc)
    assert rows(ex) == [
        ("text", "Before any heading.", ()),
        ("text", "Install it.", ("Install",)),
        ("text", "Use apt.", ("Install", "Linux")),
        ("text", "apt-get install.", ("Install", "Linux", "Debian")),
        ("text", "Use the installer.", ("Install", "Windows")),
        ("text", "Run it.", ("Usage",)),
    ]
    assert "\n\nDebian\n\napt-get install." in ex.text, "headings are lines of the text"


def test_title_sits_above_heading_1_and_names_the_document() -> None:
    doc = docx.Document()
    doc.add_heading("Field Guide", 0)
    doc.add_paragraph("Preface.")
    doc.add_heading("Birds", 1)
    doc.add_paragraph("Many birds.")
    ex = extract_ok(doc)
    assert rows(ex) == [
        ("text", "Preface.", ("Field Guide",)),
        ("text", "Many birds.", ("Field Guide", "Birds")),
    ]
    assert ex.title == "Field Guide"


def test_title_prefers_document_properties_then_first_heading_1() -> None:
    doc = docx.Document()
    doc.add_heading("First chapter", 1)
    doc.add_heading("Second chapter", 1)
    assert extract_ok(doc).title == "First chapter"
    doc.core_properties.title = "  Annual   report "
    assert extract_ok(doc).title == "Annual report"
    plain = docx.Document()
    plain.add_paragraph("No headings here.")
    assert extract_ok(plain).title is None


@pytest.mark.parametrize(
    ("part", "edit"),
    [
        ("_rels/.rels", lambda b: re.sub(rb"<Relationship [^>]*core-properties[^>]*/>", b"", b)),
        ("[Content_Types].xml", lambda b: b.replace(b"package.core-properties+xml", b"x+xml")),
    ],
    ids=["no-core-part", "core-part-of-wrong-type"],
)
def test_missing_document_properties_do_not_invent_a_title(
    part: str, edit: Callable[[bytes], bytes]
) -> None:
    doc = docx.Document()
    doc.add_paragraph("Text only.")
    doc.core_properties.title = "Lost"
    ex = extract(rewrite(save(doc), part, edit))
    assert (ex.title, ex.text) == (None, "Text only."), "python-docx's default is 'Word Document'"


def test_empty_heading_closes_sections_without_adding_to_the_path() -> None:
    doc = docx.Document()
    doc.add_heading("A", 1)
    doc.add_heading("B", 2)
    doc.add_heading("   ", 2)
    doc.add_paragraph("under A only")
    assert rows(extract_ok(doc)) == [("text", "under A only", ("A",))]


def test_custom_style_based_on_a_heading_and_outline_levels_are_headings() -> None:
    doc = docx.Document()
    custom = doc.styles.add_style("Chapter Head", WD_STYLE_TYPE.PARAGRAPH)
    custom.base_style = doc.styles["Heading 1"]
    sub = doc.styles.add_style("Sub Head", WD_STYLE_TYPE.PARAGRAPH)
    sub.base_style = custom  # two steps from Heading 1: still level 1
    part = doc.styles.add_style("Part", WD_STYLE_TYPE.PARAGRAPH)  # outline level 2 = heading 3
    part.element.get_or_add_pPr().append(parse_xml(f'<w:outlineLvl {nsdecls("w")} w:val="2"/>'))
    doc.add_paragraph("Chapter one", style="Chapter Head")
    doc.add_paragraph("Body one.")
    add_xml(
        doc, '<w:p><w:pPr><w:outlineLvl w:val="1"/></w:pPr><w:r><w:t>Outlined</w:t></w:r></w:p>'
    )
    doc.add_paragraph("Body two.")
    doc.add_paragraph("Part three", style="Part")
    doc.add_paragraph("Body three.")
    demoted = doc.add_heading("Demoted to body text", 1)
    demoted._p.get_or_add_pPr().append(parse_xml(f'<w:outlineLvl {nsdecls("w")} w:val="9"/>'))
    doc.add_paragraph("Chapter two", style="Sub Head")
    doc.add_paragraph("Body four.")
    assert rows(extract_ok(doc)) == [
        ("text", "Body one.", ("Chapter one",)),
        ("text", "Body two.", ("Chapter one", "Outlined")),
        ("text", "Body three.", ("Chapter one", "Outlined", "Part three")),
        ("text", "Demoted to body text", ("Chapter one", "Outlined", "Part three")),
        ("text", "Body four.", ("Chapter two",)),
    ]


def test_cyclic_based_on_styles_are_read_as_plain_paragraphs() -> None:
    doc = docx.Document()
    a = doc.styles.add_style("Loop A", WD_STYLE_TYPE.PARAGRAPH)
    b = doc.styles.add_style("Loop B", WD_STYLE_TYPE.PARAGRAPH)
    a.base_style, b.base_style = b, a
    doc.add_paragraph("Still read.", style="Loop A")
    done: list[Extracted] = []
    worker = threading.Thread(target=lambda: done.append(extract(save(doc))), daemon=True)
    worker.start()
    worker.join(timeout=20)
    assert done, "a basedOn cycle must not loop forever"
    assert rows(done[0]) == [("text", "Still read.", ())]


def test_empty_paragraphs_separate_and_are_never_passages() -> None:
    doc = docx.Document()
    doc.add_paragraph("One.")
    doc.add_paragraph("")
    doc.add_paragraph("   \t ")
    doc.add_paragraph("Two.")
    ex = extract_ok(doc)
    assert [text for _, text, _ in rows(ex)] == ["One.", "Two."]
    assert ex.text == "One.\n\nTwo."


def test_tabs_and_line_breaks_stay_inside_one_paragraph() -> None:
    doc = docx.Document()
    p = doc.add_paragraph("Name:\tAda")
    p.add_run().add_break()
    p.add_run().add_break()  # a blank line inside a paragraph does not split it
    p.add_run("  second line ")
    add_xml(doc, '<w:p><w:r><w:t>end of page</w:t><w:br w:type="page"/><w:t>next</w:t></w:r></w:p>')
    assert [text for _, text, _ in rows(extract_ok(doc))] == [
        "Name:\tAda\n  second line",
        "end of page\nnext",
    ]


def test_list_items_are_paragraphs_of_their_own() -> None:
    doc = docx.Document()
    doc.add_heading("Shopping", 1)
    doc.add_paragraph("Buy:")
    doc.add_paragraph("Milk", style="List Bullet")
    doc.add_paragraph("Bread", style="List Number")
    doc.add_paragraph("Butter", style="List Paragraph")  # a list style without numbering
    add_xml(  # numbered through direct numbering, not a list style
        doc,
        '<w:p><w:pPr><w:numPr><w:ilvl w:val="0"/><w:numId w:val="1"/></w:numPr></w:pPr>'
        "<w:r><w:t>Eggs</w:t></w:r></w:p>",
    )
    add_xml(  # numId 0 switches numbering off
        doc,
        '<w:p><w:pPr><w:numPr><w:numId w:val="0"/></w:numPr></w:pPr><w:r><w:t>Done.</w:t></w:r></w:p>',
    )
    assert rows(extract_ok(doc)) == [
        ("text", "Buy:", ("Shopping",)),
        ("list", "Milk", ("Shopping",)),
        ("list", "Bread", ("Shopping",)),
        ("list", "Butter", ("Shopping",)),
        ("list", "Eggs", ("Shopping",)),
        ("text", "Done.", ("Shopping",)),
    ]


def test_tracked_changes_read_as_accepted_and_text_boxes_left_out() -> None:
    doc = docx.Document()
    add_xml(
        doc,
        "<w:p><w:r><w:t xml:space='preserve'>Keep </w:t></w:r>"
        "<w:ins w:id='1' w:author='a'><w:r><w:t>added</w:t></w:r></w:ins>"
        "<w:del w:id='2' w:author='a'><w:r><w:delText>gone</w:delText><w:tab/></w:r></w:del>"
        "<w:hyperlink><w:r><w:t xml:space='preserve'> link</w:t></w:r></w:hyperlink>"
        "<w:ruby><w:rubyPr/><w:rt><w:r><w:t>kan</w:t></w:r></w:rt>"
        "<w:rubyBase><w:r><w:t xml:space='preserve'> 漢</w:t></w:r></w:rubyBase></w:ruby>"
        "<w:r><w:pict><v:shape><v:textbox><w:txbxContent><w:p><w:r><w:t>In a box</w:t></w:r>"
        "</w:p></w:txbxContent></v:textbox></v:shape></w:pict></w:r></w:p>",
    )
    assert [text for _, text, _ in rows(extract_ok(doc))] == ["Keep added link 漢"]


def test_content_controls_are_read_and_a_table_of_contents_is_not() -> None:
    doc = docx.Document()
    add_xml(
        doc,
        "<w:sdt><w:sdtPr><w:docPartObj><w:docPartGallery w:val='Table of Contents'/>"
        "</w:docPartObj></w:sdtPr><w:sdtContent><w:p><w:r><w:t>Intro\t1</w:t></w:r></w:p>"
        "</w:sdtContent></w:sdt>",
    )
    doc.add_paragraph("Chapter\t2", style=doc.styles.add_style("TOC 1", WD_STYLE_TYPE.PARAGRAPH))
    add_xml(
        doc,
        "<w:sdt><w:sdtPr/><w:sdtContent><w:p><w:r><w:t>Filled-in field.</w:t></w:r></w:p>"
        "</w:sdtContent></w:sdt>",
    )
    add_xml(
        doc, "<w:customXml w:element='note'><w:p><w:r><w:t>Tagged.</w:t></w:r></w:p></w:customXml>"
    )
    assert [text for _, text, _ in rows(extract_ok(doc))] == ["Filled-in field.", "Tagged."]


def test_alternate_content_is_read_once() -> None:
    doc = docx.Document()
    add_xml(
        doc,
        "<w:p><w:r><w:t xml:space='preserve'>Shape: </w:t></w:r><mc:AlternateContent>"
        "<mc:Choice Requires='wps'><w:r><w:t>modern</w:t></w:r></mc:Choice>"
        "<mc:Fallback><w:r><w:t>legacy</w:t></w:r></mc:Fallback></mc:AlternateContent></w:p>",
    )
    assert [text for _, text, _ in rows(extract_ok(doc))] == ["Shape: modern"]
