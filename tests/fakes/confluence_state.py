"""The fake Confluence's in-memory model: spaces, pages with versions, labels, properties.

Pure Python, no HTTP: the route modules translate requests into these calls and the results into
Cloud or Data Center JSON. Every write moves the clock one second (``Clock.step``) so that
successive writes have distinct, ordered timestamps, as on a real site.

Errors carry the HTTP status Confluence answers with (``ModelError.status``).

Behaviours outside the specifications, each from a public report (cited where it is built):
the search index lagging behind saves (``index_lag``), live docs answering an empty storage
body (``Page.subtype``), archived pages keeping their titles taken, space keys renamed with
the old key left as an alias (``rename_space_key``), and role-based space permissions
(``role_mode``, ``ROLES``).
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from .confluence_cql import parse as parse_cql

SPACE_KEY = re.compile(r"^[A-Za-z0-9]{1,255}$")
START = datetime(2026, 11, 28, 6, 49, 37, tzinfo=UTC)


class ModelError(Exception):
    """A request Confluence refuses; ``status`` is the HTTP status it answers with."""

    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequest(ModelError):
    status = 400


class NotFound(ModelError):
    status = 404


class Conflict(ModelError):
    status = 409


class Clock:
    """The site's time: starts at a fixed instant and moves ``step`` seconds per write."""

    def __init__(self, start: datetime = START, step: float = 1.0) -> None:
        self.now = start
        self.step = step

    def tick(self) -> datetime:
        """Advance by one step and return the new time (the time of a write)."""
        self.now += timedelta(seconds=self.step)
        return self.now

    def advance(self, seconds: float) -> datetime:
        self.now += timedelta(seconds=seconds)
        return self.now

    def set(self, when: datetime) -> None:
        """Jump to ``when`` (a naive datetime is taken as UTC)."""
        self.now = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def iso(when: datetime) -> str:
    """Confluence's timestamp format, milliseconds and Z: ``2026-11-28T06:49:37.000Z``."""
    when = when.astimezone(UTC)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


@dataclass(frozen=True)
class User:
    """A person: Cloud knows them by accountId, Data Center by userKey (and username)."""

    account_id: str
    user_key: str
    username: str
    email: str
    display_name: str


@dataclass(frozen=True)
class Revision:
    number: int
    when: datetime
    author: User
    title: str
    body: str
    message: str = ""


@dataclass
class Property:
    id: str
    key: str
    value: Any
    version: int
    when: datetime
    author: User


@dataclass
class Page:
    id: str
    space: Space
    title: str
    parent_id: str | None
    body: str
    created_at: datetime
    creator: User
    status: str = "current"
    revisions: list[Revision] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)  # name -> label id
    properties: dict[str, Property] = field(default_factory=dict)
    ancestor_ids: list[str] = field(default_factory=list)  # root first; kept by the state
    subtype: str = "page"  # Cloud: "live" for a live doc

    @property
    def api_body(self) -> str:
        """The storage body the API answers. A live doc can answer an empty body while the
        editor shows its content: its current version is empty, the text sits in an
        earlier one (https://github.com/atlassian/atlassian-mcp-server/issues/192)."""
        return "" if self.subtype == "live" else self.body

    @property
    def version(self) -> int:
        return self.revisions[-1].number

    @property
    def last_modified(self) -> datetime:
        return self.revisions[-1].when

    @property
    def last_author(self) -> User:
        return self.revisions[-1].author

    @property
    def space_key(self) -> str:
        return self.space.key

    @property
    def label_names(self) -> list[str]:
        return list(self.labels)


@dataclass(frozen=True)
class Permission:
    id: int
    subject_type: str  # "user" | "group"
    identifier: str  # accountId / userKey, or group name (Cloud: group id)
    operation: str
    target: str


@dataclass
class Space:
    id: int
    key: str
    name: str
    description: str
    created_at: datetime
    creator: User
    homepage_id: str = ""
    status: str = "current"
    permissions: list[Permission] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)  # former keys (a renamed key)
    roles: dict[str, str] = field(default_factory=dict)  # principal id -> role id


@dataclass(frozen=True)
class Role:
    """A space role of a site with role-based space permissions (Confluence Cloud REST
    v2 ``/space-roles``: "Available on tenants with Role-Based Access Control")."""

    id: str
    name: str
    permissions: tuple[str, ...]


_VIEW = ("read/space", "create/comment")
_EDIT = (*_VIEW, "create/page", "create/attachment", "update/page")
ROLES = (Role("50000001", "Viewer", _VIEW), Role("50000002", "Collaborator", _EDIT),
         Role("50000003", "Admin", (*_EDIT, "delete/page", "export/space",
                                    "administer/space")))

