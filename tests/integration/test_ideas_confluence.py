"""The Ideas page on the fake Confluence, Cloud and Data Center (issue 16), through the CLI:
a member adds a subject to its table in the editor, proposed to the portfolio; cop-sync
records it; `cop idea link` writes the project code back to its row (the same cells, in the
community's language); the next sync writes nothing. And `cop provision --upgrade` adding
the Ideas page to a space made before it: the new page and the charter's list of pages,
nothing else, and nothing on a second run. Every request is checked against Atlassian's
specs."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from confluence_site import backend_for
from fakes.confluence_fake import ConfluenceFake

from page_templates import TemplateSet, shipped
from page_templates.profiles import shipped_profiles, with_profiles
from sync.cli import _cop
from sync.cli.sync_command import cop_sync
from sync.provision.run import Provisioner
from sync.records.store import Records

pytest_plugins = ["fakes.fixtures"]

PEOPLE = ("--pilot", "claire@corp.example", "--expert", "karim@corp.example")
T = shipped()


class Cli:
    def __init__(self, directory: Path, fake: ConfluenceFake) -> None:
        self.fake = fake
        self.directory = directory
        cloud = fake.deployment == "cloud"
        self.env = {"COP_CONFIG": str(directory / "cop.toml"),
                    "COP_CONFLUENCE_TOKEN": fake.token}
        self.init = ("init", "--confluence-url", fake.base_url, "--confluence-user",
                     "copbot@example.com" if cloud else "",
                     "--confluence-cloud" if cloud else "--confluence-datacenter")

    def __call__(self, *args: str, command: click.Command = _cop) -> Result:
        return CliRunner().invoke(command, list(args), env=self.env, catch_exceptions=False)

    def ok(self, *args: str, command: click.Command = _cop) -> Result:
        result = self(*args, command=command)
        assert result.exit_code == 0, result.output
        return result


@pytest.fixture(params=["cloud", "dc"])
def cop(request: pytest.FixtureRequest, tmp_path: Path) -> Cli:
    fake: ConfluenceFake = request.getfixturevalue(f"confluence_{request.param}")
    fake.clock.set(datetime.now(UTC))
    cli = Cli(tmp_path, fake)
    cli.ok(*cli.init)
    return cli


def add_subject(fake: ConfluenceFake, key: str, title: str, cells: list[str]) -> None:
    """A member adds a row to the subjects' table in the editor (one cell per column:
    subject, need, capability, related entries, keywords, carried by, origin, status,
    reason, project code), each cell a paragraph as the editor saves it."""
    page = fake.page(key, title)
    row = "<tr>" + "".join(f"<td><p>{c}</p></td>" if c else "<td></td>" for c in cells) + \
        "</tr>"
    assert page.body.count("</tbody></table>") == 1
    fake.edit_page(key, title, page.body.replace("</tbody></table>",
                                                 row + "</tbody></table>"))


def test_the_hand_over_round_trip_on_confluence(cop: Cli) -> None:
    cop.ok("community", "add", "stockage", "--name", "Stockage", "--theme", "Énergie",
           "--lang", "fr", *PEOPLE)
    cop.ok("provision", "stockage")
    fake = cop.fake
    page = fake.page("STOCKAGE", "Idées et sujets")
    headers = ["Sujet", "Besoin (marché)", "Capacité (techno)", "Entrées liées", "Mots-clés",
               "Porté par", "Origine", "Statut", "Raison (abandon)", "Code projet"]
    assert all(f"<th><p>{h}</p></th>" in page.body or f"<th>{h}</th>" in page.body
               for h in headers), page.body
    add_subject(fake, "STOCKAGE", "Idées et sujets", [
        "Stockage saisonnier", "Les collectivités veulent stocker l'été", "Nos cuves",
        "", "hydrogène, saisonnier", "Léa", "Visite client", "proposée", "", ""])
    fake.clock.advance(600)
    cop.ok(command=cop_sync)
    waiting = json.loads(cop.ok("idea", "list", "--handover", "--json").output)
    assert [s["key"] for s in waiting["subjects"]] == ["stockage saisonnier"]

    before = len(fake.writes())
    linked = cop.ok("idea", "link", "stockage", "Stockage saisonnier", "--project", "INNO-42")
    assert "1 change(s) written" in linked.output
    ideas = fake.page("STOCKAGE", "Idées et sujets")
    written = [w.path for w in fake.writes()[before:]]
    assert written and all(f"/{ideas.id}" in path for path in written), written  # that page
    body = ideas.body
    assert "INNO-42" in body and "lancée" in body and "Les collectivités" in body
    assert "proposée" not in body.split("<tbody>")[1].split("</tbody>")[0]  # in the table

    writes = len(fake.writes())
    fake.clock.advance(600)
    synced = cop.ok(command=cop_sync)
    assert "0 errors" in synced.output, synced.output
    assert len(fake.writes()) == writes  # the next sync is clean: nothing to write
    again = cop.ok("idea", "link", "stockage", "stockage saisonnier", "--project", "INNO-42")
    assert "already linked" in again.output and len(fake.writes()) == writes
    status = cop.ok("status", "stockage").output
    assert "unknown_entry" not in status and "problem" not in status.lower()
    exported = json.loads(cop.ok("export", "--kind", "ideas").output)["subjects"]
    assert [(s["project"], s["status"]) for s in exported] == [("INNO-42", "launched")]


def without_ideas() -> TemplateSet:
    """The templates of a cop-connector before the Ideas page, as the CLI loads them (the
    members' profile a choice of the vocabulary)."""
    return with_profiles(TemplateSet(tuple(k for k in T.kinds if k.kind != "ideas"),
                                     T.languages, "old"), shipped_profiles())


def test_upgrade_adds_the_ideas_page_and_touches_nothing_else(cop: Cli) -> None:
    cop.ok("community", "add", "battery", "--name", "Battery", "--theme", "Energy",
           "--lang", "en", *PEOPLE)
    fake = cop.fake
    records = Records.open(cop.directory / "cop.db", create=False)
    try:  # the space as a cop-connector without the Ideas page made it
        report = Provisioner(records, backend_for(fake), without_ideas()).run(
            records.communities(), dry_run=False)
        assert report.exit_code == 0, report.failed
    finally:
        records.close()
    fake.clock.advance(600)
    cop.ok(command=cop_sync)
    bodies = {t: fake.page("BATTERY", t).body for t in
              ("Members", "Watch", "References", "Regulation", "Competition")}
    before = len(fake.writes())

    planned = cop.ok("provision", "--upgrade", "battery", "--dry-run").output
    assert len(fake.writes()) == before
    assert "Ideas and subjects" in planned

    cop.ok("provision", "--upgrade", "battery")
    written = [str(w) for w in fake.writes()[before:]]
    ideas = fake.page("BATTERY", "Ideas and subjects")
    charter = fake.page("BATTERY", "Charter")
    assert all(ideas.id in w or charter.id in w or w.endswith("/pages -> 200")
               or w.endswith("/content -> 200") for w in written), written
    assert any(charter.id in w for w in written)  # its list of pages now names the Ideas page
    assert "Ideas and subjects" in charter.body
    assert {t: fake.page("BATTERY", t).body for t in bodies} == bodies
    assert {"cop", "cop-ideas"} <= set(ideas.labels)

    writes = len(fake.writes())
    cop.ok("provision", "--upgrade", "battery")
    fake.clock.advance(600)
    cop.ok(command=cop_sync)
    assert len(fake.writes()) == writes  # a second run writes nothing
