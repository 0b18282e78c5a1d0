"""Routes of the fake Confluence Cloud: REST v2 for pages, v1 for what v2 lacks.

v2 (``/wiki/api/v2``): spaces (list, get, create on role-based sites), pages (list by id,
space, title, status, subtype, sorted by modification date; get with properties and labels;
create, update, delete), children, versions, labels, content properties, space permissions
(read), space roles and role assignments, users in bulk. v1 (``/wiki/rest/api``): space
create and update, labels, CQL search, space permissions (add), the current user. The v1
content endpoints Atlassian removed answer 410 Gone, as live sites do, and fail request
validation (they are not in the spec).

Through the API gateway (``gateway_prefix``: ``/ex/confluence/CLOUD_ID``), every v1 endpoint
answers 410 Gone with Confluence's GoneException ("This deprecated endpoint has been
removed."), as reported for scoped tokens and OAuth (https://github.com/Spenhouet/
confluence-markdown-exporter/issues/207, https://github.com/atlassian-api/
atlassian-python-api/issues/1560), and v2 lists link their next page relative to the site
(``/wiki/api/v2/...``) with ``_links.base`` the gateway's address without ``/wiki``, so that a
client joining the link to its configured URL doubles ``/wiki``
(https://github.com/atlassian-api/atlassian-python-api/issues/1655).
"""

from __future__ import annotations

from typing import Any

from .confluence_http import (
    Call,
    Reply,
    Route,
    decode_cursor,
    encode_cursor,
    error_reply,
    next_link,
    ok,
)
from .confluence_state import (
    BadRequest,
    ConfluenceState,
    ModelError,
    NotFound,
    Page,
    Property,
    Revision,
    Space,
    iso,
)
from .confluence_v1 import V1Json

V2, V1 = "cloud-v2", "cloud-v1"
ID = r"(?P<id>\d+)"
GONE_MESSAGE = ("This deprecated endpoint has been removed. Use the v2 API instead: "
                "https://developer.atlassian.com/cloud/confluence/rest/v2/")
GATEWAY_GONE = ("com.atlassian.confluence.api.service.exceptions.pagesmodes.GoneException: "
                "This deprecated endpoint has been removed.")
_PAGE_STATUSES = ("current", "archived", "trashed", "deleted", "historical", "draft")
_SORTS = {"id": lambda p: int(p.id), "modified-date": lambda p: (p.last_modified, int(p.id)),
          "created-date": lambda p: (p.created_at, int(p.id)), "title": lambda p: p.title}


class Refused(ModelError):
    status = 403


