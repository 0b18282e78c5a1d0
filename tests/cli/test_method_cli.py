"""The method's commands without a wiki (issue 6): themes, communities from themes, the
limit, the pilot first, seminars, the account report, status, archive of a community never
provisioned, and `cop report` keeping its SLUG while gaining `accounts`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

PEOPLE = ("--pilot", "pia@corp.example", "--expert", "eli@corp.example")


@pytest.fixture
def run(run):  # tests/cli/conftest.py's, in a directory with a starter cop.toml
    assert run("init", "--mediawiki-url", "http://127.0.0.1:9/").exit_code == 0
    return run


def themes(run) -> None:
    for slug in ("storage", "hydrogen", "solar", "cells", "nuclear"):
        assert run("theme", "add", slug, "--title", slug.title(), "--axis",
                   "Energy transition", "--portfolio", f"PF-{slug}").exit_code == 0
    for slug in ("storage", "hydrogen", "solar", "cells"):
        assert run("theme", "decide", slug, "approve", "--by", "Board").exit_code == 0
    assert run("theme", "decide", "nuclear", "reject", "--by", "Board", "--note",
               "not our field").exit_code == 0


def test_themes_are_proposed_decided_and_listed(run) -> None:
    themes(run)
    listed = json.loads(run("theme", "list", "--json").output)
    assert [(t["slug"], t["status"]) for t in listed] == [
        ("storage", "approved"), ("hydrogen", "approved"), ("solar", "approved"),
        ("cells", "approved"), ("nuclear", "rejected")]
    assert listed[4]["note"] == "not our field" and listed[0]["portfolio"] == "PF-storage"
    assert "rejected" in run("theme", "list").output
    refused = run("community", "add", "atom", "--name", "Atom", "--from-theme", "nuclear",
                  *PEOPLE)
    assert refused.exit_code == 2 and "rejected, not approved" in refused.output
    assert run("theme", "add", "Bad Slug", "--title", "x", "--axis", "y").exit_code == 2


def test_the_pilot_first_then_three_more_and_a_fifth_refused(run) -> None:
    themes(run)
    first = run("community", "add", "battery", "--name", "Battery", "--from-theme",
                "storage", *PEOPLE)
    assert first.exit_code == 0 and "the pilot community" in first.output, first.output
    second = run("community", "add", "hydro", "--name", "Hydrogen", "--from-theme", "hydrogen",
                 *PEOPLE)
    assert second.exit_code == 0
    assert "warning: the pilot community battery is not provisioned yet" in second.stderr
    for slug, theme in (("sun", "solar"), ("cells", "cells")):
        assert run("community", "add", slug, "--name", slug, "--from-theme", theme,
                   *PEOPLE).exit_code == 0
    fifth = run("community", "add", "more", "--name", "More", "--theme", "X", *PEOPLE)
    assert fifth.exit_code == 2
    assert "max_communities = 4" in fifth.output and "--force" in fifth.output
    assert run("community", "add", "more", "--name", "More", "--theme", "X", *PEOPLE,
               "--force").exit_code == 0
    shown = json.loads(run("community", "show", "battery", "--json").output)
    assert (shown["theme"], shown["axes"], shown["status"]) == ("Storage",
                                                                "Energy transition",
                                                                "proposed")
    status = run("status")
    assert "rollout stage: pilot (pilot community: battery; 5 of at most 4" in status.output
    assert "lifecycle: proposed, the pilot community" in status.output
    assert "! method: 5 communities running or proposed" in status.output
    activate = run("community", "activate", "battery")
    assert activate.exit_code == 2 and "provision it first" in activate.output


def test_status_shows_members_by_profile_and_vacant_roles(run) -> None:
    run("community", "add", "battery", "--name", "Battery", "--theme", "E", *PEOPLE)
    added = run("member", "add", "battery", "ann@corp.example", "--name", "Ann",
                "--profile", "ventes")
    assert added.exit_code == 0, added.output
    typo = run("member", "add", "battery", "rob@corp.example", "--name", "Rob", "--profile",
               "rnd")
    assert typo.exit_code == 2 and "did you mean 'R&D'?" in typo.output
    status = run("status", "battery")
    assert "members by profile: sales 1, (none) 2" in status.output
    assert "profiles missing among the members: marketing, R&D" in status.output
    assert "role vacant: no sponsor" in status.output
    assert run("community", "set", "battery", "--sponsor", "CEO").exit_code == 0
    data = json.loads(run("status", "battery", "--json").output)
    assert not any("sponsor" in w for w in data["communities"][0]["warnings"])
    assert data["method"]["stage"] == "pilot"


def test_seminars_and_workshops_are_checked(run) -> None:
    run("community", "add", "battery", "--name", "Battery", "--theme", "E", *PEOPLE)
    assert run("seminar", "add", "2026", "--title", "T", "--start", "2026-06-10", "--days",
               "4", "--place", "Lyon").exit_code == 2
    wrong_year = run("seminar", "add", "2026", "--title", "T", "--start", "2027-06-10",
                     "--days", "2", "--place", "Lyon")
    assert wrong_year.exit_code == 2 and "--start" in wrong_year.output
    assert run("seminar", "add", "2026", "--title", "CoP days", "--start", "2026-06-10",
               "--days", "3", "--place", "Lyon").exit_code == 0
    assert run("seminar", "workshop", "add", "2026", "battery", "--title",
               "Cells").exit_code == 0
    assert run("seminar", "workshop", "add", "2027", "battery", "--title",
               "Cells").exit_code == 2
    listed = json.loads(run("seminar", "list", "--json").output)
    assert listed[0]["end"] == "2026-06-12" and listed[0]["workshops"][0]["title"] == "Cells"


def test_report_keeps_its_slug_and_gains_accounts(run) -> None:
    run("community", "add", "battery", "--name", "Battery", "--theme", "E", *PEOPLE)
    help_text = run("report", "--help").output
    assert "[SLUG]" in help_text and "--since" in help_text and "accounts" in help_text
    assert run("report").exit_code == 2
    assert run("report", "battery", "--no-wiki", "--format", "json").exit_code == 0
    assert run("report", "--no-wiki", "--all", "--format", "json").exit_code == 0
    assert run("report", "battery", "extra", "--no-wiki").exit_code == 2
    csv_text = run("report", "accounts").output
    assert csv_text.splitlines() == ["year,account,communities,meetings,attendees,person_hours"]
    data = json.loads(run("report", "accounts", "--year", "2026", "--format", "json").output)
    assert data == {"year": 2026, "accounts": []}
    # its usage line is one that works: accounts takes no SLUG
    assert "Usage: cop report accounts [OPTIONS]" in run("report", "accounts", "--help").output


def test_a_community_never_provisioned_is_archived_and_reopened(run, tmp_path: Path) -> None:
    run("community", "add", "battery", "--name", "Battery", "--theme", "E", *PEOPLE)
    archived = run("archive", "battery", "--to", str(tmp_path / "snap"))
    assert archived.exit_code == 0, archived.output
    assert (tmp_path / "snap" / "snapshot.html").exists()
    assert "battery archived" in archived.output
    refused = run("provision", "battery")
    assert refused.exit_code == 2 and "archived" in refused.output
    assert run("member", "add", "battery", "a@b.io", "--name", "A", "--profile",
               "sales").exit_code == 2
    reopened = run("archive", "battery", "--undo")
    assert reopened.exit_code == 0 and "reopened: proposed" in reopened.output


def test_theme_list_json_gives_every_decision(run) -> None:
    assert run("theme", "add", "quantum", "--title", "Quantum", "--axis", "X").exit_code == 0
    for decision, by, note in (("reject", "Executive committee", "not ours"),
                               ("approve", "Board", "reconsidered"),
                               ("reject", "Executive committee", "final no")):
        assert run("theme", "decide", "quantum", decision, "--by", by, "--note",
                   note).exit_code == 0
    [quantum] = json.loads(run("theme", "list", "--json").output)
    assert quantum["status"] == "rejected" and quantum["note"] == "final no"
    assert [(d["previous"], d["decision"], d["decided_by"], d["note"])
            for d in quantum["decisions"]] == [
        ("proposed", "rejected", "Executive committee", "not ours"),
        ("rejected", "approved", "Board", "reconsidered"),
        ("approved", "rejected", "Executive committee", "final no")]
    assert all(d["decided_at"] for d in quantum["decisions"])
    table = run("theme", "list").output.splitlines()
    assert "decisions" in table[0] and " 3 " in table[2]


def test_archiving_an_archived_community_is_refused_unless_forced(run,
                                                                   tmp_path: Path) -> None:
    run("community", "add", "battery", "--name", "Battery", "--theme", "E", *PEOPLE)
    assert run("archive", "battery", "--to", str(tmp_path / "snap")).exit_code == 0
    again = run("archive", "battery", "--to", str(tmp_path / "other"))
    assert again.exit_code == 2 and "battery is already archived (since " in again.output
    assert "--undo" in again.output and not (tmp_path / "other").exists()
    forced = run("archive", "battery", "--to", str(tmp_path / "other"), "--force")
    assert forced.exit_code == 0 and "battery archived again" in forced.output
    assert (tmp_path / "other" / "snapshot.json").exists()
    lifecycle = json.loads((tmp_path / "other" / "snapshot.json").read_text())["decisions"]
    assert [d["decision"] for d in lifecycle] == ["archived"]  # recorded once
    assert run("archive", "battery", "--undo").exit_code == 0
