"""The wikitext codec on a real MediaWiki: member text stays inert, URLs link exactly.

Saves the row templates and pages rendered with injection values in every field of every
kind, then asks MediaWiki itself (action=parse) what the pages contain: categories,
transclusions, links, external links, HTML. Talks to the wiki with mwclient directly.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping

import mwclient
import pytest

from connector.base import PageContext, PageRef
from connector.mediawiki.wikitext import WikitextCodec
from page_templates import LANGUAGES, FieldDef, PageKind, localize, shipped

TEMPLATES = shipped()
CODEC = WikitextCodec()
SPACES = {"fr": ("CoP_Batterie", 3000), "en": ("CoP_Cells", 3002)}

INJECTIONS = [
    "}}", "|", "[[Category:X]]", "~~~~", "<script>alert(1)</script>", "__NOTOC__",
    "{{#invoke:x}}", "'''bold'''", "&amp;", "&#124;", "https://evil.example",
    "ISBN 1234567890", "<nowiki>", "</nowiki>", "-{zh}-", "* list", "# hash", "----",
    "[[Main Page]] {{CoP member|email=x@evil.example}} ~~~ [https://evil.example x]",
    "mailto:a@evil.example RFC 1234 __TOC__ <!-- c --> {{PAGENAME}} {{{1}}}",
]
MULTILINE = "first line\n* list\n# hash\n----\n: indent\n; term\n{|\n! header\n|}\n== H =="
URLS = [
    "https://example.com/a__b?x=1&y=2;z=~me's",
    "https://example.com/~user/~~~~/''x''/'''y'''",
    "https://example.com/?a=1&amp;b=2&lt;x",
    "http://example.com:8080/p?u=https://other.example/x&mailto:a@b",
    "https://example.com/__NOTOC__?q=__INDEX__",
    "https://example.com/path#frag!x*y:z",
    "https://example.com/%7C%5B%5D%7B%7D",
    "https://example.com/RFC 1234".replace(" ", "%20"),
]


class Wiki:
    """A logged-in bot session on the test wiki (raw API calls only)."""

    def __init__(self, url: str, user: str, password: str) -> None:
        host = re.sub(r"^https?://", "", url).rstrip("/")
        self.site = mwclient.Site(host=host, path="/", scheme="http", do_init=False,
                                  max_retries=1, retry_timeout=1)
        token = self.site.raw_api("query", "GET", meta="tokens", type="login")
        result = self.site.raw_api("login", "POST", lgname=user, lgpassword=password,
                                   lgtoken=token["query"]["tokens"]["logintoken"])
        assert result["login"]["result"] == "Success", result
        tokens = self.site.raw_api("query", "GET", meta="tokens")
        self.csrf = tokens["query"]["tokens"]["csrftoken"]

    def save(self, title: str, text: str) -> None:
        result = self.site.raw_api("edit", "POST", title=title, text=text, token=self.csrf,
                                   summary="test", formatversion=2)
        assert result["edit"]["result"] == "Success", result

    def read(self, title: str) -> str:
        result = self.site.raw_api("query", "GET", prop="revisions", titles=title,
                                   rvprop="content", rvslots="main", formatversion=2)
        return result["query"]["pages"][0]["revisions"][0]["slots"]["main"]["content"]

    def parse(self, title: str) -> Mapping:
        return self.site.raw_api("parse", "GET", page=title, formatversion=2,
                                 prop="text|categories|templates|links|externallinks|iwlinks"
                                 )["parse"]

    def templatedata(self, title: str, lang: str | None = None) -> Mapping:
        extra = {"lang": lang} if lang else {}
        result = self.site.raw_api("templatedata", "GET", titles=title, formatversion=2,
                                   **extra)
        (page,) = result["pages"].values()
        return page


@pytest.fixture
def session(wiki) -> Wiki:
    for name, number in SPACES.values():
        wiki.add_namespace(name, number)
    session = Wiki(wiki.url, wiki.credentials.bot_user, wiki.credentials.bot_password)
    for ref, source in CODEC.support_pages(TEMPLATES):
        session.save(str(ref), source)
    return session


def injected(field: FieldDef, i: int) -> str:
    """Row ``i``'s value for ``field``: an injection string (a URL for URL fields)."""
    if field.type == "url":
        return URLS[i % len(URLS)]
    if field.type == "longtext" and i % 3 == 0:
        return MULTILINE
    return f"{INJECTIONS[i % len(INJECTIONS)]} {field.name}{i}"


def injected_rows(kind: PageKind) -> list[dict[str, str]]:
    count = 1 if kind.single else max(len(INJECTIONS), len(URLS))
    return [{f.name: injected(f, i) for f in kind.fields} for i in range(count)]


