"""The CLI contract (PRODUCT.md §3) without a wiki: help, init, communities, members,
export, exit codes and messages. The loop with a wiki is in tests/integration."""

from __future__ import annotations

import csv
import io
import json
import os
import re
from pathlib import Path

import click
import pytest

from sync.cli import _cop
from sync.cli.sync_command import cop_sync
from sync.engine.lock import RunLock
from sync.records.store import Records


@pytest.fixture
def ready(run):
    assert run("init", "--mediawiki-url", "http://127.0.0.1:9/").exit_code == 0
    result = run("community", "add", "battery", "--name", "Battery storage", "--theme",
                 "Energy", "--pilot", "Pia.Pilot@corp.example", "--expert",
                 "eli@corp.example", "--lang", "fr")
    assert result.exit_code == 0, result.output
    return run


def all_commands(group: click.Group, prefix: tuple[str, ...] = ()):
    ctx = click.Context(group)
    for name in group.list_commands(ctx):  # (cop's commands are imported when asked for)
        command = group.get_command(ctx, name)
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from all_commands(command, (*prefix, name))


@pytest.mark.parametrize("path", list(all_commands(_cop)))
def test_every_command_has_help(run, path: tuple[str, ...]) -> None:
    result = run(*path, "--help")
    assert result.exit_code == 0 and "Usage:" in result.output


def test_cop_sync_has_help(run) -> None:
    result = run("--help", command=cop_sync)
    assert result.exit_code == 0 and "--force-delete" in result.output


def test_init_writes_a_commented_valid_config(run, tmp_path: Path) -> None:
    result = run("init", "--mediawiki-url", "https://wiki.corp.example/w/",
                 "--mediawiki-user", "CopBot@cop", "--lang", "fr")
    assert result.exit_code == 0, result.output
    text = (tmp_path / "cop.toml").read_text()
    assert "# " in text and 'url = "https://wiki.corp.example/w/"' in text
    assert not re.search(r"^\s*(password|token)\s*=", text, re.M)  # secrets: env only
    assert Records.exist(tmp_path / "cop.db")
    assert run("init").exit_code == 2  # never overwrites without --force


def test_missing_config_is_exit_2_with_a_hint(run) -> None:
    result = run("community", "list")
    assert result.exit_code == 2
    assert "cop init" in result.output and "Traceback" not in result.output


def test_wrong_setting_names_the_setting(run, tmp_path: Path) -> None:
    (tmp_path / "cop.toml").write_text('[mediawiki]\nurl = "x"\ntimeout = "slow"\n')
    result = run("community", "list")
    assert result.exit_code == 2 and "mediawiki.timeout" in result.output


def test_unknown_setting_is_refused(run, tmp_path: Path) -> None:
    (tmp_path / "cop.toml").write_text('[mediawiki]\nurl = "x"\npasword_env = "X"\n')
    result = run("status")
    assert result.exit_code == 2 and "mediawiki.pasword_env" in result.output


def test_config_option_and_env(run, tmp_path: Path, monkeypatch) -> None:
    other = tmp_path / "elsewhere" / "c.toml"
    assert run("init", "--config", str(other)).exit_code == 0
    assert run("community", "list", "--config", str(other)).exit_code == 0
    monkeypatch.setenv("COP_CONFIG", str(other))
    assert run("community", "list").exit_code == 0


def test_doctor_fixes_name_the_configuration_file_in_use(run) -> None:
    """`cop --config cop-badport.toml doctor` on a wiki that does not answer: the fix is
    in cop-badport.toml, not in a cop.toml that may not even exist (a file elsewhere is
    named by its full path: tests/unit/test_doctor_files.py)."""
    assert run("init", "--config", "cop-badport.toml", "--mediawiki-url",
               "http://127.0.0.1:9/w/").exit_code == 0
    result = run("--config", "cop-badport.toml", "doctor")
    assert result.exit_code == 2, result.output
    assert "fix: check mediawiki.url in cop-badport.toml and " in result.output
    assert "cop.toml" not in result.output


def test_community_add_list_show(ready) -> None:
    listed = json.loads(ready("community", "list", "--json").output)
    assert listed[0]["slug"] == "battery" and listed[0]["space"] == "CoP_Battery"
    shown = json.loads(ready("community", "show", "battery", "--json").output)
    assert shown["pilot"] == "pia.pilot@corp.example" and shown["lang"] == "fr"
    roles = {m["email"]: m["role"] for m in shown["members"]}
    assert roles == {"pia.pilot@corp.example": "pilot", "eli@corp.example": "expert"}
    assert "Battery storage" in ready("community", "show", "battery").output


