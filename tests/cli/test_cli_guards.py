"""What the second acceptance test found at the command line (no wiki needed): namespaces
that MediaWiki would fold into another community's, namespace numbers, output files, a
records path that does not exist, pilot and expert changed by command, a closed pipe,
`cop init` checking before it writes, and the smaller usage points."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import tomllib
from pathlib import Path

import click
import pytest
import records_engine
from click.testing import CliRunner

from sync.cli.app import GuardedCommand
from sync.cli.commands import cop_group
from sync.cli.sync_command import _errors_shared, cop_sync
from sync.engine.outcome import CommunityOutcome, SyncReport
from tests.cop_process import argv, environment

PEOPLE = ("--pilot", "pia@corp.example", "--expert", "eli@corp.example")


@pytest.fixture
def ready(run):
    assert run("init", "--mediawiki-url", "http://127.0.0.1:9/").exit_code == 0
    result = run("community", "add", "battery", "--name", "Battery", "--theme", "Energy",
                 *PEOPLE)
    assert result.exit_code == 0, result.output
    return run


def sql(tmp_path: Path, statement: str, *args: object) -> None:
    records_engine.execute(tmp_path, statement, *args)


def edit_config(tmp_path: Path, old: str, new: str) -> None:
    path = tmp_path / "cop.toml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def records_at(tmp_path: Path, name: str) -> None:
    """The configuration's [records] path set to ``name``."""
    path = tmp_path / "cop.toml"
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r'(?m)^path = "[^"]*"', f'path = "{name}"', text), encoding="utf-8")


def members(run, slug: str = "battery") -> dict[str, str]:
    shown = json.loads(run("community", "show", slug, "--json").output)
    return {m["email"]: m["role"] for m in shown["members"]}


# --- 1. namespaces MediaWiki would fold together --------------------------------------------

@pytest.mark.parametrize("slug", ["abc--def", "energie--avenir", "a---b"])
def test_a_slug_with_consecutive_hyphens_is_refused(ready, slug: str) -> None:
    result = ready("community", "add", slug, "--name", "N", "--theme", "T", *PEOPLE)
    assert result.exit_code == 2 and "SLUG" in result.output and "single hyphens" in result.output


def test_a_namespace_the_wiki_reads_as_another_communitys_is_refused(ready,
                                                                     tmp_path: Path) -> None:
    # A community registered by an older version with a slug the check now refuses.
    sql(tmp_path, "UPDATE communities SET space = 'CoP_Abc__def' WHERE slug = 'battery'")
    result = ready("community", "add", "abc-def", "--name", "N", "--theme", "T", *PEOPLE)
    assert result.exit_code == 2, result.output
    assert "CoP_Abc__def" in result.output and "'battery'" in result.output
    assert "abc-def" not in ready("community", "list").output


# --- 2. namespace numbers --------------------------------------------------------------------

@pytest.mark.parametrize("base", ["3001", "50", "-2"])
def test_an_odd_or_low_namespace_base_is_a_configuration_error(ready, tmp_path: Path,
                                                               base: str) -> None:
    edit_config(tmp_path, "namespace_base = 3000", f"namespace_base = {base}")
    result = ready("community", "add", "solar", "--name", "S", "--theme", "T", *PEOPLE)
    assert result.exit_code == 2 and "mediawiki.namespace_base" in result.output
    assert "even" in result.output


def test_allocation_skips_a_pair_whose_talk_number_is_taken(ready, tmp_path: Path) -> None:
    sql(tmp_path, "UPDATE communities SET namespace_id = 3001 WHERE slug = 'battery'")
    result = ready("community", "add", "solar", "--name", "S", "--theme", "T", *PEOPLE,
                   "--force")
    assert result.exit_code == 0, result.output
    assert "CoP_Solar = 3004" in result.output  # 3000 + 1 and 3002 are battery's


def test_the_snippet_error_names_the_community(ready, tmp_path: Path) -> None:
    sql(tmp_path, "UPDATE communities SET namespace_id = 3001 WHERE slug = 'battery'")
    result = ready("mediawiki", "namespaces")
    assert result.exit_code == 2 and "CoP_Battery" in result.output and "3001" in result.output


