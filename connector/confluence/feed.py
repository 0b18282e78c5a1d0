"""The change feed of Confluence spaces: one CQL search (plus continuations) that also
brings every changed page's body and version, and one check of the pages already known.

What CQL can tell, and what this makes of it:

* edits and creations: pages whose last modification is in the window; a page created in
  the window gives a "create" (from its creation date), and an "edit" too when it has more
  than one version;
* moves: a known page (its id is known: the records, or what this adapter read or wrote)
  found under another title or space is a "move" from where it was known to where it is;
* deletions: a trashed page leaves CQL's results silently, so the known pages of the asked
  spaces that the feed did not return are looked up by id (``id in (...)``, no bodies, 200
  per request); a known page that is no longer there is a "delete" dated at the signpost.
  Pages never seen by the records or this adapter cannot be reported moved or deleted;
* restores: a page restored from the trash keeps its version (no edit for CQL to find), so
  the pages the records hold as deleted are looked up by id in the same check; one that is
  there again is a "restore" dated at the signpost.

The signpost is the server's time: the ``Date`` header of the first answer (the check of
known pages when there is one, else the feed), never the client's clock, which may run
ahead. Without any Date header it is the newest change seen (else ``since``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from connector.base import Change, ChangeFeed, PageRef
from connector.errors import BackendError

from . import cql, v1
from .model import PageRecord, format_stamp, parse_stamp
from .settings import BACKEND
from .transport import ConfluenceHttp

CHECK_LIMIT = 200  # ids per check request (Data Center caps search pages at 200)
EPOCH = "1970-01-01T00:00:00Z"
WIDENINGS = 3  # how often the window may be widened when the server's clock runs ahead


@dataclass
class FeedOutcome:
    """The feed, the pages it brought (with bodies), and what it learnt of known pages."""

    feed: ChangeFeed
    pages: list[PageRecord]
    moved: dict[str, PageRef] = field(default_factory=dict)  # page id -> where it is now
    gone: set[str] = field(default_factory=set)  # page ids no longer there
    restored: dict[str, PageRef] = field(default_factory=dict)  # page id -> where it is


class FeedReader:
    """Reads the feed for a set of spaces. ``clock`` is the client's time, used only to size
    the first window when the server's time is not known yet (then checked, see ``_scan``)."""

    def __init__(self, http: ConfluenceHttp, *, limit: int,
                 clock: Callable[[], datetime] | None = None) -> None:
        self.http = http
        self.limit = limit
        self.clock = clock or (lambda: datetime.now(UTC))

    def read(self, spaces: Sequence[str], since: str | None, known: Mapping[str, PageRef],
             trashed: Mapping[str, PageRef] | None = None) -> FeedOutcome:
        """Changes in ``spaces`` at or after ``since`` (everything when None); ``known``
        are the pages to follow, ``trashed`` those known as deleted (restored?)."""
        asked = set(spaces)
        mine = {pid: ref for pid, ref in known.items() if ref.space in asked and pid.isdigit()}
        gone_before = {pid: ref for pid, ref in (trashed or {}).items()
                       if ref.space in asked and pid.isdigit() and pid not in mine}
        checked = [*mine, *gone_before]
        checked_at, alive = self._check(checked) if checked else (None, {})
        since_time = parse_stamp(since) if since else None
        records, scanned_at = self._scan(spaces, since_time, checked_at)
        server_time = checked_at or scanned_at
        outcome = _Changes(mine, since or "")
        outcome.add_feed(records)
        signpost = format_stamp(server_time) if server_time else outcome.newest(since)
        outcome.add_checked(alive, signpost)
        outcome.add_restored(gone_before, alive, signpost)
        return FeedOutcome(ChangeFeed(outcome.within(signpost), signpost), records,
                           outcome.moved, outcome.gone, outcome.restored)

    def _check(self, ids: list[str]) -> tuple[datetime | None, dict[str, PageRecord]]:
        """Known pages still there (id -> record), and the server's time."""
        first: datetime | None = None
        alive: dict[str, PageRecord] = {}
        for start in range(0, len(ids), CHECK_LIMIT):
            chunk = ids[start:start + CHECK_LIMIT]
            for answer, records in v1.search(self.http, cql.ids_query(chunk),
                                             expand=cql.CHECK_EXPAND, limit=CHECK_LIMIT,
                                             purpose="feeds"):
                first = first or answer.server_time
                alive.update((r.id, r) for r in records)
        return first, alive

    def _scan(self, spaces: Sequence[str], since: datetime | None,
              server_now: datetime | None) -> tuple[list[PageRecord], datetime | None]:
        """The feed search, newest first, all its pages. Each answer's Date proves that
        the window reached back to ``since`` when the search ran; if the server's clock was
        ahead of the estimate, the window is widened and the search made again."""
        minutes = cql.window_minutes(server_now or self.clock(), since) if since else None
        for _ in range(WIDENINGS + 1):
            found: dict[str, PageRecord] = {}
            first: datetime | None = None
            for answer, records in v1.search(self.http, cql.feed_query(spaces, minutes),
                                             expand=cql.FEED_EXPAND, limit=self.limit,
                                             purpose="feeds"):
                now = answer.server_time
                first = first or now
                if since is not None and minutes is not None and now is not None \
                        and now + timedelta(seconds=1, minutes=-minutes) > since:
                    minutes = cql.window_minutes(now, since)
                    break
                for record in records:  # a page edited while paging comes twice
                    if record.id not in found or record.version > found[record.id].version:
                        found[record.id] = record
            else:
                return list(found.values()), first
        raise BackendError("the site's clock kept running away from the change feed's "
                           "window; try again", backend=BACKEND)


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
