"""The local records: an SQLite file or a PostgreSQL database, with a versioned schema.

One ``Records`` object per process. Writes happen inside ``transaction()`` (one writer at a
time on both engines), so a crash at any point leaves either the old or the new state,
never half of it. The two engines (engines.py) take the same SQL.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from connector.errors import RecordsChanged, RecordsError
from sync.records import sqlite_engine
from sync.records.engines import Connection, Engine, is_url, redacted
from sync.records.method_state import MethodRecords
from sync.records.model import Community, Entry
from sync.records.news_state import NewsRecords
from sync.records.relay_state import RelayRecords
from sync.records.schema import MIGRATIONS, SCHEMA_VERSION
from sync.records.status_history import StatusHistory
from sync.records.sync_state import StateRecords

COMMUNITY_COLUMNS = ("slug", "name", "theme", "axes", "objectives", "scope", "pilot", "expert",
                     "sponsor", "status", "account", "backend", "lang", "space", "namespace_id",
                     "space_id", "created_at", "updated_at", "is_pilot", "theme_slug")


class Records(StateRecords, MethodRecords, NewsRecords, StatusHistory, RelayRecords):
    """Communities and their rows (this module), page state and sync history, the
    method's themes, decisions and seminars, what was sent out, rows' status changes and
    the watch sources' state (the mixins)."""

    def __init__(self, connection: Connection | sqlite3.Connection, path: str,
                 engine: Engine | None = None) -> None:
        self.db: Any = connection
        self.path = path  # the file, or the URL without its password: for messages
        self.engine: Engine = engine or sqlite_engine.SqliteEngine(connection, path)  # type: ignore[arg-type]

    @classmethod
    def open(cls, where: Path | str, *, create: bool = True,
             password: str | None = None) -> Records:
        """Open the records at ``where`` (an SQLite file, ``:memory:``, or a
        ``postgresql://`` URL, whose password comes from libpq's sources or ``password``),
        migrating as needed. ``create``: make them when missing (the file and its
        directory; the tables in the database), else missing records raise RecordsMissing
        (the CLI creates the records only in ``cop init``: a mistyped path must not start
        an empty database). Raises RecordsError."""
        if is_url(where):
            db, engine = _postgres(str(where)).connect(str(where), create=create,
                                                       password=password)
        else:
            db, engine = sqlite_engine.connect(str(where), create=create)
        records = cls(db, engine.where, engine)
        try:
            records._migrate()
        except engine.errors as error:  # a migration the database refused
            records.close()
            raise RecordsError(str(error), path=engine.where) from error
        except BaseException:
            records.close()
            raise
        return records

    @staticmethod
    def exist(where: Path | str, *, password: str | None = None) -> bool:
        """Whether records are there already (``cop init`` creates them once)."""
        if is_url(where):
            return _postgres(str(where)).exists(str(where), password)
        return sqlite_engine.exists(str(where))

    def close(self) -> None:
        self.db.close()

    def _migrate(self) -> None:
        """Apply the migrations this database lacks, each in its own transaction (the
        version is read again inside it: two processes opening old records at once
        migrate them once). Up to date, it takes no write lock: a reader never waits."""
        while self._version() < SCHEMA_VERSION:
            with self.transaction():
                version = self._version()
                if version == SCHEMA_VERSION:
                    return
                for statement in self.engine.migration_statements(MIGRATIONS[version]):
                    self.db.execute(statement)
                self.engine.set_schema_version(version + 1)

    def _version(self) -> int:
        version = self.engine.schema_version()
        if version > SCHEMA_VERSION:
            raise RecordsError(f"schema version {version} is newer than this cop-connector "
                               f"({SCHEMA_VERSION}); upgrade cop-connector", path=self.path)
        return version

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """All-or-nothing writes, one writer at a time. Nested calls join the outer
        transaction."""
        if self.engine.in_transaction():
            yield self.db
            return
        self.engine.begin()
        try:
            yield self.db
        except BaseException:
            self.engine.rollback()
            raise
        self.engine.commit()

    @staticmethod
    def check_unchanged(what: str, found: object, expected: object) -> None:
        """The optimistic check of a read-modify-write (inside its transaction, where no
        other writer can come between): raises RecordsChanged if the record is no longer
        what the command read."""
        if found != expected:
            raise RecordsChanged(what)

    # --- communities ---------------------------------------------------------------------

    def add_community(self, community: Community) -> None:
        values = [_column(community, column) for column in COMMUNITY_COLUMNS]
        marks = ", ".join("?" for _ in COMMUNITY_COLUMNS)
        with self.transaction():
            self.db.execute(f"INSERT INTO communities ({', '.join(COMMUNITY_COLUMNS)}) "
                            f"VALUES ({marks})", values)

    def save_community(self, community: Community, *,
                       expected: Community | None = None) -> None:
        """Save a changed community. ``expected``: the community as the command read it;
        if the records hold something else now, RecordsChanged (nothing saved)."""
        assignments = ", ".join(f"{column} = ?" for column in COMMUNITY_COLUMNS[1:])
        values = [_column(community, column) for column in COMMUNITY_COLUMNS[1:]]
        with self.transaction():
            if expected is not None:
                self.check_unchanged(f"community {community.slug}",
                                     self.community(community.slug), expected)
            self.db.execute(f"UPDATE communities SET {assignments} WHERE slug = ?",
                            [*values, community.slug])

    def community(self, slug: str) -> Community | None:
        row = self.db.execute("SELECT * FROM communities WHERE slug = ?", (slug,)).fetchone()
        return _community(row) if row else None

    def communities(self) -> list[Community]:
        rows = self.db.execute("SELECT * FROM communities ORDER BY created_at, slug")
        return [_community(row) for row in rows]

    def used_namespace_ids(self) -> set[int]:
        rows = self.db.execute("SELECT namespace_id FROM communities "
                               "WHERE namespace_id IS NOT NULL")
        return {row[0] for row in rows}

    def watermark(self, slug: str) -> str | None:
        row = self.db.execute("SELECT watermark FROM communities WHERE slug = ?",
                              (slug,)).fetchone()
        return row[0] if row else None

    def set_watermark(self, slug: str, watermark: str) -> None:
        with self.transaction():
            self.db.execute("UPDATE communities SET watermark = ? WHERE slug = ?",
                            (watermark, slug))

    # --- entries (rows of every kind) --------------------------------------------------------

    def entries(self, community: str, kind: str | None = None, *,
                include_deleted: bool = False) -> list[Entry]:
        sql = "SELECT * FROM entries WHERE community = ?"
        args: list[object] = [community]
        if kind is not None:
            sql += " AND kind = ?"
            args.append(kind)
        if not include_deleted:
            sql += " AND deleted_at IS NULL"
        rows = self.db.execute(sql + " ORDER BY kind, first_seen, key", args)
        return [_entry(row) for row in rows]

    def live_rows(self, community: str, kind: str) -> dict[str, dict[str, str]]:
        return {e.key: dict(e.data) for e in self.entries(community, kind)}

    def entry_kinds(self, community: str, prefix: str) -> list[str]:
        """The row keys of ``community`` starting with ``prefix`` ("actions@": the actions
        of every seminar), in order."""
        rows = self.db.execute("SELECT DISTINCT kind FROM entries WHERE community = ? AND "
                               "substr(kind, 1, ?) = ? ORDER BY kind",
                               (community, len(prefix), prefix))
        return [row[0] for row in rows]

    def upsert_entry(self, community: str, kind: str, key: str, data: Mapping[str, str], *,
                     origin: str, now: str) -> None:
        """Insert or update a row; an upsert brings a tombstoned row back to life."""
        self.upsert_entries(community, kind, {key: data}, origin=origin, now=now)

    def upsert_entries(self, community: str, kind: str,
                       rows: Mapping[str, Mapping[str, str]], *, origin: str,
                       now: str) -> int:
        """Insert or update rows (one statement for all); an upsert brings a tombstoned row
        back to life. A row whose filled values did not change keeps its ``updated_at``:
        a field a template upgrade added, still empty, is no activity. Returns how many
        rows are new or changed."""
        if not rows:
            return 0
        with self.transaction():
            query = ("SELECT key, data FROM entries WHERE community = ? AND kind = ? AND "
                     "deleted_at IS NULL")
            params: tuple[str, ...] = (community, kind)
            if len(rows) == 1:  # one row (a command's): not the whole kind
                query, params = query + " AND key = ?", (*params, *rows)
            stored = dict(self.db.execute(query, params).fetchall())
            values = [(community, kind, key, encoded, origin, now, now,
                       _changed(stored.get(key), encoded))
                      for key, data in rows.items() for encoded in [_json(data)]]
            self.db.executemany(
                "INSERT INTO entries (community, kind, key, data, origin, first_seen, "
                "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (community, kind, key) DO UPDATE SET data = excluded.data, "
                "updated_at = CASE WHEN ? THEN excluded.updated_at ELSE entries.updated_at "
                "END, deleted_at = NULL, deleted_by = NULL", values)
        return sum(changed for *_, changed in values)

    def tombstone_entry(self, community: str, kind: str, key: str, *, by: str,
                        now: str) -> None:
        """Mark a row deleted; its data stays (nothing recorded is ever dropped)."""
        with self.transaction():
            self.db.execute(
                "UPDATE entries SET deleted_at = ?, deleted_by = ?, updated_at = ? "
                "WHERE community = ? AND kind = ? AND key = ? AND deleted_at IS NULL",
                (now, by, now, community, kind, key))

    def rename_entry(self, community: str, kind: str, old: str, new: str) -> None:
        """Give a row its key as spelled now (a key recorded before web addresses kept
        their case in keys, see page_templates.values.row_key): data, dates and tombstone
        stay. ``new`` must not be a key of that kind already."""
        with self.transaction():
            for table in ("entries", "status_changes"):  # the row and its history
                self.db.execute(f"UPDATE {table} SET key = ? WHERE community = ? AND "
                                "kind = ? AND key = ?", (new, community, kind, old))

    def tombstoned_rows(self, community: str, kind: str, *, by: str) -> dict[str, dict[str, str]]:
        """key -> data of the rows tombstoned by ``by`` (e.g. 'page-deleted')."""
        return {e.key: dict(e.data) for e in self.entries(community, kind, include_deleted=True)
                if not e.live and e.deleted_by == by}

    def revive_entries(self, community: str, kind: str, *, by: str, now: str) -> int:
        """Bring the rows tombstoned by ``by`` back to life; how many."""
        with self.transaction():
            cursor = self.db.execute(
                "UPDATE entries SET deleted_at = NULL, deleted_by = NULL, updated_at = ? "
                "WHERE community = ? AND kind = ? AND deleted_by = ? AND deleted_at IS NOT NULL",
                (now, community, kind, by))
        return cursor.rowcount


