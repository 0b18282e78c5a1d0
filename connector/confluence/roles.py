"""Space roles on Cloud sites with role-based space permissions (REST v2).

Such sites grant access through roles: ``GET /space-roles`` lists them (each a set of space
permissions), ``GET|POST /spaces/{id}/role-assignments`` reads and sets who holds which
("Available on tenants with Role-Based Access Control", Confluence Cloud REST v2). There,
the v1 call that adds one space permission at a time may be refused, and it is a v1 call
the API gateway answers 410 anyway.

Pilot and expert get ``settings.admin_role`` (default "Admin"), members
``settings.editor_role`` (default "Collaborator"), names matched without regard to case.
Only what is missing is set, in one request per space; nobody is ever downgraded: a person
holding a role with at least the wanted role's permissions keeps it.
"""

from __future__ import annotations

from collections.abc import Mapping

from msgspec import Struct

from connector.errors import BackendError

from .model import SpaceRecord
from .settings import BACKEND
from .transport import ConfluenceHttp

V2 = "api/v2"
PAGE_SIZE = 250


class Role(Struct, frozen=True):
    id: str
    name: str
    permissions: frozenset[str]


class SpaceRoles:
    """The site's roles (read once) and each space's assignments."""

    def __init__(self, http: ConfluenceHttp, admin_role: str, editor_role: str) -> None:
        self.http = http
        self.names = {"admin": admin_role, "editor": editor_role}
        self._roles: list[Role] | None = None

    def grant(self, space: SpaceRecord, wanted: Mapping[str, str]) -> int:
        """Give each account (accountId -> "admin" | "editor") its role in ``space``.
        Returns the number of write requests (0 or 1). Raises BackendError naming the
        setting when a role is not on the site."""
        if not wanted:
            return 0
        roles = {level: self._role(level) for level in set(wanted.values())}
        by_id = {role.id: role for role in self.roles()}
        held = self.assignments(space)
        entries = []
        for account, level in wanted.items():
            role = roles[level]
            current = by_id.get(held.get(account, ""))
            if current is not None and role.permissions <= current.permissions:
                continue  # holds as much already (the same role, or more)
            entries.append({"principal": {"principalType": "USER", "principalId": account},
                            "roleId": role.id})
        if not entries:
            return 0
        self.http.call("POST", f"{V2}/spaces/{space.id}/role-assignments", purpose="writes",
                       body=entries)
        return 1

    def roles(self) -> list[Role]:
        if self._roles is None:
            self._roles = []
            for answer in self.http.pages(f"{V2}/space-roles", {"limit": PAGE_SIZE},
                                          purpose="lookups"):
                self._roles += [Role(str(item.get("id")), str(item.get("name") or ""),
                                     frozenset(item.get("spacePermissions") or ()))
                                for item in answer.results()]
        return self._roles

    def assignments(self, space: SpaceRecord) -> dict[str, str]:
        """accountId -> role id, for the people (not groups) holding a role in ``space``."""
        held: dict[str, str] = {}
        for answer in self.http.pages(f"{V2}/spaces/{space.id}/role-assignments",
                                      {"limit": PAGE_SIZE}, purpose="lookups"):
            for item in answer.results():
                principal = item.get("principal") or {}
                if principal.get("principalType") == "USER":
                    held[str(principal.get("principalId"))] = str(item.get("roleId"))
        return held

    def _role(self, level: str) -> Role:
        name = self.names[level]
        for role in self.roles():
            if role.name.casefold() == name.casefold():
                return role
        setting = "confluence.admin_role" if level == "admin" else "confluence.editor_role"
        known = ", ".join(sorted(r.name for r in self.roles())) or "none"
        raise BackendError(f"this site has no space role {name!r} (its roles: {known}); set "
                           f"{setting} to the role to give", backend=BACKEND)
