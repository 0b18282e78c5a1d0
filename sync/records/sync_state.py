"""Sync state in the records: per-page merge base, row problems, conflicts, drift, runs.

A mixin of ``Records`` (sync/records/store.py): same connection, same transactions, so the rows
and the state that describes them are always committed together.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from connector.base import PageRef
from sync.records.model import Conflict, PageState, StoredProblem, SyncRun

PAGE_COLUMNS = ("community", "kind", "space", "title", "page_id", "revision", "written_hash",
                "base", "state", "synced_at", "template_version", "regions")


class StateRecords:
    db: Any

    def transaction(self) -> Any:  # provided by Records
        raise NotImplementedError

    # --- pages ------------------------------------------------------------------------------

    def page_states(self, community: str | None = None) -> list[PageState]:
        if community is None:
            rows = self.db.execute("SELECT * FROM pages ORDER BY community, kind")
        else:
            rows = self.db.execute("SELECT * FROM pages WHERE community = ? ORDER BY kind",
                                   (community,))
        return [_page_state(row) for row in rows]

    def page_state(self, community: str, kind: str) -> PageState | None:
        row = self.db.execute("SELECT * FROM pages WHERE community = ? AND kind = ?",
                              (community, kind)).fetchone()
        return _page_state(row) if row else None

    def save_page_state(self, state: PageState) -> None:
        values = (state.community, state.kind, state.ref.space, state.ref.title, state.page_id,
                  state.revision, state.written_hash,
                  None if state.base is None else _json(state.base),
                  state.state, state.synced_at, state.template_version,
                  None if state.regions is None else _json(state.regions))
        marks = ", ".join("?" for _ in PAGE_COLUMNS)
        updates = ", ".join(f"{c} = excluded.{c}" for c in PAGE_COLUMNS[2:])
        with self.transaction():
            # created_at: set when the page is first recorded, kept by every later save
            self.db.execute(f"INSERT INTO pages ({', '.join(PAGE_COLUMNS)}, created_at) "
                            f"VALUES ({marks}, ?) ON CONFLICT (community, kind) DO UPDATE SET "
                            f"{updates}", (*values, state.synced_at))

    # --- row problems (current ones: replaced each time a page is read) -------------------

    def replace_problems(self, community: str, kind: str,
                         problems: Iterable[StoredProblem]) -> None:
        """The problems of a page of ``kind`` now: those no longer found are gone (fixed);
        one found again keeps the date it was first found (so a notice built from them
        does not change while nothing changes)."""
        found = list(problems)
        with self.transaction():
            first = {p.identity: p.detected_at for p in self._problems(
                "WHERE community = ? AND kind = ?", (community, kind))}
            self.db.execute("DELETE FROM row_errors WHERE community = ? AND kind = ?",
                            (community, kind))
            self.db.executemany(
                "INSERT INTO row_errors (community, kind, page, row, line, field, message, "
                "key, detected_at, code, params, severity) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(p.community, p.kind, p.page, p.row, p.line, p.field, p.message, p.key,
                  first.get(p.identity) or p.detected_at,
                  p.code, _json(p.params), p.severity) for p in found])

    def problems(self, community: str | None = None, *,
                 blocking: bool = False) -> list[StoredProblem]:
        """The open problems (of a community), by page kind and row; ``blocking``: only
        those that make cop-sync exit 1 (errors, not warnings)."""
        where, args = "WHERE 1 = 1", ()
        if community is not None:
            where, args = where + " AND community = ?", (community,)
        if blocking:
            where += " AND severity = 'error'"
        return self._problems(where, args)

    def _problems(self, where: str, args: tuple[str, ...]) -> list[StoredProblem]:
        rows = self.db.execute(f"SELECT * FROM row_errors {where} ORDER BY community, kind, "
                               "row, id", args)
        return [StoredProblem(**{k: json.loads(row[k]) if k == "params" else row[k]
                                 for k in StoredProblem.__struct_fields__})
                for row in rows]

    # --- conflicts ----------------------------------------------------------------------------

    def record_conflicts(self, conflicts: Sequence[Conflict], now: str) -> None:
        """Open a conflict per field, or refresh the values of the open one."""
        with self.transaction():
            for c in conflicts:
                self.db.execute(
                    "INSERT INTO conflicts (community, kind, key, field, base, wiki, local, "
                    "detected_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (community, kind, key, field) WHERE resolved_at IS NULL "
                    "DO UPDATE SET base = excluded.base, wiki = excluded.wiki, "
                    "local = excluded.local",
                    (c.community, c.kind, c.key, c.field, c.base, c.wiki, c.local, now))

    def conflicts(self, community: str | None = None, *,
                  include_resolved: bool = False) -> list[Conflict]:
        sql, args = "SELECT * FROM conflicts WHERE 1 = 1", []
        if community is not None:
            sql, args = sql + " AND community = ?", [community]
        if not include_resolved:
            sql += " AND resolved_at IS NULL"
        rows = self.db.execute(sql + " ORDER BY id", args)
        return [Conflict(**{k: row[k] for k in Conflict.__struct_fields__}) for row in rows]

    def conflict(self, conflict_id: int) -> Conflict | None:
        row = self.db.execute("SELECT * FROM conflicts WHERE id = ?", (conflict_id,)).fetchone()
        return Conflict(**{k: row[k] for k in Conflict.__struct_fields__}) if row else None

    def open_conflict_keys(self, community: str, kind: str) -> dict[str, set[str]]:
        """key -> fields with an open conflict (the merge leaves those fields alone)."""
        found: dict[str, set[str]] = {}
        for c in self.conflicts(community):
            if c.kind == kind:
                found.setdefault(c.key, set()).add(c.field)
        return found

    def resolve_conflict(self, conflict_id: int, resolution: str, now: str) -> None:
        with self.transaction():
            self.db.execute("UPDATE conflicts SET resolved_at = ?, resolution = ? "
                            "WHERE id = ?", (now, resolution, conflict_id))

    # --- drift (wiki edits to fields the records own) ------------------------------------------

    def replace_drift(self, community: str, page: str,
                      drift: Mapping[str, tuple[str, str]], now: str) -> None:
        with self.transaction():
            self.db.execute("DELETE FROM drift WHERE community = ? AND page = ?",
                            (community, page))
            self.db.executemany(
                "INSERT INTO drift (community, page, field, wiki, records, detected_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(community, page, name, wiki, local, now)
                 for name, (wiki, local) in sorted(drift.items())])

    def drift(self, community: str) -> list[dict[str, str]]:
        rows = self.db.execute("SELECT page, field, wiki, records, detected_at FROM drift "
                               "WHERE community = ? ORDER BY page, field", (community,))
        return [dict(row) for row in rows]

    # --- runs -----------------------------------------------------------------------------------

    def start_run(self, started_at: str, *, dry_run: bool) -> int:
        with self.transaction():
            row = self.db.execute("INSERT INTO sync_runs (started_at, dry_run) VALUES (?, ?) "
                                  "RETURNING id", (started_at, int(dry_run))).fetchone()
        return int(row[0])

    def finish_run(self, run_id: int, finished_at: str, exit_code: int,
                   summary: Mapping[str, object]) -> None:
        with self.transaction():
            self.db.execute("UPDATE sync_runs SET finished_at = ?, exit_code = ?, summary = ? "
                            "WHERE id = ?", (finished_at, exit_code, _json(summary), run_id))

    def last_runs(self, limit: int = 1) -> list[SyncRun]:
        rows = self.db.execute("SELECT * FROM sync_runs WHERE dry_run = 0 "
                               "ORDER BY id DESC LIMIT ?", (limit,))
        return [SyncRun(id=row["id"], started_at=row["started_at"],
                        finished_at=row["finished_at"], exit_code=row["exit_code"],
                        dry_run=bool(row["dry_run"]), summary=json.loads(row["summary"]))
                for row in rows]


def _json(data: Mapping[str, object]) -> str:
    return json.dumps(dict(data), ensure_ascii=False, sort_keys=True)


def _page_state(row: Any) -> PageState:
    return PageState(
        community=row["community"], kind=row["kind"],
        ref=PageRef(row["space"], row["title"]), page_id=row["page_id"],
        revision=row["revision"], written_hash=row["written_hash"],
        base=None if row["base"] is None else json.loads(row["base"]),
        state=row["state"], synced_at=row["synced_at"],
        template_version=_version(row["template_version"]),
        regions=None if row["regions"] is None else json.loads(row["regions"]),
    )


def _version(stored: object) -> str:
    """The column is INTEGER-typed from the first schema (SQLite keeps the text versions
    as text): 0 was "unknown", an integer the shipped version before fingerprints."""
    return "" if stored in (None, 0, "0", "") else str(stored)
