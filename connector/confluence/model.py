"""What the two API dialects hand the backend: small records, free of JSON shapes, and the
one translation of timestamps (Confluence writes ``2026-11-28T06:49:37.000Z`` on Cloud and
``2026-11-28T07:49:37.000+01:00`` on Data Center; the product compares
``2026-11-28T06:49:37Z`` strings)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from msgspec import Struct, field

from connector.base import PageRef, RemotePage
from connector.errors import EXIT_USAGE, BackendError

MARK_KEY = "cop-connector"  # the content property holding what cop-connector wrote last


def stamp(text: str) -> str:
    """An API timestamp as the product's ``YYYY-MM-DDTHH:MM:SSZ`` (UTC, floored to the
    second); "" when there is none. Raises ValueError on a malformed one."""
    if not text:
        return ""
    return format_stamp(datetime.fromisoformat(text.replace("Z", "+00:00")))


def format_stamp(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_stamp(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def content_hash(content: str) -> str:
    """The hash kept in the mark (the same as the records' ``written_hash``)."""
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


class SpaceRecord(Struct, frozen=True):
    """A space as the site answered. ``key`` is its key now (Cloud lets an administrator
    change it; the old one becomes an alias), ``id`` never changes."""

    key: str
    id: str
    name: str
    homepage_id: str = ""
    status: str = "current"


class PageRecord(Struct, frozen=True):
    """A page as an API answered. ``when`` is its last modification (product format),
    ``created`` its creation when known; ``body`` None when not asked for."""

    id: str
    space: str  # key
    title: str
    version: int
    body: str | None = None
    when: str = ""
    created: str = ""
    message: str = ""
    status: str = "current"
    labels: tuple[str, ...] | None = None  # None: not asked for
    subtype: str = ""  # Cloud: "live" for a live doc
    author: str = ""  # the last version's author (Cloud accountId, Data Center user key)

    @property
    def ref(self) -> PageRef:
        return PageRef(self.space, self.title)

    @property
    def unreadable(self) -> str:
        """Why the body read cannot be trusted ("" when it can): a live doc answers an
        empty storage body although it has content (its current version may be empty
        while the editor shows an earlier one, https://github.com/atlassian/
        atlassian-mcp-server/issues/192); reading it as empty would take every row as
        deleted."""
        if self.subtype == "live" and self.body is not None and not self.body.strip():
            return ("this page is a live doc, and Confluence's API gives no content for it "
                    "(an empty storage body): it cannot be read, so its rows are kept as "
                    "they were; convert it back to a page (in the editor: ••• > Convert to "
                    "page), or restore its last version, and the next cop-sync reads it")
        return ""

    def remote(self, ref: PageRef | None = None) -> RemotePage:
        return RemotePage(ref=ref or self.ref, page_id=self.id, revision=str(self.version),
                          content=self.body or "", timestamp=self.when,
                          unreadable=self.unreadable)


class Current(Struct, frozen=True):
    """A page read by id just before a write: its version, status, the cop-connector
    mark and its labels (None when the answer did not say)."""

    id: str
    version: int
    status: str = "current"
    mark: Mark | None = None
    labels: tuple[str, ...] | None = None


class Mark(Struct, frozen=True):
    """The ``cop-connector`` content property: the hash of what cop-connector wrote and
    the page version that write made. ``id``/``version`` are the property's own."""

    id: str
    version: int
    value: dict[str, Any] = field(default_factory=dict)

    @property
    def page_version(self) -> str:
        return str(self.value.get("version", ""))

    @property
    def sha256(self) -> str:
        return str(self.value.get("sha256", ""))

    @classmethod
    def find(cls, properties: Any) -> Mark | None:
        """The mark among a page's content properties (a REST ``results`` list)."""
        for item in properties or []:
            if item.get("key") == MARK_KEY:
                return cls(str(item["id"]), int((item.get("version") or {}).get("number", 1)),
                           dict(item.get("value") or {}))
        return None

    def replaced_by(self, value: dict[str, Any]) -> dict[str, Any]:
        """The body that replaces this mark (the property's version moves on by one)."""
        return {"key": MARK_KEY, "value": value, "version": {"number": self.version + 1}}


Permission = tuple[str, str, str]  # (user identifier, operation key, target type)


class Dialect(Protocol):
    """One deployment's REST calls (cloud.py: v2, and v1 where v2 lacks the operation;
    datacenter.py: v1). Methods raise BackendError subclasses; 404 on a lookup is None,
    not an error. ``spaces`` mappings are community key -> space id (the id may be "" on
    Data Center, which works by key), ``keys`` space id -> community key."""

    def find_space(self, key: str) -> SpaceRecord | None: ...

    def create_space(self, key: str, name: str, description: str) -> SpaceRecord: ...

    def set_homepage(self, space: SpaceRecord, page_id: str) -> None: ...

    def set_archived(self, space: SpaceRecord, archived: bool) -> None: ...

    def page_by_id(self, page_id: str, space_key: str) -> PageRecord | None: ...

    def page_by_title(self, space: SpaceRecord, title: str, space_key: str = "",
                      status: str = "current") -> PageRecord | None: ...

    def pages_by_id(self, ids: Sequence[str], keys: Mapping[str, str]
                    ) -> list[PageRecord]: ...

    def find_pages(self, spaces: Mapping[str, str], refs: Sequence[PageRef]
                   ) -> list[PageRecord]: ...

    def create_page(self, space: SpaceRecord, title: str, body: str, parent_id: str | None,
                    *, page: str) -> PageRecord: ...

    def update_page(self, page_id: str, space_key: str, title: str, body: str,
                    version: int, message: str, *, page: str,
                    minor: bool = False) -> PageRecord: ...

    def current(self, page_id: str, *, page: str) -> Current | None: ...

    def put_mark(self, page_id: str, old: Mark | None, value: dict[str, Any], *,
                 page: str) -> None: ...

    def add_labels(self, page_id: str, labels: Sequence[str], *, page: str) -> None: ...

    def labels_of(self, ids: Sequence[str]) -> dict[str, tuple[str, ...]]: ...

    def changed(self, spaces: Mapping[str, str], since: datetime | None,
                server_now: datetime) -> tuple[list[PageRecord], datetime | None]: ...

    def alive(self, ids: Sequence[str], keys: Mapping[str, str]
              ) -> tuple[datetime | None, dict[str, PageRecord]]: ...

    def server_time(self) -> datetime | None: ...

    def permissions(self, space: SpaceRecord) -> set[Permission]: ...

    def grant(self, space: SpaceRecord, subject: str, operations: list[tuple[str, str]]
              ) -> None: ...


class SpaceTaken(BackendError):
    """The community's space key is used on the site by a space cop-connector did not
    create. Provisioning stops there: pages are never put into someone else's space."""

    exit_code = EXIT_USAGE

    def __init__(self, *, space: str, message: str) -> None:
        super().__init__(message, backend="confluence")
        self.space = space
