"""WikitextCodec: render, parse back, edit rows in place, support templates."""

from __future__ import annotations

import json
import re

import mwparserfromhell
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mwparserfromhell.nodes import HTMLEntity, Text

from connector.base import PageCodec, PageContext, PageRef, RowChange
from connector.errors import UsageError, ValidationError
from connector.mediawiki.support import templatedata
from connector.mediawiki.wikitext import WikitextCodec
from page_templates import LANGUAGES, FieldDef, PageKind, localize, shipped
from page_templates.ui import ui_text
from page_templates.values import clean_text, normalize, normalize_row

TEMPLATES = shipped()
ROW_KINDS = [kind.kind for kind in TEMPLATES.row_kinds]
CODEC = WikitextCodec()
PAGE = "CoP Battery:Members"

INJECTIONS = [
    "}}", "|", "[[Category:X]]", "~~~~", "<script>alert(1)</script>", "__NOTOC__",
    "{{#invoke:x}}", "'''bold'''", "&amp;", "&#124;", "https://evil.example",
    "ISBN 1234567890", "<nowiki>", "</nowiki>", "-{zh}-", "* list", "# hash", "----",
    "a\n* b\n# c\n----\n: d", "{{CoP member|email=x@y.z}}", "<!-- c -->", "x=y", "{{!}}",
]
URLS = ["https://example.com/a__b?x=1&y=2;z=~me's", "http://example.com:8080/~u/?a=b&c=d",
        "https://example.com/p''q'''r#f"]


def context(lang: str, **values: str) -> PageContext:
    pages = {kind.kind: PageRef("CoP Battery", localize(kind.title, lang))
             for kind in TEMPLATES.page_kinds if not kind.per}  # one page per community
    base = {"name": "Battery", "theme": "Storage", "slug": "battery"}
    return PageContext(lang=lang, space="CoP Battery", values=base | values, pages=pages)


def value_for(field: FieldDef, i: int, text: str = "") -> str:
    """A canonical value of ``field`` for row ``i`` (text fields carry ``text``)."""
    if field.type == "email":
        return f"user{i}@example.com"
    if field.type == "date":
        return f"2024-0{1 + i % 9}-1{i % 10}"
    if field.type == "number":
        return f"{i}.5"
    if field.type == "url":
        return URLS[i % len(URLS)] + f"&n={i}"
    if field.type == "choice":
        return field.choices[i % len(field.choices)].value
    multiline = field.type == "longtext"
    value = clean_text(text, multiline=multiline) or f"{field.name} {i}"
    if field.type == "tags":
        value = normalize(field, value.replace(";", ","))
    if field.type == "entries":  # names separated by ";": a ";" in a text splits it
        value = normalize(field, value)
    return f"{value} {i}" if field.type == "text" else value


def sample_rows(kind: PageKind, texts: list[str]) -> list[dict[str, str]]:
    rows = [{f.name: value_for(f, i, text) for f in kind.fields} for i, text in enumerate(texts)]
    return rows[:1] if kind.single else rows


def canonical(kind: PageKind, raw: dict[str, str]) -> dict[str, str]:
    values, problems = normalize_row(kind, raw)
    assert not problems, problems
    return values


# --- render and parse back -----------------------------------------------------------------

def test_codec_satisfies_the_protocol() -> None:
    codec: PageCodec = CODEC
    assert codec.format == "wikitext"


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("kind_name", ROW_KINDS)
def test_every_kind_round_trips(kind_name: str, lang: str) -> None:
    kind = TEMPLATES[kind_name]
    rows = sample_rows(kind, ["plain", "R&D, marketing", "l'équipe", "x"])
    assert all(canonical(kind, row) == row for row in rows)  # the samples are canonical
    content = CODEC.render_page(kind, context(lang), rows)
    parsed = CODEC.parse_rows(content, kind, PAGE)
    assert parsed.problems == ()
    assert [canonical(kind, dict(raw.values)) for raw in parsed.rows] == rows
    assert [raw.index for raw in parsed.rows] == list(range(1, len(rows) + 1))
    assert all(raw.unknown == () for raw in parsed.rows)


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("kind_name", ROW_KINDS)
def test_injection_values_round_trip_literally(kind_name: str, lang: str) -> None:
    kind = TEMPLATES[kind_name]
    rows = sample_rows(kind, INJECTIONS)
    content = CODEC.render_page(kind, context(lang), rows)
    parsed = CODEC.parse_rows(content, kind, PAGE)
    assert parsed.problems == ()
    assert [canonical(kind, dict(raw.values)) for raw in parsed.rows] == rows
    assert_no_markup_in_rows(content, kind)