def context(lang: str) -> tuple[PageContext, dict[str, PageRef]]:
    space = SPACES[lang][0].replace("_", " ")
    pages = {kind.kind: PageRef(space, localize(kind.title, lang))
             for kind in TEMPLATES.page_kinds if not kind.per}  # one page per community
    values = {"name": "[[Category:Evil]] ~~~~ {{PAGENAME}}", "theme": "<script>x</script>",
              "slug": "battery"}
    return PageContext(lang=lang, space=space, values=values, pages=pages), pages


def displayed(parsed: Mapping) -> str:
    text = html.unescape(re.sub(r"<[^>]+>", "", parsed["text"]))
    return text.replace("\xa0", " ")  # French typography: no-break space before ":" etc.


@pytest.mark.parametrize("lang", LANGUAGES)
def test_injected_pages_stay_inert(session: Wiki, lang: str) -> None:
    page_context, pages = context(lang)
    row_templates = {f"Template:{kind.row_template}" for kind in TEMPLATES.row_kinds}
    for kind in (TEMPLATES[k] for k in pages):
        rows = injected_rows(kind) if kind.has_rows else []
        title = str(pages[kind.kind])
        sent = CODEC.render_page(kind, page_context, rows)
        session.save(title, sent)
        # the pre-save transform changed nothing (no signature expanded); MediaWiki only
        # trims the trailing line break
        assert session.read(title) == sent.rstrip("\n")
        parsed = session.parse(title)
        assert parsed["categories"] == [] and parsed["iwlinks"] == []
        used = {t["title"] for t in parsed["templates"]}
        assert used == ({f"Template:{kind.row_template}"} if kind.has_rows else set())
        assert used <= row_templates
        links = [(link["ns"], link["title"]) for link in parsed["links"]]
        expected_links = sorted(str(pages[k]) for k in pages if k != "home") \
            if kind.kind == "home" else []
        assert sorted(title for _, title in links) == expected_links
        urls = sorted({row[f.name] for row in rows for f in kind.fields if f.type == "url"})
        assert sorted(parsed["externallinks"]) == urls
        assert "<script" not in parsed["text"].lower()
        assert "~~~~" in displayed(parsed)
        text = displayed(parsed)
        for row in rows:
            for field in kind.fields:
                if field.type == "url":
                    continue  # the link target, not shown (test_url_hrefs_are_...)
                for line in row[field.name].split("\n"):
                    assert line in text, (kind.kind, field.name, line)
        assert CODEC.parse_rows(session.read(title), kind, title).problems == ()


def test_url_hrefs_are_the_original_urls(session: Wiki) -> None:
    kind = TEMPLATES["watch"]
    page_context, pages = context("en")
    rows = [{"date": "2024-01-01", "title": f"T{i}", "url": url} for i, url in enumerate(URLS)]
    title = str(pages["watch"])
    session.save(title, CODEC.render_page(kind, page_context, rows))
    parsed = session.parse(title)["text"]
    cards = parsed[parsed.index('class="cop-row'):]  # the help's links to the editors before
    hrefs = [html.unescape(h) for h in re.findall(r'class="external[^"]*" href="([^"]*)"',
                                                  cards)]
    assert hrefs == URLS
    labels = re.findall(r'class="external[^"]*" href="[^"]*">([^<]*)</a>', cards)
    assert labels == [f"T{i}" for i in range(len(URLS))]


def test_templatedata_is_valid_and_localized(session: Wiki) -> None:
    for kind in TEMPLATES.row_kinds:
        title = f"Template:{kind.row_template}"
        english = session.templatedata(title, lang="en")
        assert list(english["params"])[:len(kind.fields)] == list(kind.field_names)
        assert english["paramOrder"][:len(kind.fields)] == list(kind.field_names)
        french = session.templatedata(title, lang="fr")
        for field in kind.fields:
            assert english["params"][field.name]["label"] == localize(field.label, "en")
            assert french["params"][field.name]["label"] == localize(field.label, "fr")
            assert english["params"][field.name]["required"] is field.required
        # a list row: its own line whatever the editor inserts it next to (support.ROW_FORMAT)
        assert english["format"] == ("block" if kind.single else "\n{{_|_=_}}\n")
    role = session.templatedata("Template:CoP member", lang="fr")["params"]["role"]
    assert "membre" in role["suggestedvalues"]


def test_support_templates_render_without_errors(session: Wiki) -> None:
    for ref, _ in CODEC.support_pages(TEMPLATES):
        parsed = session.parse(str(ref))
        assert 'class="error"' not in parsed["text"]
        assert parsed["categories"] == []
