"""Field values: normalisation, validation and row keys, the same for every wiki format.

A value read from a wiki (or typed on the command line) is normalised to its canonical form
(dates ISO, e-mails lower-case, choices to their value, tags comma-separated); what cannot be
normalised raises ``FieldInvalid`` naming the field, which callers turn into a row problem or
a command-line error.
"""

from __future__ import annotations

import difflib
import functools
import re
import sys
import unicodedata
from collections.abc import Callable, Mapping
from datetime import date
from itertools import chain, compress
from typing import Any, TypeVar
from urllib.parse import urlsplit

from .model import FieldDef, PageKind, localize
from .problems import quoted

S = TypeVar("S")
T = TypeVar("T")

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
EMAIL = re.compile(r"^[^@\s<>()\[\]{}|,;:\"]+@[^@\s<>()\[\]{}|,;:\"]+\.[^@\s<>()\[\]{}|,;:\"]+$")
URL_FORBIDDEN = re.compile(r"[\s<>\"{}|\\^`\[\]]")
# An ASCII http(s) URL with a plain host name (and port), nothing URL_FORBIDDEN: urlsplit
# finds its scheme and host without fail, so _url can take it without asking urlsplit.
PLAIN_URL = re.compile(r"(?i:https?)://[A-Za-z0-9.-]+(?::[0-9]+)?(?:[/?#][^\s<>\"{}|\\^`\[\]]*)?")


class FieldInvalid(ValueError):
    """A value that cannot be read as its field's type. ``message`` is in English;
    ``message_in(lang)`` says it in a page's language where it names what members may
    write (a choice's labels). ``code`` and ``params_in(lang)`` say it without a language
    (see problems.toml): the value as written, the choices in the page's language..."""

    def __init__(self, field: str, message: str,
                 localized: Callable[[str], str] | None = None, *, code: str = "invalid",
                 params: Callable[[str], Mapping[str, str]] | Mapping[str, str] | None = None
                 ) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.code = code
        self._localized = localized
        self._params = params

    def message_in(self, lang: str) -> str:
        return self._localized(lang) if self._localized is not None else self.message

    def params_in(self, lang: str) -> dict[str, str]:
        params = self._params(lang) if callable(self._params) else self._params
        return dict(params or {})


def clean_text(value: str, *, multiline: bool = False) -> str:
    """Drop control characters (XML cannot carry them, wikis mangle them), trim spaces.

    Single-line values have their whitespace collapsed; multi-line ones keep line breaks.
    """
    if not (value.isascii() and value.isprintable()):  # else: nothing to normalize or drop
        value = unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n"))
        value = _dropped().sub("", value)
    if not multiline or "\n" not in value:
        return " ".join(value.split())
    lines = [" ".join(line.split()) for line in value.split("\n")]
    return "\n".join(lines).strip("\n")


@functools.cache
def _dropped() -> re.Pattern[str]:
    """The characters clean_text drops, as one character class over every code point:
    categories Cc and Cs (but line feed and tab) and the noncharacters.

    Built from unicodedata on first use (about 0.1 s), not at import."""
    everything = range(sys.maxunicode + 1)
    categories = map(unicodedata.category, map(chr, everything))
    controls = compress(everything, map(frozenset({"Cc", "Cs"}).__contains__, categories))
    noncharacters = chain(range(0xFDD0, 0xFDF0),
                          (plane | low for plane in range(0, sys.maxunicode + 1, 0x10000)
                           for low in (0xFFFE, 0xFFFF)))
    dropped = sorted({*controls, *noncharacters} - {ord("\n"), ord("\t")})
    ranges: list[list[int]] = []
    for code in dropped:
        if ranges and ranges[-1][1] == code - 1:
            ranges[-1][1] = code
        else:
            ranges.append([code, code])
    return re.compile("[" + "".join(f"\\U{low:08x}-\\U{high:08x}" for low, high in ranges)
                      + "]")


def normalize(field: FieldDef, raw: str) -> str:
    """The canonical form of ``raw`` for ``field``; '' for an empty value.

    Raises FieldInvalid when the value is not of the field's type.
    """
    if not raw:
        return ""
    if field.type in _LISTS:  # one item per line (a paragraph or bullet each) counts too
        raw = _LINE_BREAKS.sub(_LISTS[field.type], raw)
    if raw.isascii() and raw.isprintable():  # clean_text's shortcut, without the call
        value = " ".join(raw.split())
    else:
        value = clean_text(raw, multiline=field.type == "longtext")
    if not value:
        return ""
    checker = _CHECKERS.get(field.type)
    return checker(field, value) if checker else value