def assert_no_markup_in_rows(content: str, kind: PageKind) -> None:
    """Every row value is text and character references only; nothing else calls templates."""
    code = mwparserfromhell.parse(content)
    names = {str(t.name).strip() for t in code.filter_templates(recursive=True)}
    # the help's "Add" button links with magic words (the page's own URL)
    magic = {name for name in names if name.startswith(("fullurl:", "FULLPAGENAME"))}
    assert names - magic == {kind.row_template}
    assert not code.filter_wikilinks()
    for template in code.filter_templates():
        for param in template.params:
            field = kind.field(str(param.name))
            if field is not None and field.type == "url":
                continue  # a URL may be read as a free link; MediaWiki checks are in integration
            assert all(isinstance(n, Text | HTMLEntity) for n in param.value.nodes), param


def test_rows_are_one_per_line_with_every_field_in_order() -> None:
    kind = TEMPLATES["members"]
    rows = [{"email": "a@b.c", "name": "Ann", "role": "pilot"}, {"email": "b@b.c", "name": "B"}]
    content = CODEC.render_page(kind, context("fr"), rows)
    lines = content.splitlines()
    at = lines.index("== Liste des membres ==")
    assert lines[at + 1:at + 4] == [
        "",
        "{{CoP member|email=a@b.c|name=Ann|profile=|role=pilote|site=|since=|digest=}}",
        "{{CoP member|email=b@b.c|name=B|profile=|role=|site=|since=|digest=}}",
    ]


def test_charter_is_a_block_with_lang_which_the_parser_ignores() -> None:
    kind = TEMPLATES["charter"]
    row = sample_rows(kind, ["x"])[0]
    content = CODEC.render_page(kind, context("fr"), [row])
    block = re.search(r"\{\{CoP charter\n(\|.*\n)+\}\}", content)
    assert block is not None
    lines = block.group().splitlines()
    assert lines[-2:] == ["|lang=fr", "}}"]
    assert [line.split("=")[0] for line in lines[1:-2]] == [f"|{n}" for n in kind.field_names]
    parsed = CODEC.parse_rows(content, kind, "CoP Battery:Charte")
    assert parsed.problems == () and parsed.rows[0].unknown == ()
    assert canonical(kind, dict(parsed.rows[0].values)) == row


def test_charter_without_row_renders_an_empty_block() -> None:
    kind = TEMPLATES["charter"]
    content = CODEC.render_page(kind, context("en"), [])
    assert "{{CoP charter\n|slug=\n" in content and "|lang=en\n}}" in content


def test_render_is_stable_and_ends_with_a_newline() -> None:
    for kind in TEMPLATES.kinds:
        rows = sample_rows(kind, ["a", "b"]) if kind.has_rows else []
        first = CODEC.render_page(kind, context("fr"), rows)
        assert first == CODEC.render_page(kind, context("fr"), rows)
        assert first.endswith("\n") and not first.endswith("\n\n")


def test_prose_headings_and_bullets_in_the_page_language() -> None:
    kind = TEMPLATES["charter"]
    french = CODEC.render_page(kind, context("fr"), [])
    english = CODEC.render_page(kind, context("en"), [])
    assert "== Fonctionnement ==" in french and "== How we work ==" in english
    assert "\n* Citez vos sources et datez vos contributions.\n" in french
    assert "La charte de la communauté de pratiques Battery." in french


def test_placeholders_are_filled_with_escaped_values_only_for_known_keys() -> None:
    kind = TEMPLATES["home"]
    content = CODEC.render_page(kind, context("en", name="[[X]] {theme} |}}", theme="T"), [])
    first = content.splitlines()[0]  # no marker before the first paragraph
    assert "&#91;&#91;X&#93;&#93; &#123;theme&#125; &#124;&#125;&#125;" in first
    assert "(theme: T)" in first
    code = mwparserfromhell.parse(first)
    assert not code.filter_templates() and not code.filter_wikilinks()


