"""The method on the real MediaWiki, through the CLI (issue 6's acceptance scenario): five
themes (four approved, one rejected), the pilot community first, then three more, a fifth
refused; a seminar with a workshop in each community; attendance and two actions entered on
the wiki by a plain member; the records, the warnings and the account report. Then an
archived community: protected (the Member account's edit is refused), its snapshot opened
in headless Chromium."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import mwclient.errors
import pytest
from bs4 import BeautifulSoup
from cop_wiki import CopDir, create
from report_demo import dump_dom
from wiki_people import member

from connector.base import PageRef

YEAR = date.today().year
SEMINAR = f"Seminar {YEAR}"
THEMES = {"storage": "Energy storage", "hydrogen": "Hydrogen", "solar": "Solar power",
          "cells": "Battery cells", "nuclear": "Small reactors"}
COMMUNITIES = {"battery": "storage", "hydro": "hydrogen", "sun": "solar", "cellule": "cells"}
PEOPLE = ("--pilot", "claire@corp.example", "--expert", "karim@corp.example")
OVERDUE = f"{YEAR - 1}-12-01"  # an open action due before the seminar's year: overdue


def cli_ok(cop: CopDir, *args: str) -> Any:
    result = cop(*args)
    assert result.exit_code == 0, result.output
    return result


def attend_and_decide(wiki: Any, namespace: str) -> None:
    """A plain member fills the seminar page: two participants, two actions."""
    person = member(wiki)
    title = f"{namespace}:{SEMINAR}"
    source = person.read(title)
    # where a member adds rows: above the help that follows each list
    marks = {"attendance": "== Record your attendance ==", "actions": "== Add an action =="}
    assert all(mark in source for mark in marks.values())
    source = source.replace(marks["attendance"], "\n".join([
        "{{CoP attendance|email=julie.roux@corp.example|name=Julie Roux|hours=7|"
        "workshop=Storage workshop}}",
        "{{CoP attendance|email=paul.henry@corp.example|name=Paul Henry|hours=3,5}}", "",
        marks["attendance"]]))
    source = source.replace(marks["actions"], "\n".join([
        f"{{{{CoP action|action=Write the roadmap|owner=Julie Roux|due={OVERDUE}|"
        "status=open}}",
        f"{{{{CoP action|action=Visit the plant|owner=Paul Henry|due={YEAR + 1}-03-01|"
        "status=in progress}}", "", marks["actions"]]))
    person.save(title, source)


def test_the_method_from_themes_to_the_account_report(wiki: Any, tmp_path: Path) -> None:
    cop = create(tmp_path / "cop", wiki, provision=False)  # battery exists: remove it
    with cop.records() as records:
        records.db.execute("DELETE FROM communities")
    for slug, title in THEMES.items():
        cli_ok(cop, "theme", "add", slug, "--title", title, "--axis", "Energy transition")
    for slug in ("storage", "hydrogen", "solar", "cells"):
        cli_ok(cop, "theme", "decide", slug, "approve", "--by", "Executive committee")
    cli_ok(cop, "theme", "decide", "nuclear", "reject", "--by", "Executive committee")

    first = cli_ok(cop, "community", "add", "battery", "--name", "Battery storage",
                   "--from-theme", "storage", "--account", "CC-100", "--lang", "en", *PEOPLE)
    assert "the pilot community" in first.output
    wiki.add_php("namespaces", cop("mediawiki", "namespaces").output)
    cli_ok(cop, "provision", "battery")
    early = cli_ok(cop, "community", "add", "hydro", "--name", "Hydrogen", "--from-theme",
                   "hydrogen", "--account", "CC-100", "--lang", "fr", *PEOPLE)
    assert "still in its pilot stage" in early.stderr  # allowed, but warned
    activated = cli_ok(cop, "community", "activate", "battery")
    assert "charter CoP Battery:Charter updated" in activated.output
    assert "|status=active" in member(wiki).read("CoP_Battery:Charter")  # at once
    for slug in ("sun", "cellule"):
        added = cli_ok(cop, "community", "add", slug, "--name", slug.title(), "--from-theme",
                       COMMUNITIES[slug], "--account", f"CC-{slug}", *PEOPLE)
        assert "warning" not in added.stderr
    fifth = cop("community", "add", "atom", "--name", "Atom", "--theme", "X", *PEOPLE)
    assert fifth.exit_code == 2 and "max_communities = 4" in fifth.output

    cli_ok(cop, "seminar", "add", str(YEAR), "--title", "Communities days", "--start",
           f"{YEAR}-06-10", "--days", "2", "--place", "Lyon")
    for slug in COMMUNITIES:
        cli_ok(cop, "seminar", "workshop", "add", str(YEAR), slug, "--title",
               f"{slug.title()} workshop")
    wiki.add_php("namespaces", cop("mediawiki", "namespaces").output)
    provisioned = cli_ok(cop, "provision", "--all")
    assert "create  Template:CoP attendance" not in provisioned.output  # made at first
    assert f"+ create  CoP Battery:{SEMINAR}" in provisioned.output
    assert "+ create  CoP Hydro:Séminaire" in provisioned.output  # in French for hydro
    people = member(wiki)
    assert "* Battery workshop" in people.read(f"CoP_Battery:{SEMINAR}")

    attend_and_decide(wiki, "CoP_Battery")
    synced = cop.sync()
    assert synced.exit_code == 0, synced.output
    with cop.records() as records:
        attendance = records.live_rows("battery", f"attendance@{YEAR}")
        actions = records.live_rows("battery", f"actions@{YEAR}")
        lifecycles = {c.slug: c.status for c in records.communities()}
    assert {row["hours"] for row in attendance.values()} == {"7", "3.5"}
    assert {row["status"] for row in actions.values()} == {"open", "in progress"}
    assert lifecycles == {"battery": "active", "hydro": "active", "sun": "active",
                          "cellule": "active"}

    report = json.loads(cli_ok(cop, "report", "accounts", "--year", str(YEAR), "--format",
                               "json").output)
    assert report["accounts"] == [{"year": YEAR, "account": "CC-100",
                                   "communities": ["battery"], "meetings": 2,
                                   "attendees": 2, "person_hours": 10.5}]
    status = cli_ok(cop, "status", "battery").output
    assert "rollout stage: steady" in status
    assert "lifecycle: active, the pilot community" in status
    assert "profiles missing among the members: marketing, R&D, sales" in status
    assert "role vacant: no sponsor" in status
    assert "1 seminar action past its due date" in status
    charter = people.read("CoP_Battery:Charter")
    assert "|status=active" in charter and "|axes=Energy transition" in charter


@pytest.fixture
def archived(battery: CopDir, tmp_path: Path) -> tuple[CopDir, Path]:
    """The battery community (its pilot) with a seminar page filled, archived."""
    cli_ok(battery, "seminar", "add", str(YEAR), "--title", "Communities days", "--start",
           f"{YEAR}-06-10", "--days", "3", "--place", "Lyon")
    cli_ok(battery, "provision", "battery")
    attend_and_decide(battery.wiki, "CoP_Battery")
    result = cli_ok(battery, "archive", "battery", "--to", str(tmp_path / "snapshot"))
    assert "page(s) protected" in result.output
    return battery, tmp_path / "snapshot"


def test_an_archived_community_is_protected_and_reopened(archived: tuple[CopDir, Path]) -> None:
    cop, _ = archived
    people = member(cop.wiki)
    for title in ("CoP_Battery:Members", f"CoP_Battery:{SEMINAR}"):
        with pytest.raises(mwclient.errors.APIError) as refused:
            people.save(title, "vandalised")
        assert refused.value.code == "protectedpage"
    assert "|status=archived" in people.read("CoP_Battery:Charter")
    assert "archived" not in cop.sync().output  # a cron run logs nothing of it
    assert "archived: not synced" in cop.sync("--community", "battery").output
    with cop.records() as records:
        assert records.community("battery").status == "archived"
        assert len(records.live_rows("battery", f"attendance@{YEAR}")) == 2  # last sync
    cli_ok(cop, "archive", "battery", "--undo")
    people.append("CoP_Battery:Watch", "{{CoP watch|title=Back again|date=2026-11-02}}")
    assert cop.sync().exit_code == 0
    assert "|status=pilot" in people.read("CoP_Battery:Charter")


def test_the_snapshot_opens_in_a_browser(archived: tuple[CopDir, Path]) -> None:
    _, directory = archived
    data = json.loads((directory / "snapshot.json").read_text(encoding="utf-8"))
    assert data["community"]["slug"] == "battery"
    dom = BeautifulSoup(dump_dom(directory / "snapshot.html"), "html.parser")
    assert dom.find("h1").get_text() == "Battery storage"
    attendance = dom.select_one(f'table[data-kind="attendance@{YEAR}"]')
    assert attendance is not None
    cells = [td.get_text() for td in attendance.select("tbody td")]
    assert "julie.roux@corp.example" in cells and "3.5" in cells
    references = dom.select_one('table[data-kind="references"]')
    assert references is not None and "IEC 62660" in references.get_text()
    assert dom.select_one("section#page-members") is not None


def test_pages_stay_cop_connectors_after_archive_and_undo(battery: CopDir,
                                                          tmp_path: Path) -> None:
    """Protecting and unprotecting a page adds a revision (by the bot, same content): the
    home page and the results page are still cop-connector's afterwards, so provisioning
    and publishing write them as before, without --force."""
    since = f"{YEAR - 1}-01-01"
    cli_ok(battery, "report", "battery", "--since", since, "--publish")
    ref = PageRef("CoP Battery", "Home")
    home = battery.backend().read_pages([ref])[ref]
    cli_ok(battery, "archive", "battery", "--to", str(tmp_path / "snapshot"))
    cli_ok(battery, "archive", "battery", "--undo")
    reopened = battery.backend().read_pages([ref])[ref]
    assert reopened.revision != home.revision and reopened.content == home.content

    cli_ok(battery, "seminar", "add", str(YEAR), "--title", "Communities days", "--start",
           f"{YEAR}-06-10", "--days", "2", "--place", "Lyon")  # the home page lists it
    provisioned = cli_ok(battery, "provision", "battery")
    assert "drift" not in provisioned.output, provisioned.output
    assert "~ update  CoP Battery:Home" in provisioned.output
    assert SEMINAR in member(battery.wiki).read("CoP_Battery:Home")

    member(battery.wiki).append("CoP_Battery:Watch",
                                "{{CoP watch|title=After the reopening|date=2026-11-02}}")
    assert battery.sync().exit_code == 0
    published = cli_ok(battery, "report", "battery", "--since", since, "--publish")
    assert "drift" not in published.stderr and "--force" not in published.stderr
    assert "~ update  CoP Battery:Results" in published.stderr, published.stderr


def test_the_seminar_page_counts_in_the_activity_and_the_lines_add_up(battery: CopDir) -> None:
    """Attendance and actions entered on the wiki are rows added on the seminar page's line,
    its edits are on that line, and the table adds up to the totals (health and report)."""
    cli_ok(battery, "seminar", "add", str(YEAR), "--title", "Communities days", "--start",
           f"{YEAR}-06-10", "--days", "2", "--place", "Lyon")
    cli_ok(battery, "provision", "battery")
    attend_and_decide(battery.wiki, "CoP_Battery")
    member(battery.wiki).append("CoP_Battery:Watch",
                                "{{CoP watch|title=Cells news|date=2026-11-02}}")
    assert battery.sync().exit_code == 0
    since = f"{YEAR - 1}-01-01"
    [health] = json.loads(cli_ok(battery, "health", "battery", "--json", "--since",
                                 since).output)["communities"]
    lines = {line["kind"]: line for line in health["activity"]}
    seminar = lines[f"seminar@{YEAR}"]
    assert seminar["title"] == SEMINAR
    assert seminar["added"] == 4 and seminar["edits"] == 1  # 2 attendances, 2 actions
    assert health["edits"] == sum(line["edits"] for line in health["activity"])
    assert health["added"] == sum(line["added"] for line in health["activity"])
    [report] = json.loads(cli_ok(battery, "report", "battery", "--since", since, "--format",
                                 "json").output)["communities"]
    assert report["activity"] == health["activity"]
    digest = cli_ok(battery, "report", "battery", "--since", since).output
    assert f"| {SEMINAR} | 4 |" in digest
