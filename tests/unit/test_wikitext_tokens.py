"""parse_rows reads flat rows from mwparserfromhell's tokens and the rest from its tree: the
result must be exactly what the tree of the whole page gives (parse_rows_tree)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connector.base import PageContext, PageRef
from connector.mediawiki import wikitext_tokens
from connector.mediawiki.wikitext import WikitextCodec
from connector.mediawiki.wikitext_parse import parse_rows, parse_rows_tree
from page_templates import LANGUAGES, PageKind, localize, normalize_template_name, shipped

TEMPLATES = shipped()
CODEC = WikitextCodec()
PAGE = "CoP Battery:Members"
KINDS = [TEMPLATES[name] for name in ("members", "watch", "charter")]

# What members and editors write, and what the other tests of the codec read.
WRITTEN = [
    "{{template:CoP_member |email = A@B.C |name= Ann <!-- note --> O{{!}}Neil\n"
    "|profile=R&amp;D<br>sales|role=Pilote|role=expert|typo=1|}}\n"
    "<div>{{coP member|email=b@b.c|name=[[Bob]] '''B''' &#124; ''b''}}</div>\n",
    "{{CoP watch|url=[https://example.com/x the label]|title=T|date=2024-01-01}}",
    "<nowiki>{{CoP member|email=a@b.c}}</nowiki>\n<pre>{{CoP member|email=b\n"
    "</pre>\n<!-- {{CoP member|email=c@b.c}} -->\n{{CoP member|email=d@b.c}}\n",
    "intro\n{{CoP member|email=a@b.c|name=A}}\n{{CoP member|email=b@b.c|name=Smith|John}}\n"
    "{{CoP member|email=c@b.c|name={{PAGENAME}}}}\n{{CoP member|email=d@b.c|name=D\n"
    "{{CoP member|email=e@b.c|name=E {{CoP member|email=f@b.c|name=F}}}}\n"
    "{{CoP member|email=g@b.c|name=G}}\n",
    "<!--\n{{CoP member|email=a@b.c}}\n-->\n<nowiki>\n{{CoP member|email=a@b.c}}\n</nowiki>\n\n"
    "{{CoP member|email=a@b.c}}\n{{x|\n\n{{CoP member|email=a@b.c}}}}\n",
    "{{CoP watch|title=x}}\n{{Infobox|a=1}}\n",
    "Intro with  odd   spacing and a {{Note}} template.\n== Liste des membres ==\n"
    "<!-- cop-connector: rows of members, one {{CoP member}} per line -->\n"
    "{{CoP member|email=a@b.c|name=Ann|profile=|role=pilote|site=|since=}} <!-- keep me -->\n"
    "  {{CoP member | email = b@b.c | name = Bob\n}}\n"
    "{{CoP member|email=c@b.c|name=Cy|role=membre}}\n"
    "{{CoP member|name=no key}}\n\n== S'inscrire ==\ntail   text\n",
    "{{CoP member|email= a@b.c &amp; |name= &#x41; x &#66; |site=https://x.y/z&amp;q |profile=  }}"
    "\n{{CoP member|email=x|name={{CoP member\n}}",
    "{{CoP member|email=a@b.c|name=x{{CoP member}}\n", "{{CoP member}}", "", "\n\n",
    "{{CoP member|email=[https://x y]}}", "{{CoP watch|url=[https://x.y]|title=T}}",
    "{{CoP watch|url=see [https://x.y] &amp; https://z.w/?a&#61;1 now|title=T}}",
    "{{CoP member|email=a@b.c}}{{CoP member|email=b@b.c}}",
    "{{CoP charter|slug=x|name=N|lang=fr|lang=en}}", "{{CoP member|=x|email=a@b.c|}}",
    "{{CoP member|email=a@b.c|name=https://x.y/a&#124;b c|site=&nbsp;x&nbsp;}}\n",
    "{{CoP member|email=a@b.c|name=\t&amp;\x0b|profile= &#x26; |site=a&lt;&gt;b}}",
    "== {{CoP member|email=a@b.c}} ==\n{{CoP member|email=b@b.c}}\n",
    "{| class=wikitable\n|-\n| {{CoP member|email=a@b.c}}\n|}\n{{CoP member|email=b@b.c}}",
    "{{CoP member|email=a@b.c|url=https://x.y/z}} {{CoP member|email=b@b.c}}\r\n"
    "{{CoP member|email=c@b.c}}",
]

INJECTIONS = [
    "}}", "|", "[[Category:X]]", "~~~~", "<script>alert(1)</script>", "__NOTOC__",
    "{{#invoke:x}}", "'''bold'''", "&amp;", "&#124;", "https://evil.example",
    "ISBN 1234567890", "<nowiki>", "</nowiki>", "-{zh}-", "* list", "# hash", "----",
    "a\n* b\n# c\n----\n: d", "{{CoP member|email=x@y.z}}", "<!-- c -->", "x=y", "{{!}}",
    "R&D, marketing", "l'équipe", " spaced  out ", "é\u0301", "tab\there",
]
URLS = ["https://example.com/a__b?x=1&y=2;z=~me's", "http://example.com:8080/~u/?a=b&c=d",
        "https://example.com/p''q'''r#f", "https://example.com/x"]


def context(lang: str) -> PageContext:
    pages = {kind.kind: PageRef("CoP Battery", localize(kind.title, lang))
             for kind in TEMPLATES.kinds}
    values = {"name": "Battery", "theme": "Storage", "slug": "battery"}
    return PageContext(lang=lang, space="CoP Battery", values=values, pages=pages)


def rows_of(kind: PageKind) -> list[dict[str, str]]:
    """Rows holding every injection, in every field type."""
    rows = []
    for i, text in enumerate(INJECTIONS):
        row = {}
        for field in kind.fields:
            if field.type == "url":
                row[field.name] = URLS[i % len(URLS)]
            elif field.type == "choice":
                row[field.name] = field.choices[i % len(field.choices)].value
            elif field.type in ("email", "date"):
                row[field.name] = "" if i % 3 else "user@example.com"
            else:
                row[field.name] = f"{text} {i}"
        rows.append(row)
    return rows[:1] if kind.single else rows


RENDERED = [CODEC.render_page(kind, context(lang), rows_of(kind))
            for kind in TEMPLATES.row_kinds for lang in LANGUAGES]


def assert_same(content: str, kind: PageKind) -> None:
    assert parse_rows(content, kind, PAGE) == parse_rows_tree(content, kind, PAGE)


@pytest.mark.parametrize("content", WRITTEN + RENDERED)
@pytest.mark.parametrize("kind", [*KINDS, TEMPLATES["references"], TEMPLATES["home"]],
                         ids=lambda kind: kind.kind)
def test_tokens_and_tree_read_the_same_rows(content: str, kind: PageKind) -> None:
    assert_same(content, kind)


@pytest.mark.parametrize("kind", TEMPLATES.row_kinds, ids=lambda kind: kind.kind)
def test_rows_as_cop_connector_writes_them_need_no_tree(kind: PageKind) -> None:
    content = CODEC.render_page(kind, context("fr"), rows_of(kind))
    stream = wikitext_tokens.tokenize(content)
    codes = wikitext_tokens.token_codes(stream)
    wanted = normalize_template_name(kind.row_template or "")
    runs = wikitext_tokens.top_level_runs(
        codes, lambda start: normalize_template_name(stream[start + 1]["text"]) == wanted)
    fields = {field.name: field for field in kind.fields}
    flat = [wikitext_tokens.read_flat_row(stream, codes, start, end, fields, "lang")
            for start, end, candidate in runs if candidate]
    parsed = parse_rows(content, kind, PAGE)
    assert len(flat) == len(parsed.rows) == len(rows_of(kind)) and None not in flat
    assert [row.values for row in flat] == [row.values for row in parsed.rows]
    assert parsed == parse_rows_tree(content, kind, PAGE)


def test_lines_and_indexes_run_on_across_flat_rows_and_trees() -> None:
    kind = TEMPLATES["members"]
    content = (
        "{{CoP member|email=a@b.c}}\n"                                   # 1, line 1: flat
        "<div>\n{{CoP member|email=b@b.c|name=[[B]]}}\n</div>\n"         # 2, line 3: tree
        "{{CoP member|email=c@b.c|name=C &amp; D}}\n"                    # 3, line 5: flat
        "{{CoP member|email=d@b.c|name=D\n"                              # 4, line 6: unclosed
        "{{CoP member|email=e@b.c|name={{x}}}}\n"                        # 5, line 7: template
        "{{CoP member|email=f@b.c|name=F {{CoP member}}\n"               # 6 (unclosed), 7: line 8
        "{{CoP member|email=g@b.c}}"                                     # 8, line 9: flat
    )
    parsed = parse_rows(content, kind, PAGE)
    assert parsed == parse_rows_tree(content, kind, PAGE)
    assert [(r.index, r.line, r.values.get("email")) for r in parsed.rows] == \
        [(1, 1, "a@b.c"), (2, 3, "b@b.c"), (3, 5, "c@b.c"), (7, 8, None), (8, 9, "g@b.c")]
    assert parsed.rows[2].values["name"] == "C & D"
    assert [(p.row, p.line, p.field) for p in parsed.problems] == \
        [(4, 6, "(template)"), (5, 7, "name"), (6, 8, "(template)")]


# --- generated pages: rows mixing every kind of wikitext ----------------------------------

TEXT = st.text(st.sampled_from(list("ab Z09@.:/-_,;'é\t\n\r\x0b\x00\u00a0\u2028{}[]<>")),
               max_size=8)
MARKUP = st.sampled_from([
    "&amp;", "&#124;", "&#x41;", "&#X3a3;", "&nbsp;", "&bogus;", "&#0;", "&#xD800;",
    "&#1114112;", "&#38;", "<!-- c -->", "<!--", "-->", "<br>", "<br/>", "<b>b</b>",
    "<nowiki>{{CoP member|email=n@w.x}}</nowiki>", "<pre>p</pre>", "<ref>r</ref>", "<div>",
    "</div>", "[[A|b]]", "[[A]]", "[[:Category:C]]", "[https://x.y/z label]", "[https://x.y/z]",
    "https://x.y/z?a=1&amp;b=2", "http://x.y", "https://x.y/z.", "mailto:a@b.c", "{{!}}",
    "{{=}}", "{{PAGENAME}}", "{{CoP member|email=n@x.y}}", "{{CoP member|email=", "{{CoP member",
    "{{CoP_member}}", "{{{1}}}", "{{{1|d}}}", "}}", "{{", "|", "=", "\n", "'''", "''",
    "\n== h ==\n", "__NOTOC__", "~~~~", "{|", "|}", "\n* item", "<span title=\"a\">s</span>",
])
VALUE = st.lists(TEXT | MARKUP, max_size=4).map("".join)
PLAIN_VALUE = st.lists(TEXT | st.sampled_from(["&amp;", "&#124;", "&#x41;", "https://x.y/?a=b"]),
                       max_size=3).map("".join)
KEYS = st.sampled_from(["email", "name", "profile", "role", "site", "since", "url", "title",
                        "date", "summary", "tags", "slug", "lang", "typo", "", " name ",
                        "email\n", "n&amp;me"])
NAMES = st.sampled_from(["CoP member", "CoP watch", "CoP charter", "template:CoP_member",
                         "coP member", " CoP member\n", "CoP  member", "Other", "!",
                         "CoP<!-- x -->member", "CoP&#32;member"])
PARAM = (st.tuples(KEYS, VALUE | PLAIN_VALUE).map(lambda kv: f"|{kv[0]}={kv[1]}")
         | VALUE.map(lambda value: f"|{value}"))
ROW = st.tuples(NAMES, st.lists(PARAM, max_size=7), st.sampled_from(["}}", "}}", "}}", "", "}"])
                ).map(lambda row: "{{" + row[0] + "".join(row[1]) + row[2])
FLAT_ROW = st.tuples(NAMES, st.lists(st.tuples(KEYS, PLAIN_VALUE), max_size=7)).map(
    lambda row: "{{" + row[0] + "".join(f"|{k}={v}" for k, v in row[1]) + "}}")
PIECE = ROW | FLAT_ROW | FLAT_ROW | VALUE | MARKUP
PAGES = st.lists(st.tuples(PIECE, st.sampled_from(["\n", "", " ", "\n\n", "\r\n"])),
                 max_size=12).map(lambda pieces: "".join(p + sep for p, sep in pieces))


@given(PAGES)
@settings(max_examples=600, deadline=None)
def test_tokens_and_tree_read_the_same_rows_of_any_page(content: str) -> None:
    for kind in KINDS:
        assert_same(content, kind)


@given(st.lists(FLAT_ROW, min_size=1, max_size=6).map("\n".join))
@settings(max_examples=300, deadline=None)
def test_tokens_and_tree_read_the_same_flat_rows(content: str) -> None:
    for kind in KINDS:
        assert_same(content, kind)


@given(st.text())
@settings(max_examples=300, deadline=None)
def test_tokens_and_tree_read_the_same_rows_of_any_text(content: str) -> None:
    assert_same(content, TEMPLATES["members"])
