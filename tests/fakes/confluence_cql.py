"""The subset of CQL (Confluence Query Language) the fake Confluence understands.

Clauses joined with ``AND`` (no ``OR``, ``NOT`` or parentheses around clauses), then an optional
``ORDER BY field [ASC|DESC]``::

    space = "A"            space in ("A", "B")        space.key = A
    type = page            type in (page, blogpost)
    label = "cop"          label in ("cop", "cop-members")
    title = "Members"      id = 123   id in (1, 2)    parent = 123   ancestor = 123
    lastmodified >= "2026-11-28 06:49"   (also > < <= =, and created; date-only values too)
    lastmodified >= now("-15m")          (the server's time, moved by (+|-)n w|d|h|m)
    ORDER BY lastmodified DESC

Dates are compared at the precision of the value, as Confluence does: a value with minutes
(``"yyyy-MM-dd HH:mm"``) compares the content's timestamp truncated to the minute, a date-only
value truncates it to the day. The fake user's time zone is UTC. ``now("-15m")`` is the
fake's clock moved by the offset, compared with the full timestamp (time zones play no part).

Anything else raises ``CqlError``, which the fake answers with 400 like Confluence's
"Could not parse cql" (a test hitting it learns it asked for more than the subset).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

_TOKEN = re.compile(r"""\s*(?:(?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')"""
                    r"|(?P<op>!=|>=|<=|=|>|<|\(|\)|,)"
                    r"|(?P<word>[A-Za-z0-9_.:\-+/]+))")
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq, "!=": operator.ne, ">": operator.gt, ">=": operator.ge,
    "<": operator.lt, "<=": operator.le,
}
_DATE_FORMATS = (("%Y-%m-%d %H:%M", "minute"), ("%Y/%m/%d %H:%M", "minute"),
                 ("%Y-%m-%d", "day"), ("%Y/%m/%d", "day"))
_ALIASES = {"space.key": "space", "lastmodified": "lastmodified", "created": "created"}
_ORDER_FIELDS = {"lastmodified", "created", "title", "id"}
_NOW_OFFSET = re.compile(r"^([+-]?)(\d+)([wdhm])$")
_UNITS = {"w": "weeks", "d": "days", "h": "hours", "m": "minutes"}


class CqlError(ValueError):
    """The query is outside the subset (or is not CQL at all)."""


class Searchable(Protocol):
    """What a clause may look at on a piece of content."""

    id: str
    title: str
    status: str

    @property
    def space_key(self) -> str: ...

    @property
    def last_modified(self) -> datetime: ...

    @property
    def created_at(self) -> datetime: ...

    @property
    def label_names(self) -> list[str]: ...

    @property
    def parent_id(self) -> str | None: ...

    @property
    def ancestor_ids(self) -> list[str]: ...


@dataclass(frozen=True)
class Clause:
    field: str
    op: str  # one of _COMPARE, or "in" / "not in"
    values: tuple[str, ...]
    instant: datetime | None = None  # the value of now(...), for date fields

    def matches(self, item: Searchable) -> bool:
        if self.field in ("lastmodified", "created"):
            return self._matches_date(item)
        actual = _field_values(self.field, item)
        if self.op in ("in", "="):
            return any(v in actual for v in self.values)
        if self.op in ("not in", "!="):
            return not any(v in actual for v in self.values)
        raise CqlError(f"operator {self.op} is not supported on {self.field}")

    def _matches_date(self, item: Searchable) -> bool:
        if self.op not in _COMPARE or len(self.values) != (self.instant is None):
            raise CqlError(f"{self.field} needs one of {' '.join(_COMPARE)} and one date")
        stamp = item.last_modified if self.field == "lastmodified" else item.created_at
        if self.instant is not None:
            return _COMPARE[self.op](stamp.astimezone(UTC), self.instant)
        when, precision = parse_date(self.values[0])
        stamp = stamp.astimezone(UTC).replace(second=0, microsecond=0, tzinfo=None)
        if precision == "day":
            stamp = stamp.replace(hour=0, minute=0)
        return _COMPARE[self.op](stamp, when)


@dataclass(frozen=True)
class Query:
    clauses: tuple[Clause, ...]
    order_field: str | None = None
    descending: bool = False

    def run(self, items: Iterable[Searchable]) -> list[Searchable]:
        """The matching items, ordered (by the ORDER BY, else by last modification), ties by id.

        Only current content is found, like Confluence's default search.
        """
        found = [i for i in items
                 if i.status == "current" and all(c.matches(i) for c in self.clauses)]
        key_name = self.order_field or "lastmodified"
        found.sort(key=lambda i: (_sort_key(key_name, i), int(i.id)), reverse=self.descending)
        return found


def parse_date(text: str) -> tuple[datetime, str]:
    """A CQL date value and its precision ("minute" or "day"). Raises CqlError."""
    for fmt, precision in _DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt), precision
        except ValueError:
            continue
    raise CqlError(f'"{text}" is not a date CQL understands (use "yyyy-MM-dd HH:mm")')


