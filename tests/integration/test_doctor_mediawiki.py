"""`cop doctor` against the real MediaWiki, in states made wrong on purpose: each problem is
named with its exact fix; a healthy wiki gives no failure; nothing is ever written (no
edit, no change to the records, no kept session)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import localwiki
from cop_wiki import NS, CopDir
from wiki_people import Person

BOT_SECRET = "doctor0123456789abcdefghijklmnopqrstuvw"  # ^[0-9a-w]{32,}$, or login fails
# TemplateData is loaded by the test wiki's settings; this takes it off the load queue again
WITHOUT_TEMPLATEDATA = """
$copRegistry = ExtensionRegistry::getInstance();
$copQueue = $copRegistry->getQueue();
$copRegistry->clearQueue();
foreach ( $copQueue as $copPath => $copTime ) {
    if ( strpos( $copPath, '/TemplateData/' ) === false ) {
        $copRegistry->queue( $copPath );
    }
}
"""


def doctor(cop: CopDir) -> tuple[int, dict[str, Any]]:
    result = cop("doctor", "--json")
    return result.exit_code, json.loads(result.stdout)


def by_status(report: dict[str, Any], status: str) -> dict[str, dict[str, str]]:
    return {c["topic"]: c for c in report["checks"] if c["status"] == status}


def admin(cop: CopDir) -> Person:
    credentials = cop.wiki.credentials
    return Person(cop.wiki.url, credentials.admin_user, credentials.admin_password)


def use_bot_password(cop: CopDir, app: str, grants: str) -> None:
    """A second bot password of the bot account, with these grants only, in cop.toml."""
    localwiki._php(cop.wiki.directory, "createBotPassword.php", "--appid", app,
                   "--grants", grants, "CopBot", BOT_SECRET)
    text = cop.config.read_text().replace('user = "CopBot@cop"', f'user = "CopBot@{app}"')
    cop.config.write_text(text)
    cop.env["COP_MEDIAWIKI_PASSWORD"] = BOT_SECRET


def dump(database: Path) -> list[str]:
    with sqlite3.connect(database) as db:
        return list(db.iterdump())


def test_a_healthy_wiki_fails_nothing_and_nothing_is_written(battery: CopDir) -> None:
    records = dump(battery.path / "cop.db")
    edits = admin(battery).site.get("query", meta="siteinfo", siprop="statistics")
    session = battery.path / "cop-session.json"
    kept = session.read_bytes() if session.exists() else None
    code, report = doctor(battery)
    assert code in (0, 1), report
    warnings = by_status(report, "warning")
    # the test wiki may lack VisualEditor; nothing else may be amiss
    assert set(warnings) <= {"extension VisualEditor"}, warnings
    ok = by_status(report, "ok")
    assert {"reachable", "TLS", "login", f"namespace {NS} (battery)", "row templates",
            "extension ParserFunctions", "recent changes ($wgRCMaxAge)",
            f"Add buttons of {NS}"} <= set(ok)
    assert "90 days" in ok["recent changes ($wgRCMaxAge)"]["message"]
    assert dump(battery.path / "cop.db") == records
    after = admin(battery).site.get("query", meta="siteinfo", siprop="statistics")
    assert after["query"]["statistics"]["edits"] == edits["query"]["statistics"]["edits"]
    assert (session.read_bytes() if session.exists() else None) == kept


def test_a_namespace_missing_names_the_lines_to_add(battery: CopDir) -> None:
    for extra in (battery.wiki.directory / "extra").glob("namespaces-*.php"):
        extra.unlink()
    code, report = doctor(battery)
    assert code == 2
    missing = by_status(report, "failure")[f"namespace {NS} (battery)"]
    assert "provisioned there" in missing["message"]
    assert f"$wgExtraNamespaces[3000] = '{NS}';" in missing["fix"]
    assert f"$wgExtraNamespaces[3001] = '{NS}_talk';" in missing["fix"]


def test_a_namespace_renumbered_is_a_failure(battery: CopDir) -> None:
    for extra in (battery.wiki.directory / "extra").glob("namespaces-*.php"):
        extra.unlink()
    battery.wiki.add_namespace(NS, 3100)
    code, report = doctor(battery)
    assert code == 2
    moved = by_status(report, "failure")[f"namespace {NS} (battery)"]
    assert "3100" in moved["message"] and "3000" in moved["message"]
    assert f"$wgExtraNamespaces[3000] = '{NS}';" in moved["fix"]


def test_a_row_template_edited_by_hand_is_named(battery: CopDir) -> None:
    person = admin(battery)
    person.append("Template:CoP member", "<!-- tweaked by someone -->")
    code, report = doctor(battery)
    assert code == 1
    edited = by_status(report, "warning")["row templates: Template:CoP member"]
    assert "edited on the wiki" in edited["message"]
    assert "`cop provision --all`" in edited["fix"]


def test_a_row_template_deleted_is_a_failure(battery: CopDir) -> None:
    admin(battery).site.pages["Template:CoP watch"].delete(reason="test")
    code, report = doctor(battery)
    assert code == 2
    gone = by_status(report, "failure")["row templates: Template:CoP watch"]
    assert "`cop provision --all`" in gone["fix"]


def test_a_bot_password_without_grants_names_the_grants_to_tick(battery: CopDir) -> None:
    use_bot_password(battery, "limited", "basic,editpage,createeditmovepage")
    code, report = doctor(battery)
    assert code == 1, report
    warnings = by_status(report, "warning")
    protect = warnings["rights: protect"]
    assert "Special:BotPasswords/limited" in protect["fix"]
    assert "“Protect and unprotect pages”" in protect["fix"]
    volume = warnings["rights: apihighlimits, noratelimit, bot"]
    assert "“High-volume editing”" in volume["fix"] or "High-volume" in volume["fix"]


def test_a_bot_password_that_cannot_create_pages_is_a_failure(battery: CopDir) -> None:
    use_bot_password(battery, "readonly", "basic,highvolume")
    code, report = doctor(battery)
    assert code == 2
    failures = by_status(report, "failure")
    assert "Special:BotPasswords/readonly" in failures["rights: edit"]["fix"]
    assert "“Create, edit, and move pages”" in failures["rights: createpage"]["fix"]


def test_a_wrong_password_is_a_login_failure(battery: CopDir) -> None:
    battery.env["COP_MEDIAWIKI_PASSWORD"] = "wrong0123456789abcdefghijklmnopqrs"
    code, report = doctor(battery)
    assert code == 2
    login = by_status(report, "failure")["login"]
    assert "Special:BotPasswords/cop" in login["fix"]
    assert "that the environment variable COP_MEDIAWIKI_PASSWORD holds" in login["fix"]
    # what the wiki said, then the fix: the advice once, not in both
    assert "refused the login" in login["message"] and "check" not in login["message"], login
    assert "namespace" not in " ".join(report_topics(report))  # nothing past the login


def report_topics(report: dict[str, Any]) -> list[str]:
    return [c["topic"] for c in report["checks"]]


def test_an_extension_not_loaded_names_the_line(battery: CopDir) -> None:
    battery.wiki.add_php("no-templatedata", WITHOUT_TEMPLATEDATA)
    code, report = doctor(battery)
    assert code == 1
    missing = by_status(report, "warning")["extension TemplateData"]
    assert missing["fix"] == "add to LocalSettings.php: wfLoadExtension( 'TemplateData' );"


def test_an_unreachable_wiki_says_so(battery: CopDir) -> None:
    text = battery.config.read_text().replace(battery.wiki.url, "http://127.0.0.1:9/")
    battery.config.write_text(text)
    code, report = doctor(battery)
    assert code == 2
    assert "did not answer" in by_status(report, "failure")["reachable"]["message"]


def test_the_text_output_gives_each_fix(battery: CopDir) -> None:
    for extra in (battery.wiki.directory / "extra").glob("namespaces-*.php"):
        extra.unlink()
    result = battery("doctor")
    assert result.exit_code == 2
    assert "FAILURE  namespace CoP_Battery (battery)" in result.output
    assert "fix: add to LocalSettings.php:" in result.output
    assert "cop doctor:" in result.output and "exit 2" in result.output


def test_a_namespace_declared_without_the_add_buttons_script_is_named(battery: CopDir) -> None:
    """The namespace lines pasted without the block of the "Add" buttons' script (or before
    the community was added): the buttons open the source editor; the fix says so."""
    for extra in (battery.wiki.directory / "extra").glob("namespaces-*.php"):
        extra.unlink()
    battery.wiki.add_namespace(NS, 3000)  # the namespace and VisualEditor, no script
    code, report = doctor(battery)
    assert code == 1
    found = by_status(report, "warning")[f"Add buttons of {NS}"]
    assert "source editor" in found["message"]
    assert "cop mediawiki namespaces" in found["fix"]
