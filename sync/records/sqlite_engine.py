"""The records in an SQLite file (the default engine).

WAL mode lets ``cop status`` read while ``cop-sync`` writes; BEGIN IMMEDIATE takes the write
lock when a transaction starts, so a transaction that reads then writes is never overtaken
by another writer; ``PRAGMA user_version`` holds the schema version.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from connector.errors import RecordsError, RecordsMissing

BUSY_SECONDS = 30  # how long a writer waits for another one (PostgreSQL: lock_timeout)


def connect(where: str, *, create: bool) -> tuple[sqlite3.Connection, SqliteEngine]:
    """Open the file (``:memory:`` for a database in memory). ``create``: make the file and
    its directory when missing; else a missing file raises RecordsMissing. Raises
    RecordsError."""
    try:
        if where == ":memory:":
            db = sqlite3.connect(where, isolation_level=None, timeout=BUSY_SECONDS)
        elif create:
            Path(where).parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(where, isolation_level=None, timeout=BUSY_SECONDS)
        else:
            if not Path(where).is_file():
                raise RecordsMissing("no records database there", path=where)
            # mode=rw: never create it, even if it vanished since the check above
            db = sqlite3.connect(Path(where).resolve().as_uri() + "?mode=rw", uri=True,
                                 isolation_level=None, timeout=BUSY_SECONDS)
            if not _holds_records(db):  # before anything is written into someone's file
                db.close()
                raise RecordsMissing("no cop-connector records in this file", path=where)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA foreign_keys = ON")
        if where != ":memory:":
            db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = FULL")
    except OSError as error:
        raise RecordsError(f"cannot create it: {error.strerror or error}",
                           path=where) from error
    except sqlite3.Error as error:
        raise RecordsError(str(error), path=where) from error
    return db, SqliteEngine(db, where)


def _holds_records(db: sqlite3.Connection) -> bool:
    """Whether the file is a records database: migrations numbered it (an empty file, or
    another application's database, is 0). Reading it writes nothing."""
    return bool(db.execute("PRAGMA user_version").fetchone()[0])


def exists(where: str) -> bool:
    """Whether records are there (``cop init`` creates them only once; in an empty file it
    makes them, anything else already there it leaves alone)."""
    path = Path(where)
    return where == ":memory:" or (path.exists() and not (path.is_file()
                                                           and path.stat().st_size == 0))


class SqliteEngine:
    name = "sqlite"
    errors: tuple[type[Exception], ...] = (sqlite3.Error,)

    def __init__(self, db: sqlite3.Connection, where: str) -> None:
        self.db = db
        self.where = where

    def schema_version(self) -> int:
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    def set_schema_version(self, version: int) -> None:
        self.db.execute(f"PRAGMA user_version = {int(version)}")

    def migration_statements(self, script: str) -> list[str]:
        return split_statements(script)

    def in_transaction(self) -> bool:
        return self.db.in_transaction

    def begin(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def commit(self) -> None:
        self.db.execute("COMMIT")

    def rollback(self) -> None:
        self.db.execute("ROLLBACK")

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        self.db.execute("BEGIN")  # deferred: in WAL mode, reads one moment, blocks no one
        try:
            yield
        finally:
            self.db.execute("ROLLBACK")

    def column_types(self, table: str) -> dict[str, str]:
        rows = self.db.execute("SELECT name, type FROM pragma_table_info(?)", (table,))
        return {row[0]: row[1].lower() for row in rows}

    def after_copy(self, tables: list[str]) -> None:
        """Nothing to do: an INTEGER PRIMARY KEY continues after the largest id."""


def split_statements(script: str) -> list[str]:
    """Split a migration into statements (sqlite3.complete_statement knows SQL quoting)."""
    statements, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    return [s for s in statements if s]