def _date(field: FieldDef, value: str) -> str:
    try:
        if ISO_DATE.match(value):
            return date.fromisoformat(value).isoformat()
    except ValueError:
        pass
    raise FieldInvalid(field.name, f"{value!r} is not a date; write YYYY-MM-DD",
                       code="not_a_date", params={"value": quoted(value)})


def _email(field: FieldDef, value: str) -> str:
    if not EMAIL.match(value):
        raise FieldInvalid(field.name, f"{value!r} is not an e-mail address",
                           code="not_an_email", params={"value": quoted(value)})
    return value.lower()


def _url(field: FieldDef, value: str) -> str:
    if value.isascii() and PLAIN_URL.fullmatch(value):
        return value
    try:
        parts = urlsplit(value)
    except ValueError:  # e.g. an unbalanced "[" in the host: urlsplit refuses it
        parts = None
    if parts is None or parts.scheme not in ("http", "https") or not parts.netloc or \
            URL_FORBIDDEN.search(value):
        raise FieldInvalid(field.name, f"{value!r} is not a web address; write https://…",
                           code="not_a_url", params={"value": quoted(value)})
    return value


def choice_names(field: FieldDef) -> dict[str, str]:
    """Every spelling a choice field accepts, compared case-folded or loosely (see
    ``loose``) -> the choice's value; what the wiki's row templates check against too."""
    return derived(field, _choice_names)


def _choice(field: FieldDef, value: str) -> str:
    names = derived(field, _choice_names)
    found = names.get(value.casefold()) or names.get(loose(value))
    if found is not None:
        return found
    close = suggest(value, names)

    def message(lang: str) -> str:
        """What members may write, as they write it: the labels in the page's language
        ("projet, adopté, en vigueur, abrogé"), not the values the records keep."""
        allowed = ", ".join(display(field, choice.value, lang) for choice in field.choices)
        hint = f" (did you mean {display(field, close, lang)!r}?)" if close else ""
        return f"{value!r} is not one of: {allowed}{hint}"

    def params(lang: str) -> dict[str, str]:
        allowed = ", ".join(display(field, choice.value, lang) for choice in field.choices)
        found = {"value": quoted(value), "choices": allowed}
        return {**found, "suggestion": display(field, close, lang)} if close else found

    raise FieldInvalid(field.name, message("en"), message,
                       code="not_a_choice_like" if close else "not_a_choice", params=params)


def _choice_names(field: FieldDef) -> dict[str, str]:
    """Casefolded value, label or alias -> choice value (the first choice naming it wins),
    and the same names without accents, spaces or punctuation ("R & D", "rd": "R&D")."""
    names: dict[str, str] = {}
    for choice in field.choices:
        for name in (choice.value, *choice.labels.values(), *choice.aliases):
            names.setdefault(name.casefold(), choice.value)
    for name, value in list(names.items()):
        names.setdefault(loose(name), value)
    return names


def loose(text: str) -> str:
    """``text`` compared loosely: case-folded, without accents, and only its letters,
    digits and '&' ("Recherche & Développement" -> "recherche&developpement")."""
    bare = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in bare if c.isalnum() or c == "&")


def suggest(value: str, names: Mapping[str, str]) -> str | None:
    """The value whose name is closest to ``value`` (a typo: "rnd" -> "R&D"), if any."""
    close = difflib.get_close_matches(loose(value), [n for n in names if n], n=1,
                                      cutoff=0.6)
    return names[close[0]] if close else None


_DERIVED: dict[tuple[int, Callable[[Any], Any]], tuple[object, Any]] = {}


def derived(source: S, build: Callable[[S], T]) -> T:
    """``build(source)``, computed once per (frozen, so unchanging) field or kind. Kept by
    identity, with the object itself so that its id is not reused; bounded, for processes
    that load many definitions."""
    entry = _DERIVED.get((id(source), build))
    if entry is None or entry[0] is not source:
        if len(_DERIVED) > 1000:
            _DERIVED.clear()
        entry = _DERIVED[(id(source), build)] = (source, build(source))
    return entry[1]


_TAG_SEPARATORS = re.compile(r"[,;]")
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029]+")


def _tags(field: FieldDef, value: str) -> str:
    seen: dict[str, str] = {}
    for piece in _TAG_SEPARATORS.split(value):
        tag = piece.strip()
        if tag:
            seen.setdefault(tag.casefold(), tag)
    return ", ".join(seen.values())


NUMBER = re.compile(r"^\d+(?:[.,]\d+)?$")


