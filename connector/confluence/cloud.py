"""Confluence Cloud: REST v2 for everything v2 can do (spaces, pages, content properties,
space roles and permissions, the change feed), REST v1 only for what v2 lacks, each such
call named (``V1Only``) so that a site or gateway refusing v1 (410) says which operation it
refused and what to do.

v1-only operations (what remains of v1 with any token): adding labels (and reading several
pages' labels at once, which only CQL does), changing a space's home page, archiving a
space, and, on sites without role-based space permissions, creating a space and adding
space permissions. Through the API gateway (scoped tokens) they answer 410.

Lists are asked with repeated parameters (``id=1&id=2``), as the specification describes
them (form style, exploded); Atlassian's prose also allows comma-separated lists.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from connector.base import PageRef
from connector.errors import BackendError

from . import cql, v1
from .model import (
    MARK_KEY,
    Current,
    Mark,
    PageRecord,
    Permission,
    SpaceRecord,
    format_stamp,
    stamp,
)
from .settings import BACKEND
from .transport import ConfluenceHttp, V1Only, detail

log = logging.getLogger(__name__)

V2 = "api/v2"
PAGE_SIZE = 250  # v2 lists' maximum
BODY_BATCH = 50  # pages read with their bodies per request (answers stay a few MB)
SPACE_BATCH = 100  # space-id values a v2 page list takes
ID_BATCH = 250  # id values a v2 page list takes

HOMEPAGE = V1Only("making the charter the space's home page", (
    "The charter was created; set it as the space's home page by hand (Space settings > "
    "Overview > Edit > Home page), or use a classic API token with the site's own URL "
    "(https://SITE.atlassian.net/wiki), which still reaches REST v1"))
ARCHIVE = V1Only("archiving or restoring a space", (
    "Archive (or restore) the space by hand (Space settings > Archive space), or use a "
    "classic API token with the site's own URL (https://SITE.atlassian.net/wiki)"))
CREATE_SPACE = V1Only("creating a space on a site without role-based space permissions", (
    "Create the space by hand with the community's key and name (cop-connector adopts "
    "it), or use a classic API token with the site's own URL "
    "(https://SITE.atlassian.net/wiki)"))
GRANT = V1Only("adding space permissions on a site without role-based space permissions", (
    "Give the rights by hand (Space settings > Permissions), or use a classic API token "
    "with the site's own URL (https://SITE.atlassian.net/wiki)"))
LABELS = V1Only("adding labels to a page", (
    "Labels are skipped: Page Properties Reports and CQL searches by label will not list "
    "these pages. To have them, use a classic API token with the site's own URL "
    "(https://SITE.atlassian.net/wiki), or add them by hand; set confluence.labels = false "
    "to stop trying"))
LABEL_CHECK = V1Only("reading the labels of several pages at once (CQL)", LABELS.remedy)


class CloudDialect:
    """model.Dialect for Confluence Cloud."""

    def __init__(self, http: ConfluenceHttp) -> None:
        self.http = http
        self._role_mode: str | None = None

    # --- spaces ---------------------------------------------------------------------------

    def find_space(self, key: str) -> SpaceRecord | None:
        answer = self.http.call("GET", f"{V2}/spaces", params={"keys": key},
                                purpose="lookups")
        for item in answer.results():
            if str(item.get("key")) == key:
                return _space(item)
        return None

    def space_by_id(self, space_id: str) -> SpaceRecord | None:
        """The space with that id, whatever its key is now (None when it is gone)."""
        if not space_id.isdigit():
            return None
        answer = self.http.call("GET", f"{V2}/spaces/{space_id}", purpose="lookups",
                                allow=(404,))
        return None if answer.status == 404 else _space(answer.data)

    def role_mode(self) -> str:
        """"ROLES", "ROLES_TRANSITION" or "PRE_ROLES" (also for a site that does not know
        the question: role-based access came to Cloud sites one by one). Asked once. A
        scoped token without ``read:configuration:confluence`` cannot ask: through the
        gateway, where the v1 calls of a site without roles are unreachable anyway, the
        site is taken to have roles."""
        if self._role_mode is None:
            answer = self.http.call("GET", f"{V2}/space-role-mode", purpose="lookups",
                                    allow=(401, 403, 404))
            mode = (answer.data or {}).get("mode") if answer.status == 200 else None
            if mode is None and answer.status == 401 and not self.http.gateway:
                raise self.http.refused(answer, "GET", f"{V2}/space-role-mode")
            self._role_mode = str(mode or ("ROLES" if self.http.gateway else "PRE_ROLES"))
        return self._role_mode

    @property
    def roles(self) -> bool:
        return self.role_mode() in ("ROLES", "ROLES_TRANSITION")

    def create_space(self, key: str, name: str, description: str) -> SpaceRecord:
        """v2 on sites with role-based access ("Available on tenants with Role-Based Access
        Control"), else v1. Raises SpaceTaken when the key is in use."""
        if not self.roles:
            return v1.create_space(self.http, key, name, description, v1_only=CREATE_SPACE)
        answer = self.http.call("POST", f"{V2}/spaces", purpose="writes", allow=(400, 409),
                                body={"key": key, "name": name, "description": {
                                    "value": description, "representation": "plain"}})
        if answer.status in (400, 409):
            raise v1.space_refused(key, detail(answer))
        return _space(answer.data)

    def set_homepage(self, space: SpaceRecord, page_id: str) -> None:
        self.http.call("PUT", f"rest/api/space/{space.key}", purpose="writes",
                       body={"homepage": {"id": page_id}}, v1_only=HOMEPAGE)

    def set_archived(self, space: SpaceRecord, archived: bool) -> None:
        """v1 ``PUT /space/{key}`` with the space's new ``status`` (v2 has no space
        update): "archived", or "current" to restore it."""
        self.http.call("PUT", f"rest/api/space/{space.key}", purpose="writes",
                       body={"status": "archived" if archived else "current"},
                       v1_only=ARCHIVE)

    # --- pages ----------------------------------------------------------------------------

    def page_by_id(self, page_id: str, space_key: str) -> PageRecord | None:
        answer = self.http.call("GET", f"{V2}/pages/{page_id}", purpose="reads",
                                params={"body-format": "storage"}, allow=(404,))
        return None if answer.status == 404 else _page(answer.data, space_key)

    def page_by_title(self, space: SpaceRecord, title: str, space_key: str = "",
                      status: str = "current") -> PageRecord | None:
        """The page of that title and status (v2 lists archived pages too unless told)."""
        answer = self.http.call("GET", f"{V2}/pages", purpose="reads", params={
            "space-id": space.id, "title": title, "status": status,
            "body-format": "storage"})
        for item in answer.results():
            if item.get("title") == title:
                return _page(item, space_key or space.key)
        return None

    def pages_by_id(self, ids: Sequence[str], keys: Mapping[str, str]) -> list[PageRecord]:
        """Current pages among ``ids``, bodies included, ``BODY_BATCH`` per request;
        ``keys`` maps space ids to the keys their pages are known under."""
        found: list[PageRecord] = []
        for chunk in _chunks([i for i in ids if i.isdigit()], BODY_BATCH):
            for item in self._list({"id": chunk, "status": "current",
                                    "body-format": "storage", "limit": BODY_BATCH}, "reads"):
                found.append(_page(item, keys.get(str(item.get("spaceId")), "")))
        return found

    def find_pages(self, spaces: Mapping[str, str], refs: Sequence[PageRef]
                   ) -> list[PageRecord]:
        """Current pages at ``refs`` (their ids unknown): the spaces' pages are listed
        without bodies (250 per request, 100 spaces at once: v2 filters one title at a
        time), then those asked for are read by id. ``spaces``: community key -> id."""
        keys = {space_id: key for key, space_id in spaces.items() if space_id}
        wanted = set(refs)
        ids = [record.id for item in self._list({"space-id": sorted(keys), "status": "current",
                                                 "limit": PAGE_SIZE}, "reads")
               if (record := _page(item, keys.get(str(item.get("spaceId")), ""))).ref
               in wanted] if keys else []
        return self.pages_by_id(ids, keys)

    def mark_author(self, page_id: str) -> str:
        """Who wrote cop-connector's content property on the page: the connector's own
        account (v2 has no "current user"), "" when the page has no mark."""
        answer = self.http.call("GET", f"{V2}/pages/{page_id}/properties", purpose="lookups",
                                params={"key": MARK_KEY}, allow=(404,))
        for item in answer.results() if answer.status == 200 else []:
            if item.get("key") == MARK_KEY:
                return str((item.get("version") or {}).get("authorId") or "")
        return ""

    def user_names(self, account_ids: Iterable[str]) -> dict[str, str]:
        """accountId -> display name (v2 ``POST /users-bulk``, 250 per request)."""
        names: dict[str, str] = {}
        for chunk in _chunks(sorted(set(account_ids)), PAGE_SIZE):
            answer = self.http.call("POST", f"{V2}/users-bulk", purpose="lookups",
                                    body={"accountIds": chunk}, allow=(401, 403))
            if answer.status != 200:  # a scoped token without read:user:confluence
                log.warning("display names not read (HTTP %s to POST /users-bulk: the "
                            "token lacks read:user:confluence?); accounts are matched to "
                            "members by [health.users] and [confluence.accounts] only",
                            answer.status)
                return names
            names.update((str(u.get("accountId")), str(u.get("displayName")
                                                        or u.get("publicName") or ""))
                         for u in answer.results())
        return names

    def create_page(self, space: SpaceRecord, title: str, body: str, parent_id: str | None,
                    *, page: str) -> PageRecord:
        """Under ``parent_id``; without one, at the space's root (not under its home page,
        where v2 would put it by default)."""
        data: dict[str, Any] = {"spaceId": space.id, "status": "current", "title": title,
                                "body": {"representation": "storage", "value": body}}
        if parent_id:
            data["parentId"] = parent_id
        params = {} if parent_id else {"root-level": "true"}
        answer = self.http.call("POST", f"{V2}/pages", purpose="writes", params=params,
                                body=data, page=page, allow=(400,))
        if answer.status == 400:
            raise v1.refused(detail(answer), page)
        return _page(answer.data, space.key)

    def update_page(self, page_id: str, space_key: str, title: str, body: str,
                    version: int, message: str, *, page: str,
                    minor: bool = False) -> PageRecord:
        """Save version ``version`` (``minor`` is not sent: the v2 API, the only one Cloud
        keeps for pages, has no minor edits). A page moved to the trash since it was read
        is not saved but restored, as it was ("For restoration, page contents will not be
        updated"): the answer then is not the version sent, and the save is an
        EditConflict (read it again, then write), never taken as done."""
        answer = self.http.call("PUT", f"{V2}/pages/{page_id}", purpose="writes", page=page,
                                allow=(400, 404, 409), body={
                                    "id": page_id, "status": "current", "title": title,
                                    "body": {"representation": "storage", "value": body},
                                    "version": {"number": version, "message": message}})
        if answer.status >= 400:
            raise v1.write_refused(answer, page, version - 1)
        return v1.saved(_page(answer.data, space_key), version, page=page)

    # --- a page by id before a write, the cop-connector content property -------------------

    def current(self, page_id: str, *, page: str) -> Current | None:
        """The page as it is now, by id (never through search, whose index may lag): its
        version, the cop-connector mark and its labels, in one request. None when gone."""
        answer = self.http.call("GET", f"{V2}/pages/{page_id}", purpose="lookups", page=page,
                                allow=(404,), params={"include-properties": "true",
                                                      "include-labels": "true"})
        if answer.status == 404:
            return None
        data = answer.data
        properties = data.get("properties") or {}
        mark = Mark.find(properties.get("results"))
        if mark is None and (properties.get("meta") or {}).get("hasMore"):
            mark = self.get_mark(page_id, page=page)  # more than 50 properties
        labels = data.get("labels") or {}
        names = None if (labels.get("meta") or {}).get("hasMore") else tuple(
            str(label.get("name")) for label in labels.get("results") or [])
        return Current(str(data["id"]), int((data.get("version") or {}).get("number") or 0),
                       str(data.get("status") or "current"), mark, names)

    def get_mark(self, page_id: str, *, page: str) -> Mark | None:
        answer = self.http.call("GET", f"{V2}/pages/{page_id}/properties", purpose="lookups",
                                params={"key": MARK_KEY}, page=page, allow=(404,))
        if answer.status == 404:
            raise v1.gone(page)
        return Mark.find(answer.results())

    def put_mark(self, page_id: str, old: Mark | None, value: dict[str, Any], *,
                 page: str) -> None:
        path = f"{V2}/pages/{page_id}/properties"
        if old is None:
            self.http.call("POST", path, purpose="writes", page=page,
                           body={"key": MARK_KEY, "value": value})
        else:
            self.http.call("PUT", f"{path}/{old.id}", purpose="writes", page=page,
                           body=old.replaced_by(value))

    # --- labels (REST v1 only) -------------------------------------------------------------

    def add_labels(self, page_id: str, labels: Sequence[str], *, page: str) -> None:
        v1.add_labels(self.http, page_id, labels, page=page, v1_only=LABELS)

    def labels_of(self, ids: Sequence[str]) -> dict[str, tuple[str, ...]]:
        """The labels of the current pages among ``ids``: one CQL search per 200 (v2 reads
        labels one page at a time)."""
        found: dict[str, tuple[str, ...]] = {}
        for chunk in _chunks(list(ids), cql.CHECK_LIMIT):
            for _, records in v1.search(self.http, cql.ids_query(chunk),
                                        expand="metadata.labels,space", limit=cql.CHECK_LIMIT,
                                        purpose="lookups", v1_only=LABEL_CHECK):
                found.update((r.id, r.labels or ()) for r in records)
        return found

    # --- the change feed: pages by modification date, and known pages by id ----------------

    def changed(self, spaces: Mapping[str, str], since: datetime | None,
                server_now: datetime) -> tuple[list[PageRecord], datetime | None]:
        """Pages of ``spaces`` (key -> id) last modified at or after ``since`` (all when
        None), newest first, without bodies (a version says what changed; bodies are read
        by id, only for pages newer than known): pages by modification date with cursor
        paging, no CQL. Stops at the first page older than ``since`` (``server_now`` is not
        needed: the answer's own dates are compared). Returns them and the server's time
        (the first answer's ``Date``)."""
        keys = {space_id: key for key, space_id in spaces.items()}
        found: dict[str, PageRecord] = {}
        server_time: datetime | None = None
        floor = format_stamp(since) if since is not None else ""
        for chunk in _chunks(sorted(keys), SPACE_BATCH):
            for answer in self.http.pages(f"{V2}/pages", {
                    "space-id": chunk, "sort": "-modified-date", "status": "current",
                    "limit": PAGE_SIZE}, purpose="feeds"):
                server_time = server_time or answer.server_time
                records = [_page(item, keys.get(str(item.get("spaceId")), ""))
                           for item in answer.results()]
                for record in records:  # a page edited while paging comes twice
                    if record.when >= floor and (record.id not in found
                                                 or record.version > found[record.id].version):
                        found[record.id] = record
                if floor and any(r.when and r.when < floor for r in records):
                    break  # newest first: the rest is older than asked
        return list(found.values()), server_time

    def alive(self, ids: Sequence[str], keys: Mapping[str, str]
              ) -> tuple[datetime | None, dict[str, PageRecord]]:
        """The current pages among ``ids`` (no bodies), by id, 250 per request, and the
        server's time. ``keys``: space id -> key; a page found in another space gets that
        space's key (one more request, only then)."""
        first: datetime | None = None
        items: list[dict[str, Any]] = []
        for chunk in _chunks([i for i in ids if i.isdigit()], ID_BATCH):
            for answer in self.http.pages(f"{V2}/pages", {"id": chunk, "status": "current",
                                                         "limit": ID_BATCH}, purpose="feeds"):
                first = first or answer.server_time
                items += answer.results()
        keys = {**keys, **self.space_keys({str(i.get("spaceId")) for i in items} - set(keys))}
        alive = {str(i["id"]): _page(i, keys.get(str(i.get("spaceId")), "")) for i in items}
        return first, alive

    def space_keys(self, space_ids: Iterable[str]) -> dict[str, str]:
        """Space id -> key, for spaces the caller did not know."""
        wanted = sorted(i for i in space_ids if i.isdigit())
        found: dict[str, str] = {}
        for chunk in _chunks(wanted, PAGE_SIZE):
            for answer in self.http.pages(f"{V2}/spaces", {"ids": chunk, "limit": PAGE_SIZE},
                                          purpose="lookups"):
                found.update((str(item["id"]), str(item.get("key") or ""))
                             for item in answer.results())
        return found

    def space_ids(self, keys: Iterable[str]) -> dict[str, str]:
        """Space key -> id, for spaces the caller did not know."""
        found: dict[str, str] = {}
        for chunk in _chunks(sorted(keys), PAGE_SIZE):
            for answer in self.http.pages(f"{V2}/spaces", {"keys": chunk, "limit": PAGE_SIZE},
                                          purpose="lookups"):
                found.update((str(item.get("key")), str(item["id"]))
                             for item in answer.results())
        return found

    def server_time(self) -> datetime | None:
        """The server's clock, from the cheapest answer there is."""
        return self.http.call("GET", f"{V2}/spaces", params={"limit": 1},
                              purpose="feeds").server_time

    # --- space permissions (sites without roles) ------------------------------------------

    def permissions(self, space: SpaceRecord) -> set[Permission]:
        held: set[Permission] = set()
        for answer in self.http.pages(f"{V2}/spaces/{space.id}/permissions",
                                      {"limit": PAGE_SIZE}, purpose="lookups"):
            for item in answer.results():
                principal, operation = item.get("principal") or {}, item.get("operation") or {}
                if principal.get("type") == "user":
                    held.add((str(principal.get("id")), str(operation.get("key")),
                              str(operation.get("targetType"))))
        return held

    def grant(self, space: SpaceRecord, subject: str, operations: list[tuple[str, str]]
              ) -> None:
        """One request per operation (v1 adds one at a time). "read space" must come
        first: Cloud refuses any other permission without it."""
        for key, target in operations:
            answer = self.http.call("POST", f"rest/api/space/{space.key}/permission",
                                    purpose="writes", allow=(400,), v1_only=GRANT, body={
                                        "subject": {"type": "user", "identifier": subject},
                                        "operation": {"key": key, "target": target}})
            if answer.status == 400 and "already exists" not in detail(answer).lower():
                raise BackendError(f"space {space.key}: permission {key} {target} for "
                                   f"{subject} refused: {detail(answer)}", backend=BACKEND)

    # --- helpers ---------------------------------------------------------------------------

    def _list(self, params: Mapping[str, Any], purpose: str) -> Iterator[dict[str, Any]]:
        for answer in self.http.pages(f"{V2}/pages", params, purpose=purpose):
            yield from answer.results()


def _chunks(items: Sequence[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield list(items[start:start + size])


def _space(item: Mapping[str, Any]) -> SpaceRecord:
    return SpaceRecord(key=str(item.get("key") or ""), id=str(item["id"]),
                       name=str(item.get("name", "")),
                       homepage_id=str(item.get("homepageId") or ""),
                       status=str(item.get("status") or "current"))


def _page(item: Mapping[str, Any], space_key: str) -> PageRecord:
    version = item.get("version") or {}
    body = ((item.get("body") or {}).get("storage") or {}).get("value")
    return PageRecord(id=str(item["id"]), space=space_key, title=str(item.get("title") or ""),
                      version=int(version.get("number") or 0), body=body,
                      when=stamp(str(version.get("createdAt") or "")),
                      created=stamp(str(item.get("createdAt") or "")),
                      message=str(version.get("message") or ""),
                      status=str(item.get("status") or ""),
                      subtype=str(item.get("subtype") or ""),
                      author=str(version.get("authorId") or ""))
