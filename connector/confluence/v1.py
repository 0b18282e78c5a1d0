"""REST v1 calls both deployments share: CQL search, labels, space creation, and the v1
content JSON as a PageRecord. On Cloud each is a v1-only operation (``V1Only``: named in
its 410); Data Center has nothing but v1."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from connector.errors import BackendError, EditConflict, PageExists, PageMissing

from .model import PageRecord, SpaceRecord, SpaceTaken, stamp
from .settings import BACKEND
from .transport import Answer, ConfluenceHttp, V1Only, detail

log = logging.getLogger(__name__)

SEARCH = "rest/api/content/search"


def search(http: ConfluenceHttp, cql: str, *, expand: str, limit: int, purpose: str,
           v1_only: V1Only | None = None) -> Iterator[tuple[Answer, list[PageRecord]]]:
    """Every page of a CQL search (cursor on Cloud, offset on Data Center), as records.
    ``_links.next`` is followed rather than trusting ``limit``: sites cap it."""
    params = {"cql": cql, "limit": limit, "expand": expand}
    for answer in http.pages(SEARCH, params, purpose=purpose, v1_only=v1_only):
        yield answer, [content_record(item) for item in answer.results()]


def content_record(item: Mapping[str, Any], space_key: str = "") -> PageRecord:
    """A v1 content object (search result, Data Center page) as a PageRecord."""
    version = item.get("version") or {}
    history = item.get("history") or {}
    body = ((item.get("body") or {}).get("storage") or {}).get("value")
    labels = (item.get("metadata") or {}).get("labels")
    return PageRecord(
        id=str(item["id"]), space=str((item.get("space") or {}).get("key") or space_key),
        title=str(item.get("title") or ""), version=int(version.get("number") or 0),
        body=body, when=stamp(str(version.get("when") or "")),
        created=stamp(str(history.get("createdDate") or "")),
        message=str(version.get("message") or ""), status=str(item.get("status") or ""),
        labels=None if not isinstance(labels, Mapping) else tuple(
            str(label.get("name")) for label in labels.get("results") or []),
        author=person_id(version.get("by") or {}))


def person_id(user: Mapping[str, Any]) -> str:
    """A v1 user's identifier: Cloud accountId, Data Center userKey."""
    return str(user.get("accountId") or user.get("userKey") or user.get("username") or "")


def saved(record: PageRecord, version: int, *, page: str) -> PageRecord:
    """The answer to a save of ``version``, checked: a page moved to the trash since it was
    read is not saved but restored as it was (both specs: "For restoration, page contents
    will not be updated"), so an answer that is not the version sent is an EditConflict
    (read it again, then write), never taken as done."""
    if record.version != version or record.status not in ("", "current"):
        log.warning("%s: Confluence answered version %s (status %r) to the save of version "
                    "%s, so nothing was saved: the page was most likely in the trash, and a "
                    "save restores a trashed page without its new content; it is read again",
                    page, record.version, record.status, version)
        raise EditConflict(backend=BACKEND, page=page, base_revision=str(version - 1))
    return record


def add_labels(http: ConfluenceHttp, page_id: str, labels: Sequence[str], *,
               page: str, v1_only: V1Only | None = None) -> None:
    """Add global labels (existing ones are kept; adding one twice is harmless)."""
    http.call("POST", f"rest/api/content/{page_id}/label", purpose="writes", page=page,
              body=[{"prefix": "global", "name": name} for name in labels], v1_only=v1_only)


def create_space(http: ConfluenceHttp, key: str, name: str, description: str, *,
                 v1_only: V1Only | None = None) -> SpaceRecord:
    """POST /rest/api/space. Confluence makes its home page "<name> Home".
    Raises SpaceTaken when the key is in use."""
    answer = http.call("POST", "rest/api/space", purpose="writes", allow=(400,), body={
        "key": key, "name": name,
        "description": {"plain": {"value": description, "representation": "plain"}}},
        v1_only=v1_only)
    if answer.status == 400:
        raise space_refused(key, detail(answer))
    data = answer.data
    return SpaceRecord(key=str(data["key"]), id=str(data["id"]), name=str(data["name"]),
                       homepage_id=str((data.get("homepage") or {}).get("id") or ""))


def space_refused(key: str, said: str) -> BackendError:
    """A refused space creation: SpaceTaken when the key is in use."""
    if "already exists" in said.lower() or "already in use" in said.lower():
        return SpaceTaken(space=key, message=f"space key {key!r} is already in use on this "
                          f"site ({said})")
    return BackendError(f"the site refused to create space {key!r}: {said}", backend=BACKEND)


def refused(said: str, page: str) -> BackendError:
    """A 400 to a page create or update: PageExists when the title is taken."""
    if "already exists" in said.lower():
        return PageExists(f"a page with this title already exists ({said})", backend=BACKEND,
                          page=page)
    return BackendError(f"the site refused the page ({said})", backend=BACKEND, page=page)


def write_refused(answer: Answer, page: str, base_version: int) -> BackendError:
    """The error for a page update answered 400, 404 or 409."""
    if answer.status == 404:
        return gone(page)
    if answer.status == 409:
        return EditConflict(backend=BACKEND, page=page, base_revision=str(base_version))
    return refused(detail(answer), page)


def gone(page: str) -> PageMissing:
    return PageMissing("the page is no longer there (deleted, or in the trash)",
                       backend=BACKEND, page=page)
