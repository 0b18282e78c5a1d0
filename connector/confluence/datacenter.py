"""Confluence Data Center: REST v1 (``/rest/api/...``) throughout.

Pages are read by id from the database (``GET /rest/api/content?ids=...``), never through
the search index, which lags behind saves (Data Center queues index updates and processes
them "as often as every 5 seconds", longer when thousands of changes queue up:
https://confluence.atlassian.com/conf711/content-index-administration-1044782560.html).
Only the change feed, which must find pages by modification date, asks CQL; what it finds
late, a wide overlap finds on a later run, and versions and bodies then come by id.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import quote

from connector.base import PageRef
from connector.errors import BackendError

from . import cql, v1
from .model import MARK_KEY, Current, Mark, PageRecord, Permission, SpaceRecord
from .settings import BACKEND
from .transport import ConfluenceHttp, detail

log = logging.getLogger(__name__)

PAGE_EXPAND = "body.storage,version,space"
CHECK_EXPAND = "space,version"
PROPERTY_PAGE = 100
BODY_BATCH = 50
ID_BATCH = 200  # ids per by-id check (Data Center caps lists at 200)
FEED_LIMIT = 200  # Data Center caps search pages at 200
WIDENINGS = 3  # how often the feed's window may be widened when the server's clock runs ahead


class DataCenterDialect:
    """model.Dialect for Confluence Data Center (and Server) 7.x to 10.x."""

    def __init__(self, http: ConfluenceHttp) -> None:
        self.http = http
        self._by_ids = True  # GET /rest/api/content?ids=... (else CQL: see _by_id)

    # --- spaces ---------------------------------------------------------------------------

    def find_space(self, key: str) -> SpaceRecord | None:
        answer = self.http.call("GET", f"rest/api/space/{quote(key, safe='')}",
                                purpose="lookups", params={"expand": "homepage"},
                                allow=(404,))
        if answer.status == 404:
            return None
        data = answer.data
        return SpaceRecord(key=str(data["key"]), id=str(data["id"]), name=str(data["name"]),
                           homepage_id=str((data.get("homepage") or {}).get("id") or ""),
                           status=str(data.get("status") or "current"))

    def create_space(self, key: str, name: str, description: str) -> SpaceRecord:
        return v1.create_space(self.http, key, name, description)

    def set_homepage(self, space: SpaceRecord, page_id: str) -> None:
        self.http.call("PUT", f"rest/api/space/{quote(space.key, safe='')}", purpose="writes",
                       body={"key": space.key, "name": space.name, "homepage": {"id": page_id}})

    def set_archived(self, space: SpaceRecord, archived: bool) -> None:
        """``PUT /space/{key}/archive`` or ``/restore``."""
        action = "archive" if archived else "restore"
        self.http.call("PUT", f"rest/api/space/{quote(space.key, safe='')}/{action}",
                       purpose="writes")

    # --- pages ----------------------------------------------------------------------------

    def page_by_id(self, page_id: str, space_key: str) -> PageRecord | None:
        answer = self.http.call("GET", f"rest/api/content/{page_id}", purpose="reads",
                                params={"expand": PAGE_EXPAND}, allow=(404,))
        return None if answer.status == 404 else v1.content_record(answer.data, space_key)

    def page_by_title(self, space: SpaceRecord, title: str, space_key: str = "",
                      status: str = "current") -> PageRecord | None:
        answer = self.http.call("GET", "rest/api/content", purpose="reads", params={
            "spaceKey": space.key, "title": title, "type": "page", "status": status,
            "expand": PAGE_EXPAND})
        for item in answer.results():
            if item.get("title") == title:
                return v1.content_record(item, space_key or space.key)
        return None

    def pages_by_id(self, ids: Sequence[str], keys: Mapping[str, str]) -> list[PageRecord]:
        """Current pages among ``ids``, bodies and labels included, from the database."""
        return self._by_id(ids, cql.READ_EXPAND, BODY_BATCH, "reads")

    def find_pages(self, spaces: Mapping[str, str], refs: Sequence[PageRef]
                   ) -> list[PageRecord]:
        """Pages whose id is not known, by space and title: one CQL search per 50 (index
        lag here only delays finding a page nobody recorded; it is read by id before any
        write)."""
        found: list[PageRecord] = []
        for keys, titles in cql.read_batches(refs, BODY_BATCH):
            for _, records in v1.search(self.http, cql.pages_query(keys, titles),
                                        expand=cql.READ_EXPAND, limit=BODY_BATCH,
                                        purpose="reads"):
                found += records
        return found

    def create_page(self, space: SpaceRecord, title: str, body: str, parent_id: str | None,
                    *, page: str) -> PageRecord:
        data: dict[str, Any] = {"type": "page", "title": title, "space": {"key": space.key},
                                "body": {"storage": {"value": body,
                                                     "representation": "storage"}}}
        if parent_id:
            data["ancestors"] = [{"id": parent_id}]
        answer = self.http.call("POST", "rest/api/content", purpose="writes", body=data,
                                page=page, allow=(400,))
        if answer.status == 400:
            raise v1.refused(detail(answer), page)
        return v1.content_record(answer.data, space.key)

    def update_page(self, page_id: str, space_key: str, title: str, body: str,
                    version: int, message: str, *, page: str,
                    minor: bool = False) -> PageRecord:
        """Save version ``version`` (a trashed page is restored, not saved: v1.saved);
        ``minor``: no notification e-mail nor activity stream entry (``minorEdit``)."""
        answer = self.http.call("PUT", f"rest/api/content/{page_id}", purpose="writes",
                                page=page, allow=(400, 404, 409), body={
                                    "id": page_id, "type": "page", "title": title,
                                    "status": "current",
                                    "version": {"number": version, "message": message,
                                                **({"minorEdit": True} if minor else {})},
                                    "body": {"storage": {"value": body,
                                                         "representation": "storage"}}})
        if answer.status >= 400:
            raise v1.write_refused(answer, page, version - 1)
        return v1.saved(v1.content_record(answer.data, space_key), version, page=page)

    # --- a page by id before a write, the cop-connector content property -------------------

    def current(self, page_id: str, *, page: str) -> Current | None:
        """The page now, by id: version, labels and the cop-connector mark, in one request
        (``metadata.properties.<key>`` expands one content property)."""
        answer = self.http.call("GET", f"rest/api/content/{page_id}", purpose="lookups",
                                page=page, allow=(404,), params={
                                    "expand": "version,metadata.labels,"
                                              f"metadata.properties.{MARK_KEY}"})
        if answer.status == 404:
            return None
        data = answer.data
        metadata = data.get("metadata") or {}
        prop = (metadata.get("properties") or {}).get(MARK_KEY)
        record = v1.content_record(data)
        return Current(record.id, record.version, record.status or "current",
                       Mark.find([prop] if isinstance(prop, dict) else []), record.labels)

    def get_mark(self, page_id: str, *, page: str) -> Mark | None:
        """From the page's property list: unlike GET .../property/{key}, its 404 means the
        page itself is gone (trashed or deleted)."""
        answer = self.http.call("GET", f"rest/api/content/{page_id}/property",
                                purpose="lookups", params={"limit": PROPERTY_PAGE}, page=page,
                                allow=(404,))
        if answer.status == 404:
            raise v1.gone(page)
        return Mark.find(answer.results())

    def put_mark(self, page_id: str, old: Mark | None, value: dict[str, Any], *,
                 page: str) -> None:
        path = f"rest/api/content/{page_id}/property"
        if old is None:
            self.http.call("POST", path, purpose="writes", page=page,
                           body={"key": MARK_KEY, "value": value})
        else:
            self.http.call("PUT", f"{path}/{MARK_KEY}", purpose="writes", page=page,
                           body=old.replaced_by(value))

    # --- labels ----------------------------------------------------------------------------

    def add_labels(self, page_id: str, labels: Sequence[str], *, page: str) -> None:
        v1.add_labels(self.http, page_id, labels, page=page)

    def labels_of(self, ids: Sequence[str]) -> dict[str, tuple[str, ...]]:
        return {r.id: r.labels or () for r in self._by_id(ids, "metadata.labels,space",
                                                          ID_BATCH, "lookups")}

    # --- the change feed: CQL by modification date, and known pages by id ------------------

    def changed(self, spaces: Mapping[str, str], since: datetime | None,
                server_now: datetime) -> tuple[list[PageRecord], datetime | None]:
        """Pages of ``spaces`` (keys) last modified at or after ``since`` (all when None),
        newest first, without bodies. The window is relative to the server's clock (see
        cql.py); each answer's Date proves that it reached back to ``since`` when the search
        ran; if the server's clock was ahead of the estimate, the window is widened and the
        search made again."""
        keys = sorted(spaces)
        minutes = cql.window_minutes(server_now, since) if since else None
        for _ in range(WIDENINGS + 1):
            found: dict[str, PageRecord] = {}
            first: datetime | None = None
            for answer, records in v1.search(self.http, cql.feed_query(keys, minutes),
                                              expand=cql.FEED_EXPAND, limit=FEED_LIMIT,
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

    def alive(self, ids: Sequence[str], keys: Mapping[str, str]
              ) -> tuple[datetime | None, dict[str, PageRecord]]:
        """The current pages among ``ids`` (no bodies), by id, and the server's time."""
        records, first = self._by_id_timed(ids, CHECK_EXPAND, ID_BATCH, "feeds")
        return first, {r.id: r for r in records}

    def server_time(self) -> datetime | None:
        return self.http.call("GET", "rest/api/user/current", purpose="feeds").server_time

    # --- permissions ----------------------------------------------------------------------

    def permissions(self, space: SpaceRecord) -> set[Permission]:
        answer = self.http.call("GET", f"rest/api/space/{quote(space.key, safe='')}/"
                                "permissions", purpose="lookups")
        held: set[Permission] = set()
        for item in answer.data or []:
            subject, operation = item.get("subject") or {}, item.get("operation") or {}
            if subject.get("type") == "user":
                held.add((str(subject.get("userKey")), str(operation.get("operationKey")),
                          str(operation.get("targetType"))))
        return held

    def grant(self, space: SpaceRecord, subject: str, operations: list[tuple[str, str]]
              ) -> None:
        """All of one person's missing operations in one request (additive)."""
        self.http.call("PUT", f"rest/api/space/{quote(space.key, safe='')}/permissions/user/"
                       f"{quote(subject, safe='')}/grant", purpose="writes",
                       body=[{"targetType": target, "operationKey": key}
                             for key, target in operations])

    # --- by id ----------------------------------------------------------------------------

    def _by_id(self, ids: Sequence[str], expand: str, size: int, purpose: str
               ) -> list[PageRecord]:
        return self._by_id_timed(ids, expand, size, purpose)[0]

    def _by_id_timed(self, ids: Sequence[str], expand: str, size: int, purpose: str
                     ) -> tuple[list[PageRecord], datetime | None]:
        """Current pages among ``ids``, from the database (``GET /rest/api/content?ids=``,
        in Data Center 10's API). A server that does not know ``ids`` (it answers 400, or
        pages not asked for) is asked through CQL instead, for the rest of the run."""
        found: list[PageRecord] = []
        first: datetime | None = None
        for chunk in _chunks([i for i in ids if i.isdigit()], size):
            records, when = (self._ids(chunk, expand, size, purpose) if self._by_ids
                             else (None, None))
            if records is None:
                records, when = self._cql(chunk, expand, size, purpose)
            first = first or when
            found += records
        return found, first

    def _ids(self, chunk: list[str], expand: str, size: int, purpose: str
             ) -> tuple[list[PageRecord] | None, datetime | None]:
        found: list[PageRecord] = []
        first: datetime | None = None
        refused = False
        for answer in self.http.pages("rest/api/content", {
                "ids": chunk, "expand": expand, "limit": size}, purpose=purpose,
                allow=(400,)):
            refused = refused or answer.status == 400
            first = first or answer.server_time
            found += [v1.content_record(item) for item in answer.results()]
        if refused or any(r.id not in chunk for r in found):
            log.info("this Confluence does not list content by id; CQL is used instead")
            self._by_ids = False
            return None, first
        return found, first

    def _cql(self, chunk: list[str], expand: str, size: int, purpose: str
             ) -> tuple[list[PageRecord], datetime | None]:
        found: list[PageRecord] = []
        first: datetime | None = None
        for answer, records in v1.search(self.http, cql.ids_query(chunk), expand=expand,
                                          limit=size, purpose=purpose):
            first = first or answer.server_time
            found += records
        return found, first


def _chunks(items: Sequence[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield list(items[start:start + size])
