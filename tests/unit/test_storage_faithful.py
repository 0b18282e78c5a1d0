"""storage_source / xml_escape.write_back: a parsed page written back byte for byte where it
was not changed (what members and the editor wrote stays as they wrote it), the changed
parts with the storage escaping; and an upgrade touching only what it changes."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import pytest
from bs4 import BeautifulSoup, NavigableString, Tag
from hypothesis import given, settings
from hypothesis import strategies as st

from connector.base import PageContext, PageRef
from connector.confluence.storage import StorageCodec
from connector.confluence.xml_escape import parse_storage, serialize, write_back
from page_templates import load_templates, shipped


def kept(markup: str) -> BeautifulSoup:
    soup = parse_storage(markup, keep_source=True)
    assert soup is not None
    return soup


def find(soup: BeautifulSoup, name: str, position: int = 0) -> Tag:
    tag = soup.find_all(name)[position]
    assert isinstance(tag, Tag)
    return tag


# --- nothing changed: the source, byte for byte ----------------------------------------------

UNCHANGED = [
    "<p>L'hélice d'Ørsted&nbsp;&rsquo; &amp; caf&eacute; &#233; &#xE9; &lt;b&gt;</p>",
    "<p>Mer \"Mag\" l'équipe</p><p title='it\"s' class=\"a'b\" data-x=plain>x</p>",
    "<p>x<br />y<br/>z<br>w</br></p>",
    '<p><ac:emoticon ac:name="smile" /> <ac:emoticon ac:name="sad"/></p>'
    '<ac:link><ri:user ri:account-id="abc" /></ac:link>'
    '<ac:link><ri:page ri:content-title="X &amp; Y"/></ac:link>',
    '<ac:structured-macro ac:name="code"><ac:plain-text-body><![CDATA[if a < b && c ]]]]>'
    "<![CDATA[> x]]></ac:plain-text-body></ac:structured-macro>",
    "<!-- a comment --><p>a</p><!--x-->\n<p>b</p>",
    "<table><tbody><tr><td><p>a</td><td>b</td></tr></tbody></table>",
    "<table><tbody><tr><td><table><tbody><tr><td>inner</td></tr></tbody></table></td>"
    "<td>outer</td></tr></tbody></table>",
    '<td   class=\'x\'  colspan=2 ac:b="1" ac:a="2">c</td>',
    "<P Class=\"A\">Upper</P>\r\n<p>crlf</p>\n\t  ",
    "<time datetime='2024-01-01' /><ri:page ri:content-title=\"a\"></ri:page>",
    "<ac:task-list>\n<ac:task><ac:task-status>complete</ac:task-status></ac:task>\n</ac:task-list>",
    "",
    "plain text &amp; more",
]


@pytest.mark.parametrize("markup", UNCHANGED)
def test_an_unchanged_page_is_written_back_as_it_was(markup: str) -> None:
    assert write_back(kept(markup)) == markup


@pytest.mark.parametrize(("markup", "written"), [
    ("<p>a < b & c</p>", "<p>a &lt; b &amp; c<b>amp;</b></p>"),
    ("<p>R&D &amp x</p>", "<p>R&amp;D &amp; x<b>amp;</b></p>"),
    ("<p>R&amp;D &#38; &#x26;</p>", "<p>R&amp;D &#38; &#x26;<b>amp;</b></p>"),
    ("<p>a<</p>", "<p>a&lt;<b>amp;</b></p>"),
])
def test_a_text_the_next_node_could_change_is_escaped(markup: str, written: str) -> None:
    # Not storage format (Confluence writes &lt; and &amp;), but html.parser reads it as
    # text: written as is before new markup, that markup could extend it ("R&" + "amp;").
    soup = kept(markup)
    assert write_back(soup) == markup  # inside an unchanged element, as written
    find(soup, "p").append(BeautifulSoup("<b>amp;</b>", "html.parser").b)
    assert write_back(soup) == written


def test_an_unfinished_tag_at_the_end_is_escaped() -> None:
    soup = kept("<p>a</p></")
    assert write_back(soup) == "<p>a</p>&lt;/"
    soup.append(BeautifulSoup("<b>x</b>", "html.parser").b)
    assert write_back(soup) == "<p>a</p>&lt;/<b>x</b>"


def test_without_its_source_a_page_is_formatted() -> None:
    markup = "<p>L'hélice&nbsp;<br /></p>"
    soup = parse_storage(markup)
    assert soup is not None
    assert write_back(soup) == serialize(soup) == "<p>L&#39;hélice\xa0<br/></p>"


def test_elements_never_closed_get_their_end_tag_and_nothing_else_changes() -> None:
    markup = "<p>a&nbsp;b</p><div><p>open"
    assert write_back(kept(markup)) == "<p>a&nbsp;b</p><div><p>open</p></div>"


# --- after a change, only the changed element differs ---------------------------------------

PAGE = ("<h2>Nos notes</h2><p>L'équipe&nbsp;dit &rsquo;oui&rsquo; &amp; \"non\"<br />ligne</p>"
        '<p><ac:emoticon ac:name="smile" /> <ac:link><ri:user ri:account-id="abc" />'
        "</ac:link></p><table><tbody><tr><th>Nom</th><th>Site</th></tr>"
        "<tr><td><p>L'hélice d'Ørsted&nbsp;&rsquo;</p></td><td><p>x<br />y</p></td></tr>"
        "<tr><td><p>Mer \"Mag\"</p></td><td><p>Lyon</p></td></tr></tbody></table>"
        '<ac:structured-macro ac:name="code"><ac:plain-text-body><![CDATA[if a < b && c]]>'
        "</ac:plain-text-body></ac:structured-macro><!-- end -->")


def test_a_new_cell_changes_its_row_tag_only() -> None:
    soup = kept(PAGE)
    row = find(soup, "tr", 1)
    row.append(BeautifulSoup("<td></td>", "html.parser").td)
    out = write_back(soup)
    assert out == PAGE.replace("<p>x<br />y</p></td></tr>", "<p>x<br />y</p></td><td></td></tr>")


def test_a_changed_attribute_rewrites_that_start_tag_only() -> None:
    soup = kept(PAGE)
    find(soup, "p", 1)["class"] = "a'b\"c<"
    out = write_back(soup)
    assert out == PAGE.replace('<p><ac:emoticon', '<p class="a&#39;b&quot;c&lt;"><ac:emoticon')


def test_a_replaced_text_is_escaped_and_its_siblings_kept() -> None:
    soup = kept(PAGE)
    cell = find(soup, "p", 2)  # <p>L'hélice d'Ørsted&nbsp;&rsquo;</p>
    cell.string = "<script>x</script> & ]]> l'a"
    out = write_back(soup)
    assert out == PAGE.replace(
        "<p>L'hélice d'Ørsted&nbsp;&rsquo;</p>",
        "<p>&lt;script&gt;x&lt;/script&gt; &amp; ]]&gt; l&#39;a</p>")


def test_the_same_text_set_again_is_written_by_the_formatter() -> None:
    soup = kept("<p>it's</p><p>b&amp;c</p>")
    find(soup, "p").string = "it's"
    assert write_back(soup) == "<p>it&#39;s</p><p>b&amp;c</p>"


def test_new_markup_is_formatted_even_when_parsed_from_source() -> None:
    soup = kept("<p>a</p>")
    new = parse_storage("<p title='t'>it's<br /></p>", keep_source=True)
    assert new is not None
    soup.append(new.p.extract())  # type: ignore[union-attr]
    assert write_back(soup) == "<p>a</p><p title=\"t\">it&#39;s<br/></p>"


def test_a_removed_node_leaves_the_rest_as_it_was() -> None:
    soup = kept(PAGE)
    find(soup, "tr", 2).extract()
    expected = PAGE.replace("<tr><td><p>Mer \"Mag\"</p></td><td><p>Lyon</p></td></tr>", "")
    assert write_back(soup) == expected


def test_a_node_moved_keeps_its_source() -> None:
    soup = kept("<p>a&nbsp;</p><div><br /></div>")
    find(soup, "div").append(find(soup, "p").extract())
    assert write_back(soup) == "<div><br /><p>a&nbsp;</p></div>"


def test_a_change_inside_a_nested_table() -> None:
    markup = ("<table><tbody><tr><td><table><tbody><tr><td>in&nbsp;1</td></tr></tbody></table>"
              "</td><td>out&nbsp;1</td></tr><tr><td>out&nbsp;2</td></tr></tbody></table>")
    soup = kept(markup)
    inner = find(soup, "table", 1)
    inner_row = find(inner, "tr")  # type: ignore[arg-type]
    inner_row.append(BeautifulSoup("<td>new</td>", "html.parser").td)
    assert write_back(soup) == markup.replace("in&nbsp;1</td>", "in&nbsp;1</td><td>new</td>")


def test_an_element_closed_implicitly_is_formatted_when_its_parent_changes() -> None:
    markup = "<table><tbody><tr><td><p>a&nbsp;'</td></tr></tbody></table>"
    soup = kept(markup)
    assert write_back(soup) == markup  # its cell kept as written
    find(soup, "td").append(BeautifulSoup("<br/>", "html.parser").br)
    # the cell rewritten tag by tag: the paragraph gets its end tag, its text as written
    assert write_back(soup) == ("<table><tbody><tr><td><p>a&nbsp;'</p><br/></td></tr></tbody>"
                                "</table>")


def test_a_self_closing_element_that_gets_children_is_written_with_an_end_tag() -> None:
    soup = kept('<p><ac:emoticon ac:name="smile" /> <ri:page ri:content-title="x" /></p>')
    page = find(soup, "ri:page")
    page.append(NavigableString("t"))
    assert write_back(soup) == ('<p><ac:emoticon ac:name="smile" /> '
                                '<ri:page ri:content-title="x">t</ri:page></p>')


def test_cdata_and_comments_kept_next_to_a_change() -> None:
    markup = ('<ac:structured-macro ac:name="code" ac:schema-version="1"><ac:parameter '
              'ac:name="language">py</ac:parameter><ac:plain-text-body><![CDATA[a < b && c]]>'
              "</ac:plain-text-body></ac:structured-macro><!-- note -->")
    soup = kept(markup)
    find(soup, "ac:parameter").string = "js"
    assert write_back(soup) == markup.replace(">py<", ">js<")


def test_part_of_a_page_is_written_back_too() -> None:
    soup = kept(PAGE)
    row = find(soup, "tr", 1)
    assert write_back(row) == ("<tr><td><p>L'hélice d'Ørsted&nbsp;&rsquo;</p></td>"
                               "<td><p>x<br />y</p></td></tr>")


# --- any markup, any change: what is written back parses as the formatter's output ---------

JUNK = st.lists(st.sampled_from([
    "<", ">", "</", "/>", "<!--", "-->", "<![CDATA[", "]]>", "<!", "<?", "?>", "&", "&#", ";",
    "&amp;", "&nbsp;", "&#0;", "<table>", "<tr>", "<td>", "</td>", "</tr>", "<p>", "</p>",
    "<br />", "<br>", "</br>", "<ac:link>", "</ac:link>", '<ri:user ri:account-id="a" />',
    '"', "'", "=", "<p", "x", " ", "\n", "\r\n", "é", "<b>", "</b>", "<p class='q'>",
    "<!DOCTYPE html>", "<script>", "</script>",
]), max_size=40).map("".join)


@given(JUNK)
@settings(max_examples=300, deadline=None)
def test_written_back_unchanged_reads_as_the_same_page(markup: str) -> None:
    soup = parse_storage(markup, keep_source=True)
    if soup is None:
        return
    again = parse_storage(write_back(soup))
    assert again is not None and serialize(again) == serialize(soup)


@given(JUNK, st.lists(st.tuples(st.sampled_from(["append", "attr", "extract", "text"]),
                                 st.integers(0, 50)), max_size=4))
@settings(max_examples=300, deadline=None)
def test_written_back_after_changes_reads_as_the_formatted_page(
        markup: str, changes: list[tuple[str, int]]) -> None:
    markup = markup.replace("<!DOCTYPE html>", "")  # serialize adds a line break after it
    soup = parse_storage(markup, keep_source=True)
    if soup is None:
        return
    for change, at in changes:
        tags = [t for t in soup.find_all(True) if isinstance(t, Tag)]
        if not tags:
            break
        tag = tags[at % len(tags)]
        if change == "append":
            tag.append(BeautifulSoup("<td>n&lt;'</td>", "html.parser").td)
        elif change == "attr":
            tag["data-n"] = "v'\"<"
        elif change == "text":
            tag.append(NavigableString("t'<&"))
        else:
            tag.extract()
    formatted = parse_storage(serialize(soup))
    faithful = parse_storage(write_back(soup))
    assert formatted is not None and faithful is not None
    assert serialize(faithful) == serialize(formatted)


def test_a_large_page_is_written_back_in_linear_time() -> None:
    rows = "".join(f"<tr><td><p>n{i}&nbsp;'</p></td><td><p>a<br />b</p></td></tr>"
                   for i in range(2000))
    markup = f"<table><tbody>{rows}</tbody></table>"
    soup = kept(markup)
    for row in soup.find_all("tr"):
        row.append(BeautifulSoup("<td></td>", "html.parser").td)
    out = write_back(soup)
    assert out == markup.replace("</p></td></tr>", "</p></td><td></td></tr>")


# --- an upgrade touches only what it changes ------------------------------------------------

SHIPPED = shipped()
OVERRIDE = """
version = 2

