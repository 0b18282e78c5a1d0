"""page_templates.values: the fast forms of clean_text and normalize give exactly what the
plain definitions below (character by character, with unicodedata and urlsplit) give."""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Mapping
from urllib.parse import urlsplit

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from page_templates import FieldDef, PageKind, shipped
from page_templates.values import (
    URL_FORBIDDEN,
    FieldInvalid,
    clean_text,
    normalize,
    normalize_row,
    row_key,
)

TEMPLATES = shipped()
FIELDS = [field for kind in TEMPLATES.row_kinds for field in kind.fields]


# --- the definitions -----------------------------------------------------------------------

def dropped(ch: str) -> bool:
    """Cc and Cs (but line feed and tab), and the noncharacters."""
    code = ord(ch)
    noncharacter = 0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE
    return ch not in "\n\t" and (unicodedata.category(ch) in ("Cc", "Cs") or noncharacter)


def reference_clean_text(value: str, *, multiline: bool = False) -> str:
    value = unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n"))
    kept = "".join(ch for ch in value if not dropped(ch))
    if not multiline:
        return " ".join(kept.split())
    lines = [" ".join(line.split()) for line in kept.split("\n")]
    return "\n".join(lines).strip("\n")


def reference_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and \
        not URL_FORBIDDEN.search(value)


def reference_loose(text: str) -> str:
    """The spec of a loose comparison: case, accents, spaces and punctuation do not count,
    '&' does ("Adopté" = "adopte", "R & D" = "r&d")."""
    bare = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in bare if not unicodedata.combining(c) and (c.isalnum() or c == "&"))


def reference_choice(field: FieldDef, value: str) -> str | None:
    for choice in field.choices:
        names = {choice.value, *choice.labels.values()}
        if value.casefold() in {name.casefold() for name in names}:
            return choice.value
    for choice in field.choices:  # then loosely, as members type them
        names = {choice.value, *choice.labels.values()}
        if reference_loose(value) and reference_loose(value) in {reference_loose(n)
                                                                   for n in names}:
            return choice.value
    return None


def reference_tags(value: str) -> str:
    seen: dict[str, str] = {}
    for piece in re.split(r"[,;]", value):
        tag = piece.strip()
        if tag and tag.casefold() not in seen:
            seen[tag.casefold()] = tag
    return ", ".join(seen.values())


def outcome(call: object, *args: object) -> tuple[str, str]:
    try:
        return "ok", call(*args)  # type: ignore[operator]
    except FieldInvalid as invalid:
        return "invalid", f"{invalid.field}: {invalid.message}"
    except ValueError as error:  # what urlsplit raises on some values
        return "error", str(error)


# --- clean_text ----------------------------------------------------------------------------

def test_clean_text_drops_exactly_the_defined_characters_over_every_code_point() -> None:
    every = "".join(map(chr, range(sys.maxunicode + 1)))
    kept = clean_text(every, multiline=True)
    # NFC and white space aside, what is kept is every character not dropped, in order
    expected = reference_clean_text(every, multiline=True)
    assert kept == expected
    for code in (0, 8, 0x0B, 0x1F, 0x7F, 0x9F, 0xD800, 0xDFFF, 0xFDD0, 0xFDEF, 0xFFFE,
                 0x1FFFF, 0x10FFFE, 0x10FFFF):
        assert clean_text(f"a{chr(code)}b") == "ab", hex(code)
    assert clean_text("a\u00adb\u200bc\ue000d") == "a\u00adb\u200bc\ue000d"  # Cf, Co kept


TEXTS = st.text() | st.lists(st.characters() | st.sampled_from(
    ["\r\n", "\r", "\n", "\t", "\x0b", "\x85", "\u2028", "\ufffe", "\U0010ffff", "\ud800",
     "e\u0301", "\ufdd0", "  ", "\x00", "\u00ad"])).map("".join)


@given(TEXTS, st.booleans())
@settings(max_examples=1000, deadline=None)
@example("e\u0301\r\nx\ud800\t y", True)
@example("  a  \n\n b \r ", True)
@example("plain ASCII, printable", False)
def test_clean_text_is_its_definition(value: str, multiline: bool) -> None:
    assert clean_text(value, multiline=multiline) == \
        reference_clean_text(value, multiline=multiline)


# --- normalize -----------------------------------------------------------------------------

URLISH = st.lists(st.sampled_from([
    "http", "https", "HTTP", "hTtPs", "ftp", ":", "//", "/", "?", "#", "[", "]", "::1",
    "example.com", "a-b.c", "xn--e1a.ru", "é.fr", "\u2100", ":8080", ":x", "@", "user:pw@",
    " ", "\t", "<", ">", '"', "{", "}", "|", "\\", "^", "`", "~", "%20", "a", "0", ".", "-",
    "&", "=", ";", "'", "mailto:", "\x00",
]), max_size=10).map("".join)


@given(URLISH | st.text())
@settings(max_examples=1500, deadline=None)
@example("https://example.com/a?b=c#d")
@example("HTTP://EXAMPLE.COM:80")
@example("https://[::1")
@example("https://ex\u2100mple.com/")
@example("https://")
@example("https:///x")
def test_url_fields_normalize_as_defined(value: str) -> None:
    field = next(f for f in FIELDS if f.type == "url")
    cleaned = reference_clean_text(value)
    got = outcome(normalize, field, value)
    if not cleaned:
        assert got == ("ok", "")
        return
    try:
        valid = reference_url(cleaned)
    except ValueError:  # urlsplit refuses it: a row problem for the field, never a crash
        assert got[0] == "invalid" and got[1].startswith(field.name)
        return
    if valid:
        assert got == ("ok", cleaned)
    else:
        assert got[0] == "invalid" and got[1].startswith(field.name)


