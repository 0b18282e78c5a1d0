"""cop records copy: a pilot's SQLite records moved to PostgreSQL (and back) give the same
`cop export`, byte for byte; a target that holds records, or a URL holding a password, is
refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from cop_process import run as process
from postgres_server import PASSWORD

from sync.records.store import Records

pytestmark = pytest.mark.both_engines  # a file and a database side by side

PEOPLE = ("--pilot", "pia@corp.example", "--expert", "eli@corp.example")
WATCH = {"https://Example.org/B": "B", "https://example.org/a": "a", "https://example.org/-c": "c"}


def point_at(tmp_path: Path, setting: str) -> None:
    """[records] path or url, as the operator sets it after the copy."""
    config = tmp_path / "cop.toml"
    head, _, tail = config.read_text(encoding="utf-8").partition("[records]\n")
    section, _, rest = tail.partition("\n[")
    lines = [setting if line.startswith(("path = ", "url = ")) else line
             for line in section.splitlines()]
    config.write_text(f"{head}[records]\n" + "\n".join(lines) + f"\n[{rest}",
                      encoding="utf-8")


def exports(run) -> tuple[str, str]:
    as_json = run("export", "--include-deleted")
    as_csv = run("export", "--format", "csv", "--include-deleted")
    assert as_json.exit_code == 0 and as_csv.exit_code == 0, as_json.output + as_csv.output
    return as_json.output, as_csv.output


@pytest.fixture
def pilot(run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A pilot's records in cop.db: two communities, members, watch items, a tombstone."""
    monkeypatch.setattr("sync.records.export.utc_now", lambda: "2026-03-01T00:00:00Z")
    assert run("init", "--mediawiki-url", "http://127.0.0.1:9/").exit_code == 0
    for slug in ("battery", "hydrogen"):
        added = run("community", "add", slug, "--name", f"{slug} — é", "--theme", "Energy",
                    *PEOPLE)
        assert added.exit_code == 0, added.output
    records = Records.open(tmp_path / "cop.db", create=False)
    records.upsert_entries("battery", "watch", {k: {"url": k, "title": t} for k, t in
                                                WATCH.items()}, origin="wiki",
                           now="2026-02-01T10:00:00Z")
    records.tombstone_entry("battery", "watch", "https://example.org/a", by="wiki",
                            now="2026-02-02T10:00:00Z")
    records.close()
    return run


def test_a_pilot_moves_to_postgresql_and_back_with_the_same_export(
        pilot, tmp_path: Path, pg_database: str) -> None:
    before = exports(pilot)
    copied = pilot("records", "copy", "--to", pg_database)
    assert copied.exit_code == 0, copied.output
    assert "checked: both hold the same rows" in copied.output
    assert f'set [records] url = "{pg_database}"' in copied.output
    point_at(tmp_path, f'url = "{pg_database}"')
    assert exports(pilot) == before
    assert pilot("status").exit_code == 0
    back = pilot("records", "copy", "--to", "back.db")
    assert back.exit_code == 0, back.output
    point_at(tmp_path, 'path = "back.db"')
    assert exports(pilot) == before
    again = pilot("records", "copy", "--to", pg_database)  # it holds records now
    assert again.exit_code == 2 and "already holds records" in again.output


def test_a_url_holding_a_password_is_refused_and_not_shown(pilot) -> None:
    refused = pilot("records", "copy", "--to", "postgresql://cop:hunter2@db/cop")
    assert refused.exit_code == 2 and "holds a password" in refused.output
    assert "hunter2" not in refused.output
    init = pilot("init", "--force", "--records", "postgresql://cop:hunter2@db/cop")
    assert init.exit_code == 2 and "hunter2" not in init.output


def test_init_creates_the_records_in_a_database(run, tmp_path: Path, pg_database: str) -> None:
    created = run("init", "--mediawiki-url", "http://127.0.0.1:9/", "--records", pg_database)
    assert created.exit_code == 0, created.output
    assert f'url = "{pg_database}"' in (tmp_path / "cop.toml").read_text(encoding="utf-8")
    assert not (tmp_path / "cop.db").exists()
    added = run("community", "add", "battery", "--name", "B", "--theme", "T", *PEOPLE)
    assert added.exit_code == 0, added.output
    again = run("init")
    assert again.exit_code == 2 and "already exists, and so do its records" in again.output


def test_the_database_password_is_never_shown_nor_logged(run, tmp_path: Path, postgres,
                                                         pg_database: str) -> None:
    """A real process at -vv with a wrong database password (from the variable the config
    names): refused with the server's reason, and the password nowhere."""
    created = run("init", "--mediawiki-url", "http://127.0.0.1:9/", "--records", pg_database)
    assert created.exit_code == 0, created.output
    name = pg_database.rsplit("/", maxsplit=1)[-1].split("?", maxsplit=1)[0]
    config = tmp_path / "cop.toml"
    text = config.read_text(encoding="utf-8").replace(
        pg_database, postgres.url(name, tcp=True)).replace(
        '# password_env = "COP_RECORDS_PASSWORD"', 'password_env = "COP_RECORDS_PASSWORD"')
    config.write_text(text, encoding="utf-8")
    secret = "Wrong-Db-Secret-4242"
    for program, args in (("cop", ("-vv", "status")), ("cop-sync", ("-vv", "--json"))):
        refused = process(program, *args, config=config, COP_RECORDS_PASSWORD=secret,
                          PGPASSFILE="/nonexistent")
        assert refused.returncode == 2, refused.stderr
        assert "password authentication failed" in refused.stderr
        assert secret not in refused.stdout + refused.stderr
    accepted = process("cop", "-vv", "status", config=config, COP_RECORDS_PASSWORD=PASSWORD)
    assert accepted.returncode == 0, accepted.stderr
    assert PASSWORD not in accepted.stdout + accepted.stderr
