"""The whole loop on the real MediaWiki, through the CLI as the innovation manager, members
and the cron job use it (issue 2's acceptance criteria)."""

from __future__ import annotations

import html
import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from wiki_people import admin, member

from connector.mediawiki.backend import MediaWikiBackend, MediaWikiSettings
from connector.mediawiki.escape import escape_text
from connector.mediawiki.wikitext import WikitextCodec
from page_templates import shipped
from sync.cli import _cop
from sync.cli.sync_command import cop_sync
from sync.engine.run import Syncer, SyncOptions
from sync.records.store import Records

NS = "CoP_Battery"
INJECTIONS = ["}}", "|", "[[Category:X]]", "~~~~", "<script>alert(1)</script>", "__NOTOC__",
              "{{#invoke:x}}"]
EVIL = "Eve " + " ".join(INJECTIONS)


class Cli:
    def __init__(self, directory: Path, password: str) -> None:
        self.env = {"COP_CONFIG": str(directory / "cop.toml"),
                    "COP_MEDIAWIKI_PASSWORD": password}
        self.runner = CliRunner()

    def __call__(self, *args: str, command: click.Command = _cop) -> Result:
        return self.runner.invoke(command, list(args), env=self.env, catch_exceptions=False)

    def sync(self, *args: str) -> Result:
        return self(*args, command=cop_sync)

    def export(self) -> dict:
        return json.loads(self("export", "battery").output)["communities"][0]


@pytest.fixture
def cop(wiki, tmp_path: Path) -> Cli:
    cli = Cli(tmp_path, wiki.credentials.bot_password)
    assert cli("init", "--mediawiki-url", wiki.url, "--mediawiki-user",
               wiki.credentials.bot_user).exit_code == 0
    added = cli("community", "add", "battery", "--name", "Battery storage", "--theme",
                "Energy storage", "--pilot", "claire@corp.example", "--expert",
                "karim@corp.example", "--lang", "en")
    assert added.exit_code == 0, added.output
    wiki.add_php("namespaces", cli("mediawiki", "namespaces").output)
    return cli


@pytest.fixture
def provisioned(cop: Cli) -> Cli:
    result = cop("provision", "battery")
    assert result.exit_code == 0, result.output
    return cop


def test_provision_without_namespace_says_what_to_add(wiki, tmp_path: Path) -> None:
    cli = Cli(tmp_path, wiki.credentials.bot_password)
    cli("init", "--mediawiki-url", wiki.url, "--mediawiki-user", wiki.credentials.bot_user)
    cli("community", "add", "solar", "--name", "Solar", "--theme", "PV", "--pilot",
        "p@corp.example", "--expert", "e@corp.example")
    result = cli("provision", "solar")
    assert result.exit_code == 2
    assert "$wgExtraNamespaces[3000] = 'CoP_Solar';" in result.output


def test_provision_creates_every_page_and_template(wiki, provisioned: Cli) -> None:
    people = member(wiki)
    for title in ("Home", "Charter", "Members", "Watch", "References", "Regulation",
                  "Competition"):
        assert people.exists(f"{NS}:{title}"), title
    for template in ("CoP charter", "CoP member", "CoP watch", "CoP reference",
                     "CoP regulation", "CoP competitor"):
        assert people.exists(f"Template:{template}"), template
    assert "claire@corp.example" in people.read(f"{NS}:Members")
    before = people.edit_count()
    again = provisioned("provision", "battery")
    assert again.exit_code == 0 and "wrote 0 page(s)" in again.output
    assert people.edit_count() == before


def test_no_link_is_red_right_after_provisioning(wiki, provisioned: Cli) -> None:
    """Home is written before the pages it links to, and this wiki runs no jobs
    ($wgJobRunRate = 0): the purge at the end of provisioning alone makes its links blue."""
    people = member(wiki)
    for title in ("Home", "Members", "Watch"):
        links = people.site.get("query", titles=f"{NS}:{title}", prop="links", pllimit="max",
                                formatversion=2)["query"]["pages"][0].get("links", [])
        if title == "Home":
            assert {link["title"] for link in links} >= {f"CoP Battery:{t}" for t in (
                "Charter", "Members", "Watch", "References", "Regulation", "Competition")}
        shown = people.site.get("parse", page=f"{NS}:{title}", prop="text",
                                formatversion=2)["parse"]["text"]
        assert 'class="new"' not in shown, title


def test_french_community_gets_french_pages(wiki, cop: Cli) -> None:
    cop("community", "add", "hydrogene", "--name", "Hydrogène", "--theme", "H2", "--pilot",
        "p@corp.example", "--expert", "e@corp.example", "--lang", "fr")
    wiki.add_php("namespaces", cop("mediawiki", "namespaces").output)
    assert cop("provision", "hydrogene").exit_code == 0
    text = member(wiki).read("CoP Hydrogene:Membres")
    assert "Liste des membres" in text and "S'inscrire" in text


