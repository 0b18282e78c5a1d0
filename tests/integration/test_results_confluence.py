"""Results on the fake Confluence, Cloud and Data Center (every request and 2xx answer
checked against Atlassian's OpenAPI specs): people's edits read from CQL, the results page
published as a child of the charter, the portfolio in the first community's space, nothing
written the second time, a hand edit reported."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from bs4 import BeautifulSoup
from fakes.confluence_state import MEMBER
from test_loop_confluence import KEY, Cli, add_row, cop, provisioned, site  # noqa: F401

pytest_plugins = ["fakes.fixtures"]
SINCE = (datetime.now(UTC) - timedelta(days=7)).strftime("%Y-%m-%d")
PORTFOLIO = "Communities of practice — results"


def table(body: str, number: int) -> list[list[str]]:
    soup = BeautifulSoup(body, "html.parser")
    rows = soup.find_all("table")[number].find_all("tr")
    return [[cell.get_text(" ", strip=True) for cell in row.find_all(["th", "td"])]
            for row in rows]


def members_edit(cop: Cli) -> None:  # noqa: F811 - the fixture's name
    """Marie Curie (the fake's member account) joins and adds a watch item and a regulation."""
    added = cop("member", "add", "battery", MEMBER.email, "--name", MEMBER.display_name,
                "--profile", "R&D")
    assert added.exit_code == 0, added.output
    fake = cop.fake
    add_row(fake, "Watch", ['<time datetime="2026-11-02" />', "Sodium-ion", "", "", "", ""])
    add_row(fake, "Regulation", ["EU-1", "Batteries", "EU", "", "", "", ""])
    assert cop.sync().exit_code == 0


def test_results_and_portfolio_pages_on_confluence(provisioned: Cli) -> None:  # noqa: F811
    fake = provisioned.fake
    members_edit(provisioned)
    result = provisioned("report", "--all", "--since", SINCE, "--publish")
    assert result.exit_code == 0, result.output
    assert "published 2 page(s)" in result.stderr

    charter = fake.page(KEY, "Charter")
    results = fake.page(KEY, "Results")
    assert results.parent_id == charter.id
    assert set(results.labels) == {"cop", "cop-results"}
    summary = dict(map(tuple, table(results.body, 0)))
    assert (summary["Members"], summary["Active contributors"], summary["Wiki edits"],
            summary["Rows added"]) == ("3", "1", "2", "5")
    contributors = table(results.body, 3)
    assert contributors[1][:3] == ["Marie Curie", "R&D", "2"]

    portfolio = fake.page(KEY, PORTFOLIO)
    assert portfolio.parent_id == charter.id
    rows = table(portfolio.body, 0)
    assert rows[1][:6] == ["Battery storage", "3", "1", "1/3", "2", "5"]
    link = BeautifulSoup(portfolio.body, "html.parser").find("ri:page")
    assert (link["ri:content-title"], link["ri:space-key"]) == ("Results", KEY)

    writes = len(fake.writes())
    again = provisioned("report", "--all", "--since", SINCE, "--publish")
    assert again.exit_code == 0, again.output
    assert "published 0 page(s); 2 left as they are" in again.stderr
    assert len(fake.writes()) == writes


def test_a_hand_edit_is_reported_not_overwritten(provisioned: Cli) -> None:  # noqa: F811
    fake = provisioned.fake
    assert provisioned("report", "battery", "--since", SINCE, "--publish").exit_code == 0
    fake.edit_page(KEY, "Results", "<p>Our own words</p>")
    drift = provisioned("report", "battery", "--since", SINCE, "--publish")
    assert drift.exit_code == 0 and "! drift   BATTERY:Results" in drift.stderr
    assert fake.page(KEY, "Results").body == "<p>Our own words</p>"
    forced = provisioned("report", "battery", "--since", SINCE, "--publish", "--force")
    assert forced.exit_code == 0 and "Our own words" not in fake.page(KEY, "Results").body


def test_health_reads_confluence_history(provisioned: Cli) -> None:  # noqa: F811
    members_edit(provisioned)
    shown = provisioned("health", "battery", "--json", "--since", SINCE)
    assert shown.exit_code == 0, shown.output
    [figures] = json.loads(shown.stdout)["communities"]
    assert [(c["name"], c["edits"]) for c in figures["contributors"]] == [("Marie Curie", 2)]
    assert figures["active"] == 1
