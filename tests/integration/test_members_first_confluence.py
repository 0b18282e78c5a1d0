"""Issue 11 on the fake Confluence, Cloud and Data Center, through the CLI: pages carry no
anchor (no macro placeholder in the editor), spaces provisioned with anchors lose them at the
next `cop provision` (nothing else changed, then nothing), and the notice of entries to fix
appears after a bad row is saved and synced -- a Warning macro on top, member text inert, a
minor edit where the API has one (Data Center) -- and goes when the row is fixed, with no
request when nothing changed. Pages pass through the simulated editor first."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import click
import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner, Result
from fakes.confluence_fake import ConfluenceFake
from legacy_pages import with_markers
from msgspec.structs import replace
from storage_editor import editor_save

from connector.confluence.storage import StorageCodec
from page_templates import shipped
from sync.cli import _cop
from sync.cli.sync_command import cop_sync
from sync.records.store import Records

pytest_plugins = ["fakes.fixtures"]

T = shipped()
KEY = "BATTERY"
BAD = ("<tr><td><p>12/03/2024</p></td><td><p>Sodium-ion cells</p></td>"
       "<td><p>https://example.com/na</p></td><td></td><td></td><td></td></tr>")
EVIL = ("<tr><td><p>2026-01-02</p></td><td><p>Odd</p></td>"
        '<td><p>ftp://x/&lt;ac:structured-macro ac:name="html"&gt;]]&gt;&lt;table&gt;</p>'
        "</td><td></td><td></td><td></td></tr>")


class Cli:
    def __init__(self, directory: Path, fake: ConfluenceFake) -> None:
        self.fake = fake
        self.cloud = fake.deployment == "cloud"
        self.directory = directory
        self.env = {"COP_CONFIG": str(directory / "cop.toml"),
                    "COP_CONFLUENCE_TOKEN": "cloud-api-token" if self.cloud
                    else "dc-personal-access-token"}

    def __call__(self, *args: str, command: click.Command = _cop) -> Result:
        return CliRunner().invoke(command, list(args), env=self.env, catch_exceptions=False)

    def sync(self) -> Result:
        return self(command=cop_sync)

    def records(self) -> Records:
        return Records.open(self.directory / "cop.db")

    def body(self, title: str) -> str:
        return self.fake.page(KEY, title).body

    def member_saves(self, title: str, body: str) -> None:
        self.fake.edit_page(KEY, title, editor_save(body))


@pytest.fixture(params=["cloud", "dc"])
def cop(request: pytest.FixtureRequest, tmp_path: Path) -> Cli:
    fake: ConfluenceFake = request.getfixturevalue(f"confluence_{request.param}")
    fake.clock.set(datetime.now(UTC))
    cli = Cli(tmp_path, fake)
    result = cli("init", "--confluence-url", fake.base_url, "--confluence-user",
                 "copbot@example.com" if cli.cloud else "",
                 "--confluence-cloud" if cli.cloud else "--confluence-datacenter")
    assert result.exit_code == 0, result.output
    result = cli("community", "add", "battery", "--name", "Battery storage", "--theme",
                 "Energy", "--pilot", "claire@corp.example", "--expert",
                 "karim@corp.example", "--backend", "confluence", "--lang", "en")
    assert result.exit_code == 0, result.output
    assert cli("provision", "battery").exit_code == 0
    for page in [p for p in fake.state.pages.values() if p.status == "current"]:
        fake.edit_page(page.space.key, page.title, editor_save(page.body))
    assert cli.sync().exit_code == 0
    return cli


def test_no_page_carries_an_anchor(cop: Cli) -> None:
    for page in [p for p in cop.fake.state.pages.values() if p.status == "current"]:
        assert 'ac:name="anchor"' not in page.body, page.title


def test_the_notice_comes_with_a_bad_row_and_goes_when_it_is_fixed(cop: Cli) -> None:
    body = cop.body("Watch")
    items = r"(<h[1-6][^>]*>Watch items</h[1-6]>.*?<table.*?</tr>)"  # after the Sources
    cop.member_saves("Watch", re.sub(items, lambda m: m.group(1) + BAD + EVIL, body, count=1,
                                     flags=re.S))
    writes = len(cop.fake.writes())
    first = cop.sync()
    assert first.exit_code == 1, first.output
    # once, although the Watch page holds two row sets (its sources and its items)
    assert first.output.count("notice of entries to fix written") == 1, first.output
    page = cop.body("Watch")
    assert page.startswith('<ac:structured-macro ac:name="warning"')
    assert "Entries to fix on this page" in page and "12/03/2024" in page
    notice = page[:page.index("</ac:structured-macro>")]
    assert "<table" not in notice and notice.count("<ac:structured-macro") == 1  # inert
    assert "&lt;ac:structured-macro" in notice
    puts = [r for r in cop.fake.writes()[writes:] if r.method == "PUT" and
            re.search(r"/pages/\d+$|/content/\d+$", r.path)]
    assert len(puts) == 1
    minor = puts[0].body["version"].get("minorEdit")
    assert minor is (None if cop.cloud else True)  # Cloud's v2 API has no minor edits
    rows = StorageCodec().parse_rows(page, T["watch"], "Watch")
    assert len(rows.rows) == 2 and len(rows.problems) == 0  # the members' two; the notice no row

    writes = len(cop.fake.writes())
    again = cop.sync()
    assert len(cop.fake.writes()) == writes
    assert "notice" not in again.output.replace("still open", "")
    fixed_body = cop.body("Watch").replace("12/03/2024", "2024-03-12")
    cop.member_saves("Watch", re.sub(r"<tr[^>]*>(?:(?!</tr>).)*ftp://x/.*?</tr>", "",
                                     fixed_body, flags=re.S))
    fixed = cop.sync()
    assert fixed.exit_code == 0, fixed.output
    assert "Entries to fix" not in cop.body("Watch")
    writes = len(cop.fake.writes())
    assert cop.sync().exit_code == 0 and len(cop.fake.writes()) == writes


def test_a_space_with_anchors_loses_them_at_the_next_provisioning(cop: Cli) -> None:
    records = cop.records()
    try:
        # a page once, with its own kind's markers (a part's rows, the Watch page's
        # sources, are on their host's page and never had markers of their own)
        states = [s for s in records.page_states("battery") if not T.kind_for(s.kind).host]
        for state in records.page_states("battery"):
            kind = T.kind_for(state.kind)
            if not kind.host:
                assert state.regions is not None
                cop.fake.edit_page(KEY, state.ref.title, editor_save(
                    with_markers("storage", kind, cop.body(state.ref.title), state.regions)))
            records.save_page_state(replace(state, regions=None))
    finally:
        records.close()
    assert cop.sync().exit_code == 0
    assert all('ac:name="anchor"' in cop.body(s.ref.title) for s in states)
    rows = {s.ref.title: re.findall(r"<tr.*?</tr>", cop.body(s.ref.title)) for s in states}
    writes = len(cop.fake.writes())
    result = cop("provision", "battery")
    assert result.exit_code == 0, result.output
    assert result.output.count("markers taken off the page") == len(states)
    for state in states:
        body = cop.body(state.ref.title)
        assert 'ac:name="anchor"' not in body
        assert re.findall(r"<tr.*?</tr>", body) == rows[state.ref.title]
    assert len(cop.fake.writes()) > writes
    writes = len(cop.fake.writes())
    again = cop("provision", "battery")
    assert "wrote 0 page(s)" in again.output and len(cop.fake.writes()) == writes
    upgraded = cop("provision", "--upgrade", "battery")
    assert upgraded.exit_code == 0 and "    ! " not in upgraded.output, upgraded.output


def test_sections_members_move_or_delete_never_cost_a_row(cop: Cli, tmp_path: Path) -> None:
    """A member moves the introduction under the table and deletes the help: the rows still
    read, an upgrade updates the moved section where it stands, reports the deleted one and
    adds it back only on request (`--restore-sections`)."""
    body = cop.body("Members")
    soup = BeautifulSoup(body, "html.parser")
    intro = soup.find("p")
    table = soup.find("table")
    assert intro is not None and table is not None
    table.insert_after(intro.extract())
    help_heading = soup.find("h2", string=re.compile("Add yourself"))
    assert help_heading is not None
    for node in list(help_heading.find_next_siblings()):  # up to the list (help first)
        if node.name == "h2":
            break
        node.extract()
    help_heading.extract()
    cop.member_saves("Members", str(soup))
    assert cop.sync().exit_code == 0
    emails = set(_records_members(cop))
    assert {"claire@corp.example", "karim@corp.example"} <= emails
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "members.toml").write_text(
        '[[sections]]\nid = "intro"\nparagraphs.en = ["The people of {name}."]\n',
        encoding="utf-8")
    with (cop.directory / "cop.toml").open("a", encoding="utf-8") as toml:
        toml.write(f'\n[templates]\ndir = "{tmp_path / "templates"}"\n')
    upgraded = cop("provision", "--upgrade", "battery")
    assert upgraded.exit_code == 0, upgraded.output
    assert "section 'intro' updated" in upgraded.output
    assert "section 'howto' is not on the page (deleted on the wiki?)" in upgraded.output
    page = cop.body("Members")
    assert page.index("<table") < page.index("The people of Battery storage.")
    assert "Add yourself" not in page
    assert set(_records_members(cop)) == emails
    restored = cop("provision", "--upgrade", "--restore-sections", "battery")
    assert "section 'howto' added back" in restored.output, restored.output
    assert "Add yourself" in cop.body("Members")
    assert cop.sync().exit_code == 0 and set(_records_members(cop)) == emails


def _records_members(cop: Cli) -> list[str]:
    records = cop.records()
    try:
        return list(records.live_rows("battery", "members"))
    finally:
        records.close()