def test_member_rows_flow_back_and_a_quiet_sync_reads_nothing(wiki, provisioned: Cli,
                                                              tmp_path: Path) -> None:
    people = member(wiki)
    people.append(f"{NS}:Watch", "{{CoP watch|date=2026-11-02|title=Sodium-ion cells"
                                 "|url=https://example.com/na|source=Lab|tags=na, ion}}")
    people.append(f"{NS}:Competition", "{{CoP competitor|competitor=Acme|offer=Cell X"
                                       "|updated=2026-10-01}}")
    people.append(f"{NS}:Members", "{{CoP member|email=Bob@corp.example|name=Bob"
                                   "|profile=R&D|role=member}}")
    first = provisioned.sync()
    assert first.exit_code == 0, first.output
    data = provisioned.export()
    assert [w["title"] for w in data["watch"]] == ["Sodium-ion cells"]
    assert data["competition"][0]["competitor"] == "Acme"
    assert "bob@corp.example" in {m["email"] for m in data["members"]}

    edits = people.edit_count()
    second = provisioned.sync("--json")
    assert second.exit_code == 0
    assert json.loads(second.stdout)["counts"]["pages_read"] == 0
    assert people.edit_count() == edits
    # and measured at the adapter: the feed only, no page content read, nothing written
    records = Records.open(tmp_path / "cop.db")
    backend = MediaWikiBackend(MediaWikiSettings(
        url=wiki.url, user=wiki.credentials.bot_user, password=wiki.credentials.bot_password),
        WikitextCodec(), namespaces={NS: 3000})
    Syncer(records, {"mediawiki": backend}, shipped()).run(SyncOptions())
    assert (backend.stats.reads, backend.stats.writes, backend.stats.feeds) == (0, 0, 1)
    assert backend.stats.requests <= 3  # login (2) + the change feed (1)


def test_member_commands_edit_the_members_page(wiki, provisioned: Cli) -> None:
    people = member(wiki)
    result = provisioned("member", "add", "battery", "ann@corp.example", "--name", "Ann Lee",
                         "--profile", "marketing", "--site", "Lyon")
    assert result.exit_code == 0, result.output
    assert "{{CoP member|email=ann@corp.example|name=Ann Lee|" in people.read(f"{NS}:Members")
    people.append(f"{NS}:Members", "<!-- a member's note stays -->")
    assert provisioned("member", "remove", "battery", "ann@corp.example").exit_code == 0
    text = people.read(f"{NS}:Members")
    assert "ann@corp.example" not in text and "a member's note stays" in text
    assert provisioned.sync().exit_code == 0
    assert "ann@corp.example" not in {m["email"] for m in provisioned.export()["members"]}


def test_injections_round_trip_literally_and_stay_inert(wiki, provisioned: Cli) -> None:
    result = provisioned("member", "add", "battery", "eve@corp.example", "--name", EVIL,
                         "--profile", "R&D", "--site", "{{PAGENAME}}")
    assert result.exit_code == 0, result.output
    people = member(wiki)
    value = " ".join(INJECTIONS)
    # a member types the same text in the visual editor: it is saved escaped
    people.append(f"{NS}:References", "{{CoP reference|ref=R-1|title=" + escape_text(value)
                  + "|summary=" + escape_text("~~~ " + value) + "}}")
    assert provisioned.sync().exit_code == 0
    data = provisioned.export()
    assert next(m for m in data["members"] if m["email"] == "eve@corp.example")["name"] == EVIL
    assert data["references"][0]["title"] == value
    assert data["references"][0]["summary"] == "~~~ " + value
    for title in ("Members", "References"):
        parsed = people.parse(f"{NS}:{title}")
        assert parsed["categories"] == [] and parsed["links"] == []
        assert parsed["externallinks"] == []
        assert {t["title"] for t in parsed["templates"]} <= {
            "Template:CoP member", "Template:CoP reference"}
        assert "<script" not in parsed["text"]
        assert "__NOTOC__" in html.unescape(parsed["text"])
    assert "User:" not in people.read(f"{NS}:Members")  # no signature was expanded