def test_home_index_links_every_other_page_in_page_order() -> None:
    content = CODEC.render_page(TEMPLATES["home"], context("fr"), [])
    links = [(str(link.title), str(link.text))
             for link in mwparserfromhell.parse(content).filter_wikilinks()]
    assert links == [
        ("CoP Battery:Charte", "Charte"), ("CoP Battery:Membres", "Membres"),
        ("CoP Battery:Veille", "Veille"),
        ("CoP Battery:Référentiels techniques", "Référentiels techniques"),
        ("CoP Battery:Réglementation", "Réglementation"),
        ("CoP Battery:Concurrence", "Concurrence"),
        ("CoP Battery:Idées et sujets", "Idées et sujets"),
    ]


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("kind", ["watch", "seminar", "members"])
def test_what_mediawiki_makes_of_links_and_signatures_is_said_once_a_page(
        lang: str, kind: str) -> None:
    """The Watch page and a seminar's page have two lists, each with its help: the sentence
    on links and ~~~~ comes once, in the last one (it showed twice)."""
    content = CODEC.render_page(TEMPLATES[kind], context(lang), [])
    sentence = ui_text("markup", lang).split(" ")[0:4]
    assert content.count(" ".join(sentence)) == 1, content


@pytest.mark.parametrize("lang", LANGUAGES)
def test_help_section_explains_both_editors_and_every_field(lang: str) -> None:
    kind = TEMPLATES["members"]
    content = CODEC.render_page(kind, context(lang), [])
    example = ("<code><nowiki>{{CoP member|email=|name=|profile=|role=|site=|since=|digest=}}"
               "</nowiki></code>")
    assert example in content
    code = mwparserfromhell.parse(content)
    text = code.strip_code(normalize=True)
    visual = ui_text("add_row_visual", lang, template="CoP member", link="@")
    before, after = visual.split("@")
    assert before.rstrip("( ") in text and after.lstrip(") ") in text
    # the "Add" button: the source editor, new section, an empty row preloaded, in ``lang``
    row = ("%7B%7BCoP%20member%7Cemail%3D%7Cname%3D%7Cprofile%3D%7Crole%3D%7Csite%3D"
           "%7Csince%3D%7Cdigest%3D%7D%7D")
    assert ("{{fullurl:{{FULLPAGENAME}}|action=edit&section=new&nosummary=1&"
            f"preload=Template%3ACoP%20preload&preloadparams%5B%5D={row}&uselang={lang}}}}}"
            in content)
    assert ui_text("add_row", lang, row=localize(kind.row_label, lang)) in text
    # what the snippet's script needs to open the visual editor instead (add_row.js)
    rows_title = {"en": "Member list", "fr": "Liste des membres"}[lang]
    assert (f'<span class="plainlinks cop-add" data-cop-template="CoP member" '
            f'data-cop-list="{rows_title}" data-cop-lang="{lang}">') in content
    # the list comes last: the button's new entry lands at its end
    assert content.index("nosummary") < content.index(f"== {rows_title} ==")
    required = ui_text("required", lang)
    for field in kind.fields:
        # the label, then the name the source editor's line has (email=, name=...)
        line = f"* '''{localize(field.label, lang)}''' (<code>{field.name}=</code>"
        assert line in content
        assert (f"{line}, {required})" in content) == field.required
    # the example in <nowiki> is not a row
    assert CODEC.parse_rows(content, kind, PAGE) == CODEC.parse_rows("", kind, PAGE)


# --- parse: reading what members write -----------------------------------------------------

def test_parse_reads_what_editors_write() -> None:
    kind = TEMPLATES["members"]
    content = (
        "{{template:CoP_member |email = A@B.C |name= Ann <!-- note --> O{{!}}Neil\n"
        "|profile=R&amp;D<br>sales|role=Pilote|role=expert|typo=1|}}\n"
        "<div>{{coP member|email=b@b.c|name=[[Bob]] '''B''' &#124; ''b''}}</div>\n"
    )
    parsed = CODEC.parse_rows(content, kind, PAGE)
    assert parsed.problems == ()
    first, second = parsed.rows
    assert first.values == {"email": "A@B.C", "name": "Ann  O|Neil",
                            "profile": "R&D\nsales", "role": "expert"}
    assert first.unknown == ("typo",) and first.line == 1
    assert second.values == {"email": "b@b.c", "name": "Bob B | b"} and second.line == 3


