"""cop health, cop report and the health alerts of cop status, without a wiki (--no-wiki):
configuration, formats, exit codes."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import records_engine


@pytest.fixture
def ready(run, tmp_path: Path):
    assert run("init", "--mediawiki-url", "http://127.0.0.1:9/").exit_code == 0
    result = run("community", "add", "battery", "--name", "Stockage batterie", "--theme",
                 "Energy", "--pilot", "pia@corp.example", "--expert", "eli@corp.example",
                 "--lang", "fr")
    assert result.exit_code == 0, result.output
    records_engine.execute(tmp_path,  # registered long ago, never active
                           "UPDATE communities SET created_at = '2025-01-06T09:00:00Z'")
    return run


def test_status_shows_health_alerts_from_the_records(ready) -> None:
    shown = ready("status", "battery")
    assert shown.exit_code == 0, shown.output
    assert "! health: Fading: no contribution since the community was created (2025-01-06" \
        in shown.output
    assert "Regulation: never reviewed; due by 2025-07-06" in shown.output.replace(
        "Réglementation", "Regulation")
    assert "no member with the profile marketing, R&D, sales" in shown.output
    data = json.loads(ready("status", "--json").output)
    codes = [a["code"] for a in data["communities"][0]["alerts"]]
    assert codes == ["fading_never", "review_never", "review_never", "profiles"]


def test_health_figures_without_the_wiki(ready) -> None:
    shown = ready("health", "battery", "--no-wiki")
    assert shown.exit_code == 0, shown.output
    assert "members 2, active contributors 0" in shown.output
    assert "actions: 0 open, 0 overdue" in shown.output  # seminar actions (issue 6)
    data = json.loads(ready("health", "--no-wiki", "--json", "--since", "2026-01-01").output)
    [figures] = data["communities"]
    assert figures["since"] == "2026-01-01" and figures["members"] == 2
    assert figures["actions"] == {"tracked": True, "open": 0, "overdue": []}
    assert figures["alerts"][0]["message"].startswith("Essoufflement")  # the community's


def test_report_formats(ready, tmp_path: Path) -> None:
    digest = ready("report", "battery", "--no-wiki", "--since", "2026-01-01")
    assert digest.exit_code == 0, digest.output
    assert digest.stdout.startswith("# Stockage batterie : résumé du 2026-01-01 au")
    assert "2 membres, 0 contributeur actif, 0 modification du wiki" in digest.stdout
    data = json.loads(ready("report", "--all", "--no-wiki", "--format", "json").stdout)
    assert data["communities"][0]["slug"] == "battery"
    out = tmp_path / "out" / "report.html"
    html = ready("report", "--all", "--no-wiki", "--format", "html", "-o", str(out))
    assert html.exit_code == 0 and f"report written to {out}" in html.stderr
    text = out.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") and text.count("<svg") == 5


def test_the_html_report_holds_no_address_but_xml_namespaces(ready, tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    assert ready("report", "battery", "--no-wiki", "--format", "html", "-o",
                 str(out)).exit_code == 0
    text = out.read_text(encoding="utf-8")
    assert "<metadata" not in text and "matplotlib.org" not in text
    addresses = re.findall(r'(\S+)="?(https?://[^"\s<]*)', text)
    assert addresses and all(name.startswith("xmlns") for name, _ in addresses), addresses


def test_a_period_starting_in_the_future_is_refused(ready) -> None:
    for command in ("report", "health"):
        refused = ready(command, "battery", "--no-wiki", "--since", "2999-01-01")
        assert refused.exit_code == 2, refused.output
        assert "--since 2999-01-01 is in the future" in refused.output
    assert ready("report", "battery", "--no-wiki", "--since", "2026-01-01").exit_code == 0


def test_an_unidentified_contributor_is_named_once(ready, tmp_path: Path) -> None:
    today = datetime.now(UTC).date()
    records_engine.execute(
        tmp_path, "INSERT INTO contributions (community, kind, page, wiki_user, display_name,"
        " at, revision) VALUES ('battery', 'watch', 'CoP Battery:Veille', 'Member',"
        " '', ?, '7')", f"{today - timedelta(days=2)}T08:00:00Z")
    shown = ready("health", "battery", "--no-wiki", "--since", str(today - timedelta(days=9)))
    assert shown.exit_code == 0, shown.output
    assert "contributors: Member (not identified) 1" in shown.output
    assert "((" not in shown.output
    assert "watch +0 ~0 -0 (1 edit)" in shown.output


def test_report_needs_a_community_or_all(ready) -> None:
    assert ready("report").exit_code == 2
    both = ready("report", "battery", "--all")
    assert both.exit_code == 2 and "not both" in both.output
    assert ready("report", "nope", "--no-wiki").exit_code == 2  # no such community


def test_publish_skips_a_community_not_provisioned(ready) -> None:
    """Its namespace may not exist yet: a page written there could land in the main one."""
    result = ready("report", "battery", "--no-wiki", "--publish")
    assert result.exit_code == 0
    assert "battery: not provisioned yet, so no results page" in result.stderr
    assert "# Stockage batterie" in result.stdout


@pytest.mark.parametrize("setting, named", [
    ("fading_weeks = 0", "health.fading_weeks"),
    ('required_profiles = "sales"', "health.required_profiles"),
    ("[health.review_months]\nregulation = \"6\"", "health.review_months.regulation"),
    ('[health.users]\nBob = "not an e-mail"', "health.users"),
    ("fading = 3", "health.fading"),
])
def test_bad_health_settings_are_named(ready, tmp_path: Path, setting: str, named: str) -> None:
    config = tmp_path / "cop.toml"
    config.write_text(config.read_text() + f"\n[health]\n{setting}\n")
    result = ready("status")
    assert result.exit_code == 2 and named in result.output


def test_a_french_communitys_report_frame_is_french_unless_asked(ready, tmp_path: Path) -> None:
    out = tmp_path / "fr.html"
    assert ready("report", "battery", "--no-wiki", "--format", "html", "-o",
                 str(out)).exit_code == 0
    assert '<html lang="fr"' in out.read_text(encoding="utf-8")
    assert ready("report", "battery", "--no-wiki", "--format", "html", "-o", str(out),
                 "--lang", "en").exit_code == 0
    assert '<html lang="en"' in out.read_text(encoding="utf-8")


def test_a_report_file_that_cannot_be_written_is_exit_2(ready, tmp_path: Path) -> None:
    (tmp_path / "taken").write_text("a file, not a directory")
    refused = ready("report", "battery", "--no-wiki", "-o", str(tmp_path / "taken" / "r.md"))
    assert refused.exit_code == 2 and "cannot write" in refused.output