@pytest.mark.parametrize("args, field", [
    (("bad slug!",), "SLUG"),
    (("ok-slug", "--pilot", "not-an-email"), "--pilot"),
])
def test_community_add_rejects_bad_input(ready, args, field) -> None:
    base = {"--name": "N", "--theme": "T", "--pilot": "p@x.io", "--expert": "e@x.io"}
    slug, *rest = args
    options = dict(base, **dict(zip(rest[::2], rest[1::2], strict=True)))
    result = ready("community", "add", slug, *[x for kv in options.items() for x in kv])
    assert result.exit_code == 2 and field in result.output


def test_duplicate_community_is_refused(ready) -> None:
    result = ready("community", "add", "battery", "--name", "B", "--theme", "T",
                   "--pilot", "p@x.io", "--expert", "e@x.io")
    assert result.exit_code == 2 and "already exists" in result.output


def test_member_add_before_provisioning_is_recorded(ready) -> None:
    result = ready("member", "add", "battery", "Ann@Corp.example", "--name", "Ann",
                   "--profile", "marketing", "--site", "Lyon")
    assert result.exit_code == 0, result.output
    assert "cop provision battery" in result.output
    members = json.loads(ready("export", "battery", "--kind", "members").output)
    assert "ann@corp.example" in {m["email"] for m in members["communities"][0]["members"]}


def test_member_add_rejects_a_bad_date(ready) -> None:
    result = ready("member", "add", "battery", "a@x.io", "--name", "A", "--profile", "marketing",
                   "--since", "12/03/2024")
    assert result.exit_code == 2 and "--since" in result.output


def test_member_remove_unknown_is_exit_2(ready) -> None:
    assert ready("member", "remove", "battery", "nobody@x.io").exit_code == 2


def test_export_csv_has_one_line_per_row(ready) -> None:
    ready("member", "add", "battery", "ann@x.io", "--name", "=HYPERLINK()", "--profile",
          "marketing")
    rows = list(csv.DictReader(io.StringIO(ready("export", "--format", "csv").output)))
    assert {r["key"] for r in rows} == {"pia.pilot@corp.example", "eli@corp.example",
                                        "ann@x.io"}
    assert next(r for r in rows if r["key"] == "ann@x.io")["name"] == "'=HYPERLINK()"


def test_namespaces_snippet(ready) -> None:
    output = ready("mediawiki", "namespaces").output
    assert "$wgExtraNamespaces[3000] = 'CoP_Battery';" in output
    assert "$wgExtraNamespaces[3001] = 'CoP_Battery_talk';" in output


def test_status_without_provisioning(ready) -> None:
    data = json.loads(ready("status", "--json").output)
    assert data["communities"][0]["provisioned"] is False
    assert "cop provision battery" in ready("status").output


def test_status_names_a_run_that_never_finished(ready, tmp_path: Path) -> None:
    """A run killed mid-sync leaves its start recorded and no end: not 'running (exit None)'."""
    records = Records.open(tmp_path / "cop.db", create=False)
    records.start_run("2026-03-02T06:00:01Z", dry_run=False)
    records.close()
    assert "last cop-sync: started 2026-03-02T06:00:01Z, not finished (still running, or " \
        "stopped before its end)" in ready("status").output


def test_provision_needs_slug_or_all(ready) -> None:
    assert ready("provision").exit_code == 2


def test_unknown_community_is_exit_2(ready) -> None:
    result = ready("community", "show", "nope")
    assert result.exit_code == 2 and "nope" in result.output


def test_unreachable_wiki_is_a_message_not_a_traceback(ready) -> None:
    result = ready("provision", "battery")
    assert result.exit_code in (1, 2) and "Traceback" not in result.output
    assert "127.0.0.1:9" in result.output or "unreachable" in result.output.lower() or \
        "connect" in result.output.lower()


def test_sync_with_nothing_provisioned_is_exit_0(ready) -> None:
    result = ready(command=cop_sync)
    assert result.exit_code == 0, result.output
    assert "not provisioned" in result.output


def test_second_sync_exits_3_naming_the_holder(ready, tmp_path: Path) -> None:
    with RunLock(tmp_path / "cop-sync.lock"):
        result = ready(command=cop_sync)
    assert result.exit_code == 3
    assert f"pid {os.getpid()}" in result.output and "started" in result.output


def test_missing_secret_is_exit_2_naming_the_variable(run, tmp_path: Path,
                                                      monkeypatch) -> None:
    monkeypatch.delenv("COP_MEDIAWIKI_PASSWORD", raising=False)
    run("init", "--mediawiki-url", "http://127.0.0.1:9/", "--mediawiki-user", "Bot@x")
    run("community", "add", "battery", "--name", "B", "--theme", "T", "--pilot", "p@x.io",
        "--expert", "e@x.io")
    result = run("provision", "battery")
    assert result.exit_code == 2 and "COP_MEDIAWIKI_PASSWORD" in result.output