@given(st.sampled_from([f for f in FIELDS if f.type == "choice"]),
       st.sampled_from(["member", "Membre", "PILOTE", "expert", "Expert ", "x", "", "ß", "SS",
                        "in-force", "En vigueur", "repealed", "draft"]) | st.text(max_size=6))
@settings(max_examples=500, deadline=None)
def test_choice_fields_normalize_as_defined(field: FieldDef, value: str) -> None:
    cleaned = reference_clean_text(value)
    expected = reference_choice(field, cleaned) if cleaned else ""
    got = outcome(normalize, field, value)
    if expected is None:
        assert got[0] == "invalid"
    else:
        assert got == ("ok", expected)


@given(st.lists(st.sampled_from(["a", "A", "b", ",", ";", " ", "\t", "é", "É", "ß", "SS"]),
                max_size=12).map("".join))
@settings(max_examples=500, deadline=None)
def test_tag_fields_normalize_as_defined(value: str) -> None:
    field = next(f for f in FIELDS if f.type == "tags")
    cleaned = reference_clean_text(value)
    assert normalize(field, value) == (reference_tags(cleaned) if cleaned else "")


@given(TEXTS)
@settings(max_examples=500, deadline=None)
def test_text_fields_normalize_to_their_clean_text(value: str) -> None:
    for field in FIELDS:
        if field.type in ("text", "longtext"):
            assert normalize(field, value) == \
                reference_clean_text(value, multiline=field.type == "longtext")


# --- rows ----------------------------------------------------------------------------------

def reference_normalize_row(kind: PageKind, raw: Mapping[str, str]) -> tuple[dict[str, str],
                                                                             list[str]]:
    values: dict[str, str] = {}
    problems: list[FieldInvalid] = []
    for field in kind.fields:
        try:
            values[field.name] = normalize(field, raw.get(field.name, ""))
        except FieldInvalid as problem:
            problems.append(problem)
            values[field.name] = ""
    for field in kind.fields:
        if field.required and not values[field.name] and \
                not any(p.field == field.name for p in problems):
            problems.append(FieldInvalid(field.name, "is required and empty"))
    return values, [f"{p.field}: {p.message}" for p in problems]


@pytest.mark.parametrize("kind", TEMPLATES.row_kinds, ids=lambda kind: kind.kind)
@given(data=st.data())
@settings(max_examples=100, deadline=None)
def test_rows_normalize_as_defined(kind: PageKind, data: st.DataObject) -> None:
    values = st.sampled_from(["", " ", "x", "2024-01-02", "2024-13-01", "a@b.c", "a@b",
                              "https://x.y", "HTTPS://X.Y/AbC?Q=D", "ftp://x", "member",
                              "in-force", "t1, t2"])
    raw = data.draw(st.dictionaries(st.sampled_from([*kind.field_names, "typo"]), values))
    values_, problems = normalize_row(kind, raw)
    assert (values_, [f"{p.field}: {p.message}" for p in problems]) == \
        reference_normalize_row(kind, raw)
    keys = [alternative for alternative in kind.keys if all(values_[n] for n in alternative)]
    expected = "|".join(reference_key_part(kind.field(n), values_[n]) for n in keys[0]) \
        if keys else None
    assert row_key(kind, values_) == expected


def reference_key_part(field: FieldDef | None, value: str) -> str:
    """Text compares case-insensitively; a web address only in its scheme and host."""
    if field is None or field.type != "url":
        return " ".join(value.casefold().split())
    parts = urlsplit(value)
    return parts._replace(scheme=parts.scheme.lower(),
                          netloc=parts.netloc.lower()).geturl()


def test_url_keys_keep_the_case_of_path_and_query() -> None:
    """Paths are case-sensitive (https://youtu.be/AbC is not …/abc); scheme and host
    are not."""
    watch = TEMPLATES["watch"]

    def key(url: str) -> str | None:
        return row_key(watch, {"url": url, "title": "T", "date": "2024-01-02"})

    assert key("https://ex.com/Upper") != key("https://ex.com/upper")
    assert key("HTTPS://EX.com/Upper") == key("https://ex.com/Upper") == "https://ex.com/Upper"
    assert key("https://ex.com/p?Q=A#Frag") == "https://ex.com/p?Q=A#Frag"
    assert row_key(watch, {"title": "Solid  State", "date": "2024-01-02"}) == \
        "solid state|2024-01-02"


def test_choice_messages_list_what_members_write_in_the_page_language() -> None:
    status = TEMPLATES["regulation"].field("status")
    with pytest.raises(FieldInvalid) as invalid:
        normalize(status, "en cours")
    assert invalid.value.message == \
        "'en cours' is not one of: draft, adopted, in force, repealed"
    assert invalid.value.message_in("fr") == \
        "'en cours' is not one of: projet, adopté, en vigueur, abrogé"
    with pytest.raises(FieldInvalid) as typo:
        normalize(status, "en vigeur")
    assert typo.value.message_in("fr").endswith("(did you mean 'en vigueur'?)")
    assert typo.value.message_in("en").endswith("(did you mean 'in force'?)")


def test_a_url_urlsplit_refuses_is_a_field_problem_not_a_crash() -> None:
    field = TEMPLATES["watch"].field("url")
    with pytest.raises(FieldInvalid):
        normalize(field, "https://[x")


def test_a_tag_per_line_is_a_tag() -> None:
    """A cell with a paragraph or a bullet per tag (Enter in a Confluence cell), or a
    parameter written over several lines, gives one tag per line."""
    field = next(f for f in FIELDS if f.type == "tags")
    assert normalize(field, "alpha\nbeta") == "alpha, beta"
    assert normalize(field, "alpha,\n\nbéta; gamma\r\n") == "alpha, béta, gamma"
