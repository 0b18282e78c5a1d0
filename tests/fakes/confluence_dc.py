"""Routes of the fake Confluence Data Center (10.x): REST v1 (``/rest/api``) throughout.

Spaces (get, create, update, archive, restore, permissions), content (list by space and title, get,
create, update with version numbers, delete to the trash, child pages), labels, content
properties, CQL search with offset (``start``) pagination, the current user.
"""

from __future__ import annotations

from typing import Any

from .confluence_http import Call, Reply, Route, ok
from .confluence_state import BadRequest, ConfluenceState, Page, Space, User
from .confluence_v1 import V1Json

DC = "dc"
ID = r"(?P<id>\d+)"
KEY = r"(?P<key>[^/?]+)"
MAX_LIMIT = 200  # Data Center caps content listings at 200 per page (500 for some)


class DataCenterRoutes:
    """The Data Center operations over one ConfluenceState, for the site at ``site_base``."""

    def __init__(self, state: ConfluenceState, site_base: str) -> None:
        self.state = state
        self.base = site_base.rstrip("/")
        self.v1 = V1Json(self.base, cloud=False)
        self.search_limit_cap = MAX_LIMIT
        # Lists link a next page even from the last one (an empty page then), as some
        # servers do (https://github.com/kovetskiy/mark/pull/967)
        self.next_past_end = False

    def routes(self) -> list[Route]:
        table = [
            ("GET", rf"/rest/api/space/{KEY}", self.get_space),
            ("POST", "/rest/api/space", self.create_space),
            ("PUT", rf"/rest/api/space/{KEY}", self.update_space),
            ("PUT", rf"/rest/api/space/{KEY}/archive", self.archive_space),
            ("PUT", rf"/rest/api/space/{KEY}/restore", self.restore_space),
            ("GET", rf"/rest/api/space/{KEY}/permissions", self.get_permissions),
            ("POST", rf"/rest/api/space/{KEY}/permissions", self.set_permissions),
            ("PUT", rf"/rest/api/space/{KEY}/permissions/user/(?P<user>[^/?]+)/grant",
             self.grant_user),
            ("PUT", rf"/rest/api/space/{KEY}/permissions/group/(?P<group>[^/?]+)/grant",
             self.grant_group),
            ("GET", "/rest/api/content", self.list_content),
            ("POST", "/rest/api/content", self.create_content),
            ("GET", "/rest/api/content/search", self.search),
            ("GET", rf"/rest/api/content/{ID}", self.get_content),
            ("PUT", rf"/rest/api/content/{ID}", self.update_content),
            ("DELETE", rf"/rest/api/content/{ID}", self.delete_content),
            ("GET", rf"/rest/api/content/{ID}/child/page", self.child_pages),
            ("GET", rf"/rest/api/content/{ID}/label", self.get_labels),
            ("POST", rf"/rest/api/content/{ID}/label", self.add_labels),
            ("GET", rf"/rest/api/content/{ID}/property", self.get_properties),
            ("POST", rf"/rest/api/content/{ID}/property", self.create_property),
            ("GET", rf"/rest/api/content/{ID}/property/{KEY}", self.get_property),
            ("PUT", rf"/rest/api/content/{ID}/property/{KEY}", self.update_property),
            ("GET", "/rest/api/user/current", self.current_user),
        ]
        return [Route(method, pattern, DC, handler) for method, pattern, handler in table]

    def current_user(self, call: Call) -> Reply:
        return ok(self.v1.user(self.state.current_user))

    # -- spaces ------------------------------------------------------------------------
    def get_space(self, call: Call) -> Reply:
        space = self.state.space(call.params["key"])
        expand = call.expand()
        home = self.state.page(space.homepage_id) if "homepage" in expand else None
        return ok(self.v1.space(space, home=home, expand=expand))

    def create_space(self, call: Call) -> Reply:
        data = call.json_object()
        description = ((data.get("description") or {}).get("plain") or {}).get("value", "")
        space = self.state.create_space(data.get("key", ""), data.get("name", ""), description)
        return ok(self.v1.space(space, home=self.state.page(space.homepage_id)))

    def update_space(self, call: Call) -> Reply:
        data = call.json_object()
        homepage = (data.get("homepage") or {}).get("id")
        space = self.state.update_space(call.params["key"], name=data.get("name"),
                                        homepage_id=str(homepage) if homepage else None)
        return ok(self.v1.space(space))

    def archive_space(self, call: Call) -> Reply:
        self.state.archive_space(call.params["key"])
        return Reply(204)

    def restore_space(self, call: Call) -> Reply:
        self.state.archive_space(call.params["key"], archived=False)
        return Reply(204)

    def get_permissions(self, call: Call) -> Reply:
        space = self.state.space(call.params["key"])
        return ok([{"operation": {"targetType": p.target, "operationKey": p.operation},
                    "subject": self._subject(p.subject_type, p.identifier),
                    "spaceKey": space.key, "spaceId": space.id} for p in space.permissions])

    def _subject(self, kind: str, identifier: str) -> dict[str, Any]:
        if kind == "group":
            return {"type": "group", "name": identifier, "displayName": identifier}
        user = self.state.user_by(user_key=identifier)
        return {"type": "user", "userKey": user.user_key, "username": user.username,
                "displayName": user.display_name}

    def set_permissions(self, call: Call) -> Reply:
        """Replace the permissions of every subject named (the others keep theirs)."""
        if not isinstance(call.body, list):
            raise BadRequest("The body must be a list of permissions per subject")
        space = self.state.space(call.params["key"])
        for entry in call.body:
            kind, identifier = (("user", entry["userKey"]) if entry.get("userKey")
                                else ("group", entry.get("groupName", "")))
            if kind == "user":
                self.state.user_by(user_key=identifier)
            space.permissions = [p for p in space.permissions
                                 if (p.subject_type, p.identifier) != (kind, identifier)]
            self._grant(space, kind, identifier, entry.get("operations") or [])
        return Reply(200, {})

    def grant_user(self, call: Call) -> Reply:
        user: User = self.state.user_by(user_key=call.params["user"])
        self._grant(self.state.space(call.params["key"]), "user", user.user_key,
                    self._operations(call))
        return Reply(204)

    def grant_group(self, call: Call) -> Reply:
        self._grant(self.state.space(call.params["key"]), "group", call.params["group"],
                    self._operations(call))
        return Reply(204)

    def _operations(self, call: Call) -> list[dict[str, str]]:
        if not isinstance(call.body, list):
            raise BadRequest("The body must be a list of {targetType, operationKey}")
        return call.body

    def _grant(self, space: Space, kind: str, identifier: str,
               operations: list[dict[str, str]]) -> None:
        held = {(p.operation, p.target) for p in space.permissions
                if (p.subject_type, p.identifier) == (kind, identifier)}
        for op in operations:
            pair = (op.get("operationKey", ""), op.get("targetType", ""))
            if not all(pair):
                raise BadRequest(f"Invalid operation: {op}")
            if pair not in held:  # granting what is held already is a no-op on Data Center
                self.state.grant(space.key, kind, identifier, *pair)
                held.add(pair)

    # -- content -----------------------------------------------------------------------
    def _content(self, page: Page, expand: set[str]) -> dict[str, Any]:
        return self.v1.content(page, expand, self.state.pages)

    def _offset_page(self, call: Call, pages: list[Page], default_expand: set[str]) -> Reply:
        start = call.int_arg("start", 0)
        limit = min(call.int_arg("limit", 25), self.search_limit_cap)
        chunk = pages[start:start + limit]
        total = len(pages) + (limit if self.next_past_end and chunk else 0)
        return ok(self.v1.content_page(chunk, call, start=start, limit=limit, total=total,
                                       expand=call.expand() or default_expand,
                                       everything=self.state.pages))

    def list_content(self, call: Call) -> Reply:
        """By space and title, or by ``ids`` ("a list of content ids to fetch"), from the
        database (not the search index); current pages unless ``status`` says otherwise."""
        if call.arg("type", "page") != "page":
            return self._offset_page(call, [], set())
        key, title, ids = call.arg("spaceKey"), call.arg("title"), call.args("ids")
        statuses = call.args("status") or ["current"]
        pages = [p for p in sorted(self.state.pages.values(), key=lambda p: int(p.id))
                 if (key is None or p.space.key == key) and (title is None or p.title == title)
                 and (not ids or p.id in ids) and p.status in statuses]
        return self._offset_page(call, pages, set())

    def get_content(self, call: Call) -> Reply:
        page = self.state.page(call.params["id"], tuple(call.args("status")) or ("current",))
        return ok(self._content(page, call.expand() or {"history", "space", "version"}))

    def create_content(self, call: Call) -> Reply:
        data = call.json_object()
        if data.get("type", "page") != "page":
            raise BadRequest("The fake creates pages only")
        space = self.state.space((data.get("space") or {}).get("key", ""))
        ancestors = data.get("ancestors") or []
        parent = str(ancestors[-1]["id"]) if ancestors else None
        page = self.state.create_page(space, data.get("title") or "", _storage(data) or "",
                                      parent)
        return ok(self._content(page, {"body", "body.storage", "history", "space", "version",
                                       "ancestors"}))

    def update_content(self, call: Call) -> Reply:
        data = call.json_object()
        ancestors = data.get("ancestors") or []
        page = self.state.update_page(
            call.params["id"], version=int((data.get("version") or {}).get("number") or 0),
            title=data.get("title"), body=_storage(data),
            parent_id=str(ancestors[-1]["id"]) if ancestors else None,
            status=data.get("status", "current"),
            message=(data.get("version") or {}).get("message", ""))
        return ok(self._content(page, {"body", "body.storage", "history", "space", "version",
                                       "ancestors"}))

    def delete_content(self, call: Call) -> Reply:
        self.state.trash(self.state.page(call.params["id"]))
        return Reply(204)

    def child_pages(self, call: Call) -> Reply:
        parent = self.state.page(call.params["id"])
        children = sorted(self.state.children(parent.id), key=lambda p: int(p.id))
        return self._offset_page(call, children, set())

    def search(self, call: Call) -> Reply:
        return self._offset_page(call, self.state.search(call.arg("cql") or ""), set())

    # -- labels, properties ------------------------------------------------------------
    def get_labels(self, call: Call) -> Reply:
        return ok(self.v1.labels(self.state.page(call.params["id"])))

    def add_labels(self, call: Call) -> Reply:
        labels = call.body if isinstance(call.body, list) else [call.json_object()]
        page = self.state.page(call.params["id"])
        self.state.add_labels(page, [str(label.get("name", "")) for label in labels])
        return ok(self.v1.labels(page))

    def get_properties(self, call: Call) -> Reply:
        page = self.state.page(call.params["id"])
        results = [self.v1.property(page, p) for p in page.properties.values()]
        return ok({"results": results, "start": 0, "limit": 10, "size": len(results),
                   "_links": {"base": self.base, "context": self.v1.context,
                              "self": f"{self.base}/rest/api/content/{page.id}/property"}})

    def create_property(self, call: Call) -> Reply:
        data = call.json_object()
        page = self.state.page(call.params["id"])
        prop = self.state.create_property(page, data.get("key", ""), data.get("value"))
        return ok(self.v1.property(page, prop))

    def get_property(self, call: Call) -> Reply:
        page = self.state.page(call.params["id"])
        return ok(self.v1.property(page, self.state.property(page, key=call.params["key"])))

    def update_property(self, call: Call) -> Reply:
        data = call.json_object()
        page = self.state.page(call.params["id"])
        prop = self.state.property(page, key=call.params["key"])
        version = int((data.get("version") or {}).get("number") or 0)
        prop = self.state.update_property(prop, data.get("value"), version)
        return ok(self.v1.property(page, prop))


def _storage(data: dict[str, Any]) -> str | None:
    storage = (data.get("body") or {}).get("storage")
    if storage is None:
        return None
    if storage.get("representation", "storage") != "storage":
        raise BadRequest("The fake accepts the storage representation only")
    return storage.get("value")