def test_parse_takes_the_target_of_a_link_in_a_url_field() -> None:
    kind = TEMPLATES["watch"]
    content = "{{CoP watch|url=[https://example.com/x the label]|title=T|date=2024-01-01}}"
    assert CODEC.parse_rows(content, kind, PAGE).rows[0].values["url"] == \
        "https://example.com/x"


def test_parse_ignores_rows_in_nowiki_pre_and_comments() -> None:
    kind = TEMPLATES["members"]
    content = ("<nowiki>{{CoP member|email=a@b.c}}</nowiki>\n<pre>{{CoP member|email=b\n"
               "</pre>\n<!-- {{CoP member|email=c@b.c}} -->\n{{CoP member|email=d@b.c}}\n")
    parsed = CODEC.parse_rows(content, kind, PAGE)
    assert [(r.index, r.line, dict(r.values)) for r in parsed.rows] == \
        [(1, 5, {"email": "d@b.c"})]
    assert parsed.problems == ()


def test_parse_reports_unreadable_rows_and_keeps_the_others() -> None:
    kind = TEMPLATES["members"]
    content = (
        "intro\n"
        "{{CoP member|email=a@b.c|name=A}}\n"                       # row 1, line 2
        "{{CoP member|email=b@b.c|name=Smith|John}}\n"              # row 2: positional
        "{{CoP member|email=c@b.c|name={{PAGENAME}}}}\n"            # row 3: template
        "{{CoP member|email=d@b.c|name=D\n"                         # row 4: unclosed
        "{{CoP member|email=e@b.c|name=E {{CoP member|email=f@b.c|name=F}}}}\n"  # 5 and 6
        "{{CoP member|email=g@b.c|name=G}}\n"                       # row 7, line 7
    )
    parsed = CODEC.parse_rows(content, kind, PAGE)
    assert [(r.index, r.line, r.values["email"]) for r in parsed.rows] == \
        [(1, 2, "a@b.c"), (6, 6, "f@b.c"), (7, 7, "g@b.c")]
    problems = [(p.page, p.row, p.field, p.line, p.key) for p in parsed.problems]
    assert problems == [
        (PAGE, 2, "1", 3, "b@b.c"),
        (PAGE, 3, "name", 4, "c@b.c"),
        (PAGE, 4, "(template)", 5, None),
        (PAGE, 5, "name", 6, "e@b.c"),
    ]
    messages = [p.message for p in parsed.problems]
    assert "without a name" in messages[0] and "'John'" in messages[0]
    assert "{{PAGENAME}}" in messages[1]
    assert '"}}" is missing' in messages[2]
    assert "missing" in messages[3] and "{{CoP member}}" in messages[3]


def test_parse_line_numbers_are_exact_with_look_alike_text() -> None:
    kind = TEMPLATES["members"]
    row = "{{CoP member|email=a@b.c}}"
    content = f"<!--\n{row}\n-->\n<nowiki>\n{row}\n</nowiki>\n\n{row}\n{{{{x|\n\n{row}}}}}\n"
    parsed = CODEC.parse_rows(content, kind, PAGE)
    assert [r.line for r in parsed.rows] == [8, 11]


def test_parse_of_other_kinds_rows_and_unrelated_templates() -> None:
    content = "{{CoP watch|title=x}}\n{{Infobox|a=1}}\n"
    assert CODEC.parse_rows(content, TEMPLATES["members"], PAGE).rows == ()
    assert CODEC.parse_rows(content, TEMPLATES["home"], PAGE).rows == ()


JUNK_PIECES = [*"{}[]|=<>!'*#:;-_~&\n \t", "{{CoP member|", "}}", "<nowiki>", "</nowiki>",
               "<!--", "-->", "{|", "|}", "|-", "[[", "]]", "email=", "<pre>", "</pre>",
               "&#124;", "x", "é", "<br>", "{{!}}", "<div>", "</div>", "'''", "{{CoP_member"]
JUNK = st.lists(st.sampled_from(JUNK_PIECES), max_size=80).map("".join) | st.text()


@given(JUNK)
@settings(max_examples=400, deadline=None)
def test_parse_never_raises_on_junk(content: str) -> None:
    parsed = CODEC.parse_rows(content, TEMPLATES["members"], PAGE)
    for row in parsed.rows:
        assert row.line is not None and 1 <= row.line <= content.count("\n") + 1
    for problem in parsed.problems:
        assert problem.page == PAGE and problem.row >= 1


