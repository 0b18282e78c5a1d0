"""Results on the real MediaWiki (issue 7's acceptance criteria): after a scripted month of
member edits, the published results page and the portfolio page show the right counts, and
a second ``--publish`` with no change writes nothing.

What is simulated, and how: three people really edit the community's pages through the
API (their own accounts), and cop-sync really records each edit; only the clock is moved.
After each step, the times of what that step made are set back to the scripted day: in the
wiki's database (``recentchanges.rc_timestamp``, ``revision.rev_timestamp``) and in the
records (``entries.first_seen`` / ``updated_at``), since neither MediaWiki nor cop-sync can
be told another time. Everything from before the month (provisioning, the snapshot's own
edits) is set back to before the period. The report then reads the wiki's history and the
records as they would be after a real month.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from bs4 import BeautifulSoup
from cop_wiki import NS, CopDir
from wiki_people import Person, admin, member

PASSWORD = "Contr1butor-Local-Wiki-Pass"
START = datetime.now(UTC).replace(hour=9, minute=0, second=0, microsecond=0) - timedelta(days=30)
RESULTS = "CoP Battery:Results"
PORTFOLIO = "Project:Communities of practice — results"


@dataclass
class Month:
    cop: CopDir
    began: str  # real time when the test began: later rows are this month's

    def day(self, number: int) -> datetime:
        return START + timedelta(days=number, hours=1)

    def step(self, number: int, person: Person, title: str, line: str) -> None:
        """On scripted day ``number``: ``person`` saves ``line`` on the page, cop-sync
        records it, and the times of both are set back to that day."""
        mark = _now()
        if line.startswith("REPLACE "):
            old, new = line[len("REPLACE "):].split(" => ")
            person.save(f"{NS}:{title}", person.read(f"{NS}:{title}").replace(old, new))
        else:
            person.append(f"{NS}:{title}", line)
        assert self.cop.sync().exit_code == 0
        self.backdate(mark, self.day(number))

    def backdate(self, since: str, when: datetime) -> None:
        wiki_since = since.replace("-", "").replace(":", "").replace("T", "")[:14]
        wiki_when = when.strftime("%Y%m%d%H%M%S")
        with sqlite3.connect(self.cop.wiki.directory / "data" / "wiki.sqlite") as db:
            db.execute("UPDATE recentchanges SET rc_timestamp = ? WHERE rc_timestamp >= ?",
                       (wiki_when, wiki_since))
            db.execute("UPDATE revision SET rev_timestamp = ? WHERE rev_timestamp >= ?",
                       (wiki_when, wiki_since))
        stamp = when.strftime("%Y-%m-%dT%H:%M:%SZ")
        with self.cop.records() as records, records.transaction():  # either engine
            for column in ("first_seen", "updated_at", "deleted_at"):
                records.db.execute(f"UPDATE entries SET {column} = ? "  # noqa: S608
                                   f"WHERE {column} >= ?", (stamp, since))
            records.db.execute("UPDATE communities SET created_at = ? WHERE created_at >= ?",
                               ((START - timedelta(days=60)).strftime("%Y-%m-%dT%H:%M:%SZ"),
                                since))


def _now() -> str:
    return (datetime.now(UTC) - timedelta(seconds=2)).strftime("%Y-%m-%dT%H:%M:%SZ")


def account(wiki, name: str) -> Person:
    """A wiki account made by the administrator (as a company's wiki has its people)."""
    site = admin(wiki).site
    token = site.get("query", meta="tokens", type="createaccount")["query"]["tokens"]
    result = site.post("createaccount", username=name, password=PASSWORD, retype=PASSWORD,
                       createreturnurl=wiki.url, createtoken=token["createaccounttoken"])
    assert result["createaccount"]["status"] == "PASS", result
    return Person(wiki.url, name, PASSWORD)


def tables(person: Person, title: str) -> list[list[list[str]]]:
    """The tables of a page as readers see them (parsed HTML): rows of cell texts."""
    soup = BeautifulSoup(person.parse(title)["text"], "html.parser")
    return [[[cell.get_text(" ", strip=True) for cell in row.find_all(["th", "td"])]
             for row in table.find_all("tr")] for table in soup.find_all("table")]


@pytest.fixture
def month(battery: CopDir) -> Month:
    """The battery community with three more members (two of them with wiki accounts of
    their names, one known to cop.toml by her wiki account), then a scripted month."""
    with battery.config.open("a", encoding="utf-8") as toml:
        toml.write('\n[health]\n[health.users]\n"Member" = "lea.martin@corp.example"\n')
    began = _now()
    for email, name, profile in (("julie.roux@corp.example", "Julie Roux", "ventes"),
                                 ("karim.haddad@corp.example", "Karim Haddad", "R&D"),
                                 ("lea.martin@corp.example", "Léa Martin", "marketing")):
        added = battery("member", "add", "battery", email, "--name", name, "--profile", profile)
        assert added.exit_code == 0, added.output
    made = Month(battery, began)
    everything = "1970-01-01T00:00:00Z"  # what exists now is from before the month
    made.backdate(everything, START - timedelta(days=40))
    wiki = battery.wiki
    julie, karim, lea = account(wiki, "Julie Roux"), account(wiki, "Karim Haddad"), member(wiki)
    for number in (1, 8, 15, 22):
        made.step(number, julie, "Watch", f"{{{{CoP watch|date={made.day(number):%Y-%m-%d}"
                                          f"|title=Watch item {number}|url=https://example.com/"
                                          f"w{number}}}}}")
    made.step(3, karim, "Regulation", "{{CoP regulation|ref=EU-1|title=Batteries}}")
    made.step(10, karim, "Watch", "REPLACE |title=Watch item 1| => |title=Watch item 1 "
                                  "(updated)|")
    made.step(12, lea, "Competition", "{{CoP competitor|competitor=Acme|offer=Cell X}}")
    made.step(17, karim, "Regulation", "{{CoP regulation|ref=EU-2|title=Ecodesign}}")
    return made


def test_a_month_of_edits_published_with_the_right_counts(month: Month) -> None:
    cop = month.cop
    since = START.strftime("%Y-%m-%d")
    people = member(cop.wiki)
    edits_before = people.edit_count()
    result = cop("report", "--all", "--since", since, "--publish")
    assert result.exit_code == 0, result.output
    assert "published 2 page(s)" in result.stderr
    assert people.edit_count() == edits_before + 2

    summary, activity, profiles, contributors, freshness, actions, funnel = tables(people,
                                                                                   RESULTS)
    assert actions == [["Open actions", "0"], ["Overdue actions", "0"]]  # issue 6
    assert funnel == [  # issue 16: no subject written on the Ideas page this month
        ["Stage", "Subjects", "Reached in the period", "Days at this stage (median)"],
        *([stage, "0", "0", "\u2013"]
          for stage in ("Idea", "Studied", "Proposed", "Launched", "Dropped"))]
    assert dict(map(tuple, summary)) == {
        "Members": "5", "Active contributors": "3", "Cross-functional": "yes",
        "Wiki edits": "8", "Rows added": "7", "Rows updated": "1", "Rows removed": "0",
        "Last contribution": month.day(22).strftime("%Y-%m-%d")}
    assert activity[1:] == [["Members", "0", "0", "0", "0"], ["Watch", "4", "1", "0", "5"],
                            ["References", "0", "0", "0", "0"],
                            ["Regulation", "2", "0", "0", "2"],
                            ["Competition", "1", "0", "0", "1"],
                            ["Ideas and subjects", "0", "0", "0", "0"]]
    assert profiles[1:4] == [["marketing", "1", "1"], ["R&D", "1", "1"], ["sales", "1", "1"]]
    assert contributors[1:] == [
        ["Julie Roux", "sales", "4", month.day(22).strftime("%Y-%m-%d")],
        ["Karim Haddad", "R&D", "3", month.day(17).strftime("%Y-%m-%d")],
        ["Léa Martin", "marketing", "1", month.day(12).strftime("%Y-%m-%d")]]
    assert [row[-1] for row in freshness[1:]] == [
        "no review period", "no review period", "up to date", "up to date",
        "no review period"]  # the Ideas page (issue 16): subjects have no review date
    assert freshness[-1][0] == "Ideas and subjects"
    text = people.parse(RESULTS)["text"]
    assert "Nothing to report" in text
    assert "No subject on the Ideas page yet." in text

    portfolio, funnels = tables(people, PORTFOLIO)  # the funnel per community: issue 16
    assert funnels == [["Community", "Idea", "Studied", "Proposed", "Launched", "Dropped",
                        "Raised in the period"], ["Battery storage", "0", "0", "0", "0", "0", "0"]]
    roll_up = people.parse(PORTFOLIO)["text"]
    assert "No subject waits for a project code." in roll_up
    assert "No seminar workshop recorded yet." in roll_up
    assert portfolio[0][:5] == ["Community", "Members", "Active contributors",
                                "Required profiles present", "Wiki edits"]
    assert portfolio[1] == ["Battery storage", "5", "3", "3/3", "8", "7", "1",
                            month.day(22).strftime("%Y-%m-%d"), "0"]
    links = people.parse(PORTFOLIO)["links"]
    assert any(link["title"] == RESULTS for link in links)

    again = cop("report", "--all", "--since", since, "--publish")
    assert again.exit_code == 0, again.output
    assert "published 0 page(s); 2 left as they are" in again.stderr
    assert people.edit_count() == edits_before + 2  # nothing written the second time


def test_a_hand_edit_of_the_results_page_is_reported(month: Month) -> None:
    cop = month.cop
    since = START.strftime("%Y-%m-%d")
    assert cop("report", "battery", "--since", since, "--publish").exit_code == 0
    member(cop.wiki).save(RESULTS, "Our own words")
    drift = cop("report", "battery", "--since", since, "--publish")
    assert drift.exit_code == 0
    assert "! drift   CoP Battery:Results" in drift.stderr and "--force" in drift.stderr
    assert member(cop.wiki).read(RESULTS) == "Our own words"


def test_health_alerts_on_the_real_wiki(month: Month) -> None:
    """A week without a contribution (``fading_weeks = 1``; the last was on day 22)."""
    cop = month.cop
    assert "! health" not in cop("status", "battery").output  # six weeks: healthy
    cop.config.write_text(cop.config.read_text().replace(
        "\n[health]\n[health.users]", "\n[health]\nfading_weeks = 1\n[health.users]"))
    shown = cop("status", "battery")
    day = month.day(22).strftime("%Y-%m-%d")
    assert f"! health: Fading: no contribution since {day}" in shown.output
    health = cop("health", "battery", "--json", "--since", START.strftime("%Y-%m-%d"))
    assert health.exit_code == 0, health.output
    [figures] = json.loads(health.stdout)["communities"]
    assert [a["code"] for a in figures["alerts"]] == ["fading"]
    assert figures["edits"] == 8 and figures["active"] == 3


def test_contributions_read_in_one_request(battery: CopDir) -> None:
    """All community namespaces in one recentchanges query; bots (the connector) left out."""
    backend = battery.backend()
    member(battery.wiki).append(f"{NS}:Watch", "{{CoP watch|date=2026-01-01|title=x}}")
    found = backend.contributions([NS], "2000-01-01T00:00:00Z")
    assert {c.user for c in found} == {"Member"}
    assert backend.stats.feeds == 1