def _number(field: FieldDef, value: str) -> str:
    """A non-negative decimal ("7", "3.5"; a French "3,5" reads as 3.5), written without
    trailing zeros."""
    if not NUMBER.match(value):
        negative = value.startswith("-") and NUMBER.match(value[1:])
        raise FieldInvalid(field.name, f"{value!r} is " + (
            "negative: write 0 or more" if negative else
            "not a number; write e.g. 7 or 3.5"),
            code="negative_number" if negative else "not_a_number",
            params={"value": quoted(value)})
    whole, _, decimals = value.replace(",", ".").partition(".")
    decimals = decimals.rstrip("0")
    return f"{int(whole)}.{decimals}" if decimals else str(int(whole))


def _entries(field: FieldDef, value: str) -> str:
    """Names of entries, separated by semicolons only (a title may hold a comma), each
    once, joined by "; "."""
    seen: dict[str, str] = {}
    for piece in value.split(";"):
        name = piece.strip()
        if name:
            seen.setdefault(name.casefold(), name)
    return "; ".join(seen.values())


ENTRY_SEPARATOR = "; "
_LISTS = {"tags": ",", "entries": ";"}  # list types: what a line break counts as
_CHECKERS = {"date": _date, "email": _email, "url": _url, "choice": _choice, "tags": _tags,
             "number": _number, "entries": _entries}


def display(field: FieldDef, value: str, lang: str) -> str:
    """How a canonical value is written on a page (choices by their label in ``lang``)."""
    for choice in field.choices:
        if choice.value == value:
            return localize(choice.labels, lang) or value
    return value


def normalize_row(kind: PageKind,
                  raw: Mapping[str, str]) -> tuple[dict[str, str], list[FieldInvalid]]:
    """Normalise every defined field of a raw row; collect every invalid field."""
    values: dict[str, str] = {}
    problems: list[FieldInvalid] = []
    for field in kind.fields:
        try:
            values[field.name] = normalize(field, raw.get(field.name, ""))
        except FieldInvalid as problem:
            problems.append(problem)
            values[field.name] = ""
    for name in derived(kind, _required):
        if not values[name] and not _invalid(problems, name):
            problems.append(FieldInvalid(name, "is required and empty", code="required_empty"))
    return values, problems


def _required(kind: PageKind) -> tuple[str, ...]:
    """The names of the required fields, in order."""
    return tuple(field.name for field in kind.fields if field.required)


def _invalid(problems: list[FieldInvalid], name: str) -> bool:
    return any(problem.field == name for problem in problems)


def row_key(kind: PageKind, values: Mapping[str, str]) -> str | None:
    """The row's identity: the first key alternative whose fields are all filled.

    Text keys compare case-insensitively with spaces collapsed, so re-typing a title does
    not make a new row. A web address is case-sensitive but for its scheme and host
    (``https://youtu.be/AbC`` and ``…/abc`` are two items; ``HTTPS://Ex.com/A`` is
    ``https://ex.com/A``). None when no alternative is complete.
    """
    for alternative, url_at in derived(kind, _key_alternatives):
        parts = [values.get(name, "") for name in alternative]
        if all(parts):
            if url_at:
                return "|".join([url_key(part) if i in url_at else " ".join(part.casefold().split())
                                 for i, part in enumerate(parts)])
            return "|".join([" ".join(part.casefold().split()) for part in parts])
    return None


def _key_alternatives(kind: PageKind) -> tuple[tuple[tuple[str, ...], frozenset[int]], ...]:
    """The key alternatives, each with the positions of its web address fields."""
    return tuple((alternative, frozenset(i for i, name in enumerate(alternative)
                                         if _is_url(kind.field(name))))
                 for alternative in kind.keys)


def _is_url(field: FieldDef | None) -> bool:
    return field is not None and field.type == "url"


_URL_HEAD = re.compile(r"[^:/?#]*://[^/?#]*")  # scheme and authority: up to the path


def url_key(url: str) -> str:
    """A web address as a key: its scheme and host lower-cased (they are case-insensitive),
    its path, query and fragment as written (they are not)."""
    head = _URL_HEAD.match(url)
    if head is None or head.group().islower():  # the usual case: nothing to change
        return url
    scheme, sep, authority = head.group().partition("://")
    user, at, host = authority.rpartition("@")
    return scheme.lower() + sep + user + at + host.lower() + url[head.end():]


def key_fields(kind: PageKind) -> str:
    """Human description of the key, for messages ('url, or title and date')."""
    return ", or ".join(" and ".join(alt) for alt in kind.keys)
