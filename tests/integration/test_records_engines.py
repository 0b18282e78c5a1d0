"""The same records on SQLite and on PostgreSQL: the same rows, in the same order, read back
the same (types, times, JSON, keys that sort differently under a linguistic collation);
migrations that run on both; the optimistic checks of two managers at once; and the copy
from one engine to the other and back.

These tests open an SQLite file and a database of the throwaway cluster side by side, so
they run once, whatever COP_TEST_RECORDS says.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from postgres_server import PASSWORD

from connector.base import PageRef
from connector.errors import RecordsChanged, RecordsError, RecordsMissing, UsageError
from page_templates import shipped
from sync.records import postgres
from sync.records.copy import TABLES, copy_records, table_digest
from sync.records.engines import redacted
from sync.records.export import export_csv, export_json
from sync.records.model import Community, Conflict, Decision, PageState, StoredProblem, Theme
from sync.records.schema import MIGRATIONS, SCHEMA_VERSION
from sync.records.store import Records

pytestmark = pytest.mark.both_engines

T1, T2, T3 = "2026-01-01T09:00:00Z", "2026-01-02T10:00:00Z", "2026-01-03T11:00:00Z"
# Keys whose order differs between byte order and a linguistic collation (en-US): a web
# address keeps its case in keys; punctuation and accents count.
WATCH_KEYS = ("https://Example.org/B", "https://example.org/a", "https://example.org/-c",
              "https://example.org/é", "https://example.org/Z")


@pytest.fixture
def database(pg_database: str) -> str:
    return pg_database


def fill(records: Records) -> None:
    """The same story on any engine: communities, rows of every kind, tombstones, merge
    bases, problems, conflicts, drift, runs, themes, decisions."""
    templates = shipped()
    assert templates is not None
    for slug, created in (("battery", T1), ("Hydrogen", T1), ("anode", T2)):
        records.add_community(Community(
            slug=slug, name=f"{slug} — énergie", theme="Energy", pilot="p@x.io",
            expert="e@x.io", backend="mediawiki", lang="fr", space=f"CoP_{slug}",
            namespace_id=3000 + 2 * len(slug), created_at=created, updated_at=created,
            is_pilot=slug == "battery"))
    records.upsert_entries("battery", "members", {
        "zoé@x.io": {"email": "zoé@x.io", "name": "Zoé", "since": "2026-01"},
        "Ann@x.io": {"email": "ann@x.io", "name": "Ann «A»", "role": "pilot"},
        "bob@x.io": {"email": "bob@x.io", "name": "Bob", "extra": "{\"json\": [1]}"}},
        origin="wiki", now=T1)
    records.upsert_entries("battery", "watch", {key: {"url": key, "title": key[-1]}
                                                for key in WATCH_KEYS}, origin="wiki", now=T2)
    records.tombstone_entry("battery", "watch", WATCH_KEYS[1], by="wiki", now=T3)
    records.upsert_entry("anode", "attendance@2026", "a@x.io", {"hours": "3"},
                         origin="command", now=T3)
    records.save_page_state(PageState("battery", "watch", PageRef("CoP_battery", "Veille"),
                                      page_id="12", revision="345", written_hash="h",
                                      base={"k": {"url": "k"}}, synced_at=T2,
                                      template_version="1.0-3fa2b1c9"))
    records.save_page_state(PageState("battery", "members", PageRef("CoP_battery", "Membres"),
                                      template_version="1"))
    records.replace_problems("battery", "watch", [
        StoredProblem("battery", "watch", "Veille", 3, "date", "not a date", line=7,
                      detected_at=T2),
        StoredProblem("battery", "watch", "Veille", 3, "url", "not a URL", detected_at=T2)])
    records.record_conflicts([Conflict("battery", "members", "bob@x.io", "name", "B", "Bob",
                                       "Robert")], T2)
    records.replace_drift("battery", "Charte", {"sponsor": ("X", "Y")}, T3)
    run = records.start_run(T1, dry_run=False)
    records.finish_run(run, T2, 1, {"pages_read": 2, "note": "é"})
    records.set_watermark("battery", T2)
    records.add_theme(Theme("storage", "Stockage", "Energy", created_at=T1))
    records.add_theme(Theme("Aero", "Aéro", "Mobility", created_at=T1))
    records.add_decision(Decision("theme", "storage", "approved", "proposed", "CEO", "ok", T2))


def snapshot(records: Records) -> dict[str, object]:
    """Everything the code reads back, and the tables' digests."""
    templates = shipped()
    communities = records.communities()
    exported = export_json(records, templates, communities, include_deleted=True)
    exported.pop("exported_at")
    return {
        "communities": communities,
        "entries": [records.entries(c.slug, include_deleted=True) for c in communities],
        "pages": records.page_states(), "problems": records.problems(),
        "conflicts": records.conflicts(include_resolved=True), "drift":
        records.drift("battery"), "runs": records.last_runs(5), "themes": records.themes(),
        "decisions": records.decisions("theme"), "watermark": records.watermark("battery"),
        "kinds": records.entry_kinds("anode", "attendance@"),
        "json": exported, "csv": export_csv(records, templates, communities,
                                            include_deleted=True),
        "digests": [table_digest(records, table) for table in TABLES],
    }


