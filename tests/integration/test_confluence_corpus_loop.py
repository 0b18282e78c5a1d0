"""The sync and upgrade loops over pages as Confluence's editors store them (the corpus,
tests/fixtures/confluence_corpus), on the fake Confluence, Cloud and Data Center (every
request and 2xx answer checked against Atlassian's OpenAPI specs), through the CLI:

* a community is provisioned, then each of its pages is replaced by the corpus page a
  member saved in the editor: ``cop-sync`` records every row, field by field, with no row
  problem (a blank numbered row is none) and no hint about the numbering column;
* ``cop provision --upgrade`` with changed help texts reaches every section, the lists
  Cloud's editor rewrote as ``<li><p>`` included, and leaves rows and members' text as
  they were; nothing is written twice;
* ``cop member add`` / ``remove`` on the numbered tables (Cloud's, Data Center's with a
  ``<thead>``) write rows like the table's own, numbered in order.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from confluence_corpus import COMMUNITIES, KINDS, PILOT, ROWS, Community, page
from fakes.confluence_fake import ConfluenceFake
from msgspec.structs import replace
from test_loop_confluence import EXPERT, Cli

from page_templates import localize, shipped
from page_templates.profiles import shipped_profiles, with_profiles
from page_templates.values import normalize_row
from sync.records.store import Records

pytest_plugins = ["fakes.fixtures"]

LIST_KINDS = [kind for kind in KINDS if kind != "charter"]
HELP = {"en": "New help, version 2.", "fr": "Nouvelle aide, version 2."}
RULES = {"en": "Share one item a month.", "fr": "Partagez un élément par mois."}
# The sync's templates: a member's profile is read as one of the vocabulary's ("Ventes": sales).
SYNCED = with_profiles(shipped(), shipped_profiles())


class Site:
    """A community provisioned on a fake, its pages then saved by members in the editor
    (replaced by the corpus pages)."""

    def __init__(self, cli: Cli, community: Community) -> None:
        self.cli, self.community, self.fake = cli, community, cli.fake

    def body(self, kind: str) -> str:
        return self.fake.page(self.community.space, self.community.titles[kind]).body

    def export(self) -> dict[str, Any]:
        result = self.cli("export", self.community.slug)
        assert result.exit_code == 0, result.output
        return json.loads(result.output)["communities"][0]

    def writes(self) -> int:
        return len(self.fake.writes())


@pytest.fixture(params=["cloud", "dc"])
def site(request: pytest.FixtureRequest, tmp_path: Path) -> Site:
    fake: ConfluenceFake = request.getfixturevalue(f"confluence_{request.param}")
    fake.clock.set(datetime.now(UTC))
    community = COMMUNITIES[request.param]
    cli = Cli(tmp_path, fake)
    result = cli("init", "--confluence-url", fake.base_url, "--confluence-user",
                 "copbot@example.com" if cli.cloud else "",
                 "--confluence-cloud" if cli.cloud else "--confluence-datacenter")
    assert result.exit_code == 0, result.output
    with cli.config.open("a", encoding="utf-8") as toml:
        toml.write("\n[confluence.accounts]\n")
        for email in (PILOT, EXPERT):
            user = fake.add_user(email, email.split("@")[0].title())
            toml.write(f'"{email}" = "{user.account_id if cli.cloud else user.user_key}"\n')
    result = cli("community", "add", community.slug, "--name", community.name, "--theme",
                 community.theme, "--pilot", PILOT, "--expert", EXPERT, "--backend",
                 "confluence", "--lang", community.lang)
    assert result.exit_code == 0, result.output
    result = cli("provision", community.slug)
    assert result.exit_code == 0, result.output
    for kind in KINDS:
        fake.clock.advance(5)
        fake.edit_page(community.space, community.titles[kind], page(request.param, kind))
    _written_before_the_sources(cli)
    return Site(cli, community)


# The sections the Watch page gained with its sources (issue 15), after the corpus was saved
SOURCES_SECTIONS = {"review", "source-help", "source"}


def _written_before_the_sources(cli: Cli) -> None:
    """The merge base of a Watch page written before its sources: without their sections
    (else the upgrade reads them as deleted by a member, and rightly never adds them)."""
    records = Records.open(cli.config.parent / "cop.db")
    try:
        for state in records.page_states(records.communities()[0].slug):
            if state.kind == "watch" and state.regions is not None:
                regions = {k: v for k, v in state.regions.items()
                           if k.split(":")[0] not in SOURCES_SECTIONS}
                records.save_page_state(replace(state, regions=regions))
    finally:
        records.close()


def recorded(site: Site, kind: str) -> list[dict[str, str]]:
    definition = shipped()[kind]
    export = site.export()
    if definition.single:
        rows = [{f.name: export[f.name] for f in definition.fields}]
    else:
        rows = export[kind]
    return [{f.name: row[f.name] for f in definition.fields if row.get(f.name)}
            for row in rows]


def expected(deployment: str, kind: str) -> list[dict[str, str]]:
    definition = SYNCED[kind]
    return [{k: v for k, v in normalize_row(definition, row)[0].items() if v}
            for row in ROWS[deployment, kind]]


def test_cop_sync_records_every_row_of_every_editor_stored_page(site: Site) -> None:
    result = site.cli.sync()
    assert result.exit_code == 0, result.output
    assert "0 row problems" in result.output and "(column" not in result.output
    deployment = site.community.deployment
    for kind in KINDS:
        got = recorded(site, kind)
        want = expected(deployment, kind)
        if kind in ("members", "watch", "references", "regulation", "competition"):
            key = shipped()[kind].keys[0][0]
            got, want = (sorted(rows, key=lambda r: r.get(key, "")) for rows in (got, want))
        assert got == want, kind
    writes = site.writes()
    site.fake.clock.advance(120)
    again = site.cli.sync()
    assert again.exit_code == 0 and site.writes() == writes  # nothing changed, nothing written


def changed_help(directory: Path) -> Path:
    """An override directory: a new help sentence for every list kind's first field (a
    list item of its help section), new rules for the charter (a list)."""
    directory.mkdir()
    for kind in KINDS:
        if kind == "charter":
            text = (f'[[sections]]\nid = "rules"\nbullets.en = ["{RULES["en"]}"]\n'
                    f'bullets.fr = ["{RULES["fr"]}"]\n')
        else:
            first = shipped()[kind].fields[0].name
            text = (f'[[fields]]\nname = "{first}"\n'
                    f'help = {{ en = "{HELP["en"]}", fr = "{HELP["fr"]}" }}\n')
        (directory / f"{kind}.toml").write_text(f"version = 2\n\n{text}", encoding="utf-8")
    return directory


def test_an_upgrade_reaches_the_lists_of_editor_stored_pages(site: Site,
                                                            tmp_path: Path) -> None:
    assert site.cli.sync().exit_code == 0
    before = {kind: site.body(kind) for kind in KINDS}
    records = {kind: recorded(site, kind) for kind in KINDS}
    overrides = changed_help(tmp_path / "templates")
    with site.cli.config.open("a", encoding="utf-8") as toml:
        toml.write(f'\n[templates]\ndir = "{overrides}"\n')
    result = site.cli("provision", "--upgrade", site.community.slug)
    assert result.exit_code == 0, result.output
    assert "    ! " not in result.output  # no section reads as edited on the wiki
    lang = site.community.lang
    for kind in KINDS:
        body = site.body(kind)
        section = "rules" if kind == "charter" else "howto"
        assert re.search(rf"section '{section}' updated", result.output), (kind, result.output)
        assert (RULES if kind == "charter" else HELP)[lang] in body, kind
        # the rows table, byte for byte; the members' gains the Digest column shipped
        # after the corpus was saved (issue 15), its rows all kept
        table = re.compile(r"<table[ >].*?</table>", re.S)
        tables = table.findall(body)
        if kind == "watch":  # a page made before the sources table: it gets the table
            sources = [t for t in tables if "Feed address" in t or "Adresse du flux" in t]
            assert len(sources) == 1, tables
            tables.remove(sources[0])  # before the items' table, which stays last
        if kind == "members":
            [new], [old] = tables, table.findall(before[kind])
            label = localize(shipped()["members"].field("digest").label, lang)
            assert f"<strong>{label}</strong>" in new and label not in old
            assert new.count("<tr") == old.count("<tr")
            continue
        assert tables == table.findall(before[kind]), kind
    assert site.cli.sync().exit_code == 0
    assert {kind: recorded(site, kind) for kind in KINDS} == records
    writes = site.writes()
    again = site.cli("provision", "--upgrade", site.community.slug)
    assert again.exit_code == 0 and "wrote 0 page(s)" in again.output, again.output
    assert site.writes() == writes


def numbers(body: str) -> list[str]:
    table = re.search(r"<table[ >].*?</table>", body, re.S)
    assert table is not None
    return re.findall(r'class="numberingColumn"\s*(?:/>|>([^<]*)</t[dh]>)', table.group(0))


def test_member_add_and_remove_on_the_numbered_members_tables(site: Site) -> None:
    assert site.cli.sync().exit_code == 0
    slug = site.community.slug
    before = numbers(site.body("members"))
    added = site.cli("member", "add", slug, "nina@corp.example", "--name", "Nina",
                     "--profile", "marketing")
    assert added.exit_code == 0, added.output
    body = site.body("members")
    row = re.search(r"<tr>(?:(?!<tr>).)*nina@corp\.example.*?</tr>", body, re.S)
    assert row is not None
    after = numbers(body)
    assert after == [*before, str(int(before[-1]) + 1)]
    if site.community.deployment == "cloud":  # cells like Cloud's: text in paragraphs
        assert "<td><p>nina@corp.example</p></td><td><p>Nina</p></td>" in row.group(0)
    else:  # Data Center's: text in the cell; the header stays alone in its <thead>
        assert "<td>nina@corp.example</td><td>Nina</td>" in row.group(0)
        assert body.index("</thead>") < body.index("nina@corp.example")
    other = "zoe.martin@corp.example" if site.community.deployment == "cloud" \
        else "lea.dubois@corp.example"
    removed = site.cli("member", "remove", slug, other)
    assert removed.exit_code == 0, removed.output
    body = site.body("members")
    assert other not in body and numbers(body) == after[:-1]
    writes = site.writes()
    site.fake.clock.advance(120)
    synced = site.cli.sync()
    assert synced.exit_code == 0 and "0 row problems" in synced.output
    assert site.writes() == writes
    emails = {m["email"] for m in site.export()["members"]}
    assert "nina@corp.example" in emails and other not in emails
