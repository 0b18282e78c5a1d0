"""`cop doctor` against the Confluence fakes (Cloud and Data Center, every request checked
against Atlassian's OpenAPI specs): a provisioned space finds nothing; a refused token, a
space gone, pages without their labels, people without their permissions are each named
with their fix; and the doctor writes nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fakes.confluence_fake import ConfluenceFake
from test_loop_confluence import EXPERT, KEY, PILOT, Cli

pytest_plugins = ["fakes.fixtures"]


@pytest.fixture(params=["cloud", "dc"])
def site(request: pytest.FixtureRequest) -> ConfluenceFake:
    fake: ConfluenceFake = request.getfixturevalue(f"confluence_{request.param}")
    fake.clock.set(datetime.now(UTC))
    return fake


@pytest.fixture
def unprovisioned(site: ConfluenceFake, tmp_path: Path) -> Cli:
    """cop.toml for the site, pilot and expert mapped to accounts, battery registered."""
    cli = Cli(tmp_path, site)
    deployment = "--confluence-cloud" if cli.cloud else "--confluence-datacenter"
    assert cli("init", "--confluence-url", site.base_url, "--confluence-user",
               "copbot@example.com" if cli.cloud else "", deployment).exit_code == 0
    with cli.config.open("a", encoding="utf-8") as toml:
        toml.write("\n[confluence.accounts]\n")
        for email in (PILOT, EXPERT):
            user = site.add_user(email, email.split("@")[0].title())
            toml.write(f'"{email}" = "{user.account_id if cli.cloud else user.user_key}"\n')
    cli.add_community("battery", "Battery storage")
    return cli


@pytest.fixture
def provisioned(unprovisioned: Cli) -> Cli:
    result = unprovisioned("provision", "battery")
    assert result.exit_code == 0, result.output
    return unprovisioned


def doctor(cli: Cli) -> tuple[int, dict]:
    result = cli("doctor", "--json")
    return result.exit_code, json.loads(result.stdout)


def findings(report: dict, status: str) -> dict[str, dict]:
    return {c["topic"]: c for c in report["checks"]
            if c["status"] == status and c["wiki"] == "confluence"}


def test_a_provisioned_space_is_found_healthy_and_nothing_is_written(provisioned: Cli) -> None:
    before = len(provisioned.fake.writes())
    code, report = doctor(provisioned)
    assert code == 0, report
    ok = findings(report, "ok")
    assert {"reachable", "login", "REST API", f"space {KEY} (battery)",
            f"space permissions {KEY}", f"labels {KEY}"} <= set(ok)
    assert ("v2" in ok["REST API"]["message"]) == provisioned.cloud
    assert len(provisioned.fake.writes()) == before


def test_a_refused_token_is_a_failure_with_its_fix(provisioned: Cli) -> None:
    provisioned.env["COP_CONFLUENCE_TOKEN"] = "not-the-token"
    code, report = doctor(provisioned)
    assert code == 2
    login = findings(report, "failure")["login"]
    assert "token" in login["fix"]


def test_a_missing_secret_is_a_configuration_failure(provisioned: Cli) -> None:
    del provisioned.env["COP_CONFLUENCE_TOKEN"]
    provisioned.runner.env = {}
    code, report = doctor(provisioned)
    assert code == 2
    assert "COP_CONFLUENCE_TOKEN" in findings(report, "failure")["configuration"]["message"]


def test_pages_without_labels_are_a_warning(provisioned: Cli) -> None:
    fake = provisioned.fake
    page = fake.page(KEY, "Watch")
    page.labels.clear()
    code, report = doctor(provisioned)
    assert code == 1
    labels = findings(report, "warning")[f"labels {KEY}"]
    assert "Watch" in labels["message"] and "cop provision battery" in labels["fix"]


def test_a_space_gone_is_a_failure(provisioned: Cli) -> None:
    fake = provisioned.fake
    fake.state.spaces.pop(KEY)
    code, report = doctor(provisioned)
    assert code == 2
    gone = findings(report, "failure")[f"space {KEY} (battery)"]
    assert "gone" in gone["message"] and "trash" in gone["fix"]


def test_people_without_their_permissions_are_a_warning(provisioned: Cli) -> None:
    fake = provisioned.fake
    space = fake.space(KEY)
    space.permissions.clear()
    code, report = doctor(provisioned)
    assert code == 1
    lacking = findings(report, "warning")[f"space permissions {KEY}"]
    assert "2 account(s)" in lacking["message"] and "cop provision battery" in lacking["fix"]


def test_a_space_not_made_yet_is_fine(unprovisioned: Cli) -> None:
    code, report = doctor(unprovisioned)
    assert code == 0, report
    space = findings(report, "ok")[f"space {KEY} (battery)"]
    assert "provisioning creates it" in space["message"]