[[fields]]
name = "team"
label = { en = "Team", fr = "Équipe" }

[[fields]]
name = "site"
label = { en = "Location", fr = "Lieu" }

[[sections]]
id = "meetings"
after = "rows"
title = { en = "Meetings", fr = "Réunions" }
paragraphs = { en = ["We meet every month."], fr = ["Nous nous réunissons chaque mois."] }
"""
ROW = ("<tr><td><p>cy@corp.example</p></td><td><p>L'hélice d'Ørsted&nbsp;&rsquo;</p></td>"
       "<td><p>Mer \"Mag\" &amp; R&amp;D</p></td><td></td><td><p>x<br />y</p></td>"
       '<td><p><ac:emoticon ac:name="smile" /> ok</p></td><td></td></tr>')  # ..., digest
PROSE = ("<h2>Nos notes</h2><p>L'équipe&nbsp;dit &rsquo;oui&rsquo; &amp; \"non\"<br />ligne</p>"
         '<p><ac:emoticon ac:name="smile" /> <ac:link><ri:user ri:account-id="abc" />'
         "</ac:link></p><ac:structured-macro ac:name=\"code\"><ac:plain-text-body>"
         "<![CDATA[if a < b && c]]></ac:plain-text-body></ac:structured-macro>")


def test_an_upgrade_keeps_member_rows_and_prose_byte_for_byte(tmp_path: Path) -> None:
    codec = StorageCodec()
    context = PageContext("en", "BATTERY", {"name": "Battery", "theme": "Energy"},
                          {k.kind: PageRef("BATTERY", k.title["en"]) for k in SHIPPED.kinds})
    page = codec.render_page(SHIPPED["members"], context,
                             [{"email": "ann@corp.example", "name": "Ann"}])
    page = page.replace("</tbody></table>", ROW + "</tbody></table>", 1) + PROSE
    (tmp_path / "members.toml").write_text(OVERRIDE, encoding="utf-8")
    written = codec.page_regions(SHIPPED["members"], context)  # what the records keep
    upgraded = codec.upgrade_page(page, load_templates(tmp_path)["members"], context, written)
    assert "column 'Team' added" in upgraded.changes
    assert ROW[:-5] + "<td></td></tr>" in upgraded.content
    assert PROSE in upgraded.content
    # outside the managed regions and the rows table, not a byte changed
    before = _unmanaged(page, written)
    after = _unmanaged(upgraded.content, upgraded.regions)
    assert before == after == "[table]" + PROSE


def _unmanaged(content: str, regions: Mapping[str, str]) -> str:
    """The page without its managed regions and its rows table."""
    content = re.sub(r"<table>.*?</table>", "[table]", content, flags=re.S)
    for markup in regions.values():
        content = content.replace(markup, "", 1)
    return content