# --- apply_changes: edits in place ---------------------------------------------------------

MEMBERS_PAGE = """Intro with  odd   spacing and a {{Note}} template.
== Liste des membres ==
<!-- cop-connector: rows of members, one {{CoP member}} per line -->
{{CoP member|email=a@b.c|name=Ann|profile=|role=pilote|site=|since=}} <!-- keep me -->
  {{CoP member | email = b@b.c | name = Bob
}}
{{CoP member|email=c@b.c|name=Cy|role=membre}}
{{CoP member|name=no key}}

== S'inscrire ==
tail   text
"""


def apply(*changes: RowChange, content: str = MEMBERS_PAGE, lang: str = "fr") -> str:
    return CODEC.apply_changes(content, TEMPLATES["members"], list(changes), lang)


def test_update_sets_only_the_given_params_in_place() -> None:
    out = apply(RowChange("update", "b@b.c", {"name": "Bobby [[x]]", "site": "Lyon",
                                               "role": "expert"}))
    assert out == MEMBERS_PAGE.replace(
        " name = Bob\n}}",
        " name = Bobby &#91;&#91;x&#93;&#93; | role = expert | site = Lyon\n}}")


def test_update_keeps_a_value_that_already_normalizes_to_the_new_one() -> None:
    assert apply(RowChange("update", "a@b.c", {"role": "pilot", "name": "Ann"})) == MEMBERS_PAGE
    assert apply(RowChange("update", "a@b.c", {"role": "member"})) == MEMBERS_PAGE.replace(
        "role=pilote", "role=membre")


def test_update_of_an_absent_key_adds_the_row() -> None:
    out = apply(RowChange("update", "z@b.c", {"email": "z@b.c", "name": "Zed"}))
    assert out == MEMBERS_PAGE.replace(
        "{{CoP member|name=no key}}\n",
        "{{CoP member|name=no key}}\n"
        "{{CoP member|email=z@b.c|name=Zed|profile=|role=|site=|since=|digest=}}\n")


def test_remove_takes_the_whole_line_and_nothing_else() -> None:
    assert apply(RowChange("remove", "c@b.c")) == MEMBERS_PAGE.replace(
        "{{CoP member|email=c@b.c|name=Cy|role=membre}}\n", "")
    assert apply(RowChange("remove", "b@b.c")) == MEMBERS_PAGE.replace(
        "  {{CoP member | email = b@b.c | name = Bob\n}}\n", "")
    assert apply(RowChange("remove", "a@b.c")) == MEMBERS_PAGE.replace(
        "{{CoP member|email=a@b.c|name=Ann|profile=|role=pilote|site=|since=}}", "")


def test_remove_of_an_absent_key_changes_nothing() -> None:
    assert apply(RowChange("remove", "nobody@b.c")) == MEMBERS_PAGE


def test_remove_at_page_edges() -> None:
    row = "{{CoP member|email=a@b.c}}"
    assert apply(RowChange("remove", "a@b.c"), content=f"{row}\nrest\n") == "rest\n"
    assert apply(RowChange("remove", "a@b.c"), content=f"top\n{row}") == "top"
    assert apply(RowChange("remove", "a@b.c"), content=f"top\n{row}\n") == "top\n"
    assert apply(RowChange("remove", "a@b.c"), content=f"* {row} x\n") == "*  x\n"


def test_add_goes_after_the_last_row_on_its_own_line() -> None:
    out = apply(RowChange("add", "d@b.c", {"email": "d@b.c", "name": "Dee", "role": "expert",
                                           "since": "2024-05-06"}),
                RowChange("add", "e@b.c", {"email": "e@b.c", "name": "~~~~"}))
    new = ("{{CoP member|email=d@b.c|name=Dee|profile=|role=expert|site=|since=2024-05-06"
           "|digest=}}\n"
           "{{CoP member|email=e@b.c|name=&#126;&#126;&#126;&#126;|profile=|role=|site=|since="
           "|digest=}}\n")
    assert out == MEMBERS_PAGE.replace("{{CoP member|name=no key}}\n",
                                       "{{CoP member|name=no key}}\n" + new)


