"""The change feed of Confluence spaces: the versions of the spaces' pages modified since
the last run (no bodies), and one check of the pages already known, by id.

Where the versions come from (model.Dialect ``changed``): Cloud lists the spaces' pages by
modification date, newest first, with cursor paging (REST v2, no CQL); Data Center asks CQL
(``lastmodified >= now("-Nm")``), whose index may answer a save late. So the sync asks from
further back than its last run (the backend's ``feed_overlap``, ``confluence.feed_overlap``,
an hour by default): an edit indexed late is found by a later run. That costs no page read:
only versions are listed, and the sync reads a page (by id, with its body) only when its
version is newer than the one it has.

What the feed tells:

* edits and creations: pages whose last modification is in the window; a page created in
  the window gives a "create" (from its creation date), and an "edit" too when it has more
  than one version;
* moves: a known page (its id is known: the records, or what this adapter read or wrote)
  found under another title or space is a "move" from where it was known to where it is;
* deletions: a trashed page leaves the lists silently, so the known pages of the asked
  spaces are checked by id (no bodies, from the database, not the index: a page created a
  second ago is there); a known page that is no longer there is a "delete" dated at the
  signpost. Pages never seen by the records or this adapter cannot be reported moved or
  deleted;
* restores: a page restored from the trash keeps its version (no edit to list), so the
  pages the records hold as deleted are looked up by id in the same check; one that is
  there again is a "restore" dated at the signpost.

The signpost is the server's time: the ``Date`` header of the first answer (the check of
known pages when there is one, else the feed), never the client's clock, which may run
ahead. Without any Date header it is the newest change seen (else ``since``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from msgspec import Struct, field

from connector.base import Change, ChangeFeed, PageRef

from .model import Dialect, PageRecord, format_stamp, parse_stamp

EPOCH = "1970-01-01T00:00:00Z"


class FeedOutcome(Struct):
    """The feed, the pages it listed (no bodies), and what it learnt of known pages."""

    feed: ChangeFeed
    pages: list[PageRecord]
    moved: dict[str, PageRef] = field(default_factory=dict)  # page id -> where it is now
    gone: set[str] = field(default_factory=set)  # page ids no longer there
    restored: dict[str, PageRef] = field(default_factory=dict)  # page id -> where it is


class FeedReader:
    """Reads the feed for a set of spaces. ``clock`` is the client's time, used only to size
    Data Center's first window when the server's time is not known yet (then checked)."""

    def __init__(self, dialect: Dialect, *,
                 clock: Callable[[], datetime] | None = None) -> None:
        self.dialect = dialect
        self.clock = clock or (lambda: datetime.now(UTC))

    def read(self, spaces: Mapping[str, str], since: str | None,
             known: Mapping[str, PageRef],
             trashed: Mapping[str, PageRef] | None = None) -> FeedOutcome:
        """Changes in ``spaces`` (key -> id, the id may be unknown on Data Center) at or
        after ``since`` (everything when None); ``known`` are the pages to follow,
        ``trashed`` those known as deleted (restored?)."""
        asked = set(spaces)
        mine = {pid: ref for pid, ref in known.items() if ref.space in asked and pid.isdigit()}
        gone_before = {pid: ref for pid, ref in (trashed or {}).items()
                       if ref.space in asked and pid.isdigit() and pid not in mine}
        checked = [*mine, *gone_before]
        keys = {space_id: key for key, space_id in spaces.items() if space_id}
        checked_at, alive = self.dialect.alive(checked, keys) if checked else (None, {})
        start = parse_stamp(since) if since else None
        records, listed_at = self.dialect.changed(spaces, start, checked_at or self.clock())
        server_time = checked_at or listed_at
        outcome = _Changes(mine, since or "")
        outcome.add_feed(records)
        signpost = format_stamp(server_time) if server_time else outcome.newest(since)
        outcome.add_checked(alive, signpost)
        outcome.add_restored(gone_before, alive, signpost)
        return FeedOutcome(ChangeFeed(outcome.within(signpost), signpost), records,
                           outcome.moved, outcome.gone, outcome.restored)


class _Changes:
    """Change entries from what the feed and the check found."""

    def __init__(self, known: Mapping[str, PageRef], since: str) -> None:
        self.known = known
        self.since = since
        self.changes: list[Change] = []
        self.seen: set[str] = set()
        self.moved: dict[str, PageRef] = {}
        self.gone: set[str] = set()
        self.restored: dict[str, PageRef] = {}

    def add_feed(self, records: list[PageRecord]) -> None:
        for record in records:
            self.seen.add(record.id)
            revision = str(record.version)
            was = self.known.get(record.id)
            if was is not None and was != record.ref:
                self._move(was, record)
                continue
            if record.created and record.created >= self.since:
                self.changes.append(Change(record.ref, "create", record.created, record.id,
                                           "1"))
                if record.version <= 1:
                    continue
            self.changes.append(Change(record.ref, "edit", record.when, record.id, revision))

    def add_checked(self, alive: Mapping[str, PageRecord], signpost: str) -> None:
        for page_id, ref in self.known.items():
            if page_id in self.seen:
                continue
            record = alive.get(page_id)
            if record is None:
                self.changes.append(Change(ref, "delete", signpost, page_id))
                self.gone.add(page_id)
            elif record.ref != ref:
                self._move(ref, record)

    def add_restored(self, trashed: Mapping[str, PageRef], alive: Mapping[str, PageRecord],
                     signpost: str) -> None:
        """Pages known as deleted that are there again: restored (and moved, when they
        came back elsewhere)."""
        for page_id, ref in trashed.items():
            record = alive.get(page_id)
            if record is None:
                continue
            self.changes.append(Change(ref, "restore", signpost, page_id,
                                       str(record.version)))
            if record.ref != ref:
                self._move(ref, record)
            self.restored[page_id] = record.ref

    def _move(self, was: PageRef, record: PageRecord) -> None:
        when = max(record.when, self.since)  # renamed before the window: noticed now
        self.changes.append(Change(was, "move", when, record.id, str(record.version),
                                   target=record.ref))
        self.moved[record.id] = record.ref

    def newest(self, since: str | None) -> str:
        stamps = [c.timestamp for c in self.changes]
        return max([*stamps, since or EPOCH])

    def within(self, signpost: str) -> tuple[Change, ...]:
        """In the window asked, not after the signpost (the next run sees those), in order."""
        kept = [c for c in self.changes if self.since <= c.timestamp <= signpost]
        return tuple(sorted(kept, key=lambda c: c.timestamp))
