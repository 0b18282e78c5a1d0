"""Records shared in one PostgreSQL database by two "hosts" (two cop directories, two
processes) against the real MediaWiki: one cop-sync at a time (the other exits 3 naming the
holder), a run killed mid-sync leaves the records consistent and the next run, from the
other host, converges; two managers adding members at once lose neither.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
from pathlib import Path
from typing import Any

import pytest
from cop_process import KILLED, run, spawn
from cop_wiki import NS, CopDir, create, recorded_rows, wiki_rows
from wiki_people import member

pytestmark = pytest.mark.both_engines  # a PostgreSQL database whatever the switch says

BOB = "{{CoP member|email=bob@corp.example|name=Bob|profile=R&D}}"
NEWS = "{{CoP watch|date=2026-02-01|title=Solid-state cells|url=https://example.com/ss}}"


@pytest.fixture
def hosts(wiki: Any, pg_database: str, tmp_path: Path) -> tuple[CopDir, CopDir]:
    """Host a provisioned and synced battery in the shared database; host b is another
    directory (another lock file, another working directory) with the same cop.toml."""
    first = create(tmp_path / "host-a", wiki, records=pg_database)
    (tmp_path / "host-b").mkdir()
    shutil.copy(first.config, tmp_path / "host-b" / "cop.toml")
    return first, CopDir(tmp_path / "host-b", wiki)


def _env(cop: CopDir) -> dict[str, str]:
    return {"COP_MEDIAWIKI_PASSWORD": cop.env["COP_MEDIAWIKI_PASSWORD"]}


def test_two_hosts_never_sync_at_once(hosts: tuple[CopDir, CopDir]) -> None:
    a, b = hosts
    member(a.wiki).append(f"{NS}:Members", BOB)
    first = spawn("cop-sync", config=a.config, COP_CRASH_AT="locked", COP_CRASH_SIGNAL="STOP",
                  **_env(a))
    try:
        _, status = os.waitpid(first.pid, os.WUNTRACED)
        assert os.WIFSTOPPED(status), "the first run never reached the lock"
        second = run("cop-sync", config=b.config, timeout=60, **_env(b))
        assert second.returncode == 3, second.stderr
        host = socket.gethostname()[:30]
        assert f"another cop-sync is running (pid {first.pid} on {host}, started 20" in \
            second.stderr
        assert "lock in postgresql://" in second.stderr
        waited = run("cop", "member", "remove", "battery", "bob@corp.example",
                     config=b.config, timeout=90, **_env(b))
        assert waited.returncode == 3, waited.stderr  # waited 30 s, then gave up
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=10)
    third = run("cop-sync", config=b.config, timeout=60, **_env(b))
    assert third.returncode == 0, third.stderr  # the dead run's lock went with its connection
    assert "bob@corp.example" in recorded_rows(b)["members"]


def test_a_run_killed_mid_sync_leaves_the_records_consistent(
        hosts: tuple[CopDir, CopDir]) -> None:
    a, b = hosts
    people = member(a.wiki)
    people.append(f"{NS}:Members", BOB)
    people.append(f"{NS}:Watch", NEWS)
    with a.records() as records:
        watermark = records.watermark("battery")
    before = recorded_rows(a)
    killed = run("cop-sync", config=a.config, COP_CRASH_AT="before-page-commit", **_env(a))
    assert killed.returncode == KILLED
    with b.records() as records:  # the open transaction died with the process
        assert records.watermark("battery") == watermark
    assert recorded_rows(b) == before
    assert a.integrity() == "ok"
    converged = run("cop-sync", config=b.config, **_env(b))
    assert converged.returncode == 0, converged.stderr
    assert recorded_rows(b) == wiki_rows(b)
    assert "bob@corp.example" in recorded_rows(b)["members"]
    again = run("cop-sync", "--json", config=a.config, **_env(a))
    assert again.returncode == 0 and '"rows_pushed": 0' in again.stdout


def test_two_managers_adding_members_at_once_lose_neither(
        hosts: tuple[CopDir, CopDir]) -> None:
    a, b = hosts
    managers = [spawn("cop", "member", "add", "battery", email, "--name", name, "--profile",
                      "sales", config=cop.config, **_env(cop))
                for cop, email, name in ((a, "ann@corp.example", "Ann"),
                                         (b, "bob@corp.example", "Bob"))]
    for process in managers:
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
    recorded = recorded_rows(a)["members"]
    assert {"ann@corp.example", "bob@corp.example"} <= set(recorded)
    on_wiki = wiki_rows(a)["members"]
    assert {"ann@corp.example", "bob@corp.example"} <= set(on_wiki)
    assert run("cop-sync", config=b.config, **_env(b)).returncode == 0
    assert recorded_rows(b) == wiki_rows(b)
