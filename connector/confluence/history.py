"""Who edited which community page when, on Confluence: the list the change feed reads.

Each changed page comes with its last version's author and time: on Cloud from REST v2's
list of the spaces' pages by modification date (``version.authorId``; display names from
``POST /users-bulk``, 250 per request), on Data Center from the feed's CQL search expanded
with ``version`` (``version.by.userKey``). A page's earlier versions are not listed: Data
Center has no version list in its REST API, and on Cloud it would cost one request per page
(``GET /api/v2/pages/{id}/versions``). So a page edited by several people within one window
counts its last editor only; the records keep every contribution read (sync/results/history.py), so
the more often health is read, the fuller the picture. cop-connector's own versions are left
out: by its account (on Cloud, REST v2 having no "current user", the author of its writes
in the run, or of its content property on a page it knows) and, on Cloud, by their
summary (every write it makes says "cop-connector: ...").

The window is relative to the server's clock (see cql.py: a CQL date literal is read in the
account's time zone) and sized generously from the client's clock (a day more than asked):
versions older than ``since`` are dropped on their exact timestamps.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, Protocol

from connector.base import Contribution, PageRef

from . import cql, v1
from .model import PageRecord, parse_stamp, stamp
from .transport import ConfluenceHttp

HISTORY_EXPAND = "version,space"
WINDOW_MARGIN = 86400.0  # seconds: the client's clock may be that far off, harmlessly
OWN_SUMMARY = "cop-connector:"  # how every version cop-connector saves is summarised


class Names(Protocol):
    def user_names(self, account_ids: Iterable[str]) -> dict[str, str]: ...


def from_records(names: Names, records: Iterable[PageRecord], since: str, *, me: str = ""
                 ) -> tuple[Contribution, ...]:
    """Contributions from listed pages (Cloud): members' versions at or after ``since``,
    oldest first, with their authors' display names; ``me`` (the connector's account, when
    known) and versions summarised as cop-connector's are left out."""
    found = [r for r in records if r.when >= since and r.author and r.author != me
             and not r.message.startswith(OWN_SUMMARY)]
    known = names.user_names({r.author for r in found}) if found else {}
    return tuple(sorted((Contribution(ref=r.ref, user=r.author, timestamp=r.when,
                                      name=known.get(r.author, ""), revision=str(r.version))
                         for r in found), key=lambda c: (c.timestamp, str(c.ref))))


def current_user(http: ConfluenceHttp) -> str:
    """The connector's own account (its versions are not contributions). One request."""
    answer = http.call("GET", "rest/api/user/current", purpose="lookups")
    data = answer.data if isinstance(answer.data, dict) else {}
    return person(data)[0]


def person(user: Mapping[str, Any]) -> tuple[str, str]:
    """(identifier, display name) of a v1 user: Cloud accountId, Data Center userKey."""
    ident = user.get("accountId") or user.get("userKey") or user.get("username") or ""
    return str(ident), str(user.get("displayName") or user.get("publicName") or "")


def contributions(http: ConfluenceHttp, spaces: Sequence[str], since: str, *, limit: int,
                  now: datetime, me: str) -> tuple[Contribution, ...]:
    """The last edit of each page of ``spaces`` changed at or after ``since``, oldest first,
    the connector's own versions left out."""
    minutes = cql.window_minutes(now, parse_stamp(since), margin=WINDOW_MARGIN)
    found = [c for c in _search(http, cql.feed_query(spaces, minutes), limit)
             if c.timestamp >= since and c.user and c.user != me]
    return tuple(sorted(found, key=lambda c: (c.timestamp, str(c.ref))))


def _search(http: ConfluenceHttp, query: str, limit: int) -> Iterator[Contribution]:
    params = {"cql": query, "limit": limit, "expand": HISTORY_EXPAND}
    seen: set[tuple[str, str]] = set()
    for answer in http.pages(v1.SEARCH, params, purpose="feeds"):
        items = answer.data.get("results") if isinstance(answer.data, dict) else None
        for item in items or []:
            contribution = _contribution(item)
            key = (str(item.get("id")), contribution.revision)
            if key not in seen:  # a page edited while paging comes twice
                seen.add(key)
                yield contribution


def _contribution(item: Mapping[str, Any]) -> Contribution:
    version = item.get("version") or {}
    user, name = person(version.get("by") or {})
    space = str((item.get("space") or {}).get("key") or "")
    return Contribution(ref=PageRef(space, str(item.get("title") or "")), user=user,
                        timestamp=stamp(str(version.get("when") or "")), name=name,
                        revision=str(version.get("number") or ""))