def test_broken_rows_are_named_and_the_rest_recorded(wiki, provisioned: Cli) -> None:
    member(wiki).append(
        f"{NS}:Regulation",
        "{{CoP regulation|title=Missing key|status=draft}}",
        "{{CoP regulation|ref=EU-1|title=Bad date|effective=2026-02-30}}",
        "{{CoP regulation|ref=EU-2|title=Good one|status=en vigueur}}",
        "{{CoP regulation|ref=EU-3|title=Unclosed")
    result = provisioned.sync()
    assert result.exit_code == 1
    output = result.output
    assert "CoP Battery:Regulation, row 1" in output and "'ref'" in output
    assert "row 2" in output and "'effective'" in output
    assert "row 4" in output and "Traceback" not in output
    data = provisioned.export()
    assert [(r["ref"], r["status"]) for r in data["regulation"]] == [("EU-2", "in-force")]
    assert "EU-2" not in provisioned("status", "battery").output  # only problems listed
    assert "'effective'" in provisioned("status", "battery").output


def test_emptied_page_does_not_remove_records(wiki, provisioned: Cli) -> None:
    people = member(wiki)
    people.append(f"{NS}:Watch", "{{CoP watch|date=2026-01-05|title=Keep me}}")
    assert provisioned.sync().exit_code == 0
    people.save(f"{NS}:Watch", "Oops, I deleted everything.")
    result = provisioned.sync()
    assert result.exit_code == 1 and "--force-delete" in result.output
    assert [w["title"] for w in provisioned.export()["watch"]] == ["Keep me"]
    assert provisioned.sync().exit_code == 1  # still refused, still reported


def test_deleted_page_tombstones_its_rows_and_is_recreated_with_them(
        wiki, provisioned: Cli) -> None:
    people = member(wiki)
    people.append(f"{NS}:References", "{{CoP reference|ref=IEC 62660|title=Cells}}")
    assert provisioned.sync().exit_code == 0
    admin(wiki).delete(f"{NS}:References")
    result = provisioned.sync()
    assert result.exit_code == 0 and "deleted on the wiki" in result.output
    assert "tombstones" in result.output and "cop provision battery" in result.output
    assert provisioned.export()["references"] == []
    kept = json.loads(provisioned("export", "battery", "--include-deleted").output)
    [row] = kept["communities"][0]["references"]
    assert (row["ref"], row["deleted_by"]) == ("IEC 62660", "page-deleted")
    assert "CoP Battery:References: deleted" in provisioned("status", "battery").output
    recreated = provisioned("provision", "battery")
    assert recreated.exit_code == 0
    assert [line for line in recreated.output.splitlines() if line.startswith("+ create")] == [
        "+ create  CoP Battery:References  (deleted on the wiki; recreated from the records)"]
    assert "IEC 62660" in people.read(f"{NS}:References")
    assert provisioned.export()["references"][0]["ref"] == "IEC 62660"  # alive again
    quiet = json.loads(provisioned.sync("--json").stdout)
    assert quiet["exit_code"] == 0 and quiet["counts"]["rows_tombstoned"] == 0


def test_moved_page_is_followed(wiki, provisioned: Cli) -> None:
    people = member(wiki)
    admin(wiki).move(f"{NS}:Watch", f"{NS}:Technology watch")
    people.append(f"{NS}:Technology watch", "{{CoP watch|date=2026-03-01|title=Moved}}")
    result = provisioned.sync()
    assert result.exit_code == 0, result.output
    assert [w["title"] for w in provisioned.export()["watch"]] == ["Moved"]
    shown = json.loads(provisioned("community", "show", "battery", "--json").output)
    pages = {p["kind"]: p["page"] for p in shown["pages"]}
    assert pages["watch"] == "CoP Battery:Technology watch"
    again = provisioned("provision", "battery")  # nothing recreated at the old title;
    assert again.exit_code == 0 and "+ create" not in again.output  # the home page links
    assert "Technology watch" in people.read(f"{NS}:Home")  # follow the move


def test_a_community_whose_pages_all_vanish_is_refused(wiki, provisioned: Cli) -> None:
    people = member(wiki)
    people.append(f"{NS}:Watch", "{{CoP watch|date=2026-01-05|title=Keep me}}")
    assert provisioned.sync().exit_code == 0
    for title in ("Members", "Watch"):  # every page holding rows, at once
        admin(wiki).delete(f"{NS}:{title}")
    result = provisioned.sync()
    assert result.exit_code == 1 and "whole community reads as empty" in result.output
    assert len(provisioned.export()["members"]) == 2
    forced = provisioned.sync("--force-delete")
    assert forced.exit_code == 0 and provisioned.export()["members"] == []


def test_status_check_wiki_reports_pages_edited_by_hand(wiki, provisioned: Cli) -> None:
    clean = json.loads(provisioned("status", "battery", "--json", "--check-wiki").output)
    assert clean["communities"][0]["provisioning"] == []
    admin(wiki).save(f"{NS}:Home", "My own home page")
    output = provisioned("status", "battery", "--check-wiki").output
    assert "provisioning would drift CoP Battery:Home" in output