# --- 3. export files -------------------------------------------------------------------------

def test_export_creates_missing_directories_and_writes_utf8(ready, tmp_path: Path) -> None:
    ready("community", "set", "battery", "--sponsor", "Anne Lévêque")
    target = tmp_path / "out" / "deeper" / "records.json"
    result = ready("export", "-o", str(target))
    assert result.exit_code == 0, result.output
    data = json.loads(target.read_bytes().decode("utf-8"))
    assert data["communities"][0]["slug"] == "battery"
    csv_target = tmp_path / "csv" / "rows.csv"
    assert ready("export", "--format", "csv", "-o", str(csv_target)).exit_code == 0
    assert "pia@corp.example" in csv_target.read_text(encoding="utf-8")


@pytest.mark.skipif(not Path("/proc/version").exists(), reason="needs /proc")
def test_export_to_a_file_that_cannot_be_written_is_exit_2(ready) -> None:
    result = ready("export", "-o", "/proc/version")
    assert result.exit_code == 2 and "cannot write /proc/version" in result.output
    assert "internal error" not in result.output


# --- 4. the records database must exist -------------------------------------------------------

def test_a_records_path_that_does_not_exist_stops_every_command(ready, tmp_path: Path) -> None:
    edit_config(tmp_path, 'path = "cop.db"', 'path = "typo/cop.db"')
    for args in (("community", "list"), ("status",), ("export",)):
        result = ready(*args)
        assert result.exit_code == 2, (args, result.output)
        assert "does not exist" in result.output and "records.path" in result.output
        assert "cop init" in result.output
    synced = ready(command=cop_sync)
    assert synced.exit_code == 2 and "does not exist" in synced.output
    assert not (tmp_path / "typo").exists() and not (tmp_path / "cop-sync.lock").exists()


@pytest.mark.sqlite_only
def test_a_file_without_records_is_neither_taken_over_nor_written(ready, tmp_path: Path) -> None:
    """Another application's database, an empty file or a directory at the records path
    stop every command (exit 2) and are left exactly as they were; `cop init` makes the
    records in an empty file."""
    foreign = tmp_path / "other.db"
    with sqlite3.connect(foreign) as db:
        db.execute("CREATE TABLE foo (x)")
    before = foreign.read_bytes()
    (tmp_path / "empty.db").touch()
    (tmp_path / "dir.db").mkdir()
    for name, says in (("other.db", "holds no cop-connector records"),
                       ("empty.db", "holds no cop-connector records"),
                       ("dir.db", "is a directory")):
        records_at(tmp_path, name)
        for result in (ready("status"), ready(command=cop_sync)):
            assert result.exit_code == 2 and says in result.output, (name, result.output)
    assert foreign.read_bytes() == before
    assert (tmp_path / "empty.db").stat().st_size == 0
    records_at(tmp_path, "empty.db")
    assert ready("init").exit_code == 0 and ready("status").exit_code == 0


def test_an_unwritable_log_file_stops_cop_sync_naming_the_setting(ready,
                                                                  tmp_path: Path) -> None:
    edit_config(tmp_path, 'log_file = ""', 'log_file = "no/such/dir/sync.log"')
    result = ready(command=cop_sync)
    assert result.exit_code == 2 and "sync.log_file" in result.output
    assert "internal error" not in result.output


@pytest.mark.sqlite_only
def test_init_on_an_existing_file_creates_only_the_missing_records(ready,
                                                                   tmp_path: Path) -> None:
    config = (tmp_path / "cop.toml").read_text(encoding="utf-8")
    (tmp_path / "cop.db").unlink()
    result = ready("init")
    assert result.exit_code == 0, result.output
    assert (tmp_path / "cop.db").exists() and "kept" in result.output
    assert (tmp_path / "cop.toml").read_text(encoding="utf-8") == config
    assert ready("community", "list").exit_code == 0
    again = ready("init")  # both there now: nothing to do
    assert again.exit_code == 2 and "already exists" in again.output
    (tmp_path / "cop.db").unlink()
    flags = ready("init", "--mediawiki-url", "https://wiki.corp.example/w/")
    assert flags.exit_code == 2 and "--force" in flags.output  # settings given: never ignored