BOT = User("557058:0b5f3e1c-4a7d-4f0e-9c1a-6d1f2e3a4b5c", "8a7f80826d9e1f00016d9e2b3c4d0001",
           "copbot", "copbot@example.com", "CoP Bot")
MEMBER = User("712020:3c9d7e2a-1b4f-4e6a-8d2c-0f1e2d3c4b5a", "8a7f80826d9e1f00016d9e2b3c4d0002",
              "mcurie", "marie.curie@example.com", "Marie Curie")


class ConfluenceState:
    """One site's content. Methods raise ModelError subclasses as Confluence would answer."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock = clock or Clock()
        self.current_user = BOT
        self.users: dict[str, User] = {u.email: u for u in (BOT, MEMBER)}
        self.spaces: dict[str, Space] = {}
        self.pages: dict[str, Page] = {}
        # Content, labels and properties share Confluence's id sequence; spaces have their own.
        self._content_ids = itertools.count(65537)
        self._space_ids = itertools.count(98305)
        self._permission_ids = itertools.count(131073)
        # page id -> body a concurrent editor saves just before the next API update
        self.pending_conflicts: dict[str, str | None] = {}
        # Seconds the search index lags behind saves (0: none). Confluence queues index
        # updates and processes them "as often as every 5 seconds", longer when many wait
        # (https://confluence.atlassian.com/conf711/content-index-administration-
        # 1044782560.html): CQL then finds a page late, at the version it had when indexed.
        self.index_lag = 0.0
        # "PRE_ROLES" (space permissions, v1 to add them), "ROLES_TRANSITION" or "ROLES"
        # (role-based space permissions, v2 role assignments; Cloud REST v2 /space-role-mode)
        self.role_mode = "PRE_ROLES"
        self.roles = ROLES

    # -- users -------------------------------------------------------------------------
    def add_user(self, email: str, display_name: str) -> User:
        """Register a person the site knows (for permissions and member edits)."""
        n = len(self.users) + 1
        user = User(f"712020:{n:08x}-0000-4000-8000-{n:012x}",
                    f"8a7f80826d9e1f00016d9e2b3c4d{n:04x}", email.split("@", maxsplit=1)[0],
                    email, display_name)
        self.users[email] = user
        return user

    def user_by(self, *, account_id: str = "", user_key: str = "") -> User:
        for user in self.users.values():
            if (account_id and user.account_id == account_id) or (
                    user_key and user.user_key == user_key):
                return user
        raise NotFound(f"No user found with {'accountId' if account_id else 'key'}: "
                       f"{account_id or user_key}")

    # -- spaces ------------------------------------------------------------------------
    def create_space(self, key: str, name: str, description: str = "",
                     by: User | None = None) -> Space:
        """Create a space and its home page "<name> Home", as Confluence does."""
        if not SPACE_KEY.match(key or ""):
            raise BadRequest(f"Space key '{key}' is invalid: only letters and digits are allowed")
        taken = {k.upper() for k in self.spaces} | {
            alias.upper() for space in self.spaces.values() for alias in space.aliases}
        if key.upper() in taken:
            raise BadRequest(f"A space already exists with key {key}")
        by = by or self.current_user
        space = Space(next(self._space_ids), key, name, description, self.clock.tick(), by)
        self.spaces[key] = space
        home = self._new_page(space, f"{name} Home", "", None, by)
        space.homepage_id = home.id
        if self.role_mode != "PRE_ROLES":
            space.roles[by.account_id] = self.role("Admin").id  # the creator administers
        return space

    def rename_space_key(self, old: str, new: str) -> Space:
        """An administrator changes the space's key (Confluence Cloud): the space keeps its
        id, the old key stays an alias (for its URLs), and lookups by key find the new one
        only (https://github.com/sphinx-contrib/confluencebuilder/issues/1069: the key a
        site shows may not be the one its API answers to)."""
        space = self.space(old)
        del self.spaces[old]
        space.key = new
        space.aliases.append(old)
        self.spaces[new] = space
        self.clock.tick()
        return space

    def role(self, name: str) -> Role:
        for role in self.roles:
            if role.name == name:
                return role
        raise NotFound(f"No space role {name}")

    def space(self, key: str) -> Space:
        try:
            return self.spaces[key]
        except KeyError:
            raise NotFound(f"No space with key : {key}") from None

    def space_by_id(self, space_id: str | int) -> Space:
        for space in self.spaces.values():
            if str(space.id) == str(space_id):
                return space
        raise NotFound(f"No space with id : {space_id}")

    def update_space(self, key: str, *, name: str | None = None,
                     homepage_id: str | None = None, status: str | None = None) -> Space:
        space = self.space(key)
        if status is not None:
            if status not in ("current", "archived"):
                raise BadRequest(f"Unknown space status {status!r}")
            space.status = status
        if homepage_id is not None:
            page = self.page(homepage_id)
            if page.space is not space:
                raise BadRequest(f"Page {homepage_id} is not in space {key}")
            space.homepage_id = page.id
        if name is not None:
            space.name = name
        self.clock.tick()
        return space

    def archive_space(self, key: str, archived: bool = True) -> None:
        self.space(key).status = "archived" if archived else "current"
        self.clock.tick()

    def grant(self, key: str, subject_type: str, identifier: str, operation: str,
              target: str) -> Permission:
        """Add one permission; granting one the subject already has is a 400 (Cloud)."""
        space = self.space(key)
        for p in space.permissions:
            if (p.subject_type, p.identifier, p.operation, p.target) == (
                    subject_type, identifier, operation, target):
                raise BadRequest(f"Permission already exists: {operation} {target} for "
                                 f"{subject_type} {identifier}")
        permission = Permission(next(self._permission_ids), subject_type, identifier,
                                operation, target)
        space.permissions.append(permission)
        return permission

    # -- pages -------------------------------------------------------------------------
    def page(self, page_id: str, statuses: tuple[str, ...] = ("current",)) -> Page:
        page = self.pages.get(str(page_id))
        if page is None or page.status not in statuses:
            raise NotFound(f"No content found with id: {page_id}")
        return page

    def find_page(self, space_key: str, title: str, status: str = "current") -> Page | None:
        for page in self.pages.values():
            if page.space.key == space_key and page.title == title and page.status == status:
                return page
        return None

    def title_taken(self, space: Space, title: str) -> bool:
        """A current page holds the title, or an archived one: archiving keeps a page's
        title taken (https://github.com/hunyadi/md2conf/issues/149: "A page with this title
        already exists" after the pages were archived)."""
        return any(self.find_page(space.key, title, status) for status in ("current",
                                                                           "archived"))

    def children(self, page_id: str) -> list[Page]:
        return [p for p in self.pages.values()
                if p.parent_id == page_id and p.status == "current"]

    def create_page(self, space: Space, title: str, body: str, parent_id: str | None,
                    by: User | None = None) -> Page:
        """Create a current page. Raises BadRequest on an empty or taken title, NotFound on
        an unknown parent."""
        if not title:
            raise BadRequest("Title is required for a page")
        if self.title_taken(space, title):
            raise BadRequest("A page with this title already exists: A page already exists "
                             "with the same TITLE in this space")
        if parent_id is not None:
            parent = self.page(parent_id)
            if parent.space is not space:
                raise BadRequest(f"Parent {parent_id} is not in space {space.key}")
        return self._new_page(space, title, body, parent_id, by or self.current_user)

    def _new_page(self, space: Space, title: str, body: str, parent_id: str | None,
                  by: User) -> Page:
        when = self.clock.tick()
        page = Page(str(next(self._content_ids)), space, title, parent_id, body, when, by)
        page.revisions.append(Revision(1, when, by, title, body))
        page.ancestor_ids = self._ancestors_of(parent_id)
        self.pages[page.id] = page
        return page

    def update_page(self, page_id: str, *, version: int, title: str | None = None,
                    body: str | None = None, parent_id: str | None = None,
                    status: str = "current", message: str = "",
                    by: User | None = None) -> Page:
        """Save a new version. ``version`` must be the current number + 1, else Conflict
        (after a concurrent edit queued with ``pending_conflicts`` is applied).

        A trashed page saved as "current" is restored and nothing else, as both specs say
        (Cloud v2: "For restoration, page contents will not be updated and only the page
        status will be changed"; Data Center: "No other field modifications will be
        performed when restoring"): no new version, body and title as they were."""
        page = self.page(page_id, ("current", "trashed"))
        if page.id in self.pending_conflicts:
            concurrent = self.pending_conflicts.pop(page.id)
            self.member_edit(page, concurrent if concurrent is not None
                             else page.body + "<p>Edited meanwhile by a member.</p>")
        if version != page.version + 1:
            raise Conflict("Version must be incremented on update. Current version is: "
                           f"{page.version}")
        if page.status == "trashed":
            if status != "current":
                raise BadRequest(f"A trashed page can only be restored, not saved as {status}")
            page.status = "current"
            self.clock.tick()
            return page
        new_title = title if title is not None else page.title
        if new_title != page.title and self.title_taken(page.space, new_title):
            raise BadRequest("A page with this title already exists: A page already exists "
                             "with the same TITLE in this space")
        if parent_id is not None and parent_id != page.parent_id:
            self.move(page, parent_id)
        page.title, page.status = new_title, status
        page.body = body if body is not None else page.body
        page.revisions.append(Revision(version, self.clock.tick(), by or self.current_user,
                                       page.title, page.body, message))
        return page

    def member_edit(self, page: Page, body: str, by: User = MEMBER,
                    title: str | None = None) -> Page:
        """A save in the editor: a new version, whatever the API client believes."""
        page.body = body
        page.title = title if title is not None else page.title
        page.revisions.append(Revision(page.version + 1, self.clock.tick(), by, page.title,
                                       body))
        return page

    def move(self, page: Page, parent_id: str | None) -> None:
        """Re-parent a page (and its subtree), within its space."""
        if parent_id is not None:
            parent = self.page(parent_id)
            if parent.space is not page.space or page.id in [parent.id, *parent.ancestor_ids]:
                raise BadRequest(f"Cannot move page {page.id} under {parent_id}")
        page.parent_id = parent_id
        self._refresh_ancestors()

    def archive(self, page: Page) -> None:
        """Archive the page (status "archived"): out of the space's current pages and of
        search, still listed by v2 ``GET /pages`` unless ``status=current`` is asked."""
        page.status = "archived"
        self.clock.tick()

    def trash(self, page: Page) -> None:
        """Move to the trash (status "trashed"); its children move up to its parent."""
        page.status = "trashed"
        for child in self.children(page.id):
            child.parent_id = page.parent_id
        self._refresh_ancestors()
        self.clock.tick()

    def _ancestors_of(self, parent_id: str | None) -> list[str]:
        chain: list[str] = []
        while parent_id is not None:
            chain.insert(0, parent_id)
            parent_id = self.pages[parent_id].parent_id
        return chain

    def _refresh_ancestors(self) -> None:
        for page in self.pages.values():
            page.ancestor_ids = self._ancestors_of(page.parent_id)

    def add_labels(self, page: Page, names: list[str]) -> None:
        """Add labels (lower-cased, as Confluence stores them); existing ones are kept."""
        for given in names:
            name = given.strip().lower()
            if not name or any(c.isspace() for c in name):
                raise BadRequest(f"Invalid label name: '{name}'")
            if name not in page.labels:
                page.labels[name] = str(next(self._content_ids))

    # -- content properties ------------------------------------------------------------
    def create_property(self, page: Page, key: str, value: Any) -> Property:
        if not key:
            raise BadRequest("Property key is required")
        if key in page.properties:
            raise Conflict(f"Cannot add a property with key '{key}': it already exists on "
                           f"content {page.id}")
        prop = Property(str(next(self._content_ids)), key, value, 1, self.clock.tick(),
                        self.current_user)
        page.properties[key] = prop
        return prop

    def property(self, page: Page, *, key: str = "", prop_id: str = "") -> Property:
        for prop in page.properties.values():
            if (key and prop.key == key) or (prop_id and prop.id == str(prop_id)):
                return prop
        raise NotFound(f"No property found with {'key' if key else 'id'}: {key or prop_id}")

    def update_property(self, prop: Property, value: Any, version: int) -> Property:
        if version != prop.version + 1:
            raise Conflict(f"Version must be incremented on update. Current version is: "
                           f"{prop.version}")
        prop.value, prop.version = value, version
        prop.when, prop.author = self.clock.tick(), self.current_user
        return prop

    # -- search ------------------------------------------------------------------------
    def search(self, cql: str) -> list[Page]:
        """Pages matching the CQL subset (see confluence_cql), as the search index knows
        them (``index_lag``: each page at the version it had that many seconds ago, or
        not yet at all). Raises CqlError."""
        return parse_cql(cql, now=self.clock.now).run(  # type: ignore[return-value]
            self.indexed())

    def indexed(self) -> list[Page]:
        """The pages as the search index holds them."""
        if not self.index_lag:
            return list(self.pages.values())
        horizon = self.clock.now - timedelta(seconds=self.index_lag)
        seen = []
        for page in self.pages.values():
            known = [r for r in page.revisions if r.when <= horizon]
            if known:
                last = known[-1]
                seen.append(replace(page, revisions=known, body=last.body, title=last.title))
        return seen
