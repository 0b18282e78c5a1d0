"""escape_text / escape_url: member text is inert in wikitext and reads back exactly."""

from __future__ import annotations

import re

import mwparserfromhell
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from mwparserfromhell.nodes import HTMLEntity, Text

from connector.mediawiki.escape import escape_text, escape_url
from connector.mediawiki.wikitext_text import plain_text
from page_templates.values import clean_text

INJECTIONS = [
    "}}", "|", "[[Category:X]]", "~~~~", "~~~", "<script>alert(1)</script>", "__NOTOC__",
    "{{#invoke:x}}", "'''bold'''", "''italic''", "&amp;", "&#124;", "&nbsp;",
    "https://evil.example", "mailto:a@evil.example", "ISBN 1234567890", "RFC 2616",
    "PMID 1234", "<nowiki>", "</nowiki>", "-{zh}-", "* list", "# numbered", ": indent",
    "; term", "----", "== Heading ==", "{| class=wikitable", "! header", " leading space",
    "a\n* b\n# c\n:d\n----\n e\n!f", "x=y", "{{!}}", "{{{1}}}", "[https://evil.example x]",
    "<!-- comment -->", "<br>", "&", "a__b", "line1\n\nline2", "~",
]

# What may not appear outside character references in escaped text.
MARKUP_CHARS = set("\"&'<=>[]{|};~")


def embed(escaped: str) -> mwparserfromhell.wikicode.Wikicode:
    return mwparserfromhell.parse(f"{{{{CoP member|name={escaped}|x=1}}}}")


def read_back(escaped: str) -> str:
    """The value as the codec reads it, after embedding in a template call."""
    code = embed(escaped)
    templates = code.filter_templates(recursive=False)
    assert len(code.nodes) == 1 and len(templates) == 1
    params = templates[0].params
    assert [str(p.name) for p in params] == ["name", "x"]
    return plain_text(params[0].value)


def assert_inert(escaped: str) -> None:
    """Only text and character references: no template, link, tag, comment, heading."""
    code = embed(escaped)
    value = code.filter_templates()[0].params[0].value
    assert all(isinstance(node, Text | HTMLEntity) for node in value.nodes), value.nodes
    # A reference stands between what it separates ("_&#123;_" is no "__" magic word):
    # replaced by a character that means nothing to the parser, not removed.
    bare = re.sub(r"&#\d+;", "\x00", escaped)
    assert not MARKUP_CHARS & set(bare), bare
    assert "__" not in bare and "://" not in bare
    for line in escaped.split("\n"):
        assert not line[:1] or line[:1] not in "#*: \t!", line
        assert not line.startswith("----")


@pytest.mark.parametrize("value", INJECTIONS)
def test_injection_is_inert_and_reads_back(value: str) -> None:
    escaped = escape_text(value)
    assert_inert(escaped)
    assert read_back(escaped) == value


@pytest.mark.parametrize(("value", "escaped"), [
    ("a|b", "a&#124;b"),
    ("}}", "&#125;&#125;"),
    ("~~~~", "&#126;&#126;&#126;&#126;"),
    ("__NOTOC__", "_&#95;NOTOC_&#95;"),
    ("https://x.example", "https&#58;//x.example"),
    ("ISBN 123", "ISBN&#32;123"),
    ("see mailto:a@b.c", "see mailto&#58;a@b.c"),
    ("* a\n# b", "&#42; a\n&#35; b"),
    ("----", "&#45;---"),
    ("a\nb", "a\nb"),
    (" a ", "&#32;a&#32;"),
    ("R&D", "R&#38;D"),
    ("", ""),
])
def test_escape_text_examples(value: str, escaped: str) -> None:
    assert escape_text(value) == escaped


@given(st.text())
@settings(max_examples=400, deadline=None)  # (the first call loads the parser: not a slow case)
@example("\r\n")
@example("\x00")
@example(" \n ")
@example("_{_")  # a reference between two underscores: no "__" (found by Hypothesis in CI)
def test_any_text_round_trips(value: str) -> None:
    escaped = escape_text(value)
    assert_inert(escaped)
    # NUL cannot be written (no reference for it); MediaWiki itself turns it into U+FFFD.
    assert read_back(escaped) == value.replace("\x00", "\ufffd")


@given(st.text() | st.sampled_from(INJECTIONS), st.booleans())
@settings(max_examples=300, deadline=None)
def test_cleaned_text_round_trips(value: str, multiline: bool) -> None:
    cleaned = clean_text(value, multiline=multiline)
    assert read_back(escape_text(cleaned)) == cleaned


URLS = [
    "https://example.com/a__b?x=1&y=2;z=~me's",
    "https://example.com/~user/~~~~/''x''/'''y'''",
    "https://example.com/?a=1&amp;b=2&lt;x",
    "http://example.com:8080/p?u=https://other.example/x&mailto:a@b",
    "https://example.com/__NOTOC__?q=__INDEX__",
    "https://example.com/path#frag!x*y:z",
    "https://exämple.com/ünï?ç=é",
    "https://example.com/%7C%5B%5D",
]


@pytest.mark.parametrize("url", URLS)
def test_escape_url_keeps_the_scheme_and_reads_back(url: str) -> None:
    escaped = escape_url(url)
    scheme = url.split("://", maxsplit=1)[0] + "://"
    assert escaped.startswith(scheme)
    bare = re.sub(r"&#\d+;", "", escaped[len(scheme):])
    assert not set("'~&;=\"<>[]{|}") & set(bare)
    assert "__" not in bare and "://" not in bare
    assert read_back(escaped) == url


def test_escape_url_never_raises_on_junk() -> None:
    for junk in ("", "no scheme", "javascript:alert(1)", "{{x}}", "https://"):
        assert read_back(escape_url(junk)) == junk