# --- 5. pilot and expert, changed by command ---------------------------------------------------

def test_the_same_person_cannot_be_pilot_and_expert(run) -> None:
    assert run("init", "--mediawiki-url", "http://127.0.0.1:9/").exit_code == 0
    result = run("community", "add", "battery", "--name", "B", "--theme", "T",
                 "--pilot", "a@corp.example", "--expert", "A@corp.example")
    assert result.exit_code == 2 and "both pilot and expert" in result.output


def test_set_pilot_makes_a_member_pilot_and_keeps_the_previous_one(ready) -> None:
    result = ready("community", "set", "battery", "--pilot", "Tom@corp.example")
    assert result.exit_code == 0, result.output
    shown = json.loads(ready("community", "show", "battery", "--json").output)
    assert shown["pilot"] == "tom@corp.example" and shown["expert"] == "eli@corp.example"
    assert members(ready) == {"pia@corp.example": "member", "eli@corp.example": "expert",
                              "tom@corp.example": "pilot"}
    assert "pia@corp.example, pilot before, stays a member" in result.output


def test_set_expert_promotes_an_existing_member(ready) -> None:
    ready("member", "add", "battery", "ann@corp.example", "--name", "Ann Roux", "--profile",
          "marketing", "--site", "Lyon")
    assert ready("community", "set", "battery", "--expert", "ann@corp.example").exit_code == 0
    shown = json.loads(ready("community", "show", "battery", "--json").output)
    ann = next(m for m in shown["members"] if m["email"] == "ann@corp.example")
    assert ann["role"] == "expert" and ann["name"] == "Ann Roux" and ann["site"] == "Lyon"
    assert shown["expert"] == "ann@corp.example"


def test_pilot_and_expert_can_swap_in_one_command(ready) -> None:
    result = ready("community", "set", "battery", "--pilot", "eli@corp.example",
                   "--expert", "pia@corp.example")
    assert result.exit_code == 0, result.output
    assert members(ready) == {"pia@corp.example": "expert", "eli@corp.example": "pilot"}


def test_set_pilot_to_the_expert_is_refused(ready) -> None:
    result = ready("community", "set", "battery", "--pilot", "eli@corp.example")
    assert result.exit_code == 2 and "both pilot and expert" in result.output
    assert members(ready) == {"pia@corp.example": "pilot", "eli@corp.example": "expert"}


def test_set_with_nothing_or_a_bad_email_is_exit_2(ready) -> None:
    nothing = ready("community", "set", "battery")
    assert nothing.exit_code == 2 and "--pilot" in nothing.output
    bad = ready("community", "set", "battery", "--expert", "not-an-email")
    assert bad.exit_code == 2 and "--expert" in bad.output


# --- 6. a closed pipe -----------------------------------------------------------------------------

def test_a_broken_pipe_is_a_quiet_exit_141() -> None:
    @click.command(cls=GuardedCommand)
    def talk() -> None:
        raise BrokenPipeError(32, "Broken pipe")

    result = CliRunner().invoke(talk, [])
    assert result.exit_code == 141 and "internal error" not in result.output


def test_a_reader_that_went_away_ends_cop_quietly(ready, tmp_path: Path) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # `| head -1` that has already gone
    try:
        done = subprocess.run(argv("cop", "community", "list"),
                              env=environment(tmp_path / "cop.toml"), stdout=write_end,
                              stderr=subprocess.PIPE, text=True, timeout=60, check=False)
    finally:
        os.close(write_end)
    assert done.returncode == 141, done.stderr
    assert "internal error" not in done.stderr and "Traceback" not in done.stderr
    assert "Exception ignored" not in done.stderr


# --- 8. cop init checks before it writes ----------------------------------------------------------