def parse(cql: str, now: datetime | None = None) -> Query:
    """Parse a CQL string of the subset; ``now`` is the server's time, for ``now()``.
    Raises CqlError."""
    tokens = _tokenize(cql)
    clauses: list[Clause] = []
    pos = 0
    while pos < len(tokens):
        word = tokens[pos].lower()
        if word == "order":
            return _order_by(tokens, pos, tuple(clauses))
        if clauses:
            if word != "and":
                raise CqlError(f"expected AND or ORDER BY, found {tokens[pos]!r}")
            pos += 1
        clause, pos = _clause(tokens, pos, now)
        clauses.append(clause)
    return Query(tuple(clauses))


def _tokenize(cql: str) -> list[str]:
    tokens: list[str] = []
    pos = 0
    text = cql.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise CqlError(f"Could not parse cql : {cql}")
        tokens.append(match.group(match.lastgroup or "word"))
        pos = match.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return tokens


def _clause(tokens: list[str], pos: int, now: datetime | None = None) -> tuple[Clause, int]:
    if pos + 1 >= len(tokens):
        raise CqlError("incomplete clause at the end of the query")
    field = tokens[pos].lower()
    field = _ALIASES.get(field, field)
    if field not in _FIELDS and field not in ("lastmodified", "created"):
        raise CqlError(f"field {tokens[pos]!r} is not in the fake's CQL subset")
    op = tokens[pos + 1].lower()
    pos += 2
    if op == "not" and pos < len(tokens) and tokens[pos].lower() == "in":
        op, pos = "not in", pos + 1
    if op in ("in", "not in"):
        values, pos = _value_list(tokens, pos)
        return Clause(field, op, values), pos
    if op not in _COMPARE or pos >= len(tokens):
        raise CqlError(f"operator {op!r} is not in the fake's CQL subset")
    if tokens[pos].lower() == "now" and tokens[pos + 1:pos + 2] == ["("]:
        instant, end = _now(tokens, pos + 2, now)
        return Clause(field, op, (), instant), end
    return Clause(field, op, (_unquote(tokens[pos]),)), pos + 1


def _now(tokens: list[str], pos: int, now: datetime | None) -> tuple[datetime, int]:
    """``now()`` or ``now("-15m")`` from its argument on: the instant and the next position."""
    if now is None:
        raise CqlError("now() needs the server's clock")
    offset = timedelta()
    if pos < len(tokens) and tokens[pos] != ")":
        match = _NOW_OFFSET.match(_unquote(tokens[pos]))
        if not match:
            raise CqlError(f"now() takes an offset like \"-15m\", not {tokens[pos]}")
        sign, amount, unit = match.groups()
        offset = timedelta(**{_UNITS[unit]: int(amount)}) * (-1 if sign == "-" else 1)
        pos += 1
    if pos >= len(tokens) or tokens[pos] != ")":
        raise CqlError("unclosed now(")
    return now.astimezone(UTC) + offset, pos + 1


def _value_list(tokens: list[str], pos: int) -> tuple[tuple[str, ...], int]:
    if pos >= len(tokens) or tokens[pos] != "(":
        raise CqlError("IN needs a parenthesised list")
    values: list[str] = []
    pos += 1
    while pos < len(tokens) and tokens[pos] != ")":
        if tokens[pos] != ",":
            values.append(_unquote(tokens[pos]))
        pos += 1
    if pos >= len(tokens):
        raise CqlError("unclosed parenthesis")
    return tuple(values), pos + 1


def _order_by(tokens: list[str], pos: int, clauses: tuple[Clause, ...]) -> Query:
    rest = [t.lower() for t in tokens[pos:]]
    if len(rest) not in (3, 4) or rest[1] != "by" or rest[2] not in _ORDER_FIELDS:
        raise CqlError(f"ORDER BY supports one of {sorted(_ORDER_FIELDS)}, asc or desc")
    direction = rest[3] if len(rest) == 4 else "asc"
    if direction not in ("asc", "desc"):
        raise CqlError(f"unknown sort direction {direction!r}")
    return Query(clauses, rest[2], direction == "desc")


def _unquote(token: str) -> str:
    if len(token) >= 2 and token[0] == token[-1] and token[0] in "\"'":
        return re.sub(r"\\(.)", r"\1", token[1:-1])
    return token


_FIELDS: dict[str, Callable[[Searchable], list[str]]] = {
    "space": lambda item: [item.space_key],
    "type": lambda item: ["page"],  # the fake holds pages only
    "label": lambda item: item.label_names,
    "title": lambda item: [item.title],
    "id": lambda item: [item.id],
    "parent": lambda item: [item.parent_id] if item.parent_id else [],
    "ancestor": lambda item: item.ancestor_ids,
}


def _field_values(field: str, item: Searchable) -> list[str]:
    return _FIELDS[field](item)


def _sort_key(field: str, item: Searchable) -> Any:
    if field == "created":
        return item.created_at
    if field == "title":
        return item.title
    if field == "id":
        return int(item.id)
    return item.last_modified
