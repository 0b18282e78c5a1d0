"""The MediaWiki session kept between runs (connector/session.py), on the real wiki: a cron
run with nothing to do is one request; the file is its owner's only and never holds the
password; a session the wiki no longer knows is replaced without failing. And a refused
login is exit 2 (configuration) from every command."""

from __future__ import annotations

import json
import stat

from cop_wiki import CopDir
from wiki_proxy import proxied

WRONG = "wrong0123456789abcdefghijklmnopqrstu"


def session_file(cop: CopDir):
    return cop.path / "cop-session.json"


def test_a_no_change_sync_is_one_request(battery: CopDir) -> None:
    assert battery.sync().exit_code == 0  # (the session is kept by now, whatever the snapshot)
    with proxied(battery.wiki.url) as proxy:
        result = battery.sync()
    assert result.exit_code == 0, result.output
    assert len(proxy.seen) == 1 and proxy.seen[0]["list"] == "recentchanges"
    assert proxy.seen[0]["assert"] == "user"  # a dead session is refused, not read as anon


def test_the_session_file_is_private_and_holds_no_password(battery: CopDir) -> None:
    assert battery.sync().exit_code == 0
    path = session_file(battery)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text()
    assert battery.env["COP_MEDIAWIKI_PASSWORD"] not in text
    saved = json.loads(text)
    assert list(saved) == [f"mediawiki {battery.wiki.url} CopBot@cop"]
    assert any(c["name"].endswith("_session") for c in saved[next(iter(saved))]["cookies"])


def test_an_expired_session_logs_in_again_without_failing(battery: CopDir) -> None:
    assert battery.sync().exit_code == 0
    path = session_file(battery)
    saved = json.loads(path.read_text())
    for cookie in next(iter(saved.values()))["cookies"]:
        cookie["value"] = "0" * 32  # a session the wiki does not know
    path.write_text(json.dumps(saved))
    with proxied(battery.wiki.url) as proxy:
        result = battery.sync()
    assert result.exit_code == 0, result.output
    actions = [p.get("action") for p in proxy.seen]
    assert actions.count("login") == 1 and len(proxy.seen) == 4  # feed, token, login, feed
    with proxied(battery.wiki.url) as proxy:
        assert battery.sync().exit_code == 0
    assert len(proxy.seen) == 1  # the new session was kept


def test_keep_session_false_logs_in_every_run(battery: CopDir) -> None:
    session_file(battery).unlink(missing_ok=True)
    text = battery.config.read_text().replace("keep_session = true", "keep_session = false")
    if "keep_session" not in text:
        text += "\n[sync]\nkeep_session = false\n"
    battery.config.write_text(text)
    for _ in range(2):
        with proxied(battery.wiki.url) as proxy:
            assert battery.sync().exit_code == 0
        assert [p.get("action") for p in proxy.seen].count("login") == 1
    assert not session_file(battery).exists()


def test_a_refused_login_is_exit_2_from_every_command(battery: CopDir) -> None:
    session_file(battery).unlink(missing_ok=True)  # else the kept session needs no password
    battery.env["COP_MEDIAWIKI_PASSWORD"] = WRONG
    sync = battery.sync()
    assert sync.exit_code == 2 and "refused the login" in sync.output
    assert "the password in the environment variable COP_MEDIAWIKI_PASSWORD" in sync.output
    assert "; exit 2" in sync.output
    added = battery("member", "add", "battery", "zoe@corp.example", "--name", "Zoe",
                    "--profile", "sales")
    assert added.exit_code == 2 and "the change is recorded" in added.output
    assert battery("provision", "battery").exit_code == 2
    assert battery("health", "battery").exit_code == 2
    named = battery("community", "set", "battery", "--sponsor", "CFO")
    assert named.exit_code == 2 and "refused the login" in named.output
    assert battery("doctor").exit_code == 2
    report = json.loads((battery.path / "cop-sync-report.json").read_text())
    assert report["exit_code"] == 2


def test_a_namespace_taken_out_of_the_wiki_fails_its_community(battery: CopDir) -> None:
    """The namespace lines removed from LocalSettings.php: the steady-state feed (one
    request, the namespace's number from the records) gets the wiki's warning, and the
    community fails with the lines to put back, exit 2 — not a quiet exit 0, nor (with
    --full) an "emptied community" whose hint is --force-delete."""
    assert battery.sync().exit_code == 0
    with battery.records() as records:
        rows = records.live_rows("battery", "references")
        mark = records.watermark("battery")
    for extra in (battery.wiki.directory / "extra").glob("namespaces-*.php"):
        extra.unlink()
    for args in ((), ("--full",)):
        result = battery.sync(*args)
        assert result.exit_code == 2, result.output
        assert "'CoP_Battery' does not exist" in result.output
        assert "$wgExtraNamespaces[3000] = 'CoP_Battery';" in result.output
        assert "--force-delete" not in result.output
        assert "then run the command again" in result.output
    with battery.records() as records:
        assert records.live_rows("battery", "references") == rows and rows
        assert records.watermark("battery") == mark
    assert "! the last cop-sync failed here: mediawiki: 'CoP_Battery' does not exist" in \
        battery("status", "battery").output
