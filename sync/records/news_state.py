"""What is new, sent out: the newest rows (for the Atom feeds and the digests) and, per
recipient and community, up to when the digest was sent.

A mixin of ``Records`` (sync/records/store.py): same connection, same transactions. A
digest's marks and its line in ``digests_sent`` are committed together, right after the
mail server accepted the message: a run killed halfway leaves every accepted digest
recorded and none of the others.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from msgspec import Struct

from connector.base import PageRef
from sync.records.model import Entry, PageState

TimeColumn = Literal["updated_at", "first_seen"]


class DigestSent(Struct, frozen=True):
    """A digest the mail server accepted: to whom, when, which communities, how many items."""

    email: str
    sent_at: str
    message_id: str
    communities: tuple[str, ...]
    items: int


class NewsRecords:
    db: sqlite3.Connection

    def transaction(self) -> Any:  # provided by Records
        raise NotImplementedError

    # --- the newest rows ----------------------------------------------------------------------

    def recent_entries(self, community: str, kinds: Iterable[str], *,
                       since: str | None = None, until: str | None = None,
                       limit: int | None = None,
                       by: TimeColumn = "updated_at") -> list[Entry]:
        """Live rows of ``kinds`` whose time ``by`` (when they last changed, or when they
        were first seen) is at or after ``since`` and before ``until``, newest first, at
        most ``limit``. Half-open, so that consecutive windows neither miss nor repeat a
        row recorded in the second one ends."""
        wanted = list(kinds)
        if not wanted:
            return []
        column = "first_seen" if by == "first_seen" else "updated_at"
        marks = ", ".join("?" for _ in wanted)
        sql = (f"SELECT * FROM entries WHERE community = ? AND kind IN ({marks}) "
               "AND deleted_at IS NULL")
        args: list[object] = [community, *wanted]
        if since is not None:
            sql, args = sql + f" AND {column} >= ?", [*args, since]
        if until is not None:
            sql, args = sql + f" AND {column} < ?", [*args, until]
        # ties broken the index's way (entries_recent), so that no sort is needed however
        # many rows one sync recorded at the same second, and the order is always the same
        sql += f" ORDER BY {column} DESC, kind DESC, key DESC"
        if limit is not None:
            sql, args = sql + " LIMIT ?", [*args, limit]
        return [_entry(row) for row in self.db.execute(sql, args)]

    def page_places(self, community: str) -> list[PageState]:
        """The community's pages as ``page_states`` gives them, without their merge base
        (which can be large, and links need only where the pages are)."""
        rows = self.db.execute(
            "SELECT community, kind, space, title, page_id, revision, state, synced_at "
            "FROM pages WHERE community = ? ORDER BY kind", (community,))
        return [PageState(community=row["community"], kind=row["kind"],
                          ref=PageRef(row["space"], row["title"]), page_id=row["page_id"],
                          revision=row["revision"], state=row["state"],
                          synced_at=row["synced_at"]) for row in rows]

    # --- digests ------------------------------------------------------------------------------

    def digest_marks(self, email: str | None = None) -> dict[tuple[str, str], str]:
        """(e-mail, community) -> the time up to which that recipient's digest of that
        community was sent. E-mails are compared lower-case."""
        sql, args = "SELECT email, community, sent_until FROM digest_marks", ()
        if email is not None:
            sql, args = sql + " WHERE email = ?", (email.lower(),)
        return {(row[0], row[1]): row[2] for row in self.db.execute(sql, args)}

    def record_digest(self, email: str, until: Mapping[str, str], *, sent_at: str,
                      message_id: str, items: int) -> None:
        """A digest accepted by the mail server: each community's mark moves to its
        ``until`` time, and the message is logged, in one transaction."""
        address = email.lower()
        with self.transaction():
            self.db.executemany(
                "INSERT INTO digest_marks (email, community, sent_until, sent_at, message_id) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (email, community) DO UPDATE SET "
                "sent_until = excluded.sent_until, sent_at = excluded.sent_at, "
                "message_id = excluded.message_id",
                [(address, slug, mark, sent_at, message_id) for slug, mark in until.items()])
            self.db.execute(
                "INSERT INTO digests_sent (email, sent_at, message_id, communities, items) "
                "VALUES (?, ?, ?, ?, ?)",
                (address, sent_at, message_id, json.dumps(sorted(until)), items))

    def digests_sent(self, email: str | None = None) -> list[DigestSent]:
        """The digests accepted so far (of one recipient), oldest first."""
        sql, args = "SELECT * FROM digests_sent", ()
        if email is not None:
            sql, args = sql + " WHERE email = ?", (email.lower(),)
        rows = self.db.execute(sql + " ORDER BY id", args)
        return [DigestSent(email=row["email"], sent_at=row["sent_at"],
                           message_id=row["message_id"],
                           communities=tuple(json.loads(row["communities"])),
                           items=row["items"]) for row in rows]


def _entry(row: sqlite3.Row) -> Entry:
    return Entry(community=row["community"], kind=row["kind"], key=row["key"],
                 data=json.loads(row["data"]), origin=row["origin"],
                 first_seen=row["first_seen"], updated_at=row["updated_at"],
                 deleted_at=row["deleted_at"], deleted_by=row["deleted_by"])

