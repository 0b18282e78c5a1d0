"""JSON of the REST v1 family (``/rest/api/...``), as Cloud v1 and Data Center write it.

The two are nearly the same document: Cloud names people by ``accountId``, Data Center by
``username``/``userKey``; their web links differ. Shapes follow the specs' schemas (required
fields filled with realistic values) so that every 2xx body passes response validation.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote_plus, urlsplit

from .confluence_http import Call, next_link
from .confluence_state import Page, Permission, Property, Revision, Space, User, iso

_CONTENT_EXPANDABLE = ("childTypes", "container", "metadata", "operations", "children",
                       "restrictions", "history", "ancestors", "body", "version",
                       "descendants", "space")


class V1Json:
    """Renders model objects as v1 JSON for one site (``cloud`` or Data Center)."""

    def __init__(self, site_base: str, *, cloud: bool) -> None:
        self.base = site_base.rstrip("/")
        self.context = urlsplit(self.base).path  # "/wiki" on Cloud, "/confluence" or "" on DC
        self.cloud = cloud

    # -- people, spaces ------------------------------------------------------------------
    def user(self, user: User) -> dict[str, Any]:
        picture = {"path": f"{self.context}/images/icons/profilepics/default.svg",
                   "width": 48, "height": 48, "isDefault": True}
        if self.cloud:
            return {"type": "known", "accountId": user.account_id, "accountType": "atlassian",
                    "email": user.email, "publicName": user.display_name,
                    "displayName": user.display_name, "profilePicture": picture,
                    "isExternalCollaborator": False, "isGuest": False,
                    "_expandable": {"operations": "", "personalSpace": ""},
                    "_links": {"self": f"{self.base}/rest/api/user?accountId={user.account_id}"}}
        return {"type": "known", "username": user.username, "userKey": user.user_key,
                "profilePicture": picture, "displayName": user.display_name,
                "_links": {"self": f"{self.base}/rest/api/user?key={user.user_key}"},
                "_expandable": {"status": ""}}

    def space_link(self, space: Space) -> str:
        return f"/spaces/{space.key}" if self.cloud else f"/display/{space.key}"

    def space(self, space: Space, home: Page | None = None,
              expand: set[str] | frozenset[str] = frozenset()) -> dict[str, Any]:
        """A space; ``home`` is inlined as ``homepage`` when given (create, expand=homepage)."""
        expandable = {"settings": f"/rest/api/space/{space.key}/settings", "metadata": "",
                      "operations": "", "lookAndFeel": f"/rest/api/settings/lookandfeel?"
                      f"spaceKey={space.key}", "identifiers": "", "permissions": "",
                      "icon": "", "description": "", "theme": f"/rest/api/space/{space.key}/theme",
                      "history": "", "homepage": f"/rest/api/content/{space.homepage_id}"}
        body: dict[str, Any] = {"id": space.id, "key": space.key, "name": space.name,
                                "type": "global", "status": space.status}
        if home is not None:
            body["homepage"] = self.content(home, frozenset())
            expandable.pop("homepage")
        if "description" in expand or home is not None:
            body["description"] = {"plain": {"value": space.description,
                                             "representation": "plain", "embeddedContent": []}}
            expandable.pop("description")
        if "history" in expand:
            body["history"] = {"createdDate": iso(space.created_at),
                               "createdBy": self.user(space.creator)}
            expandable.pop("history")
        body["_expandable"] = expandable
        body["_links"] = {"webui": self.space_link(space), "context": self.context,
                          "self": f"{self.base}/rest/api/space/{space.key}",
                          "collection": "/rest/api/space", "base": self.base}
        return body

    # -- content -------------------------------------------------------------------------
    def version(self, page: Page, revision: Revision) -> dict[str, Any]:
        body: dict[str, Any] = {"by": self.user(revision.author), "when": iso(revision.when),
                                "friendlyWhen": "a moment ago", "message": revision.message,
                                "number": revision.number, "minorEdit": False,
                                "_expandable": {"content": f"/rest/api/content/{page.id}"},
                                "_links": {"self": f"{self.base}/rest/api/content/{page.id}"
                                                   f"/version/{revision.number}"}}
        if self.cloud:
            body["contentTypeModified"] = False
            body["_expandable"]["collaborators"] = ""
        else:
            body["hidden"] = False
        return body

    def content_links(self, page: Page) -> dict[str, str]:
        if self.cloud:
            webui = f"/spaces/{page.space.key}/pages/{page.id}/{quote_plus(page.title)}"
            edit = {"editui": f"/pages/resumedraft.action?draftId={page.id}"}
        else:
            webui = f"/display/{page.space.key}/{quote_plus(page.title)}"
            edit = {"edit": f"/pages/resumedraft.action?draftId={page.id}"}
        return {"webui": webui, **edit, "tinyui": f"/x/{page.id}",
                "self": f"{self.base}/rest/api/content/{page.id}"}

    def content(self, page: Page, expand: set[str] | frozenset[str],
                pages: dict[str, Page] | None = None) -> dict[str, Any]:
        """A page with the requested expansions (body.storage, version, space, ancestors,
        history, metadata.labels, container); ``pages`` resolves ancestors."""
        body: dict[str, Any] = {"id": page.id, "type": "page", "status": page.status,
                                "title": page.title}
        if "space" in expand:
            body["space"] = self.space(page.space)
        if "container" in expand:
            body["container"] = self.space(page.space)
        if "history" in expand:
            body["history"] = {"latest": True, "createdBy": self.user(page.creator),
                               "createdDate": iso(page.created_at)}
        if "version" in expand:
            body["version"] = self.version(page, page.revisions[-1])
        if "ancestors" in expand:
            body["ancestors"] = [self.content(pages[a], frozenset())
                                 for a in page.ancestor_ids] if pages else []
        if "body" in expand:
            body["body"] = self._body(page, expand)
        if "metadata" in expand:
            body["metadata"] = self._metadata(page, expand)
        body["extensions"] = {"position": "none"}
        body["_expandable"] = {k: self._expandable(page, k) for k in _CONTENT_EXPANDABLE
                               if k not in expand}
        body["_links"] = self.content_links(page)
        return body

    def _metadata(self, page: Page, expand: set[str] | frozenset[str]) -> dict[str, Any]:
        """``metadata.labels``, and ``metadata.properties.<key>`` (one content property,
        by key: how Confluence expands a property with its content)."""
        metadata: dict[str, Any] = {}
        if "metadata.labels" in expand:
            metadata["labels"] = self.labels(page)
        wanted = {name.removeprefix("metadata.properties.") for name in expand
                  if name.startswith("metadata.properties.")}
        if wanted:
            metadata["properties"] = {key: self.property(page, prop)
                                      for key, prop in page.properties.items()
                                      if key in wanted}
        return metadata

    def _body(self, page: Page, expand: set[str] | frozenset[str]) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if "body.storage" in expand:
            body["storage"] = {"value": page.api_body, "representation": "storage",
                               "embeddedContent": [],
                               "_expandable": {"content": f"/rest/api/content/{page.id}"}}
        body["_expandable"] = {r: "" for r in ("editor", "view", "export_view", "styled_view",
                                               "storage", "anonymous_export_view")
                               if f"body.{r}" not in expand}
        return body

    def _expandable(self, page: Page, key: str) -> str:
        links = {"container": f"/rest/api/space/{page.space.key}",
                 "space": f"/rest/api/space/{page.space.key}",
                 "children": f"/rest/api/content/{page.id}/child",
                 "history": f"/rest/api/content/{page.id}/history",
                 "descendants": f"/rest/api/content/{page.id}/descendant",
                 "restrictions": f"/rest/api/content/{page.id}/restriction/byOperation"}
        return links.get(key, "")

    def content_page(self, pages: list[Page], call: Call, *, start: int, limit: int,
                     total: int, expand: set[str], everything: dict[str, Page],
                     next_cursor: str | None = None) -> dict[str, Any]:
        """A page of results with ``start``/``limit``/``size`` and ``_links.next`` (an offset
        link, or a cursor link when ``next_cursor`` is given, as on Cloud)."""
        links: dict[str, str] = {"base": self.base, "context": self.context,
                                 "self": self.base + call.path[len(self.context):]}
        route = call.path[len(self.context):]
        if next_cursor is not None:
            links["next"] = next_link(route, call, cursor=next_cursor)
        elif start + len(pages) < total:
            links["next"] = next_link(route, call, start=start + len(pages), limit=limit)
        return {"results": [self.content(p, expand, everything) for p in pages],
                "start": start, "limit": limit, "size": len(pages), "_links": links}

    def labels(self, page: Page) -> dict[str, Any]:
        results = [{"prefix": "global", "name": name, "id": label_id, "label": name}
                   for name, label_id in page.labels.items()]
        return {"results": results, "start": 0, "limit": 200, "size": len(results),
                "_links": {"self": f"{self.base}/rest/api/content/{page.id}/label",
                           "base": self.base, "context": self.context}}

    def property(self, page: Page, prop: Property) -> dict[str, Any]:
        return {"id": prop.id, "key": prop.key, "value": prop.value,
                "version": {"when": iso(prop.when), "message": "", "number": prop.version,
                            "minorEdit": False, "by": self.user(prop.author),
                            "hidden": False},
                "content": {"id": page.id, "type": "page", "status": page.status,
                            "title": page.title},
                "_links": {"self": f"{self.base}/rest/api/content/{page.id}/property/"
                                   f"{quote_plus(prop.key)}",
                           "base": self.base, "context": self.context},
                "_expandable": {"container": f"/rest/api/content/{page.id}"}}

    def permission(self, permission: Permission) -> dict[str, Any]:
        """Cloud's SpacePermissionV2."""
        return {"id": permission.id,
                "subject": {"type": permission.subject_type,
                            "identifier": permission.identifier},
                "operation": {"key": permission.operation, "target": permission.target},
                "_links": {"base": self.base, "context": self.context}}
