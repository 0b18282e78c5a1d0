"""No password in logs, reports or error messages — with everything at DEBUG, against the real
wiki: cop provision and cop-sync as real processes with -vv (the logging module at DEBUG on
stderr, or in [sync] log_file), a login the wiki refuses, a wiki that is not there; and the
library in-process with every logger at DEBUG."""

from __future__ import annotations

import json
import logging
import socket
from pathlib import Path
from typing import Any

import pytest
from cop_process import run
from cop_wiki import NS, CopDir
from wiki_people import member

from page_templates import shipped
from sync.config.backends import build_backend
from sync.config.loader import load
from sync.engine.members import record_member
from sync.engine.run import Syncer, SyncOptions
from sync.provision.run import Provisioner

WRONG = "Wrong-But-Secret-Password-4242"


def leaks(secret: str, cop: CopDir, *texts: str) -> list[str]:
    """Where ``secret`` shows: the texts given, the report file, the records (and its WAL)."""
    places = {f"text {n}": text for n, text in enumerate(texts)}
    for path in sorted(cop.path.iterdir()):
        if path.is_file():
            places[path.name] = path.read_bytes().decode("utf-8", "replace")
    return [name for name, text in places.items() if secret in text]


def debug(cop: CopDir, *args: str, program: str = "cop-sync", password: str = "") -> Any:
    secret = password or cop.wiki.credentials.bot_password
    return run(program, "-vv", *args, config=cop.config, COP_MEDIAWIKI_PASSWORD=secret)


def test_debug_runs_log_reports_and_records_hold_no_password(battery: CopDir) -> None:
    password = battery.wiki.credentials.bot_password
    member(battery.wiki).append(f"{NS}:Watch", "{{CoP watch|date=2026-02-01|title=News}}")
    with battery.records() as records:  # a member change to write: login, token, edit
        record_member(records, shipped(), records.community("battery"),
                      {"email": "ann@corp.example", "name": "Ann"})
    provisioned = debug(battery, "provision", "battery", program="cop")
    synced = debug(battery, "--json")
    assert provisioned.returncode == 0 and synced.returncode == 0, synced.stderr
    assert "DEBUG" in synced.stderr and "DEBUG" in provisioned.stderr  # really at DEBUG
    assert "action=login" in synced.stderr or "POST /api.php" in synced.stderr
    assert json.loads(synced.stdout)["counts"]["rows_pushed"] == 1
    outputs = (provisioned.stdout, provisioned.stderr, synced.stdout, synced.stderr)
    assert leaks(password, battery, *outputs) == []


def test_a_log_file_holds_no_password(battery: CopDir) -> None:
    config = battery.config.read_text()
    battery.config.write_text(config.replace('log_file = ""', 'log_file = "cop-sync.log"'))
    synced = debug(battery)
    assert synced.returncode == 0, synced.stderr
    log = (battery.path / "cop-sync.log").read_text()
    assert "DEBUG" in log and "DEBUG" not in synced.stderr  # the file replaces stderr
    assert leaks(battery.wiki.credentials.bot_password, battery, synced.stdout,
                 synced.stderr) == []


def test_a_refused_login_shows_no_password(battery: CopDir) -> None:
    (battery.path / "cop-session.json").unlink(missing_ok=True)  # else no login is needed
    synced = debug(battery, "--json", password=WRONG)
    provisioned = debug(battery, "provision", "battery", program="cop", password=WRONG)
    assert synced.returncode == 2 and provisioned.returncode == 2  # configuration, both
    for result in (synced, provisioned):
        assert "refused the login of 'CopBot@cop'" in result.stdout + result.stderr
    report = json.loads((battery.path / "cop-sync-report.json").read_text())
    assert "refused the login" in report["communities"][0]["error"]
    assert leaks(WRONG, battery, synced.stdout, synced.stderr, provisioned.stdout,
                 provisioned.stderr) == []


def test_an_absent_wiki_shows_no_password(battery: CopDir) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = battery.config.read_text().replace(battery.wiki.url, f"http://127.0.0.1:{port}/")
    config = config.replace("budget_seconds = 600", "budget_seconds = 1")  # no long back-off
    battery.config.write_text(config)
    synced = debug(battery)
    assert synced.returncode == 1, synced.stderr
    assert "did not answer" in synced.stderr or "time budget" in synced.stderr
    assert leaks(battery.wiki.credentials.bot_password, battery, synced.stdout,
                 synced.stderr) == []


@pytest.mark.parametrize("password", ["right", WRONG])
def test_the_library_at_debug_logs_no_password(battery: CopDir, password: str,
                                               caplog: pytest.LogCaptureFixture,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    secret = battery.wiki.credentials.bot_password if password == "right" else password
    monkeypatch.setenv("COP_MEDIAWIKI_PASSWORD", secret)
    caplog.set_level(logging.DEBUG)
    config = load(str(battery.config))
    with battery.records() as records:
        backend = build_backend(config, "mediawiki", records=records)
        Provisioner(records, backend, shipped()).run(records.communities(), dry_run=False)
        report = Syncer(records, {"mediawiki": backend}, shipped()).run(SyncOptions(full=True))
    assert any(r.levelno == logging.DEBUG for r in caplog.records)
    texts = [caplog.text, json.dumps(report.to_dict())]
    texts += [r.getMessage() + (r.exc_text or "") for r in caplog.records]
    assert [t for t in texts if secret in t] == []


def test_plain_http_to_a_remote_wiki_is_refused_by_cop_sync(battery: CopDir,
                                                           tmp_path: Path) -> None:
    config = battery.config.read_text().replace(battery.wiki.url, "http://wiki.example.com/w/")
    battery.config.write_text(config)
    refused = debug(battery)
    assert refused.returncode == 2 and "mediawiki.allow_http" in refused.stderr


def test_the_log_file_tells_the_operator_what_happened(battery: CopDir) -> None:
    """With [sync] log_file and no -v: every run's summary line, its row problems and a
    login the wiki refuses are in the file (the console still shows them too)."""
    config = battery.config.read_text()
    battery.config.write_text(config.replace('log_file = ""', 'log_file = "cop-sync.log"'))
    member(battery.wiki).append(f"{NS}:Watch", "{{CoP watch|date=2026-02-30|title=Bad}}")
    secret = battery.wiki.credentials.bot_password
    synced = run("cop-sync", config=battery.config, COP_MEDIAWIKI_PASSWORD=secret)
    (battery.path / "cop-session.json").unlink()  # (else the kept session needs no password)
    refused = run("cop-sync", config=battery.config, COP_MEDIAWIKI_PASSWORD=WRONG)
    assert synced.returncode == 1 and refused.returncode == 2
    log = (battery.path / "cop-sync.log").read_text(encoding="utf-8")
    assert "row problem:" in log and "2026-02-30" in log
    assert "; exit 1" in log and "; exit 2" in log  # both summary lines
    assert "refused the login" in log and WRONG not in log and secret not in log
    assert "row problem:" in synced.stderr  # the console as before
