"""Field values: normalisation, validation and row keys, the same for every wiki format.

A value read from a wiki (or typed on the command line) is normalised to its canonical form
(dates ISO, e-mails lower-case, choices to their value, tags comma-separated); what cannot be
normalised raises ``FieldInvalid`` naming the field, which callers turn into a row problem or
a command-line error.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import date
from urllib.parse import urlsplit

from .model import FieldDef, PageKind, localize

ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
EMAIL = re.compile(r"^[^@\s<>()\[\]{}|,;:\"]+@[^@\s<>()\[\]{}|,;:\"]+\.[^@\s<>()\[\]{}|,;:\"]+$")
URL_FORBIDDEN = re.compile(r"[\s<>\"{}|\\^`\[\]]")


class FieldInvalid(ValueError):
    """A value that cannot be read as its field's type."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def clean_text(value: str, *, multiline: bool = False) -> str:
    """Drop control characters (XML cannot carry them, wikis mangle them), trim spaces.

    Single-line values have their whitespace collapsed; multi-line ones keep line breaks.
    """
    value = unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n"))
    kept = "".join(ch for ch in value if ch in "\n\t" or (
        unicodedata.category(ch) not in ("Cc", "Cs") and not _noncharacter(ch)))
    if not multiline:
        return " ".join(kept.split())
    lines = [" ".join(line.split()) for line in kept.split("\n")]
    return "\n".join(lines).strip("\n")


def _noncharacter(ch: str) -> bool:
    """U+FDD0..U+FDEF and U+xFFFE/U+xFFFF: never text, and XML cannot carry them."""
    code = ord(ch)
    return 0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE


def normalize(field: FieldDef, raw: str) -> str:
    """The canonical form of ``raw`` for ``field``; '' for an empty value.

    Raises FieldInvalid when the value is not of the field's type.
    """
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
    raise FieldInvalid(field.name, f"{value!r} is not a date; write YYYY-MM-DD")


def _email(field: FieldDef, value: str) -> str:
    if not EMAIL.match(value):
        raise FieldInvalid(field.name, f"{value!r} is not an e-mail address")
    return value.lower()


def _url(field: FieldDef, value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or URL_FORBIDDEN.search(value):
        raise FieldInvalid(field.name, f"{value!r} is not a web address; write https://…")
    return value


def _choice(field: FieldDef, value: str) -> str:
    wanted = value.casefold()
    for choice in field.choices:
        names = {choice.value, *choice.labels.values()}
        if wanted in {name.casefold() for name in names}:
            return choice.value
    allowed = ", ".join(choice.value for choice in field.choices)
    raise FieldInvalid(field.name, f"{value!r} is not one of: {allowed}")


def _tags(field: FieldDef, value: str) -> str:
    seen: dict[str, str] = {}
    for piece in re.split(r"[,;]", value):
        tag = piece.strip()
        if tag and tag.casefold() not in seen:
            seen[tag.casefold()] = tag
    return ", ".join(seen.values())


_CHECKERS = {"date": _date, "email": _email, "url": _url, "choice": _choice, "tags": _tags}


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
    for field in kind.fields:
        if field.required and not values[field.name] and not _invalid(problems, field.name):
            problems.append(FieldInvalid(field.name, "is required and empty"))
    return values, problems


def _invalid(problems: list[FieldInvalid], name: str) -> bool:
    return any(problem.field == name for problem in problems)


def row_key(kind: PageKind, values: Mapping[str, str]) -> str | None:
    """The row's identity: the first key alternative whose fields are all filled.

    Keys compare case-insensitively with spaces collapsed, so re-typing a title does not
    make a new row. None when no alternative is complete.
    """
    for alternative in kind.keys:
        parts = [values.get(name, "") for name in alternative]
        if all(parts):
            return "|".join(" ".join(part.casefold().split()) for part in parts)
    return None


def key_fields(kind: PageKind) -> str:
    """Human description of the key, for messages ('url, or title and date')."""
    return ", or ".join(" and ".join(alt) for alt in kind.keys)
