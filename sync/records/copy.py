"""``cop records copy``: the records moved to another database (an SQLite file to PostgreSQL,
and back), checked row for row before anything is committed.

Every table of the schema is copied as it is — ids, times, JSON text — so the records read
the same from either side (``cop export`` gives the same bytes). The source is read in one
snapshot; the target is written in one transaction, and only committed once each of its
tables holds exactly the source's rows (same count, same digest of the rows' values).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from typing import Any

from msgspec import Struct

from connector.errors import RecordsError, UsageError
from sync.records.schema import MIGRATIONS
from sync.records.store import Records

# The tables in the order the migrations create them: a table is copied after those it
# references.
TABLES = tuple(dict.fromkeys(re.findall(r"\bCREATE TABLE (\w+)", "\n".join(MIGRATIONS))))
TEXT_TYPES = ("text", "character varying", "varchar")


class TableCopy(Struct, frozen=True):
    table: str
    rows: int
    digest: str  # sha256 of the table's rows (values as text, sorted): equal on both sides


def copy_records(source: Records, target: Records) -> list[TableCopy]:
    """Copy every row of ``source`` into ``target``, which must hold no records yet, and
    check that both hold the same rows. Raises UsageError (the target is not empty) or
    RecordsError (the check failed: nothing was committed)."""
    _check_empty(target)
    with source.engine.snapshot(), target.transaction():
        copied = [_copy_table(source, target, table) for table in TABLES]
        target.engine.after_copy(list(TABLES))
        for table in copied:
            found = table_digest(target, table.table)
            if found != table:
                raise RecordsError(f"the copy of table {table.table} differs from the source "
                                   f"({found.rows} rows for {table.rows}): nothing was "
                                   "committed", path=target.path)
    return copied


def table_digest(records: Records, table: str) -> TableCopy:
    """How many rows ``table`` holds, and a digest of them that does not depend on the
    engine (each value as text, the rows sorted)."""
    columns = sorted(records.engine.column_types(table))
    rows = records.db.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall()
    lines = sorted(json.dumps([None if v is None else str(v) for v in row], ensure_ascii=False)
                   for row in rows)
    digest = hashlib.sha256("\n".join(lines).encode()).hexdigest()
    return TableCopy(table, len(lines), digest)


def _check_empty(target: Records) -> None:
    for table in TABLES:
        if target.db.execute(f"SELECT 1 FROM {table} LIMIT 1").fetchone():
            raise UsageError(f"{target.path} already holds records (table {table} has rows): "
                             "copy into a new file or an empty database")


def _copy_table(source: Records, target: Records, table: str) -> TableCopy:
    types = target.engine.column_types(table)
    columns = [c for c in source.engine.column_types(table) if c in types]
    rows = source.db.execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall()
    if rows:
        marks = ", ".join("?" for _ in columns)
        target.db.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})",
                              [_values(row, [types[c] for c in columns]) for row in rows])
    return table_digest(source, table)


def _values(row: Sequence[Any], types: list[str]) -> tuple[Any, ...]:
    """A row as the target's columns take it: SQLite keeps e.g. a template version "1" as
    the integer 1 in a column PostgreSQL declares text."""
    return tuple(str(v) if v is not None and kind in TEXT_TYPES and not isinstance(v, str)
                 else v for v, kind in zip(row, types, strict=True))
