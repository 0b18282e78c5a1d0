"""`cop digest` as the manager and cron use it: SLUG or --all, a preview by default,
--dry-run files, --send through a real SMTP server (aiosmtpd), exit codes 0/1/2/3, its
own lock, and `cop --help` that stays light."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from mail_server import Inbox, MailServer
from relay_out_world import World

from sync.cli import _cop
from sync.engine.lock import RunLock

WATCH = "{{CoP watch|date=2026-11-20|title=Sodium-ion cells|url=https://example.com/na}}"
FROM = "Communautés de pratiques <cop@corp.example>"


# The directories below copy an in-memory world into a SQLite file (cop.db); the digest's own
# records code runs on PostgreSQL in tests/unit/test_relay_out_digest.py.
pytestmark = pytest.mark.sqlite_only

class Cop:
    """A cop directory: cop.toml (the wiki never asked: --no-wiki), records made on the
    in-memory wiki, and a mail server."""

    def __init__(self, directory: Path, server: MailServer, mail: str) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.directory = directory
        self.server = server
        world = World.fresh()
        world.append("battery", "watch", WATCH)
        world.sync()
        with sqlite3.connect(directory / "cop.db") as target:
            world.records.db.backup(target)
        (directory / "cop.toml").write_text(
            '[records]\npath = "cop.db"\n\n[mediawiki]\nurl = "https://wiki.corp.example/w/"'
            f"\n\n{mail}", encoding="utf-8")
        self.env = {"COP_CONFIG": str(directory / "cop.toml")}

    def __call__(self, *args: str, env: dict[str, str] | None = None) -> Result:
        return CliRunner().invoke(_cop, list(args), env={**self.env, **(env or {})},
                                  catch_exceptions=False)

    def digest(self, *args: str, **kwargs: object) -> Result:
        """`cop digest`, from the records only; a first digest reaching back to 2020 (the
        records were made on the test's clock, not today's)."""
        since = () if "--since" in args else ("--since", "2020-01-01")
        return self("digest", "--no-wiki", *since, *args, **kwargs)


def mail_section(server: MailServer, **extra: str) -> str:
    lines = ["[mail]", 'host = "127.0.0.1"', f"port = {server.port}", 'security = "none"',
             f'from = "{FROM}"', *(f"{k} = {json.dumps(v)}" for k, v in extra.items())]
    return "\n".join(lines) + "\n"


@pytest.fixture
def server():
    with MailServer() as running:
        yield running


@pytest.fixture
def cop(tmp_path: Path, server: MailServer) -> Cop:
    return Cop(tmp_path, server, mail_section(server))


def test_a_community_or_all_and_one_way_out(cop: Cop) -> None:
    assert cop.digest().exit_code == 2
    assert "give a community SLUG or --all" in cop.digest().output
    both = cop.digest("--all", "--send", "--dry-run")
    assert both.exit_code == 2 and "give one" in both.output
    assert cop.digest("--all", "--out", "x").exit_code == 2
    future = cop.digest("--all", "--since", "2999-01-01")
    assert future.exit_code == 2 and "in the future" in future.output
    unknown = cop.digest("nope")
    assert unknown.exit_code == 2 and "no community 'nope'" in unknown.output


def test_without_send_nothing_is_sent(cop: Cop) -> None:
    result = cop.digest("--all")
    assert result.exit_code == 0, result.output
    assert "would send: Zoé" not in result.output  # only members: the pilots and experts
    assert "would send: Pia <pia@battery.example>: 'What is new in Battery storage" in \
        result.stdout
    assert "4 digest(s) would be sent; nothing sent" in result.stderr
    assert cop.server.inbox.received == []


def test_dry_run_writes_eml_files(cop: Cop, tmp_path: Path) -> None:
    result = cop.digest("battery", "--dry-run", "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert files == ["001-eli@battery.example.eml", "002-pia@battery.example.eml"]
    assert "2 message(s) written; nothing sent" in result.stderr
    assert cop.server.inbox.received == []


def test_send_then_again_sends_nothing_more(cop: Cop) -> None:
    result = cop.digest("--all", "--send")
    assert result.exit_code == 0, result.output
    assert "cop digest: 4 sent, 0 refused, 0 not sent; exit 0" in result.stderr
    assert len(cop.server.inbox.received) == 4
    again = cop.digest("--all", "--send", "--json")
    assert again.exit_code == 0
    assert json.loads(again.stdout)["deliveries"] == []
    assert len(cop.server.inbox.received) == 4


def test_a_refused_recipient_exits_1_and_is_named(tmp_path: Path) -> None:
    with MailServer(inbox=Inbox(refuse={"pia@solar.example"})) as server:
        cop = Cop(tmp_path, server, mail_section(server))
        result = cop.digest("--all", "--send")
        assert result.exit_code == 1
        assert "REFUSED: Pia <pia@solar.example>" in result.stdout
        assert "550 5.1.1" in result.stdout
        assert "3 sent, 1 refused, 0 not sent; exit 1" in result.stderr


def test_a_server_gone_exits_1_and_says_the_rest_goes_next_run(tmp_path: Path) -> None:
    server = MailServer()  # not started
    cop = Cop(tmp_path, server, mail_section(server, timeout=2))
    result = cop.digest("--all", "--send")
    assert result.exit_code == 1
    assert "cannot reach the mail server 127.0.0.1" in result.stderr
    assert "the digests not sent are sent by the next run" in result.stderr


def test_sending_needs_a_mail_section_and_its_password(tmp_path: Path,
                                                       server: MailServer) -> None:
    bare = Cop(tmp_path / "bare", server, "")
    result = bare.digest("--all", "--send")
    assert result.exit_code == 2 and "[mail]" in result.output
    assert bare.digest("--all").exit_code == 0  # a preview needs no server
    login = Cop(tmp_path / "login", server, mail_section(server, user="cop-bot",
                                                         password_env="COP_TEST_MAIL_PW"))
    missing = login.digest("--all", "--send")
    assert missing.exit_code == 2
    assert "COP_TEST_MAIL_PW" in missing.output


def test_clear_password_over_the_network_is_refused_by_the_configuration(
        tmp_path: Path, server: MailServer) -> None:
    section = mail_section(server, user="cop-bot").replace('host = "127.0.0.1"',
                                                           'host = "smtp.corp.example"')
    cop = Cop(tmp_path, server, section)
    result = cop.digest("--all")
    assert result.exit_code == 2 and "password in clear" in result.output


def test_two_sends_at_once_the_second_exits_3(cop: Cop) -> None:
    with RunLock(cop.directory / "cop-digest.lock"):
        result = cop.digest("--all", "--send")
    assert result.exit_code == 3
    assert "another `cop digest --send` is running" in result.output
    assert cop.server.inbox.received == []


def test_help_names_the_digest_and_stays_light() -> None:
    assert "digest" in CliRunner().invoke(_cop, ["--help"]).output
    help_text = CliRunner().invoke(_cop, ["digest", "--help"]).output
    assert "--send" in help_text and "--dry-run" in help_text
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, sync.cli; print(sorted(m for m in sys.modules "
         "if m in ('smtplib', 'ssl', 'xml.etree.ElementTree', 'feedparser') or "
         "m.startswith('sync.relay')))"], capture_output=True, text=True, check=True)
    assert "smtplib" not in loaded.stdout and "sync.relay" not in loaded.stdout