def test_add_under_the_rows_heading_when_there_is_no_row_and_at_the_end_without_it() -> None:
    kind = TEMPLATES["members"]
    change = RowChange("add", "a@b.c", {"email": "a@b.c", "name": "Ann"})
    line = "{{CoP member|email=a@b.c|name=Ann|profile=|role=|site=|since=|digest=}}"
    for lang, heading in (("en", "== Member list =="), ("fr", "== Liste des membres ==")):
        empty = CODEC.render_page(kind, context(lang), [])
        assert apply(change, content=empty, lang=lang) == \
            empty.replace(heading, f"{heading}\n\n{line}")
        assert apply(change, content=empty, lang=lang) == \
            CODEC.render_page(kind, context(lang), [{"email": "a@b.c", "name": "Ann"}])
    prose = "== Member list ==\nWho we are.\n\n== Add yourself ==\nHelp.\n"
    assert apply(change, content=prose) == prose.replace("are.\n", f"are.\n\n{line}\n")
    assert apply(change, content="Hello") == f"Hello\n{line}\n"
    assert apply(change, content="Hello\n") == f"Hello\n{line}\n"
    assert apply(change, content="") == f"{line}\n"


def test_add_of_a_present_key_updates_instead_of_duplicating() -> None:
    out = apply(RowChange("add", "c@b.c", {"email": "c@b.c", "name": "Cyril"}))
    assert out == MEMBERS_PAGE.replace("name=Cy|", "name=Cyril|")


def test_added_injections_read_back_literally() -> None:
    kind = TEMPLATES["members"]
    names = {f"u{i}@b.c": clean_text(text) for i, text in enumerate(INJECTIONS)}
    out = apply(*(RowChange("add", key, {"email": key, "name": name})
                  for key, name in names.items()))
    end = MEMBERS_PAGE.index("\n== S'inscrire")
    assert out.startswith(MEMBERS_PAGE[:end]) and out.endswith(MEMBERS_PAGE[end:])
    rows = CODEC.parse_rows(out, kind, PAGE).rows
    assert {r.values["email"]: r.values["name"] for r in rows[4:]} == names
    assert_no_markup_in_rows(out[end:len(out) - len(MEMBERS_PAGE) + end], kind)


def test_charter_update_touches_the_block_even_if_its_slug_differs() -> None:
    kind = TEMPLATES["charter"]
    row = sample_rows(kind, ["x"])[0] | {"slug": "battery", "status": "pilot"}
    content = CODEC.render_page(kind, context("fr"), [row])
    out = CODEC.apply_changes(content, kind, [RowChange("update", "other", {"status": "active",
                                                                           "pilot": "P"})], "fr")
    assert out == content.replace("|status=pilote\n", "|status=active\n").replace(
        f"|pilot={row['pilot']}\n", "|pilot=P\n")


def test_bad_changes_raise_usage_errors() -> None:
    with pytest.raises(ValidationError) as error:
        apply(RowChange("update", "a@b.c", {"nope": "x"}))
    assert error.value.field == "nope"
    with pytest.raises(UsageError):
        apply(RowChange("rename", "a@b.c"))  # type: ignore[arg-type]
    with pytest.raises(UsageError):
        CODEC.apply_changes("x", TEMPLATES["home"], [RowChange("remove", "a")], "en")
    assert apply() == MEMBERS_PAGE


# --- support pages -------------------------------------------------------------------------

def test_support_pages_are_the_row_templates_and_the_notice() -> None:
    pages = CODEC.support_pages(TEMPLATES)
    assert [str(ref) for ref, _ in pages] == [
        "Template:CoP charter", "Template:CoP member", "Template:CoP watch",
        "Template:CoP reference", "Template:CoP regulation", "Template:CoP competitor",
        "Template:CoP action", "Template:CoP attendance",  # the seminar page's rows (issue 6)
        "Template:CoP idea",  # the Ideas page (issue 16)
        "Template:CoP source",  # the Watch page's sources (issue 15)
        "Template:CoP preload",  # what the "Add" buttons open in the editor
        "Template:CoP notice"]  # the notice of entries to fix (issue 11)
    assert pages == CODEC.support_pages(TEMPLATES)  # stable
    assert pages[-2][1].startswith("<includeonly>$1</includeonly><noinclude>")
    for (_, source), kind in zip(pages[:-2], TEMPLATES.row_kinds, strict=True):
        assert source.startswith("<includeonly>")
        data = re.search(r"<templatedata>\n(.*)\n</templatedata>", source, re.S)
        assert data is not None
        assert json.loads(data.group(1)) == templatedata(kind)


