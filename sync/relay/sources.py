"""Which sources are due, and which of their entries are new (pure).

A source is asked at most once per interval; one that fails waits longer each time it fails
again (twice the interval, four times..., at most a day: sync/config/sources.py), so a dead
server is not hammered. Those never asked come first, then the longest waiting; a run asks
``limit`` at most (the others wait for the next run).

An entry is new when no entry of the community is known by its source and id, nor by its
link (whatever the source: two feeds often carry the same article). The first read of a
source proposes only its newest entries (the rest of a feed's backlog is passed over);
later reads propose every new entry, up to a cap per run.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime

from msgspec import Struct

from page_templates.values import url_key
from sync.config.sources import SourcesConfig
from sync.records.model import SourceState

from .feeds import FeedEntry


class Source(Struct, frozen=True):
    """A source as members listed it: ``url`` is its row's key (the feed's address)."""

    url: str
    name: str
    tags: str = ""


def listed_sources(rows: Mapping[str, Mapping[str, str]]) -> list[Source]:
    """The sources of a Watch page's recorded rows (key -> values), in key order."""
    return [Source(url=key, name=values.get("name", "") or key,
                   tags=values.get("tags", "")) for key, values in sorted(rows.items())]


def due_sources(sources: Sequence[Source], states: Mapping[str, SourceState], now: datetime,
                config: SourcesConfig, limit: int | None = None) -> list[Source]:
    """The sources to ask now (see ``SourcesConfig.next_check``), never asked first, then
    the longest waiting; ``limit`` at most."""
    due = [(config.next_check(state.checked_at, state.failures) if state else None, s)
           for s in sources for state in [states.get(s.url)]]
    ready = [(when, s) for when, s in due if when is None or when <= now]
    ready.sort(key=lambda pair: (pair[0] is not None, pair[0] or now, pair[1].url))
    chosen = [source for _, source in ready]
    return chosen if limit is None else chosen[:limit]


class Fresh(Struct, frozen=True):
    """A source's entries no entry known matches: those to propose (newest first) and
    those passed over (past the cap)."""

    new: tuple[FeedEntry, ...]
    passed: tuple[FeedEntry, ...]


def fresh_entries(source: Source, entries: Iterable[FeedEntry],
                  known_ids: set[tuple[str, str]], known_links: set[str], *,
                  first_read: bool, first_entries: int, max_entries: int) -> Fresh:
    """The entries of ``source`` not known yet (by source and id, or by link, compared as
    keys are), newest first; past ``first_entries`` on a source's first read, past
    ``max_entries`` on later reads, they are passed over."""
    links = {url_key(link) for link in known_links}
    seen_ids: set[str] = set()
    unknown = []
    for entry in entries:
        if (source.url, entry.entry_id) in known_ids or entry.entry_id in seen_ids:
            continue
        if entry.link and url_key(entry.link) in links:
            continue
        seen_ids.add(entry.entry_id)
        unknown.append(entry)
    unknown.sort(key=newest_first)
    cap = first_entries if first_read else max_entries
    return Fresh(new=tuple(unknown[:cap]), passed=tuple(unknown[cap:]))


def newest_first(entry: FeedEntry) -> tuple[bool, int, int]:
    """Dated entries newest first, then undated ones in the feed's order (newest first,
    as feeds list them)."""
    days = date.fromisoformat(entry.date).toordinal() if entry.date else 0
    return (not entry.date, -days, entry.position)
