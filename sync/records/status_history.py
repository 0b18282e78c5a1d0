"""Status changes of rows in the records (the ideas funnel's history): when each row's
status changed, from what to what, and who changed it (the sync, from the wiki, or a
command such as `cop idea link`). Appended, never rewritten: a row's history stays when the
row is removed.

A mixin of ``Records`` (sync/records/store.py): same connection, same transactions, so a
change is recorded with the row it belongs to.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any

from msgspec import Struct


class StatusChange(Struct, frozen=True):
    """One change of a row's status: ``previous`` is "" when the row was first seen."""

    community: str
    kind: str
    key: str
    previous: str
    status: str
    at: str
    by: str = "wiki"


class StatusHistory:
    db: sqlite3.Connection

    def transaction(self) -> Any:  # provided by Records
        raise NotImplementedError

    def record_status_changes(self, community: str, kind: str,
                              changes: Iterable[tuple[str, str, str]], *, at: str,
                              by: str) -> None:
        """Append ``(key, previous, status)`` changes of ``kind``'s rows, seen ``at``."""
        rows = [(community, kind, key, previous, status, at, by)
                for key, previous, status in changes]
        if not rows:
            return
        with self.transaction():
            self.db.executemany(
                "INSERT INTO status_changes (community, kind, key, previous, status, at, by) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)", rows)

    def status_changes(self, community: str | None = None,
                       kind: str | None = None) -> list[StatusChange]:
        """The recorded changes (of a community, of a kind), oldest first."""
        sql, args = "SELECT * FROM status_changes WHERE 1 = 1", []
        for column, value in (("community", community), ("kind", kind)):
            if value is not None:
                sql, args = sql + f" AND {column} = ?", [*args, value]
        rows = self.db.execute(sql + " ORDER BY at, id", args)
        return [StatusChange(r["community"], r["kind"], r["key"], r["previous"], r["status"],
                             r["at"], r["by"]) for r in rows]

    def page_created(self, community: str, kind: str) -> str:
        """When cop-connector first recorded the page of ``kind`` ("" when unknown: not
        recorded, or recorded before the records kept it)."""
        row = self.db.execute("SELECT created_at FROM pages WHERE community = ? AND kind = ?",
                              (community, kind)).fetchone()
        return row[0] if row else ""