@pytest.mark.parametrize("url, expected", [
    ("notaurl", "--mediawiki-url"),
    ("ftp://x/", "--mediawiki-url"),
    ("http://wiki.corp.example/w/", "--allow-http"),
    ("https://bot:secret@wiki.corp.example/w/", "--mediawiki-url"),
])
def test_init_refuses_a_url_the_adapter_would_refuse(run, tmp_path: Path, url: str,
                                                     expected: str) -> None:
    result = run("init", "--mediawiki-url", url)
    assert result.exit_code == 2 and expected in result.output, result.output
    assert not (tmp_path / "cop.toml").exists() and not (tmp_path / "cop.db").exists()
    assert "secret" not in result.output


def test_init_refuses_a_bad_confluence_url(run, tmp_path: Path) -> None:
    result = run("init", "--confluence-url", "https://x.atlassian.net/wiki/rest/api")
    assert result.exit_code == 2 and "--confluence-url" in result.output
    assert not (tmp_path / "cop.toml").exists()


def test_init_allow_http_writes_the_setting(run, tmp_path: Path) -> None:
    result = run("init", "--mediawiki-url", "http://wiki.corp.example/w/", "--allow-http")
    assert result.exit_code == 0, result.output
    config = tomllib.loads((tmp_path / "cop.toml").read_text(encoding="utf-8"))
    assert config["mediawiki"]["allow_http"] is True


def test_init_on_a_directory_is_a_clear_error(run, tmp_path: Path) -> None:
    (tmp_path / "d").mkdir()
    for extra in ((), ("--force",)):
        result = run("init", "--config", str(tmp_path / "d"), *extra)
        assert result.exit_code == 2 and "is a directory" in result.output
        assert "internal error" not in result.output


@pytest.mark.skipif(not Path("/proc/version").exists(), reason="needs /proc")
@pytest.mark.sqlite_only
def test_init_writes_no_configuration_when_the_records_fail(run, tmp_path: Path) -> None:
    result = run("init", "--records", "/proc/cop-test/x.db")
    assert result.exit_code == 2 and "/proc/cop-test/x.db" in result.output
    assert "internal error" not in result.output
    assert not (tmp_path / "cop.toml").exists()
    assert [p.name for p in tmp_path.iterdir()] == []  # no temporary file left either


def test_init_force_keeps_the_previous_file(run, tmp_path: Path) -> None:
    assert run("init", "--mediawiki-url", "https://wiki.corp.example/w/").exit_code == 0
    result = run("init", "--force")
    assert result.exit_code == 0, result.output
    backup = (tmp_path / "cop.toml.bak").read_text(encoding="utf-8")
    assert "https://wiki.corp.example/w/" in backup and "cop.toml.bak" in result.output


# --- 9. small points ----------------------------------------------------------------------------

def test_cop_sync_accepts_dash_h(run) -> None:
    result = run("-h", command=cop_sync)
    assert result.exit_code == 0 and "--force-delete" in result.output


@pytest.mark.parametrize("setting, value", [
    ("timeout = 30", "timeout = -5"),
    ("timeout = 30", "timeout = 0"),
    ("budget_seconds = 600", "budget_seconds = 0"),
    ("overlap_seconds = 300", "overlap_seconds = -1"),
])
def test_non_positive_durations_are_refused(ready, tmp_path: Path, setting: str,
                                            value: str) -> None:
    edit_config(tmp_path, setting, value)
    result = ready("status")
    name = value.split(" ", maxsplit=1)[0]
    assert result.exit_code == 2 and name in result.output, result.output


def test_member_commands_leave_pilot_and_expert_to_the_charter(ready) -> None:
    """`cop member` neither names a pilot or expert nor takes the role from one (they are
    governance: `cop community set`), nor removes them while they hold it."""
    named = ready("member", "add", "battery", "tom@corp.example", "--name", "Tom",
                  "--profile", "sales", "--role", "pilot")
    assert named.exit_code == 2 and "cop community set battery --pilot" in named.output
    demoted = ready("member", "add", "battery", "pia@corp.example", "--name", "Pia",
                    "--profile", "sales", "--role", "member")
    assert demoted.exit_code == 2 and "name a new pilot first" in demoted.output
    removed = ready("member", "remove", "battery", "eli@corp.example")
    assert removed.exit_code == 2 and "name a new expert first" in removed.output
    assert set(members(ready)) == {"pia@corp.example", "eli@corp.example"}


