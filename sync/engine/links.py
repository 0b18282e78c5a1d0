"""Rows that name other rows of the same space (pure): a field of type ``entries``
(the Ideas page's "Related entries") holds names separated by semicolons, each the title,
reference, web address or row key of a watch item, a technical reference, a regulatory
text or a competitor offer ("competitor offer", or the competitor alone for all its offers).

Names are compared loosely (case, accents, spaces and punctuation aside: ``loose``), web
addresses as keys (scheme and host case-insensitive). A link pasted in the field (``the
review <https://…>``) is found by its address or by its label. A name that finds nothing
is reported to the member as a warning (``unknown_entry``): the row is recorded all the
same, and the name stays as written.

Which kinds can be named: the list kinds of the space with a page of their own, rows
changed on the wiki only (not the members, not the rows of seminar pages), but the kind
naming them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TypeVar

from msgspec import Struct, field
from msgspec.structs import replace

from connector.base import PageRef, ParsedPage
from connector.errors import RowProblem
from page_templates import PageKind, TemplateSet, localize
from page_templates.model import base_kind
from page_templates.problems import quoted
from page_templates.values import FieldInvalid, loose, normalize, row_key, url_key
from sync.engine.changes import ReadPlan
from sync.records.model import PageState

T = TypeVar("T")

UNKNOWN_ENTRY = "unknown_entry"  # the problem's code (page_templates/problems.toml)
ENTRIES = "entries"  # the field type
_LINKED = re.compile(r"^(?P<label>.*?)\s*<(?P<target>[^<>]+)>$")  # "label <target>"
_WEB = re.compile(r"(?i)^https?://")
NAME_FIELDS = ("title", "ref", "url", "competitor", "offer", "name")


class LinkedEntry(Struct, frozen=True):
    """A row that can be named: its kind, key, a label for people, its web address and
    keywords (a watch item's tags)."""

    kind: str
    key: str
    label: str
    url: str = ""
    tags: tuple[str, ...] = ()


class EntryIndex(Struct, frozen=True):
    """Every nameable row of one space, by the loose forms of its names and its address."""

    names: Mapping[str, tuple[LinkedEntry, ...]] = field(default_factory=dict)
    kinds: tuple[str, ...] = ()  # the kinds that can be named, in page order

    def find(self, name: str) -> tuple[LinkedEntry, ...]:
        """The rows ``name`` names (none when it names nothing), each once."""
        found: dict[tuple[str, str], LinkedEntry] = {}
        for candidate in _candidates(name):
            for entry in self.names.get(candidate, ()):
                found.setdefault((entry.kind, entry.key), entry)
            if found:
                break
        return tuple(found.values())


def linking_fields(kind: PageKind) -> tuple[str, ...]:
    """The fields of ``kind`` that name other rows (type ``entries``)."""
    return tuple(f.name for f in kind.fields if f.type == ENTRIES)


def nameable_kinds(templates: TemplateSet) -> tuple[PageKind, ...]:
    """The kinds whose rows a linking field may name (see the module's docstring)."""
    return tuple(k for k in templates.row_kinds if not (k.single or k.two_way or k.host
                                                         or k.per or linking_fields(k)))


def linking_kinds(templates: TemplateSet) -> tuple[PageKind, ...]:
    return tuple(k for k in templates.row_kinds if linking_fields(k))


def build_index(templates: TemplateSet, rows: Mapping[str, Mapping[str, Mapping[str, str]]]
                ) -> EntryIndex:
    """The index of a space's rows: ``rows`` is kind -> key -> values (the live rows)."""
    names: dict[str, list[LinkedEntry]] = {}
    kinds = nameable_kinds(templates)
    for kind in kinds:
        for key, values in rows.get(kind.kind, {}).items():
            entry = _entry(kind, key, values)
            for name in _names(kind, key, values):
                bucket = names.setdefault(name, [])
                if entry not in bucket:
                    bucket.append(entry)
    return EntryIndex({name: tuple(found) for name, found in names.items()},
                      tuple(k.kind for k in kinds))


def _entry(kind: PageKind, key: str, values: Mapping[str, str]) -> LinkedEntry:
    label = values.get("title") or " ".join(
        v for v in (values.get("competitor", ""), values.get("offer", "")) if v) or key
    tags = tuple(t.strip() for t in values.get("tags", "").split(",") if t.strip())
    return LinkedEntry(kind.kind, key, label, values.get("url", ""), tags)


def _names(kind: PageKind, key: str, values: Mapping[str, str]) -> set[str]:
    """The loose forms a row answers to: its key, each naming field, the competitor with
    its offer, and its web address as a key."""
    found = {loose(key)} | {loose(values[name]) for name in NAME_FIELDS
                            if values.get(name) and name != "url"}
    if values.get("competitor") and values.get("offer"):
        found.add(loose(values["competitor"] + values["offer"]))
    if values.get("url"):
        found.add(_address(values["url"]))
    found.discard("")
    return found


def _address(url: str) -> str:
    """A web address as the index keeps it (a trailing slash aside)."""
    return "@" + url_key(url.strip()).rstrip("/")


def _candidates(name: str) -> list[str]:
    """What one written name is looked up as: its address (a link's target, or the name
    when it is one), then its label, then the whole of it."""
    name = name.strip()
    linked = _LINKED.match(name)
    found = []
    for part in ([linked["target"], linked["label"]] if linked else []) + [name]:
        if _WEB.match(part):
            found.append(_address(part))
        found.append(loose(part))
    return [c for c in dict.fromkeys(found) if c not in ("", "@")]


def split_names(value: str) -> list[str]:
    """The names an ``entries`` value holds (canonical: separated by ``;``)."""
    return [name.strip() for name in value.split(";") if name.strip()]


def resolve(value: str, index: EntryIndex) -> tuple[tuple[LinkedEntry, ...], tuple[str, ...]]:
    """(the rows ``value`` names, each once; the names that name nothing)."""
    found: dict[tuple[str, str], LinkedEntry] = {}
    unknown: list[str] = []
    for name in split_names(value):
        entries = index.find(name)
        if not entries:
            unknown.append(name)
        for entry in entries:
            found.setdefault((entry.kind, entry.key), entry)
    return tuple(found.values()), tuple(unknown)


def link_problems(kind: PageKind, page: str, parsed: ParsedPage, index: EntryIndex,
                  kind_titles: Sequence[str], lang: str) -> list[RowProblem]:
    """A warning for each name of a linking field that names no row of the space
    (``kind_titles``: the titles of the pages searched, for the sentence)."""
    fields = [f for f in kind.fields if f.type == ENTRIES]
    problems: list[RowProblem] = []
    for raw in parsed.rows:
        for definition in fields:
            try:
                value = normalize(definition, raw.values.get(definition.name, ""))
            except FieldInvalid:
                continue
            _, unknown = resolve(value, index)
            problems += [_problem(kind, page, raw.index, raw.line, definition.name, name,
                                  _key(kind, raw.values), kind_titles, lang)
                         for name in unknown]
    return problems


def _key(kind: PageKind, raw: Mapping[str, str]) -> str | None:
    values = {}
    for definition in kind.fields:
        try:
            values[definition.name] = normalize(definition, raw.get(definition.name, ""))
        except FieldInvalid:
            values[definition.name] = ""
    return row_key(kind, values)


def _problem(kind: PageKind, page: str, row: int, line: int | None, name: str, value: str,
             key: str | None, kind_titles: Sequence[str], lang: str) -> RowProblem:
    label = localize(definition.label, lang) if (definition := kind.field(name)) else name
    return RowProblem(
        page, row, name,
        f"{value!r} names no entry of this space ({', '.join(kind_titles)}): write its "
        "title, reference or web address as on its page", line, key, code=UNKNOWN_ENTRY,
        severity="warning",
        params={"value": quoted(value), "pages": ", ".join(kind_titles), "field": label})


def page_titles(kinds: Iterable[PageKind], lang: str) -> list[str]:
    """The titles of the pages a name is searched on, in ``lang``."""
    return [localize(k.title, lang) for k in kinds]


# --- the sync's order of reads ------------------------------------------------------------------

def with_linking_pages(plan: ReadPlan, states: Sequence[PageState], templates: TemplateSet,
                       names_something: Callable[[PageKind], bool]) -> ReadPlan:
    """``plan`` reading the pages with linking fields too when a page whose rows they may
    name is read, and rows of theirs name something (``names_something``): what those names
    find may have changed (a watch item renamed), so their warnings are told again. The
    read is batched with the others: no extra request."""
    named = {k.kind for k in nameable_kinds(templates)}
    if not {base_kind(key) for key in plan.to_read} & named:
        return plan
    linking = {k.kind for k in linking_kinds(templates) if names_something(k)}
    extra = {s.kind: s.ref for s in states if s.kind in linking and s.kind not in plan.to_read
             and s.kind not in plan.deleted and s.state != "deleted"}
    if not extra:
        return plan
    to_read: dict[str, PageRef] = {**plan.to_read, **extra}
    return replace(plan, to_read=dict(sorted(to_read.items())))


def linking_last(pages: Mapping[str, T], templates: TemplateSet) -> list[tuple[str, T]]:
    """The pages in order, those with linking fields last: the names they hold are then
    looked up in rows already read in this run."""
    linking = {k.kind for k in linking_kinds(templates)}
    return sorted(pages.items(), key=lambda item: base_kind(item[0]) in linking)


def names_something(rows: Mapping[str, Mapping[str, str]], kind: PageKind) -> bool:
    """Whether any of ``rows`` (of ``kind``) names an entry in a linking field."""
    fields = linking_fields(kind)
    return any(values.get(name) for values in rows.values() for name in fields)
