"""xml_escape: member text is inert in storage format, reads back exactly, and a parsed page
is written back as it was (BeautifulSoup's html.parser with our builder and formatter)."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import CData, Comment, Declaration, ProcessingInstruction
from hypothesis import example, given, settings
from hypothesis import strategies as st

from connector.confluence.xml_escape import (
    escape_attribute,
    escape_lines,
    escape_text,
    parse_storage,
    read_cell,
    serialize,
    xml_chars,
)

INJECTIONS = [
    '<ac:structured-macro ac:name="html"><ac:plain-text-body><![CDATA[<script>x</script>]]>'
    "</ac:plain-text-body></ac:structured-macro>",
    "]]>", "&", "&amp;", "&lt;p&gt;", "&nbsp;", "&#60;", "<script>alert(1)</script>",
    "\"quotes\" 'single'", "<![CDATA[x]]>", "<!-- comment -->", "<?xml version='1.0'?>",
    "<!DOCTYPE html>", "<ri:page ri:content-title=\"X\"/>", "</td></tr></table>", "<br/>",
    "a > b < c", "R&D", "l'équipe", "</p><p>", "<time datetime=\"2024-01-01\"/>",
]


def soup_of(markup: str) -> BeautifulSoup:
    soup = parse_storage(markup)
    assert soup is not None
    return soup


def only_text(element: Tag) -> None:
    """No element, comment, CDATA, declaration or processing instruction under ``element``."""
    for node in element.descendants:
        assert isinstance(node, NavigableString), node
        assert not isinstance(node, CData | Comment | Declaration | ProcessingInstruction), node


@pytest.mark.parametrize("value", INJECTIONS)
def test_escaped_text_is_one_text_node_that_reads_back(value: str) -> None:
    escaped = escape_text(value)
    assert "<" not in escaped and ">" not in escaped and '"' not in escaped
    assert "'" not in escaped
    paragraph = soup_of(f"<p>{escaped}</p>").p
    assert paragraph is not None
    only_text(paragraph)
    assert paragraph.get_text() == value


@pytest.mark.parametrize("value", INJECTIONS)
def test_escaped_attribute_reads_back_and_stays_in_its_attribute(value: str) -> None:
    soup = soup_of(f'<ri:page ri:content-title="{escape_attribute(value)}" x="1"/>')
    page = soup.find("ri:page")
    assert isinstance(page, Tag)
    assert dict(page.attrs) == {"ri:content-title": value, "x": "1"}
    assert list(page.children) == []


@pytest.mark.parametrize(("value", "escaped"), [
    ("a&b", "a&amp;b"),
    ("<p>", "&lt;p&gt;"),
    ("]]>", "]]&gt;"),
    ("\"a\" 'b'", "&quot;a&quot; &#39;b&#39;"),
    ("&amp;", "&amp;amp;"),
    ("a\x00b\x07c\x1fd\ufffee\uffff", "abcde"),
    ("tab\tnew\nline", "tab\tnew\nline"),
    ("cr\r", "cr&#13;"),
    ("\x85 é ∑ 😀", "\x85 é ∑ 😀"),
    ("", ""),
])
def test_escape_text_examples(value: str, escaped: str) -> None:
    assert escape_text(value) == escaped


def test_attribute_escaping_keeps_white_space_from_normalization() -> None:
    assert escape_attribute("a\tb\nc\rd'\"") == "a&#9;b&#10;c&#13;d&#39;&quot;"
    value = "x y\tz\n"
    link = soup_of(f'<a href="{escape_attribute(value)}">t</a>').a
    assert link is not None and link["href"] == value


def test_escape_lines_breaks_lines_with_br_and_escapes_each() -> None:
    assert escape_lines("a<b\nc&d\r\ne\rf") == "a&lt;b<br/>c&amp;d<br/>e<br/>f"
    assert escape_lines("one") == "one"
    value = "x\n\ny <z>"
    cell = soup_of(f"<td>{escape_lines(value)}</td>").td
    assert cell is not None
    assert read_cell(cell).text == value


def test_xml_chars_drops_only_what_xml_cannot_carry() -> None:
    assert xml_chars("a\x00\x08\x0b\x0c\x0e\x1f\ud800\udfff\ufffe\uffffb") == "ab"
    kept = "\t\n\r \x7f\x85\ud7ff\ue000\ufffd\U00010000\U0010ffff"
    assert xml_chars(kept) == kept


@given(st.text())
@example("]]>&amp;<![CDATA[")
@example("\r\n\t\x0b")
@settings(max_examples=300, deadline=None)
def test_any_text_reads_back_as_its_xml_characters(value: str) -> None:
    paragraph = soup_of(f"<p>{escape_text(value)}</p>").p
    assert paragraph is not None
    only_text(paragraph)
    assert paragraph.get_text() == xml_chars(value)
    page = soup_of(f'<ri:page ri:content-title="{escape_attribute(value)}"/>').find("ri:page")
    assert isinstance(page, Tag) and page["ri:content-title"] == xml_chars(value)


# --- the BeautifulSoup round trip ----------------------------------------------------------

CONFLUENCE_PAGE = (
    '<p class="intro  lead" data-x="1">Hello &amp; <strong>welcome</strong> &lt;team&gt;</p>'
    '<ac:structured-macro ac:name="info" ac:schema-version="1" ac:macro-id="a-1">'
    '<ac:parameter ac:name="title">Note</ac:parameter>'
    "<ac:rich-text-body><p>Read <ac:link><ri:page ri:content-title=\"X &amp; Y\" "
    'ri:space-key="DOC"/><ac:plain-text-link-body><![CDATA[the <doc>]]>'
    "</ac:plain-text-link-body></ac:link></p></ac:rich-text-body></ac:structured-macro>"
    '<ac:structured-macro ac:name="code" ac:schema-version="1">'
    '<ac:parameter ac:name="language">python</ac:parameter>'
    "<ac:plain-text-body><![CDATA[ if x < y && z > 0: print(\"]]]]><![CDATA[>\") ]]>"
    "</ac:plain-text-body></ac:structured-macro>"
    '<p><time datetime="2024-03-01"/> and <ac:emoticon ac:name="smile"/><br/>'
    '<ac:link><ri:user ri:account-id="557058:0f1e"/></ac:link></p>'
    '<ac:image ac:height="250"><ri:attachment ri:filename="a.png"/></ac:image>'
    "<!-- a comment --><table><colgroup><col/><col/></colgroup><tbody><tr><th>A</th></tr>"
    '</tbody></table><ac:layout><ac:layout-section ac:type="two_equal"><ac:layout-cell>'
    "<p>left</p></ac:layout-cell><ac:layout-cell><p/></ac:layout-cell></ac:layout-section>"
    "</ac:layout>"
)


def test_a_canonical_page_survives_parse_and_serialize_byte_for_byte() -> None:
    assert serialize(soup_of(CONFLUENCE_PAGE)) == CONFLUENCE_PAGE


@pytest.mark.parametrize(("source", "written"), [
    ("<p>it's \"quoted\"</p>", "<p>it&#39;s &quot;quoted&quot;</p>"),
    ("<p>a&nbsp;b&#160;c</p>", "<p>a\xa0b\xa0c</p>"),
    ("<time datetime='2024-01-01' />", '<time datetime="2024-01-01"/>'),
    ("<ri:page ri:content-title=\"a\"></ri:page>", '<ri:page ri:content-title="a"></ri:page>'),
    ("<br>", "<br/>"),
    ("<P>x</P>", "<p>x</p>"),
    ("<td>&#1;x&#xfffe;</td>", "<td>x</td>"),
    ("<p>   </p><p>\t</p>\n", "<p>   </p><p>\t</p>\n"),
    ("<ac:plain-text-body><![CDATA[\n\n]]></ac:plain-text-body>",
     "<ac:plain-text-body><![CDATA[\n\n]]></ac:plain-text-body>"),
])
def test_serialization_is_equivalent_xml(source: str, written: str) -> None:
    assert serialize(soup_of(source)) == written


def test_namespaced_tags_attributes_cdata_and_self_closing_tags_are_kept() -> None:
    soup = soup_of(CONFLUENCE_PAGE)
    macro = soup.find("ac:structured-macro", attrs={"ac:name": "code"})
    assert isinstance(macro, Tag)
    assert list(macro.attrs) == ["ac:name", "ac:schema-version"]
    body = macro.find("ac:plain-text-body")
    assert isinstance(body, Tag)
    sections = [node for node in body.contents if isinstance(node, CData)]
    assert "".join(sections) == ' if x < y && z > 0: print("]]>") '
    page = soup.find("ri:page")
    assert isinstance(page, Tag) and page.is_empty_element
    assert page["ri:content-title"] == "X & Y"


def test_serialization_is_a_fixed_point() -> None:
    once = serialize(soup_of(CONFLUENCE_PAGE.replace("&amp;", "&#38;") + "<p>'&nbsp;'</p>"))
    assert serialize(soup_of(once)) == once


JUNK = st.lists(st.sampled_from([
    "<", ">", "</", "/>", "<!--", "-->", "<![CDATA[", "]]>", "<!", "<?", "?>", "&", "&#", ";",
    "&amp;", "&#0;", "&#x110000;", "<table>", "<tr>", "<td>", "</td>", "<ac:link>", '"', "'",
    "=", "<p", "x", " ", "\x00", "<ri:page ri:content-title=", "<!DOCTYPE", "\n", "é",
]), max_size=60).map("".join) | st.text()


@given(JUNK)
@settings(max_examples=300, deadline=None)
def test_parse_storage_never_raises(content: str) -> None:
    soup = parse_storage(content)
    if soup is not None:
        serialize(soup)