def test_both_engines_read_back_the_same_records(tmp_path: Path, database: str) -> None:
    lite, pg = Records.open(tmp_path / "cop.db"), Records.open(database)
    try:
        fill(lite)
        fill(pg)
        ours, theirs = snapshot(lite), snapshot(pg)
        assert ours == theirs
        keys = [e.key for e in pg.entries("battery", "watch", include_deleted=True)]
        assert keys == sorted(WATCH_KEYS)  # byte order, not the database's en-US
        assert [c.slug for c in pg.communities()] == ["Hydrogen", "battery", "anode"]
        assert pg.page_state("battery", "watch").template_version == "1.0-3fa2b1c9"
        assert pg.page_state("battery", "members").template_version == "1"
        assert pg.community("battery").is_pilot is True
    finally:
        lite.close()
        pg.close()


def test_the_views_give_each_kind_its_columns_on_both(tmp_path: Path, database: str) -> None:
    lite, pg = Records.open(tmp_path / "cop.db"), Records.open(database)
    try:
        for records in (lite, pg):
            fill(records)
        query = ("SELECT key, email, name FROM members ORDER BY key")
        assert [tuple(r) for r in lite.db.execute(query)] == \
            [tuple(r) for r in pg.db.execute(query)]
        seminar = "SELECT community, seminar, hours FROM attendance"
        assert [tuple(r) for r in pg.db.execute(seminar)] == [("anode", 2026, "3")]
    finally:
        lite.close()
        pg.close()


def _schema(records: Records) -> dict[str, list[str]]:
    """Every table's and view's columns, in order (what a migration made)."""
    if records.engine.name == "sqlite":
        names = [r[0] for r in records.db.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
            "AND name NOT LIKE 'sqlite_%'")]
        return {n: [r[1] for r in records.db.execute(f'PRAGMA table_info("{n}")')]
                for n in names}
    rows = records.db.execute(
        "SELECT table_name, column_name FROM information_schema.columns WHERE "
        "table_schema = current_schema() AND table_name <> 'schema_version' "
        "ORDER BY table_name, ordinal_position").fetchall()
    schema: dict[str, list[str]] = {}
    for table, column in rows:
        schema.setdefault(table, []).append(column)
    return schema


def test_every_migration_builds_the_same_tables_and_views_on_both(tmp_path: Path,
                                                                   database: str) -> None:
    """Any migration appended to schema.py runs on PostgreSQL as it is (the runner is the
    same): the tables, views and columns it makes are those it makes on SQLite."""
    lite, pg = Records.open(tmp_path / "cop.db"), Records.open(database)
    try:
        assert pg.engine.schema_version() == lite.engine.schema_version() == SCHEMA_VERSION
        assert _schema(pg) == _schema(lite)
        valid = "SELECT json_valid(NULL), json_valid('x'), json_valid('{\"a\": [1]}')"
        assert [bool(v) for v in pg.db.execute(valid).fetchone()] == \
            [bool(v) for v in lite.db.execute(valid).fetchone()] == [False, False, True]
    finally:
        lite.close()
        pg.close()


def test_a_migration_the_database_refuses_is_a_records_error(database: str, monkeypatch
                                                              ) -> None:
    monkeypatch.setattr("sync.records.store.MIGRATIONS", (*MIGRATIONS, "CREATE TABLE (x);"))
    monkeypatch.setattr("sync.records.store.SCHEMA_VERSION", SCHEMA_VERSION + 1)
    with pytest.raises(RecordsError, match="syntax error"):
        Records.open(database)


def test_bad_json_is_refused_by_both(tmp_path: Path, database: str) -> None:
    for where in (tmp_path / "cop.db", database):
        records = Records.open(where)
        fill(records)
        with pytest.raises(Exception, match=r"(?i)json|CHECK"):
            records.db.execute("UPDATE entries SET data = 'not json'")
        records.close()


def test_an_older_postgresql_schema_migrates_with_its_rows(database: str) -> None:
    db, engine = postgres.connect(database, create=True)
    for number in range(2):  # the records as issue 7 left them
        for statement in engine.migration_statements(MIGRATIONS[number]):
            db.execute(statement)
    engine.set_schema_version(2)
    db.execute("INSERT INTO communities (slug, name, pilot, expert, backend, lang, space, "
               "created_at, updated_at) VALUES ('old', 'Old', 'p@x.io', 'e@x.io', "
               "'mediawiki', 'en', 'CoP_Old', '2025-01-01T00:00:00Z', '')")
    db.close()
    records = Records.open(database, create=False)
    assert records.engine.schema_version() == SCHEMA_VERSION
    old = records.community("old")
    assert old is not None and (old.status, old.is_pilot, old.theme_slug) == \
        ("active", False, None)
    records.close()


