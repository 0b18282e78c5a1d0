"""What the two API dialects hand the backend: small records, free of JSON shapes, and the
one translation of timestamps (Confluence writes ``2026-11-28T06:49:37.000Z`` on Cloud and
``2026-11-28T07:49:37.000+01:00`` on Data Center; the product compares
``2026-11-28T06:49:37Z`` strings)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

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


@dataclass(frozen=True)
class SpaceRecord:
    key: str
    id: str
    name: str
    homepage_id: str = ""
    status: str = "current"


@dataclass(frozen=True)
class PageRecord:
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

    @property
    def ref(self) -> PageRef:
        return PageRef(self.space, self.title)

    def remote(self, ref: PageRef | None = None) -> RemotePage:
        return RemotePage(ref=ref or self.ref, page_id=self.id, revision=str(self.version),
                          content=self.body or "", timestamp=self.when)


@dataclass(frozen=True)
class Mark:
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
    """One deployment's REST calls (cloud.py: v2 + v1; datacenter.py: v1). Methods raise
    BackendError subclasses; 404 on a lookup is None, not an error."""

    def find_space(self, key: str) -> SpaceRecord | None: ...

    def create_space(self, key: str, name: str, description: str) -> SpaceRecord: ...

    def set_homepage(self, space: SpaceRecord, page_id: str) -> None: ...

    def page_by_id(self, page_id: str, space_key: str) -> PageRecord | None: ...

    def page_by_title(self, space: SpaceRecord, title: str) -> PageRecord | None: ...

    def create_page(self, space: SpaceRecord, title: str, body: str, parent_id: str | None,
                    *, page: str) -> PageRecord: ...

    def update_page(self, page_id: str, space_key: str, title: str, body: str,
                    version: int, message: str, *, page: str,
                    minor: bool = False) -> PageRecord: ...

    def get_mark(self, page_id: str, *, page: str) -> Mark | None: ...

    def put_mark(self, page_id: str, old: Mark | None, value: dict[str, Any], *,
                 page: str) -> None: ...

    def permissions(self, space: SpaceRecord) -> set[Permission]: ...

    def grant(self, space: SpaceRecord, subject: str, operations: list[tuple[str, str]]
              ) -> None: ...

    def set_archived(self, space: SpaceRecord, archived: bool) -> None: ...


class SpaceTaken(BackendError):
    """The community's space key is used on the site by a space cop-connector did not
    create. Provisioning stops there: pages are never put into someone else's space."""

    exit_code = EXIT_USAGE

    def __init__(self, *, space: str, message: str) -> None:
        super().__init__(message, backend="confluence")
        self.space = space
