"""Every migration keeps to the SQL both engines read (the rules in sync/records/schema.py and
docs/design.md): checked here without a server, so a migration written for SQLite alone fails
on any machine, not only where PostgreSQL runs. tests/integration/test_records_engines.py then
applies them all on a real PostgreSQL and compares the schema with SQLite's."""

from __future__ import annotations

import re

import pytest

from sync.records.schema import MIGRATIONS
from sync.records.sqlite_engine import split_statements

# What only SQLite reads, and what to write instead.
SQLITE_ONLY = (
    (r"\bINSERT\s+OR\b|\bREPLACE\s+INTO\b", "INSERT ... ON CONFLICT (...) DO UPDATE/NOTHING"),
    (r"\bPRAGMA\b", "no PRAGMA (the runner keeps the version)"),
    (r"\bAUTOINCREMENT\b", "INTEGER PRIMARY KEY"),
    (r"\browid\b|\boid\b", "a column of the table"),
    (r"\bWITHOUT\s+ROWID\b|\)\s*STRICT\b", "a plain CREATE TABLE"),
    (r"\b(datetime|date|time|julianday|strftime|unixepoch)\s*\(",
     "times as ISO 8601 UTC text written by the code (sync/clock.py)"),
    (r"\b(ifnull|instr|group_concat|printf|typeof|randomblob|hex|glob|json_each|json_tree|"
     r"json_set|json_insert|json_replace|json_remove|json_patch|json_object|json_array|"
     r"json_group_array|json_group_object)\s*\(",
     "a function both have (coalesce, substr, lower, length...) or the work in Python"),
    (r"\bGLOB\b", "LIKE"),
    (r"`|\[\w+\]", '"identifier"'),
    (r"\bCREATE\s+(TEMP|TEMPORARY\s+)?VIEW\s+IF\s+NOT\s+EXISTS\b|"
     r"\bCREATE\s+OR\s+REPLACE\s+VIEW\b", "DROP VIEW name; then CREATE VIEW"),
    (r"\bBOOLEAN\b|\bTRUE\b|\bFALSE\b", "INTEGER 0/1"),
    (r"\b(BLOB|DATETIME|TIMESTAMP|VARCHAR|JSONB?)\b", "TEXT or INTEGER"),
    (r"\bCREATE\s+TRIGGER\b", "the rule in the code (a trigger's body differs on each engine)"),
)

# Column names PostgreSQL reserves (SQLite accepts most of them unquoted).
RESERVED = {"all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric",
            "both", "case", "cast", "check", "collate", "column", "constraint", "create",
            "current_date", "current_role", "current_time", "current_timestamp",
            "current_user", "default", "deferrable", "desc", "distinct", "do", "else", "end",
            "except", "false", "fetch", "for", "foreign", "from", "grant", "group", "having",
            "in", "initially", "intersect", "into", "lateral", "leading", "limit",
            "localtime", "localtimestamp", "not", "null", "offset", "on", "only", "or",
            "order", "placing", "primary", "references", "returning", "select",
            "session_user", "some", "symmetric", "table", "then", "to", "trailing", "true",
            "union", "unique", "user", "using", "variadic", "when", "where", "window", "with"}
COLUMN = re.compile(r"(?:^|,|\(|ADD\s+COLUMN)\s*(\w+)\s+(?:TEXT|INTEGER|REAL)\b", re.I | re.M)


def _without_literals(statement: str) -> str:
    return re.sub(r"'[^']*'", "''", statement)


@pytest.mark.parametrize("number", range(1, len(MIGRATIONS) + 1))
def test_each_migration_is_written_in_the_sql_both_engines_read(number: int) -> None:
    for statement in split_statements(MIGRATIONS[number - 1]):
        code = _without_literals(statement)
        for pattern, instead in SQLITE_ONLY:
            found = re.search(pattern, code, re.I)
            assert found is None, (f"migration {number}: {found[0]!r} is SQLite's own; "
                                   f"write {instead}\n{statement}")
        for name in COLUMN.findall(code):
            assert name.lower() not in RESERVED, (
                f"migration {number}: the column {name!r} is a reserved word in PostgreSQL")


def test_the_checks_catch_what_they_name() -> None:
    bad = ("INSERT OR REPLACE INTO t VALUES (1)", "CREATE TABLE t (id INTEGER PRIMARY KEY "
           "AUTOINCREMENT)", "UPDATE t SET at = datetime('now')", "SELECT ifnull(a, '')",
           "CREATE TABLE t (a TEXT) STRICT", "CREATE VIEW IF NOT EXISTS v AS SELECT 1")
    for statement in bad:
        assert any(re.search(p, _without_literals(statement), re.I) for p, _ in SQLITE_ONLY)
    assert COLUMN.findall("CREATE TABLE t (\n user TEXT NOT NULL,\n n INTEGER)") == ["user", "n"]
    assert COLUMN.findall("ALTER TABLE t ADD COLUMN \"order\" TEXT") == []  # quoted: fine
    # what main's and the coming branches' migrations use passes
    code = _without_literals("ALTER TABLE pages ADD COLUMN regions TEXT CHECK (regions IS NULL "
                             "OR json_valid(regions)); CREATE INDEX i ON entries (community, "
                             "updated_at); DROP VIEW members")
    assert not any(re.search(p, code, re.I) for p, _ in SQLITE_ONLY)
