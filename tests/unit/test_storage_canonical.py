"""The canonical form of storage markup (connector/confluence/storage_canonical): what
Confluence Cloud's and Data Center's editors rewrite on save compares equal; any change a
member makes to the text, the structure or a link target does not. Regions hashed in the
form used before still read as intact."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from storage_editor import cloud_save, dc_save

from connector.base import PageContext, PageRef
from connector.confluence.storage_canonical import (
    canonical_nodes,
    canonical_storage,
    legacy_canonical,
)
from connector.confluence.storage_markers import region_intact
from connector.confluence.storage_render import managed_sections
from connector.confluence.xml_escape import parse_storage, serialize
from connector.regions import region_hash
from page_templates import localize, shipped

# (what cop-connector wrote, what an editor stored after a save that changed nothing shown)
EDITOR_FORMS = {
    "cloud list items in paragraphs": (
        "<ul><li><strong>E-mail</strong> (required): the key.</li><li>two</li></ul>",
        '<ul local-id="u1"><li local-id="l1"><p local-id="p1"><strong>E-mail</strong> '
        '(required): the key.</p></li><li local-id="l2"><p local-id="p2">two</p></li></ul>'),
    "cloud nested list": (
        "<ul><li>a<ul><li>b</li></ul></li></ul>",
        "<ul><li><p>a</p><ul><li><p>b</p></li></ul></li></ul>"),
    "ids and layout attributes": (
        '<p>x</p><ac:structured-macro ac:name="info" ac:schema-version="1"><ac:rich-text-body>'
        "<p>y</p></ac:rich-text-body></ac:structured-macro>",
        '<p local-id="a" style="text-align: left;">x</p><ac:structured-macro ac:name="info" '
        'ac:schema-version="1" data-layout="default" ac:local-id="b" ac:macro-id="c">'
        '<ac:rich-text-body><p local-id="d">y</p></ac:rich-text-body></ac:structured-macro>'),
    "empty paragraphs and trailing line breaks": (
        "<h2>Title</h2><p>text</p><p>more</p>",
        '<h2>Title</h2><p />\n<p>text<br /></p><p><br /></p><p class="auto-cursor-target">'
        "<br /></p><p>more</p><p></p>"),
    "tables: colgroup, thead, tbody, attributes, cells in paragraphs": (
        "<table><tbody><tr><th>A</th><th>B</th></tr><tr><td>1</td><td></td></tr></tbody>"
        "</table>",
        '<table data-table-width="760" data-layout="default" ac:local-id="t" '
        'class="relative-table wrapped" style="width: 50%;"><colgroup><col style="width: 10px;"'
        ' /><col /></colgroup><thead><tr><th><p>A</p></th><th colspan="1"><p>B</p></th></tr>'
        "</thead><tbody><tr><td><p>1</p></td><td><p /></td></tr></tbody></table>"),
    "numbered rows": (
        "<table><tbody><tr><th>A</th></tr><tr><td>x</td></tr></tbody></table>",
        '<table data-number-column="true"><tbody><tr><th class="numberingColumn" />'
        '<th>A</th></tr><tr><td class="numberingColumn">1</td><td>x</td></tr></tbody>'
        "</table>"),
    "white space": (
        "<p>one two <em>three</em> four</p><ul><li>five</li></ul>",
        "\n  <p>\n one&nbsp;  two<em> three </em>four </p>\n<ul>\n <li> five </li>\n</ul>\n"),
    "attribute order, self-closing and entity forms": (
        '<p><time datetime="2024-01-02"/> <a href="https://x.example/?a=1&amp;b=2">it\u2019s</a>'
        '</p><p><ac:link><ri:page ri:content-title="Members" ri:space-key="BAT"/></ac:link></p>',
        '<p><time datetime="2024-01-02"></time>&nbsp;<a rel="nofollow" '
        'href="https://x.example/?a=1&#38;b=2">it&rsquo;s</a></p><p><ac:link><ri:page '
        'ri:space-key="BAT" ri:content-title="Members" /></ac:link></p>'),
    "bold and italic elements": (
        "<p><strong>a</strong> <em>b</em></p>", "<p><b>a</b> <i>b</i></p>"),
    "inline comment markers": (
        "<p>The technology watch of the community.</p>",
        '<p>The <ac:inline-comment-marker ac:ref="7b6a">technology watch</ac:inline-comment-'
        "marker> of the community.</p>"),
    "anchors (cop-connector's markers)": (
        "<h2>Title</h2>",
        '<p><ac:structured-macro ac:name="anchor" ac:schema-version="1" ac:macro-id="m">'
        '<ac:parameter ac:name="">cop-end-intro</ac:parameter></ac:structured-macro></p>'
        "<h2>Title</h2>"),
    "mentions, emoticons and task ids": (
        '<p><ac:link><ri:user ri:account-id="557058:1"/></ac:link> <ac:emoticon '
        'ac:name="smile"/></p><ac:task-list><ac:task><ac:task-status>incomplete'
        "</ac:task-status><ac:task-body>do it</ac:task-body></ac:task></ac:task-list>",
        '<p><ac:link><ri:user ri:local-id="z" ri:account-id="557058:1" /></ac:link> '
        '<ac:emoticon ac:name="smile" ac:emoji-shortname=":slight_smile:" ac:emoji-id="1f642"'
        ' ac:emoji-fallback="🙂" /></p><ac:task-list><ac:task><ac:task-id>17</ac:task-id>'
        "<ac:task-uuid>u</ac:task-uuid><ac:task-status>incomplete</ac:task-status>"
        "<ac:task-body>do it</ac:task-body></ac:task></ac:task-list>"),
    "smart links": (
        '<p><a href="https://x.example/a">https://x.example/a</a></p>',
        '<p><a href="https://x.example/a" data-card-appearance="inline">https://x.example/a</a>'
        " </p>"),
}


@pytest.mark.parametrize("written, stored", EDITOR_FORMS.values(), ids=EDITOR_FORMS.keys())
def test_what_the_editors_rewrite_on_save_compares_equal(written: str, stored: str) -> None:
    assert canonical_storage(written) == canonical_storage(stored)


BASE = ("<h2>Add yourself</h2><p>Edit the page, then <strong>add a row</strong>.</p>"
        '<ul><li>one <a href="https://a.example/">link</a></li><li>two</li></ul>'
        '<p><ac:link><ri:page ri:content-title="Members"/></ac:link> '
        '<ac:link><ri:user ri:account-id="557058:1"/></ac:link> '
        '<time datetime="2024-01-02"/> <ac:emoticon ac:name="smile"/></p>'
        '<ac:structured-macro ac:name="status"><ac:parameter ac:name="title">ok'
        "</ac:parameter></ac:structured-macro>"
        '<ac:structured-macro ac:name="code"><ac:plain-text-body><![CDATA[a  b]]>'
        "</ac:plain-text-body></ac:structured-macro>")
# What a member may change: each edit of BASE must read as an edit.
REAL_EDITS = {
    "a word changed": ("add a row", "add two rows"),
    "a space removed between words": ("Edit the page", "Edit thepage"),
    "a space added before bold text": ("then <strong>", "then  x<strong>"),
    "bold removed": ("<strong>add a row</strong>", "add a row"),
    "a list item added": ("<li>two</li>", "<li>two</li><li>three</li>"),
    "a list item removed": ("<li>two</li>", ""),
    "a list made paragraphs": ('<ul><li>one <a href="https://a.example/">link</a></li>'
                               "<li>two</li></ul>",
                               '<p>one <a href="https://a.example/">link</a></p><p>two</p>'),
    "a list item in two paragraphs": ("<li>two</li>", "<li><p>tw</p><p>o</p></li>"),
    "a link target changed": ("https://a.example/", "https://b.example/"),
    "a page link's title changed": ('ri:content-title="Members"', 'ri:content-title="Watch"'),
    "a mention of someone else": ('ri:account-id="557058:1"', 'ri:account-id="557058:2"'),
    "a date changed": ("2024-01-02", "2024-01-03"),
    "an emoticon changed": ('ac:name="smile"/>', 'ac:name="sad"/>'),
    "a heading level changed": ("<h2>Add yourself</h2>", "<h3>Add yourself</h3>"),
    "a paragraph split": ("<p>Edit the page, then", "<p>Edit the page,</p><p>then"),
    "markup typed as text": ("<strong>add a row</strong>",
                             "&lt;strong&gt;add a row&lt;/strong&gt;"),
    "a lozenge's title changed": (">ok</ac:parameter>", ">ko</ac:parameter>"),
    "code white space changed": ("a  b", "a b"),
    "a line break added": ("Edit the page,", "Edit the page,<br/>"),
}


@pytest.mark.parametrize("old, new", REAL_EDITS.values(), ids=REAL_EDITS.keys())
def test_every_real_edit_reads_as_an_edit(old: str, new: str) -> None:
    assert old in BASE
    edited = BASE.replace(old, new, 1)
    assert canonical_storage(edited) != canonical_storage(BASE)
    # ... also after either editor saved it
    assert canonical_storage(cloud_save(edited)) != canonical_storage(cloud_save(BASE))
    assert canonical_storage(dc_save(edited)) != canonical_storage(dc_save(BASE))


def context(lang: str) -> PageContext:
    kinds = [k for k in shipped().page_kinds if k.kind != "home" and not k.per]
    return PageContext(lang=lang, space="BAT", values={"name": "Battery", "slug": "battery"},
                       pages={k.kind: PageRef("BAT", localize(k.title, lang)) for k in kinds})


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_every_shipped_section_survives_either_editors_save(lang: str) -> None:
    kinds = [k for k in shipped().page_kinds if k.kind != "home" and not k.per]
    for kind in kinds:
        for section_id, markup in managed_sections(kind, context(lang)):
            want = canonical_storage(markup)
            assert canonical_storage(cloud_save(markup)) == want, (kind.kind, section_id)
            assert canonical_storage(dc_save(markup)) == want, (kind.kind, section_id)


def test_the_nodes_given_are_left_as_they_are() -> None:
    stored = EDITOR_FORMS["tables: colgroup, thead, tbody, attributes, cells in paragraphs"][1]
    soup = parse_storage(stored + EDITOR_FORMS["cloud list items in paragraphs"][1])
    assert soup is not None
    before = serialize(soup)
    canonical_nodes(soup.contents)
    assert serialize(soup) == before


@given(st.text(alphabet="<>/&;= \"'\n\xa0abcpli:-", max_size=80))
def test_never_raises(markup: str) -> None:
    assert isinstance(canonical_storage(markup), str)


# --- hashes written before ------------------------------------------------------------------

OLD = ("<h2>Add yourself</h2><p>Edit the page.</p><ul><li><strong>E-mail</strong> (required):"
       " the key.</li></ul>")


def nodes(markup: str) -> list[object]:
    soup = parse_storage(markup)
    assert soup is not None
    return list(soup.contents)


def test_a_region_hashed_in_the_former_form_is_still_intact() -> None:
    digest = region_hash(legacy_canonical(nodes(OLD)))  # as anchors were written before
    assert digest != region_hash(canonical_storage(OLD))
    assert region_intact(nodes(OLD), digest)
    assert region_intact(nodes(cloud_save(OLD)), digest)  # and once Cloud's editor saved it
    assert region_intact(nodes(dc_save(OLD)), digest)
    assert not region_intact(nodes(OLD.replace("the key", "the id")), digest)
    assert not region_intact(nodes(cloud_save(OLD.replace("the key", "the id"))), digest)


def test_a_region_hashed_now_is_intact_after_either_save_and_not_after_an_edit() -> None:
    digest = region_hash(canonical_storage(OLD))
    for saved in (OLD, cloud_save(OLD), dc_save(OLD)):
        assert region_intact(nodes(saved), digest)
    assert not region_intact(nodes(cloud_save(OLD + "<p>mine</p>")), digest)