class CloudRoutes:
    """The Cloud operations over one ConfluenceState, for the site at ``site_base`` (the
    gateway's address when ``gateway_prefix`` is given)."""

    def __init__(self, state: ConfluenceState, site_base: str,
                 gateway_prefix: str = "") -> None:
        self.state = state
        self.base = site_base.rstrip("/")
        self.gateway_prefix = gateway_prefix
        # what ``_links.base`` says: the site, or through the gateway its address less /wiki
        self.links_base = self.base.removesuffix("/wiki") if gateway_prefix else self.base
        self.v1 = V1Json(self.base, cloud=True)
        self.search_limit_cap = 250  # lower it to see the adapter follow short pages
        self.stuck_cursor = False  # lists link the same next cursor again and again

    def routes(self) -> list[Route]:
        v2 = [
            ("GET", "/api/v2/spaces", self.get_spaces),
            ("POST", "/api/v2/spaces", self.create_space_v2),
            ("GET", rf"/api/v2/spaces/{ID}", self.get_space),
            ("GET", rf"/api/v2/spaces/{ID}/permissions", self.get_space_permissions),
            ("GET", "/api/v2/space-role-mode", self.get_role_mode),
            ("GET", "/api/v2/space-roles", self.get_roles),
            ("GET", rf"/api/v2/spaces/{ID}/role-assignments", self.get_role_assignments),
            ("POST", rf"/api/v2/spaces/{ID}/role-assignments", self.set_role_assignments),
            ("POST", "/api/v2/users-bulk", self.users_bulk),
            ("GET", "/api/v2/pages", self.get_pages),
            ("POST", "/api/v2/pages", self.create_page),
            ("GET", rf"/api/v2/pages/{ID}", self.get_page),
            ("PUT", rf"/api/v2/pages/{ID}", self.update_page),
            ("DELETE", rf"/api/v2/pages/{ID}", self.delete_page),
            ("GET", rf"/api/v2/pages/{ID}/children", self.get_children),
            ("GET", rf"/api/v2/pages/{ID}/direct-children", self.get_direct_children),
            ("GET", rf"/api/v2/pages/{ID}/versions", self.get_versions),
            ("GET", rf"/api/v2/pages/{ID}/labels", self.get_labels),
            ("GET", r"/api/v2/pages/(?P<id>\d+)/properties", self.get_properties),
            ("POST", r"/api/v2/pages/(?P<id>\d+)/properties", self.create_property),
            ("GET", r"/api/v2/pages/(?P<id>\d+)/properties/(?P<prop>\d+)", self.get_property),
            ("PUT", r"/api/v2/pages/(?P<id>\d+)/properties/(?P<prop>\d+)",
             self.update_property),
        ]
        v1 = [
            ("POST", "/rest/api/space", self.create_space),
            ("PUT", r"/rest/api/space/(?P<key>[^/?]+)", self.update_space),
            ("POST", r"/rest/api/space/(?P<key>[^/?]+)/permission", self.add_permission),
            ("POST", rf"/rest/api/content/{ID}/label", self.add_labels),
            ("GET", "/rest/api/content/search", self.search),
            ("GET", "/rest/api/user/current", self.current_user),
        ]
        removed = [("GET", "/rest/api/content"), ("POST", "/rest/api/content"),
                   ("GET", rf"/rest/api/content/{ID}"), ("PUT", rf"/rest/api/content/{ID}"),
                   ("DELETE", rf"/rest/api/content/{ID}"),
                   ("GET", rf"/rest/api/content/{ID}/child"),
                   ("GET", rf"/rest/api/content/{ID}/child/page"),
                   ("GET", rf"/rest/api/content/{ID}/property"),
                   ("POST", rf"/rest/api/content/{ID}/property"),
                   ("GET", rf"/rest/api/content/{ID}/property/(?P<key>[^/?]+)"),
                   ("PUT", rf"/rest/api/content/{ID}/property/(?P<key>[^/?]+)"),
                   ("GET", rf"/rest/api/content/{ID}/version"),
                   ("GET", "/rest/api/space"), ("GET", r"/rest/api/space/(?P<key>[^/?]+)")]
        if self.gateway_prefix:  # scoped tokens: the gateway answers every v1 call 410
            v1 = [(m, p, self.gateway_gone) for m, p, _ in v1]
        return ([Route(m, p, V2, h) for m, p, h in v2] + [Route(m, p, V1, h) for m, p, h in v1]
                + [Route(m, p, V1, self.gone) for m, p in removed])

    def gone(self, call: Call) -> Reply:
        return error_reply(V1, 410, GONE_MESSAGE)

    def gateway_gone(self, call: Call) -> Reply:
        reply = error_reply(V1, 410, GATEWAY_GONE)
        reply.body["data"].update(authorized=True, valid=True, successful=True)
        return reply

    # -- v2 JSON -----------------------------------------------------------------------
    def _space(self, space: Space) -> dict[str, Any]:
        return {"id": str(space.id), "key": space.key, "name": space.name, "type": "global",
                "status": space.status, "authorId": space.creator.account_id,
                "spaceOwnerId": space.creator.account_id, "createdAt": iso(space.created_at),
                "homepageId": space.homepage_id, "currentActiveAlias": space.key,
                "_links": {"webui": f"/spaces/{space.key}"}}

    def _version(self, revision: Revision) -> dict[str, Any]:
        return {"createdAt": iso(revision.when), "message": revision.message,
                "number": revision.number, "minorEdit": False,
                "authorId": revision.author.account_id}

    def _page(self, page: Page, body_format: str | None) -> dict[str, Any]:
        body: dict[str, Any] = {"id": page.id, "status": page.status, "title": page.title,
                                "spaceId": str(page.space.id)}
        if page.parent_id:  # the spec's parentId is not nullable: a root page has none
            body.update(parentId=page.parent_id, parentType="page")
        body.update({"position": self._position(page), "authorId": page.creator.account_id,
                     "ownerId": page.creator.account_id, "lastOwnerId": None,
                     "subtype": page.subtype, "createdAt": iso(page.created_at),
                     "version": self._version(page.revisions[-1]),
                     "body": ({"storage": {"representation": "storage",
                                           "value": page.api_body}}
                              if body_format == "storage" else {}),
                     "_links": {"webui": self.v1.content_links(page)["webui"],
                                "editui": f"/pages/resumedraft.action?draftId={page.id}",
                                "tinyui": f"/x/{page.id}"}})
        return body

    def _single(self, page: Page, body_format: str | None) -> dict[str, Any]:
        body = self._page(page, body_format)
        body["_links"]["base"] = self.links_base
        return body

    def _position(self, page: Page) -> int:
        siblings = sorted(int(p.id) for p in self.state.pages.values()
                          if p.parent_id == page.parent_id and p.space is page.space)
        return siblings.index(int(page.id))

    def _property(self, prop: Property) -> dict[str, Any]:
        return {"id": prop.id, "key": prop.key, "value": prop.value,
                "version": {"createdAt": iso(prop.when), "message": "", "number": prop.version,
                            "minorEdit": False, "authorId": prop.author.account_id}}

    def _listing(self, call: Call, items: list[Any]) -> Reply:
        """A cursor-paginated v2 list: ``_links.next`` (relative to the site: through the
        gateway, without its prefix) and a ``Link`` header when more."""
        limit = call.int_arg("limit", 25, maximum=250)
        start = decode_cursor(call.arg("cursor"))
        chunk = items[start:start + limit]
        links: dict[str, str] = {"base": self.links_base}
        headers: dict[str, str] = {}
        if start + limit < len(items):
            path = call.path.removeprefix(self.gateway_prefix)
            following = limit if self.stuck_cursor else start + limit
            links["next"] = next_link(path, call, cursor=encode_cursor(following))
            headers["Link"] = f'<{links["next"]}>; rel="next", <{self.links_base}>; rel="base"'
        return Reply(200, {"results": chunk, "_links": links}, headers)

    def _page_arg(self, call: Call) -> Page:
        return self.state.page(call.params["id"], tuple(call.args("status")) or ("current",))

    # -- v2 spaces ---------------------------------------------------------------------
    def get_spaces(self, call: Call) -> Reply:
        keys, ids, status = call.args("keys"), call.args("ids"), call.arg("status")
        spaces = [s for s in sorted(self.state.spaces.values(), key=lambda s: s.id)
                  if (not keys or s.key in keys) and (not ids or str(s.id) in ids)
                  and (not status or s.status == status)]
        return self._listing(call, [self._space(s) for s in spaces])

    def get_space(self, call: Call) -> Reply:
        body = self._space(self.state.space_by_id(call.params["id"]))
        body["_links"]["base"] = self.links_base
        return ok(body)

    def create_space_v2(self, call: Call) -> Reply:
        """v2 space creation, "Available on tenants with Role-Based Access Control"."""
        if self.state.role_mode == "PRE_ROLES":
            raise NotFound("Space creation through REST v2 is not available on this site")
        data = call.json_object()
        description = (data.get("description") or {}).get("value", "")
        space = self.state.create_space(data.get("key") or data.get("alias") or "",
                                        data.get("name", ""), description)
        body = self._space(space)
        body["_links"]["base"] = self.links_base
        return ok(body, 201)

    # -- v2 space roles (sites with role-based space permissions) -----------------------
    def _roles_only(self) -> None:
        if self.state.role_mode == "PRE_ROLES":
            raise NotFound("Space roles are not available on this site")

    def get_role_mode(self, call: Call) -> Reply:
        return ok({"mode": self.state.role_mode})

    def get_roles(self, call: Call) -> Reply:
        self._roles_only()
        return self._listing(call, [{"id": r.id, "type": "SYSTEM", "name": r.name,
                                     "description": f"The {r.name} role",
                                     "spacePermissions": list(r.permissions)}
                                    for r in self.state.roles])

    def get_role_assignments(self, call: Call) -> Reply:
        self._roles_only()
        space = self.state.space_by_id(call.params["id"])
        return self._listing(call, [{"principal": {"principalType": "USER",
                                                   "principalId": principal},
                                     "roleId": role} for principal, role in space.roles.items()])

    def set_role_assignments(self, call: Call) -> Reply:
        self._roles_only()
        space = self.state.space_by_id(call.params["id"])
        if not isinstance(call.body, list):
            raise BadRequest("The body must be a list of role assignments")
        known = {r.id for r in self.state.roles}
        for entry in call.body:
            principal = (entry.get("principal") or {}).get("principalId", "")
            self.state.user_by(account_id=principal)
            role = entry.get("roleId")
            if role is None:
                space.roles.pop(principal, None)
            elif role not in known:
                raise BadRequest(f"No space role {role}")
            else:
                space.roles[principal] = role
        self.state.clock.tick()
        return self._listing(call, [{"principal": {"principalType": "USER",
                                                   "principalId": principal},
                                     "roleId": role} for principal, role in space.roles.items()])

    def users_bulk(self, call: Call) -> Reply:
        ids = call.json_object().get("accountIds") or []
        users = [u for u in self.state.users.values() if u.account_id in ids]
        return ok({"results": [{"accountId": u.account_id, "accountType": "atlassian",
                                "accountStatus": "active", "displayName": u.display_name,
                                "publicName": u.display_name, "email": u.email}
                               for u in users], "_links": {"base": self.links_base}})

    def get_space_permissions(self, call: Call) -> Reply:
        space = self.state.space_by_id(call.params["id"])
        items = [{"id": str(p.id), "principal": {"type": p.subject_type, "id": p.identifier},
                  "operation": {"key": p.operation, "targetType": p.target}}
                 for p in space.permissions]
        return self._listing(call, items)

    # -- v2 pages ----------------------------------------------------------------------
    def get_pages(self, call: Call) -> Reply:
        """The spec's default statuses: "By default, `current` and `archived` are used";
        ``sort`` by id (the default), modification or creation date, or title, ``-`` for
        descending."""
        ids, space_ids = call.args("id"), call.args("space-id")
        statuses, title = call.args("status") or ["current", "archived"], call.arg("title")
        subtype, sort = call.arg("subtype"), call.arg("sort") or "id"
        order = _SORTS.get(sort.lstrip("-"))
        if order is None:
            raise BadRequest(f"Unknown sort order {sort}")
        pages = [p for p in sorted(self.state.pages.values(), key=order,
                                   reverse=sort.startswith("-"))
                 if (not ids or p.id in ids) and (not space_ids or str(p.space.id) in space_ids)
                 and p.status in statuses and (title is None or p.title == title)
                 and (subtype is None or p.subtype == subtype)]
        return self._listing(call, [self._page(p, call.arg("body-format")) for p in pages])

    def get_page(self, call: Call) -> Reply:
        page = self._page_arg(call)
        body = self._single(page, call.arg("body-format"))
        if call.arg("include-labels") == "true":
            body["labels"] = {"results": self._labels(page), "meta": {"hasMore": False}}
        if call.arg("include-properties") == "true":
            body["properties"] = {"results": [self._property(p)
                                              for p in page.properties.values()],
                                  "meta": {"hasMore": False}}
        return ok(body)

    def create_page(self, call: Call) -> Reply:
        data = call.json_object()
        if data.get("status", "current") != "current":
            raise BadRequest("The fake only creates current pages (no drafts)")
        space = self.state.space_by_id(data.get("spaceId", ""))
        parent = data.get("parentId")
        if parent is None and call.arg("root-level") != "true":
            parent = space.homepage_id  # v2 puts a page without parent under the home page
        page = self.state.create_page(space, data.get("title") or "", _storage(data), parent)
        return ok(self._single(page, "storage"))

    def update_page(self, call: Call) -> Reply:
        data = call.json_object()
        if str(data.get("id")) != call.params["id"]:
            raise BadRequest("The id in the body must be the page's id")
        if data.get("status") != "current":
            raise BadRequest("The fake only saves current pages (no drafts)")
        page = self.state.update_page(
            call.params["id"], version=int((data.get("version") or {}).get("number") or 0),
            title=data.get("title"), body=_storage(data), parent_id=data.get("parentId"),
            message=(data.get("version") or {}).get("message", ""))
        return ok(self._single(page, "storage"))

    def delete_page(self, call: Call) -> Reply:
        self.state.trash(self.state.page(call.params["id"]))
        return Reply(204)

    def get_children(self, call: Call) -> Reply:
        children = sorted(self.state.children(self._page_arg(call).id), key=lambda p: int(p.id))
        return self._listing(call, [{"id": p.id, "status": p.status, "title": p.title,
                                     "spaceId": str(p.space.id),
                                     "childPosition": self._position(p)} for p in children])

    def get_direct_children(self, call: Call) -> Reply:
        children = sorted(self.state.children(self._page_arg(call).id), key=lambda p: int(p.id))
        return self._listing(call, [{"id": p.id, "status": p.status, "title": p.title,
                                     "type": "page", "spaceId": str(p.space.id),
                                     "childPosition": self._position(p)} for p in children])

    def get_versions(self, call: Call) -> Reply:
        page = self._page_arg(call)
        items = [{**self._version(r), "page": {"id": page.id, "title": r.title}}
                 for r in reversed(page.revisions)]
        return self._listing(call, items)

    def _labels(self, page: Page) -> list[dict[str, str]]:
        return [{"id": i, "name": n, "prefix": "global"} for n, i in page.labels.items()]

    def get_labels(self, call: Call) -> Reply:
        return self._listing(call, self._labels(self._page_arg(call)))

    # -- v2 content properties -----------------------------------------------------------
    def get_properties(self, call: Call) -> Reply:
        page, key = self.state.page(call.params["id"]), call.arg("key")
        return self._listing(call, [self._property(p) for p in page.properties.values()
                                    if key is None or p.key == key])

    def create_property(self, call: Call) -> Reply:
        data = call.json_object()
        page = self.state.page(call.params["id"])
        return ok(self._property(self.state.create_property(page, data.get("key", ""),
                                                            data.get("value"))))

    def get_property(self, call: Call) -> Reply:
        page = self.state.page(call.params["id"])
        return ok(self._property(self.state.property(page, prop_id=call.params["prop"])))

    def update_property(self, call: Call) -> Reply:
        data = call.json_object()
        page = self.state.page(call.params["id"])
        prop = self.state.property(page, prop_id=call.params["prop"])
        if data.get("key", prop.key) != prop.key:
            raise BadRequest("The key of a property cannot change")
        version = int((data.get("version") or {}).get("number") or 0)
        return ok(self._property(self.state.update_property(prop, data.get("value"), version)))

    # -- v1 ----------------------------------------------------------------------------
    def create_space(self, call: Call) -> Reply:
        data = call.json_object()
        description = ((data.get("description") or {}).get("plain") or {}).get("value", "")
        space = self.state.create_space(data.get("key", ""), data.get("name", ""), description)
        return ok(self.v1.space(space, home=self.state.page(space.homepage_id)))

    def update_space(self, call: Call) -> Reply:
        data = call.json_object()
        homepage = (data.get("homepage") or {}).get("id")
        space = self.state.update_space(call.params["key"], name=data.get("name"),
                                        homepage_id=str(homepage) if homepage else None,
                                        status=data.get("status"))
        return ok(self.v1.space(space))

    def add_permission(self, call: Call) -> Reply:
        """Refused where space permissions are role-based (modelled: the v1 call adds one
        permission outside any role, which such a site has no place for)."""
        if self.state.role_mode == "ROLES":
            raise Refused("This site uses role-based space permissions: assign space roles "
                          "instead")
        data = call.json_object()
        subject, operation = data.get("subject") or {}, data.get("operation") or {}
        if subject.get("type") == "user":
            self.state.user_by(account_id=subject.get("identifier", ""))
        permission = self.state.grant(call.params["key"], subject.get("type", ""),
                                      subject.get("identifier", ""), operation.get("key", ""),
                                      operation.get("target", ""))
        return ok(self.v1.permission(permission))

    def add_labels(self, call: Call) -> Reply:
        labels = call.body if isinstance(call.body, list) else [call.json_object()]
        page = self.state.page(call.params["id"])
        self.state.add_labels(page, [str(label.get("name", "")) for label in labels])
        return ok(self.v1.labels(page))

    def current_user(self, call: Call) -> Reply:
        return ok(self.v1.user(self.state.current_user))

    def search(self, call: Call) -> Reply:
        found = self.state.search(call.arg("cql") or "")
        limit = min(call.int_arg("limit", 25), self.search_limit_cap)
        start = decode_cursor(call.arg("cursor"))
        chunk = found[start:start + limit]
        more = start + limit < len(found)
        body = self.v1.content_page(chunk, call, start=start, limit=limit, total=len(found),
                                    expand=call.expand(), everything=self.state.pages,
                                    next_cursor=encode_cursor(start + limit) if more else None)
        return ok(body)


def _storage(data: dict[str, Any]) -> str | None:
    """The storage value of a v2 body, flat (``{representation, value}``) or nested."""
    body = data.get("body")
    if not isinstance(body, dict):
        return None
    if "storage" in body:
        body = body["storage"] or {}
    if body.get("representation", "storage") != "storage":
        raise BadRequest("The fake accepts the storage representation only")
    return body.get("value")
