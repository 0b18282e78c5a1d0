"""What a Watch page gets from its sources' new entries (pure).

Each entry becomes a watch row: its title, link and date, the source's name, its summary
as plain text, the source's tags; every value is a member's value from here on, escaped by
the codec like any other. An entry whose link (or, without a link, whose title and date) is
on the page already, anywhere on it, is not added again; nor is one a batch brings twice.
New rows go under the kind's to-review section, oldest first, so that the newest ends the
list.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from msgspec import Struct

from connector.base import RawRow, RowChange
from page_templates import PageKind
from page_templates.values import normalize_row, row_key, url_key

from .feeds import FeedEntry
from .sources import Source


class Candidate(Struct, frozen=True):
    """A new entry of a source, to propose on the source's Watch page."""

    source: Source
    entry: FeedEntry


class Proposal(Struct, frozen=True):
    """A candidate as the row it becomes (``key``: the row's key on the page)."""

    candidate: Candidate
    key: str
    values: Mapping[str, str]


class Additions(Struct, frozen=True):
    """The rows a page gets (``changes``, one per proposal), and the candidates it does not
    get: ``on_page`` (their link or key is there already), ``unusable`` (no valid row)."""

    changes: tuple[RowChange, ...]
    proposed: tuple[Proposal, ...]
    on_page: tuple[Candidate, ...] = ()
    unusable: tuple[Candidate, ...] = ()


def watch_values(kind: PageKind, candidate: Candidate, today: str) -> dict[str, str] | None:
    """The canonical values of the watch row an entry becomes (dated ``today`` when the
    feed gives no date); None when no valid row can be made of it."""
    entry, source = candidate.entry, candidate.source
    raw = {"date": entry.date or today, "title": entry.title, "url": entry.link,
           "source": source.name, "summary": entry.summary, "tags": source.tags}
    values, invalid = normalize_row(kind, {k: v for k, v in raw.items() if kind.field(k)})
    if invalid:  # a value the kind refuses (a company's stricter field): leave it out
        values, invalid = normalize_row(kind, {k: v for k, v in raw.items() if kind.field(k)
                                               and k not in {p.field for p in invalid}})
    return None if invalid else values


def page_marks(kind: PageKind, rows: Sequence[RawRow]) -> tuple[set[str], set[str]]:
    """The links (as keys compare them) and the row keys of the rows on a page."""
    links: set[str] = set()
    keys: set[str] = set()
    for raw in rows:
        values, _ = normalize_row(kind, raw.values)
        if values.get("url"):
            links.add(url_key(values["url"]))
        key = row_key(kind, values)
        if key:
            keys.add(key)
    return links, keys


def plan_additions(kind: PageKind, candidates: Sequence[Candidate], rows: Sequence[RawRow],
                   *, today: str, section: str) -> Additions:
    """The rows to add to a page holding ``rows`` (as parsed), under ``section``."""
    links, keys = page_marks(kind, rows)
    proposed: list[Proposal] = []
    on_page: list[Candidate] = []
    unusable: list[Candidate] = []
    for candidate in sorted(candidates, key=_oldest_first):
        values = watch_values(kind, candidate, today)
        key = row_key(kind, values) if values is not None else None
        if values is None or key is None:
            unusable.append(candidate)
            continue
        link = url_key(values["url"]) if values.get("url") else ""
        if key in keys or (link and link in links):
            on_page.append(candidate)
            continue
        keys.add(key)
        if link:
            links.add(link)
        proposed.append(Proposal(candidate, key, values))
    changes = tuple(RowChange("add", p.key, dict(p.values), section=section)
                    for p in proposed)
    return Additions(changes, tuple(proposed), tuple(on_page), tuple(unusable))


def _oldest_first(candidate: Candidate) -> tuple[str, str, int]:
    entry = candidate.entry
    return (entry.date or "9999-99-99", candidate.source.url, -entry.position)