def _postgres(url: str) -> Any:
    """The PostgreSQL engine, imported (with its driver) only for a database URL."""
    try:
        from sync.records import postgres  # noqa: PLC0415 - the driver only for a URL
    except ModuleNotFoundError as missing:
        if not (missing.name or "").startswith("psycopg"):
            raise
        raise RecordsError("the PostgreSQL driver is not installed: pip install "
                           "'cop-connector[postgresql]'", path=redacted(url)) from None
    return postgres


# One encoder for every row: json.dumps with options builds a new one per call.
_ENCODER = json.JSONEncoder(ensure_ascii=False, sort_keys=True)


def _json(data: Mapping[str, object]) -> str:
    return _ENCODER.encode(dict(data))


def _changed(stored: str | None, encoded: str) -> bool:
    """Whether a live row's filled values differ (None: no live row, so it is new)."""
    if stored is None:
        return True
    if stored == encoded:
        return False
    def filled(text: str) -> dict[str, object]:
        return {k: v for k, v in json.loads(text).items() if v not in ("", None)}
    return filled(stored) != filled(encoded)


def _column(community: Community, column: str) -> object:
    """A community's value as both engines store it (a flag as 0/1, as SQLite does)."""
    value = getattr(community, column)
    return int(value) if isinstance(value, bool) else value


def _community(row: Any) -> Community:
    values = {column: row[column] for column in COMMUNITY_COLUMNS}
    values["is_pilot"] = bool(values["is_pilot"])
    return Community(**values)


def _entry(row: Any) -> Entry:
    return Entry(community=row["community"], kind=row["kind"], key=row["key"],
                 data=json.loads(row["data"]), origin=row["origin"],
                 first_seen=row["first_seen"], updated_at=row["updated_at"],
                 deleted_at=row["deleted_at"], deleted_by=row["deleted_by"])
