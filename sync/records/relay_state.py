"""The watch's sources in the records: each source's HTTP state and the entries sources
brought (sync/relay reads and writes them; ``cop status`` and the relay's outputs read them).

A mixin of ``Records`` (sync/records/store.py): same connection, same transactions, so the
entries proposed on a page and the validators of the request that brought them are
committed together.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from typing import Any

from sync.records.model import SourceEntry, SourceState, StoredProblem

SOURCE_COLUMNS = ("community", "url", "etag", "last_modified", "checked_at", "ok_at",
                  "failures", "failing_since", "error_code", "error_params", "error", "row")
ENTRY_COLUMNS = ("community", "source", "entry_id", "link", "title", "row_key", "status",
                 "seen_at")
FEED_FIELD = "(feed)"  # RowProblem.field of a source whose feed cannot be read


class RelayRecords:
    db: sqlite3.Connection

    def transaction(self) -> Any:  # provided by Records
        raise NotImplementedError

    # --- sources' HTTP state ------------------------------------------------------------

    def source_states(self, community: str) -> dict[str, SourceState]:
        """url -> the state of each source of ``community`` the relay has asked."""
        rows = self.db.execute("SELECT * FROM source_states WHERE community = ? ORDER BY url",
                               (community,))
        return {row["url"]: _state(row) for row in rows}

    def save_source_state(self, state: SourceState) -> None:
        values = [getattr(state, column) for column in SOURCE_COLUMNS]
        values[SOURCE_COLUMNS.index("error_params")] = json.dumps(
            dict(state.error_params), ensure_ascii=False, sort_keys=True)
        marks = ", ".join("?" for _ in SOURCE_COLUMNS)
        with self.transaction():
            updates = ", ".join(f"{column} = excluded.{column}" for column in SOURCE_COLUMNS
                                if column not in ("community", "url"))
            self.db.execute(f"INSERT INTO source_states ({', '.join(SOURCE_COLUMNS)}) "
                            f"VALUES ({marks}) ON CONFLICT (community, url) DO UPDATE SET "
                            f"{updates}", values)

    def set_source_rows(self, community: str, rows: dict[str, int]) -> None:
        """Where each source stands on the Watch page now (url -> row), for its problem."""
        with self.transaction():
            self.db.executemany("UPDATE source_states SET row = ? WHERE community = ? AND "
                                "url = ?", [(row, community, url) for url, row in rows.items()])

    def forget_sources(self, community: str, keep: Iterable[str]) -> None:
        """Drop the state of the sources no longer on the Watch page (their entries stay:
        a source added again proposes nothing it proposed before)."""
        kept = set(keep)
        with self.transaction():
            for url in self.source_states(community):
                if url not in kept:
                    self.db.execute("DELETE FROM source_states WHERE community = ? AND url = ?",
                                    (community, url))

    # --- the entries sources brought ------------------------------------------------------

    def source_entries(self, community: str, source: str | None = None) -> list[SourceEntry]:
        sql, args = "SELECT * FROM source_entries WHERE community = ?", [community]
        if source is not None:
            sql, args = sql + " AND source = ?", [*args, source]
        rows = self.db.execute(sql + " ORDER BY seen_at, source, entry_id", args)
        return [SourceEntry(**{column: row[column] for column in ENTRY_COLUMNS})
                for row in rows]

    def known_entries(self, community: str) -> tuple[set[tuple[str, str]], set[str]]:
        """(source, entry id) of every entry a source of ``community`` brought, and their
        links: an entry known by either is never proposed again."""
        rows = self.db.execute("SELECT source, entry_id, link FROM source_entries "
                               "WHERE community = ?", (community,)).fetchall()
        return ({(row["source"], row["entry_id"]) for row in rows},
                {row["link"] for row in rows if row["link"]})

    def record_source_entries(self, entries: Iterable[SourceEntry]) -> None:
        """Remember entries (one already known keeps its first status)."""
        marks = ", ".join("?" for _ in ENTRY_COLUMNS)
        with self.transaction():
            self.db.executemany(
                f"INSERT INTO source_entries ({', '.join(ENTRY_COLUMNS)}) "
                f"VALUES ({marks}) ON CONFLICT (community, source, entry_id) DO NOTHING",
                [[getattr(entry, column) for column in ENTRY_COLUMNS] for entry in entries])

    # --- the sources' problems, among the Watch page's row problems -------------------------

    def replace_feed_problems(self, community: str, kind: str,
                              problems: Iterable[StoredProblem]) -> None:
        """The problems of ``kind``'s sources whose feed cannot be read now (field
        FEED_FIELD), leaving the problems of reading their rows as they are (the sync
        replaces those, and these with them, each time it reads the page: the relay
        records these again after it, in the same run)."""
        with self.transaction():
            self.db.execute("DELETE FROM row_errors WHERE community = ? AND kind = ? AND "
                            "field = ?", (community, kind, FEED_FIELD))
            self.db.executemany(
                "INSERT INTO row_errors (community, kind, page, row, line, field, message, "
                "key, detected_at, code, params, severity) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(p.community, p.kind, p.page, p.row, p.line, p.field, p.message, p.key,
                  p.detected_at, p.code, json.dumps(dict(p.params), ensure_ascii=False,
                                                    sort_keys=True), p.severity)
                 for p in problems])


def _state(row: sqlite3.Row) -> SourceState:
    values = {column: row[column] for column in SOURCE_COLUMNS}
    values["error_params"] = json.loads(values["error_params"] or "{}")
    return SourceState(**values)