def test_templatedata_describes_every_field_in_both_languages() -> None:
    kind = TEMPLATES["members"]
    data = templatedata(kind)
    assert data["paramOrder"] == list(kind.field_names) and data["format"] == "\n{{_|_=_}}\n"
    assert set(data["description"]) == {"en", "fr"}
    email = data["params"]["email"]
    assert email["label"] == {"en": "E-mail", "fr": "Courriel"}
    assert email["required"] is True and email["suggested"] is True
    assert email["type"] == "line"
    assert data["params"]["since"]["type"] == "date"
    assert data["params"]["role"]["suggestedvalues"] == ["member", "pilot", "expert", "membre",
                                                         "pilote"]
    charter = templatedata(TEMPLATES["charter"])
    assert charter["format"] == "block" and charter["paramOrder"][-1] == "lang"
    assert charter["params"]["objectives"]["type"] == "content"
    assert templatedata(TEMPLATES["watch"])["params"]["url"]["type"] == "url"


def test_row_card_and_charter_box_markup() -> None:
    sources = dict((ref.title, source) for ref, source in CODEC.support_pages(TEMPLATES))
    member = sources["CoP member"]
    assert '<div class="cop-row cop-members" style="' in member
    assert "{{#if:{{{site|}}}|" in member
    watch = sources["CoP watch"]
    assert "[{{{url}}} " in watch
    # an empty headline is not bolded: six quotes would turn the rest of the card bold italic
    assert "{{#if:{{{title|}}}|'''{{{title}}}'''}}" in watch
    assert "'''{{{title|}}}'''" not in watch
    # one long text goes unnamed; several are named (a subject's need, its capability)
    assert "cop-field-label" not in watch
    idea = sources["CoP idea"]
    assert ('<span class="cop-field-label" style="color:#54595d">'
            "Need (market pull): / Besoin (marché) :</span> {{{need}}}") in idea
    charter = sources["CoP charter"]
    assert '{| class="wikitable' in charter
    assert "{{#switch:{{{lang|}}}|fr=Pilote|#default=Pilot}}" in charter


@pytest.mark.parametrize(("row", "updated"), [
    ("{{CoP member|email=a@b.c|name=}}", "{{CoP member|email=a@b.c|name=N}}"),
    ("{{CoP member|email=a@b.c| name = |site=}}", "{{CoP member|email=a@b.c| name = N|site=}}"),
    ("{{CoP member\n|email=a@b.c\n|name=\n}}", "{{CoP member\n|email=a@b.c\n|name=N\n}}"),
    ("{{CoP member\n| email = a@b.c\n| name = old\n}}",
     "{{CoP member\n| email = a@b.c\n| name = N\n}}"),
    ("{{CoP member|email=a@b.c|name=x|name=old}}", "{{CoP member|email=a@b.c|name=x|name=N}}"),
    ("{{CoP member|email=a@b.c|name=old <!-- c -->}}", "{{CoP member|email=a@b.c|name=N}}"),
    ("{{CoP member|email=a@b.c}}", "{{CoP member|email=a@b.c|name=N}}"),
    ("{{CoP member|email=a@b.c|stray}}", "{{CoP member|email=a@b.c|stray|name=N}}"),
])
def test_update_spacing(row: str, updated: str) -> None:
    assert apply(RowChange("update", "a@b.c", {"name": "N"}), content=row) == updated


@given(st.text(), st.text())
@settings(max_examples=200, deadline=None)
def test_any_cleaned_values_round_trip_through_the_codec(name: str, summary: str) -> None:
    kind = TEMPLATES["watch"]
    row = {"date": "2024-01-01", "title": clean_text(name) or "t",
           "summary": clean_text(summary, multiline=True)}
    content = CODEC.render_page(kind, context("fr"), [row])
    (raw,) = CODEC.parse_rows(content, kind, PAGE).rows
    assert {k: v for k, v in raw.values.items() if v} == {k: v for k, v in row.items() if v}


def test_ui_text_falls_back_to_english_and_fills_only_named_placeholders() -> None:
    assert ui_text("required", "fr") == "obligatoire"
    assert ui_text("required", "de") == "required"
    assert ui_text("add_row", "en", row="{x} {row}") == "Add an entry ({x} {row})"
    with pytest.raises(KeyError):
        ui_text("no such key", "en")
