"""Confluence Data Center: REST v1 (``/rest/api/...``) throughout."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from . import v1
from .model import MARK_KEY, Mark, PageRecord, Permission, SpaceRecord
from .transport import ConfluenceHttp, detail

PAGE_EXPAND = "body.storage,version,space"
PROPERTY_PAGE = 100


class DataCenterDialect:
    """model.Dialect for Confluence Data Center (and Server) 7.x to 10.x."""

    def __init__(self, http: ConfluenceHttp) -> None:
        self.http = http

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

    def page_by_title(self, space: SpaceRecord, title: str) -> PageRecord | None:
        answer = self.http.call("GET", "rest/api/content", purpose="reads", params={
            "spaceKey": space.key, "title": title, "type": "page", "expand": PAGE_EXPAND})
        for item in answer.data.get("results") or []:
            if item.get("title") == title:
                return v1.content_record(item, space.key)
        return None

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

    # --- the cop-connector content property ----------------------------------------------

    def get_mark(self, page_id: str, *, page: str) -> Mark | None:
        """From the page's property list: unlike GET .../property/{key}, its 404 means the
        page itself is gone (trashed or deleted)."""
        answer = self.http.call("GET", f"rest/api/content/{page_id}/property",
                                purpose="lookups", params={"limit": PROPERTY_PAGE}, page=page,
                                allow=(404,))
        if answer.status == 404:
            raise v1.gone(page)
        return Mark.find(answer.data.get("results"))

    def put_mark(self, page_id: str, old: Mark | None, value: dict[str, Any], *,
                 page: str) -> None:
        path = f"rest/api/content/{page_id}/property"
        if old is None:
            self.http.call("POST", path, purpose="writes", page=page,
                           body={"key": MARK_KEY, "value": value})
        else:
            self.http.call("PUT", f"{path}/{MARK_KEY}", purpose="writes", page=page,
                           body=old.replaced_by(value))

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