def test_a_database_without_records_is_not_opened_but_by_cop_init(database: str) -> None:
    with pytest.raises(RecordsMissing, match="cop init"):
        Records.open(database, create=False)
    assert not Records.exist(database)
    Records.open(database).close()
    assert Records.exist(database)
    Records.open(database, create=False).close()


def test_a_database_newer_than_the_code_is_refused(database: str) -> None:
    Records.open(database).close()
    db, engine = postgres.connect(database, create=False)
    engine.set_schema_version(SCHEMA_VERSION + 1)
    db.close()
    with pytest.raises(RecordsError, match="newer than this cop-connector"):
        Records.open(database)


def test_a_wrong_password_is_named_without_the_password(postgres, monkeypatch) -> None:
    url = postgres.url("postgres", tcp=True)
    monkeypatch.delenv("PGPASSWORD", raising=False)
    monkeypatch.setenv("PGPASSFILE", "/nonexistent")
    with pytest.raises(RecordsError) as refused:
        Records.open(url, password="wrong-Pa55word")
    assert "password authentication failed" in str(refused.value)
    assert "wrong-Pa55word" not in str(refused.value)
    assert str(refused.value).startswith(f"records {redacted(url)}:")


def test_libpq_finds_the_password_in_pgpassword_or_pgpass(postgres, database, monkeypatch,
                                                          tmp_path: Path) -> None:
    name = database.split("/")[-1].split("?")[0]
    url = postgres.url(name, tcp=True)
    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    Records.open(url).close()
    monkeypatch.delenv("PGPASSWORD")
    passfile = tmp_path / "pgpass"
    passfile.write_text(f"127.0.0.1:{postgres.port}:*:cop:{PASSWORD}\n")
    passfile.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(passfile))
    Records.open(url, create=False).close()


def test_a_stale_read_is_refused_by_the_optimistic_check(tmp_path: Path,
                                                         database: str) -> None:
    """Two managers decide the same theme at once: the second save sees that what it read
    changed, and saves nothing."""
    for where in (tmp_path / "cop.db", database):
        first, second = Records.open(where), Records.open(where)
        first.add_theme(Theme("storage", "Stockage", "Energy", created_at=T1))
        read_by_first, read_by_second = first.theme("storage"), second.theme("storage")
        approved = Theme("storage", "Stockage", "Energy", status="approved", created_at=T1)
        second.save_theme(approved, expected=read_by_second)
        with pytest.raises(RecordsChanged, match="theme storage changed"):
            first.save_theme(Theme("storage", "Stockage", "Energy", status="rejected",
                                   created_at=T1), expected=read_by_first)
        assert first.theme("storage") == approved
        first.close()
        second.close()


def test_copy_to_postgresql_and_back_keeps_every_row(tmp_path: Path, database: str) -> None:
    lite = Records.open(tmp_path / "cop.db")
    fill(lite)
    before = snapshot(lite)
    pg = Records.open(database)
    copied = copy_records(lite, pg)
    assert {t.table: t.rows for t in copied}["entries"] == 9
    assert snapshot(pg) == before
    back = Records.open(tmp_path / "back.db")
    copy_records(pg, back)
    assert snapshot(back) == before
    assert pg.start_run(T3, dry_run=True) == back.start_run(T3, dry_run=True) == 2  # ids go on
    with pytest.raises(UsageError, match="already holds records"):
        copy_records(lite, pg)
    for records in (lite, pg, back):
        records.close()


def test_a_copy_that_does_not_check_out_commits_nothing(tmp_path: Path, database: str,
                                                        monkeypatch) -> None:
    lite = Records.open(tmp_path / "cop.db")
    fill(lite)
    pg = Records.open(database)
    real = table_digest

    def lossy(records: Records, table: str):  # the target lost a row on the way
        found = real(records, table)
        return found if records is lite or table != "entries" else \
            type(found)(table, found.rows - 1, "x")

    monkeypatch.setattr("sync.records.copy.table_digest", lossy)
    with pytest.raises(RecordsError, match="differs from the source"):
        copy_records(lite, pg)
    assert pg.communities() == [] and pg.db.execute("SELECT count(*) FROM entries"
                                                    ).fetchone()[0] == 0
    lite.close()
    pg.close()


def test_sqlite_records_of_an_earlier_version_still_open(tmp_path: Path) -> None:
    """The migrations SQLite files were made with are unchanged (the PostgreSQL reading of
    them is postgres.py's business)."""
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as db:
        db.executescript(MIGRATIONS[0])
        db.execute("PRAGMA user_version = 1")
    Records.open(path).close()
