"""Company templates on the fake Confluence, Cloud and Data Center, through the CLI (issue
4's acceptance criteria): pages entirely in their language, a changed template upgrading
three communities without touching what members wrote (pages saved through the editor
first), a broken override refused before any request, and the pilot as a model."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import click
import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner, Result
from fakes.confluence_fake import ConfluenceFake
from languages import foreign_in, shown_storage
from storage_editor import editor_save

from connector.confluence.storage_regions import BlockDoc
from connector.confluence.xml_escape import parse_storage, serialize, write_back
from page_templates import load_templates, shipped
from sync.cli import _cop
from sync.cli.sync_command import cop_sync
from sync.records.store import Records

pytest_plugins = ["fakes.fixtures"]

COMMUNITIES = (("battery", "Battery storage", "en"), ("hydrogen", "Hydrogène", "fr"),
               ("solar", "Solar power", "en"))
MEMBERS = {"BATTERY": "Members", "HYDROGEN": "Membres", "SOLAR": "Members"}
CHANGE = Path(__file__).with_name("test_templates_mediawiki.py").read_text(
    encoding="utf-8").split('CHANGE = """')[1].split('"""')[0]
NOTE = "<p>Notes of the pilot: the <em>seminar</em> is in May.</p>"


class Cli:
    def __init__(self, directory: Path, fake: ConfluenceFake) -> None:
        self.fake = fake
        self.cloud = fake.deployment == "cloud"
        self.config = directory / "cop.toml"
        self.env = {"COP_CONFIG": str(self.config),
                    "COP_CONFLUENCE_TOKEN": "cloud-api-token" if self.cloud
                    else "dc-personal-access-token"}
        self.runner = CliRunner()

    def __call__(self, *args: str, command: click.Command = _cop) -> Result:
        return self.runner.invoke(command, list(args), env=self.env, catch_exceptions=False)

    def sync(self) -> Result:
        return self(command=cop_sync)

    def add(self, slug: str, name: str, lang: str) -> None:
        result = self("community", "add", slug, "--name", name, "--theme", "Energy storage",
                      "--pilot", f"pia@{slug}.example", "--expert", f"eli@{slug}.example",
                      "--backend", "confluence", "--lang", lang)
        assert result.exit_code == 0, result.output

    def use_templates(self, directory: str) -> None:
        with self.config.open("a", encoding="utf-8") as toml:
            toml.write(f'\n[templates]\ndir = "{directory}"\n')

    def writes(self) -> int:
        return len(self.fake.writes())


@pytest.fixture(params=["cloud", "dc"])
def three(request: pytest.FixtureRequest, tmp_path: Path) -> Cli:
    """Three communities provisioned from the shipped templates, every page then saved
    through the editor; on each members page a member added a row and a note; synced."""
    fake: ConfluenceFake = request.getfixturevalue(f"confluence_{request.param}")
    fake.clock.set(datetime.now(UTC))
    cop = Cli(tmp_path, fake)
    result = cop("init", "--confluence-url", fake.base_url, "--confluence-user",
                 "copbot@example.com" if cop.cloud else "",
                 "--confluence-cloud" if cop.cloud else "--confluence-datacenter")
    assert result.exit_code == 0, result.output
    for slug, name, lang in COMMUNITIES:
        cop.add(slug, name, lang)
    result = cop("provision", "--all")
    assert result.exit_code == 0, result.output
    for page in [p for p in fake.state.pages.values() if p.status == "current"]:
        fake.edit_page(page.space.key, page.title, editor_save(page.body))
    for key, title in MEMBERS.items():
        body = fake.page(key, title).body
        row = (f"<tr><td><p>zoe@{key.lower()}.example</p></td><td><p>Zoé</p></td><td><p>R&amp;D"
               "</p></td><td></td><td><p>Lyon</p></td><td></td><td></td></tr>")
        fake.edit_page(key, title, body.replace("</tbody>", row + "</tbody>", 1) + NOTE)
    assert cop.sync().exit_code == 0
    return cop


def rows(body: str) -> list[str]:
    return [row for row in re.findall(r"<tr[ >].*?</tr>", body) if "<td" in row]


def test_pages_are_entirely_in_their_language(three: Cli) -> None:
    for key, lang in (("BATTERY", "en"), ("HYDROGEN", "fr")):
        for page in [p for p in three.fake.state.pages.values()
                     if p.space.key == key and p.status == "current"]:
            shown = shown_storage(page.body)
            assert foreign_in(shown, shipped(), lang) == [], (page.title, shown)


# What members write by hand, as Confluence stores it: apostrophes and quotes unescaped,
# entities, "<br />" and a self-closing emoticon with a space, CDATA. The upgrade must leave
# these bytes as they are (only managed regions, the header row and new cells change).
TRICKY_ROW = ("<tr><td><p>ana@{key}.example</p></td><td><p>L'hélice d'Ørsted&nbsp;&rsquo; "
              "\"Mag\"</p></td><td><p>R&amp;D</p></td><td></td><td><p>x<br />y "
              '<ac:emoticon ac:name="smile" /></p></td><td></td><td></td></tr>')
TRICKY_PROSE = ("<h2>Nos notes</h2><p>L'équipe&nbsp;dit &rsquo;oui&rsquo; &amp; \"non\"<br />"
                'ligne</p><p><ac:emoticon ac:name="smile" /> <ac:link><ri:user '
                'ri:account-id="abc" /></ac:link></p><ac:structured-macro ac:name="code">'
                "<ac:plain-text-body><![CDATA[if a < b && c]]></ac:plain-text-body>"
                "</ac:structured-macro>")


def regions_of(cop: Cli, key: str) -> dict[str, str]:
    """What the records say cop-connector last wrote in each region of a members page."""
    slug = {"BATTERY": "battery", "HYDROGEN": "hydrogen", "SOLAR": "solar"}[key]
    records = Records.open(str(cop.config.parent / "cop.db"))
    try:
        state = records.page_state(slug, "members")
        assert state is not None and state.regions is not None
        return dict(state.regions)
    finally:
        records.close()


def unmanaged(body: str, regions: Mapping[str, str]) -> str:
    """A page without its managed regions (found as last written, as an upgrade finds them)
    and its rows table: the prose members wrote around them, as stored."""
    soup = parse_storage(body, keep_source=True)
    assert soup is not None
    doc = BlockDoc(soup)
    for markup in regions.values():
        span = doc.locate(markup)
        assert span is not None, markup
        doc.remove(span)
    return re.sub(r"<table[ >].*?</table>", "[table]", write_back(soup), flags=re.S)


def test_a_changed_template_upgrades_three_communities(three: Cli, tmp_path: Path) -> None:
    fake = three.fake
    for key, title in MEMBERS.items():
        body = fake.page(key, title).body
        row = TRICKY_ROW.format(key=key.lower())
        fake.edit_page(key, title, body.replace("</tbody>", row + "</tbody>", 1) +
                       TRICKY_PROSE)
    synced = three.sync()
    assert synced.exit_code == 0, synced.output
    before = {key: fake.page(key, title).body for key, title in MEMBERS.items()}
    written = {key: regions_of(three, key) for key in MEMBERS}
    for key, body in before.items():  # as members wrote them, still
        assert TRICKY_ROW.format(key=key.lower()) in body and body.endswith(TRICKY_PROSE)
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "members.toml").write_text(CHANGE, encoding="utf-8")
    three.use_templates("templates")
    writes = three.writes()
    plan = three("provision", "--upgrade", "--all", "--dry-run")
    assert plan.exit_code == 0, plan.output
    assert three.writes() == writes
    upgrades = [line for line in plan.output.splitlines() if line.startswith("^ upgrade")]
    assert len(upgrades) == 3 and all("column 'Team' added" in line or
                                      "column 'Équipe' added" in line for line in upgrades)

    done = three("provision", "--upgrade", "--all")
    assert done.exit_code == 0, done.output
    assert "    ! " not in done.output  # no region reads as edited by hand
    for key, title in MEMBERS.items():
        body = fake.page(key, title).body
        old_rows = rows(before[key])
        assert len(old_rows) == 4
        for row in old_rows:  # every cell as it was, byte for byte; an empty one added
            assert row[:-5] + "<td></td></tr>" in body, row
        # the prose outside the managed regions, byte for byte
        assert unmanaged(body, regions_of(three, key)) == unmanaged(before[key], written[key])
        assert unmanaged(body, regions_of(three, key)).endswith(NOTE + TRICKY_PROSE)
        # the new section goes after the rows, which end the page: after what members
        # wrote under the table too (nothing tells their prose from more rows' notes)
        meetings = "Réunions" if key == "HYDROGEN" else "Meetings"
        assert body.index(TRICKY_PROSE) < body.index(f">{meetings}</h2>")
        soup = BeautifulSoup(body, "html.parser")
        headers = [th.get_text() for th in soup.find_all("th")]
        french = key == "HYDROGEN"
        assert headers[-1] == ("Équipe" if french else "Team")
        assert ("Lieu" if french else "Location") in headers
        assert ("Réunions" if french else "Meetings") in soup.get_text()
        templates = load_templates(tmp_path / "templates")
        assert foreign_in(shown_storage(body), templates, "fr" if french else "en") == []

    writes = three.writes()
    again = three("provision", "--upgrade", "--all")
    assert again.exit_code == 0 and "wrote 0 page(s)" in again.output
    assert three.writes() == writes
    assert three.sync().exit_code == 0 and three.writes() == writes
    export = json.loads(three("export", "battery").output)["communities"][0]
    zoe = next(m for m in export["members"] if m["email"] == "zoe@battery.example")
    assert zoe["site"] == "Lyon"


def test_a_broken_override_is_refused_before_any_request(three: Cli,
                                                        tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "members.toml").write_text('[[fields]]\nname = "email"\nremove = true\n')
    three.use_templates("bad")
    log = len(three.fake.log)
    for args in (("provision", "--all"), ("provision", "--upgrade", "--all", "--dry-run")):
        result = three(*args)
        assert result.exit_code == 2, result.output
        assert str(bad / "members.toml") in result.output and "'email'" in result.output
        assert "key field" in result.output
    assert len(three.fake.log) == log


def test_the_pilot_becomes_the_model_of_a_new_community(three: Cli, tmp_path: Path) -> None:
    fake = three.fake
    page = fake.page("BATTERY", "Members")
    soup = BeautifulSoup(page.body, "html.parser")
    header, *data = [tr for tr in soup.find_all("tr")]
    header.append(BeautifulSoup("<th><p>Badge</p></th>", "html.parser"))
    for row in data:
        row.append(BeautifulSoup("<td><p>B-17</p></td>", "html.parser"))
    body = serialize(soup).replace(NOTE, "<h2>Onboarding</h2><p>Every newcomer of Battery "
                                         "storage meets the pilot.</p>")
    fake.edit_page("BATTERY", "Members", body)
    result = three("template", "extract", "battery", "--to", str(tmp_path / "model"))
    assert result.exit_code == 0, result.output
    members = load_templates(tmp_path / "model")["members"]
    badge = members.field("badge")
    assert badge is not None and badge.label == {"en": "Badge", "fr": "Badge"}
    onboarding = next(s for s in members.sections if s.id == "onboarding")
    assert onboarding.paragraphs["en"] == ("Every newcomer of {name} meets the pilot.",)

    three.use_templates("model")
    three.add("wind", "Wind power", "en")
    assert three("provision", "wind").exit_code == 0
    wind = fake.page("WIND", "Members").body
    assert "<th>Badge</th>" in wind and "<h2>Onboarding</h2>" in wind
    assert "Every newcomer of Wind power meets the pilot." in wind