def test_member_add_needs_a_profile_and_names_the_email_argument(ready) -> None:
    empty = ready("member", "add", "battery", "tom@corp.example", "--name", "Tom",
                  "--profile", " ")
    assert empty.exit_code == 2 and "--profile" in empty.output
    bad = ready("member", "add", "battery", "not-an-address", "--name", "Tom",
                "--profile", "sales")
    assert bad.exit_code == 2 and "EMAIL" in bad.output and "--email" not in bad.output


def test_updating_a_member_keeps_what_the_command_does_not_give(ready) -> None:
    assert ready("member", "add", "battery", "tom@corp.example", "--name", "Tom",
                 "--profile", "sales", "--site", "Lyon").exit_code == 0
    assert ready("member", "add", "battery", "tom@corp.example", "--name", "Tom Roux",
                 "--profile", "marketing").exit_code == 0
    shown = json.loads(ready("community", "show", "battery", "--json").output)
    tom = next(m for m in shown["members"] if m["email"] == "tom@corp.example")
    assert (tom["name"], tom["profile"], tom["site"], tom["role"]) == (
        "Tom Roux", "marketing", "Lyon", "member")
    # the pilot's details can be updated without repeating the role
    assert ready("member", "add", "battery", "pia@corp.example", "--name", "Pia",
                 "--profile", "R&D").exit_code == 0
    assert members(ready)["pia@corp.example"] == "pilot"


def test_export_offers_the_seminar_pages_rows(ready) -> None:
    for kind, field in (("attendance", "hours"), ("actions", "due")):
        shown = ready("export", "--kind", kind, "--format", "csv")
        assert shown.exit_code == 0, shown.output
        assert field in shown.output.splitlines()[0]


def test_namespaces_without_a_community_says_why_the_snippet_is_empty(run) -> None:
    assert run("init", "--mediawiki-url", "http://127.0.0.1:9/").exit_code == 0
    shown = run("mediawiki", "namespaces")
    assert shown.exit_code == 0 and "no MediaWiki community yet" in shown.stderr


@pytest.mark.parametrize(("given", "said"), [
    ("directory", "is a directory: give the configuration file (cop.toml) in it"),
    ("markdown", "is not a valid TOML file: Expected '=' after a key"),
    ("binary", "is not a text file (UTF-8)"),
    ("missing", "no configuration at /"),  # the whole path, wherever cop runs
])
def test_a_configuration_path_that_is_no_configuration_says_what_it_is(
        tmp_path: Path, given: str, said: str) -> None:
    target = {"directory": tmp_path, "markdown": tmp_path / "README.md",
              "binary": tmp_path / "cop.db", "missing": Path("cop.toml")}[given]
    if given == "markdown":
        target.write_text("# Read me\n\nNot a configuration.\n")
    if given == "binary":
        target.write_bytes(b"SQLite format 3\x00\xff\xfe")
    result = CliRunner().invoke(cop_group, ["--config", str(target), "status"])
    assert result.exit_code == 2, result.output
    assert said in result.output and "Errno" not in result.output, result.output


def test_an_error_that_stops_every_community_is_said_once() -> None:
    """A wiki down or a wrong URL stops every community of that wiki: one line naming them
    all, not the same line per community (a cron log with 20 communities)."""
    report = SyncReport(started_at="2026-12-07T10:00:00Z", communities=[
        CommunityOutcome("battery", error="mediawiki: no api.php there"),
        CommunityOutcome("solar", error="mediawiki: no api.php there"),
        CommunityOutcome("wind", error="mediawiki: 'CoP_Wind' does not exist"),
        CommunityOutcome("h2")])
    assert _errors_shared(report) == {"mediawiki: no api.php there": ["battery", "solar"],
                                      "mediawiki: 'CoP_Wind' does not exist": ["wind"]}
