"""Confluence Cloud: REST v2 for spaces (reading), pages, content properties and space
permissions (reading); v1 for space creation and update, labels, CQL search and adding
space permissions (what v2 lacks). Atlassian removed the v1 content endpoints from Cloud
(they answer 410), so none is used here."""

from __future__ import annotations

from typing import Any

from connector.errors import BackendError

from . import v1
from .model import MARK_KEY, Mark, PageRecord, Permission, SpaceRecord, stamp
from .settings import BACKEND
from .transport import ConfluenceHttp, detail

V2 = "api/v2"
PAGE_SIZE = 250  # v2 lists' maximum

class CloudDialect:
    """model.Dialect for Confluence Cloud."""

    def __init__(self, http: ConfluenceHttp) -> None:
        self.http = http

    # --- spaces ---------------------------------------------------------------------------

    def find_space(self, key: str) -> SpaceRecord | None:
        answer = self.http.call("GET", f"{V2}/spaces", params={"keys": key},
                                purpose="lookups")
        for item in answer.data.get("results") or []:
            if str(item.get("key")) == key:
                return SpaceRecord(key=key, id=str(item["id"]), name=str(item.get("name", "")),
                                   homepage_id=str(item.get("homepageId") or ""),
                                   status=str(item.get("status") or "current"))
        return None

    def create_space(self, key: str, name: str, description: str) -> SpaceRecord:
        return v1.create_space(self.http, key, name, description)

    def set_homepage(self, space: SpaceRecord, page_id: str) -> None:
        self.http.call("PUT", f"rest/api/space/{space.key}", purpose="writes",
                       body={"homepage": {"id": page_id}})

    def set_archived(self, space: SpaceRecord, archived: bool) -> None:
        """v1 ``PUT /space/{key}`` with the space's new ``status`` (v2 has no space
        update): "archived", or "current" to restore it."""
        self.http.call("PUT", f"rest/api/space/{space.key}", purpose="writes",
                       body={"status": "archived" if archived else "current"})

    # --- pages ----------------------------------------------------------------------------

    def page_by_id(self, page_id: str, space_key: str) -> PageRecord | None:
        answer = self.http.call("GET", f"{V2}/pages/{page_id}", purpose="reads",
                                params={"body-format": "storage"}, allow=(404,))
        return None if answer.status == 404 else _page(answer.data, space_key)

    def page_by_title(self, space: SpaceRecord, title: str) -> PageRecord | None:
        """The current page of that title (v2 lists archived pages too unless told)."""
        answer = self.http.call("GET", f"{V2}/pages", purpose="reads", params={
            "space-id": space.id, "title": title, "status": "current",
            "body-format": "storage"})
        for item in answer.data.get("results") or []:
            if item.get("title") == title:
                return _page(item, space.key)
        return None

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

    # --- the cop-connector content property ----------------------------------------------

    def get_mark(self, page_id: str, *, page: str) -> Mark | None:
        answer = self.http.call("GET", f"{V2}/pages/{page_id}/properties", purpose="lookups",
                                params={"key": MARK_KEY}, page=page, allow=(404,))
        if answer.status == 404:
            raise v1.gone(page)
        return Mark.find(answer.data.get("results"))

    def put_mark(self, page_id: str, old: Mark | None, value: dict[str, Any], *,
                 page: str) -> None:
        path = f"{V2}/pages/{page_id}/properties"
        if old is None:
            self.http.call("POST", path, purpose="writes", page=page,
                           body={"key": MARK_KEY, "value": value})
        else:
            self.http.call("PUT", f"{path}/{old.id}", purpose="writes", page=page,
                           body=old.replaced_by(value))

    # --- permissions ----------------------------------------------------------------------

    def permissions(self, space: SpaceRecord) -> set[Permission]:
        held: set[Permission] = set()
        for answer in self.http.pages(f"{V2}/spaces/{space.id}/permissions",
                                      {"limit": PAGE_SIZE}, purpose="lookups"):
            for item in answer.data.get("results") or []:
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
                                    purpose="writes", allow=(400,), body={
                                        "subject": {"type": "user", "identifier": subject},
                                        "operation": {"key": key, "target": target}})
            if answer.status == 400 and "already exists" not in detail(answer).lower():
                raise BackendError(f"space {space.key}: permission {key} {target} for "
                                   f"{subject} refused: {detail(answer)}", backend=BACKEND)


def _page(item: dict[str, Any], space_key: str) -> PageRecord:
    version = item.get("version") or {}
    body = ((item.get("body") or {}).get("storage") or {}).get("value")
    return PageRecord(id=str(item["id"]), space=space_key, title=str(item.get("title") or ""),
                      version=int(version.get("number") or 0), body=body,
                      when=stamp(str(version.get("createdAt") or "")),
                      created=stamp(str(item.get("createdAt") or "")),
                      message=str(version.get("message") or ""),
                      status=str(item.get("status") or ""))
