"""The whole loop on the fake Confluence, Cloud and Data Center, through the CLI as the
innovation manager, members and the cron job use it (issue 3's acceptance criteria):
provision -> members edit in storage format -> cop-sync -> cop export.

The fake answers in process (``responses``); every request and 2xx answer is checked
against Atlassian's OpenAPI specs, and any violation fails the test.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import click
import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner, Result
from fakes.confluence_fake import ConfluenceFake
from storage_editor import add_table_row

from page_templates import shipped
from page_templates.values import normalize
from sync.cli import _cop
from sync.cli.sync_command import cop_sync

pytest_plugins = ["fakes.fixtures"]

KEY = "BATTERY"
PILOT, EXPERT = "claire@corp.example", "karim@corp.example"
INJECTIONS = ['<ac:structured-macro ac:name="html">', "]]>", "&", "<script>alert(1)</script>",
              "\x07bell\x1b", "<![CDATA[x]]>", "&lt;b&gt;"]
EVIL = "Eve " + " ".join(INJECTIONS)
TITLES = ("Charter", "Members", "Watch", "References", "Regulation", "Competition",
          "Ideas and subjects")
# per-page GETs of either deployment (what a sync must never send)
PER_PAGE_GET = r"/api/v2/pages/\d+$|/rest/api/content/\d+$"


class Cli:
    def __init__(self, directory: Path, fake: ConfluenceFake) -> None:
        self.fake = fake
        self.cloud = fake.deployment == "cloud"
        self.env = {"COP_CONFIG": str(directory / "cop.toml"),
                    "COP_CONFLUENCE_TOKEN": fake.token}
        self.runner = CliRunner()
        self.config = directory / "cop.toml"

    def __call__(self, *args: str, command: click.Command = _cop) -> Result:
        return self.runner.invoke(command, list(args), env=self.env, catch_exceptions=False)

    def sync(self, *args: str) -> Result:
        return self(*args, command=cop_sync)

    def export(self, slug: str = "battery") -> dict:
        return json.loads(self("export", slug).output)["communities"][0]

    def add_community(self, slug: str, name: str, *extra: str) -> None:
        result = self("community", "add", slug, "--name", name, "--theme", "Energy storage",
                      "--pilot", PILOT, "--expert", EXPERT, "--backend", "confluence",
                      "--lang", "en", *extra)
        assert result.exit_code == 0, result.output


@pytest.fixture(params=["cloud", "dc"])
def site(request: pytest.FixtureRequest) -> ConfluenceFake:
    fake: ConfluenceFake = request.getfixturevalue(f"confluence_{request.param}")
    fake.clock.set(datetime.now(UTC))  # the CLI's clock sizes the first change feed
    return fake


@pytest.fixture
def cop(site: ConfluenceFake, tmp_path: Path) -> Cli:
    cli = Cli(tmp_path, site)
    deployment = "--confluence-cloud" if cli.cloud else "--confluence-datacenter"
    result = cli("init", "--confluence-url", site.base_url, "--confluence-user",
                 "copbot@example.com" if cli.cloud else "", deployment)
    assert result.exit_code == 0, result.output
    accounts = [site.add_user(email, email.split("@")[0].title()) for email in (PILOT, EXPERT)]
    with cli.config.open("a", encoding="utf-8") as toml:
        toml.write("\n[confluence.accounts]\n")
        for user in accounts:
            ident = user.account_id if cli.cloud else user.user_key
            toml.write(f'"{user.email}" = "{ident}"\n')
    cli.add_community("battery", "Battery storage")
    return cli


@pytest.fixture
def provisioned(cop: Cli) -> Cli:
    result = cop("provision", "battery")
    assert result.exit_code == 0, result.output
    return cop


def add_row(fake: ConfluenceFake, title: str, cells: list[str], space: str = KEY,
            kind: str | None = None) -> None:
    """A member adds a table row in the editor: cells wrapped in paragraphs, as it saves,
    in the table of ``kind`` found by its column headers (default: the page's own list;
    see storage_editor.add_table_row), wherever it stands on the page."""
    page = fake.page(space, title)
    fake.edit_page(space, title, add_table_row(page.body, cells, kind))


def ours(macro) -> bool:
    """An anchor marking the template's regions (cop-connector's own, see storage_markers)."""
    return macro.get("ac:name") == "anchor" and macro.get_text().startswith("cop-")


def writes(fake: ConfluenceFake) -> int:
    return len(fake.writes())


# --- provisioning -------------------------------------------------------------------------

def test_provision_builds_the_space_with_the_charter_as_home(provisioned: Cli) -> None:
    fake = provisioned.fake
    space = fake.space(KEY)
    home = fake.state.pages[space.homepage_id]
    assert (home.title, home.version) == ("Charter", 2)  # Confluence's home page, taken over
    current = [p for p in fake.state.pages.values() if p.status == "current"]
    assert sorted(p.title for p in current) == sorted(TITLES)  # no orphan "... Home" page
    children = sorted(p.title for p in fake.state.children(home.id))
    assert children == sorted(TITLES[1:])
    assert '<ac:structured-macro ac:name="details"' in home.body
    for page in current:
        kind = next(k.kind for k in shipped().kinds
                    if k.kind != "home" and k.title.get("en") == page.title)
        assert set(page.labels) == {"cop", f"cop-{kind}"}
        mark = page.properties["cop-connector"].value
        assert mark["version"] == page.version and len(mark["sha256"]) == 64
    assert "claire@corp.example" in fake.page(KEY, "Members").body
    held = {(p.identifier, p.operation, p.target) for p in space.permissions}
    for email in (PILOT, EXPERT):
        user = fake.state.users[email]
        ident = user.account_id if provisioned.cloud else user.user_key
        assert {(ident, "administer", "space"), (ident, "create", "page")} <= held
    status = json.loads(provisioned("community", "show", "battery", "--json").output)
    assert status["space_id"] == str(space.id)


def test_reprovisioning_and_a_quiet_sync_write_nothing(provisioned: Cli) -> None:
    fake = provisioned.fake
    assert provisioned.sync().exit_code == 0  # the first sync reads every page
    before, log = writes(fake), len(fake.log)
    again = provisioned("provision", "battery")
    assert again.exit_code == 0 and "wrote 0 page(s)" in again.output
    assert writes(fake) == before
    reprovision = fake.log[log:]
    # the space by its id (Data Center: key); the pages by id; the "Home" page (the
    # charter is the home on Confluence: none there) by title; the space's permissions;
    # Cloud: the site's role mode, and the pages' labels (one CQL search: v2 reads labels
    # one page at a time)
    assert len(reprovision) == (6 if provisioned.cloud else 4)
    log = len(fake.log)
    quiet = provisioned.sync("--json")
    assert quiet.exit_code == 0, quiet.output
    assert json.loads(quiet.stdout)["counts"]["pages_read"] == 0
    sent = fake.log[log:]
    assert writes(fake) == before
    assert len(sent) <= 2  # the check of known pages and the change feed
    assert not [r for r in sent if re.search(PER_PAGE_GET, r.path)]


def test_dry_run_plans_the_space_and_writes_nothing(cop: Cli) -> None:
    result = cop("provision", "battery", "--dry-run")
    assert result.exit_code == 0, result.output
    assert f"+ create  space {KEY}" in result.output
    assert writes(cop.fake) == 0


# --- members' edits flow back -----------------------------------------------------------------

def test_member_rows_in_storage_format_flow_back(provisioned: Cli) -> None:
    fake = provisioned.fake
    add_row(fake, "Watch", ['<time datetime="2026-11-02" />', "Sodium-ion cells",
                            '<a href="https://example.com/na">the article</a>', "Lab",
                            "First line</p><p>second line", "na, ion"])
    add_row(fake, "Competition", ["Acme", "Cell X", "premium", "", "", "", ""])
    add_row(fake, "Members", ['<a href="mailto:Bob@corp.example">Bob@corp.example</a>', "Bob",
                              "R&amp;D", "member", "Lyon", '<time datetime="2026-11-20" />'])
    first = provisioned.sync()
    assert first.exit_code == 0, first.output
    data = provisioned.export()
    watch = data["watch"][0]
    assert (watch["date"], watch["title"], watch["url"]) == (
        "2026-11-02", "Sodium-ion cells", "https://example.com/na")
    assert watch["summary"] == "First line\nsecond line"
    assert data["competition"][0]["competitor"] == "Acme"
    bob = next(m for m in data["members"] if m["email"] == "bob@corp.example")
    assert (bob["profile"], bob["since"]) == ("R&D", "2026-11-20")

    fake.clock.advance(1)
    add_row(fake, "References", ["IEC 62660", "Cells", "", "", "", ""])
    log = len(fake.log)
    second = provisioned.sync("--json")
    assert second.exit_code == 0
    assert json.loads(second.stdout)["counts"]["pages_read"] == 1
    assert [r["ref"] for r in provisioned.export()["references"]] == ["IEC 62660"]
    assert not [r for r in fake.log[log:] if re.search(PER_PAGE_GET, r.path)]
    assert not [r for r in fake.log[log:] if r.method != "GET"]


def test_member_commands_edit_the_members_page(provisioned: Cli) -> None:
    fake = provisioned.fake
    result = provisioned("member", "add", "battery", "ann@corp.example", "--name", "Ann Lee",
                         "--profile", "marketing", "--site", "Lyon")
    assert result.exit_code == 0, result.output
    assert "ann@corp.example" in fake.page(KEY, "Members").body
    members = fake.page(KEY, "Members")
    fake.edit_page(KEY, "Members", members.body + "<p>a member's note stays</p>")
    assert provisioned("member", "remove", "battery", "ann@corp.example").exit_code == 0
    body = fake.page(KEY, "Members").body
    assert "ann@corp.example" not in body and "<p>a member's note stays</p>" in body
    assert provisioned.sync().exit_code == 0
    assert "ann@corp.example" not in {m["email"] for m in provisioned.export()["members"]}


def test_injections_round_trip_literally_and_stay_inert(provisioned: Cli) -> None:
    fake = provisioned.fake
    result = provisioned("member", "add", "battery", "eve@corp.example", "--name", EVIL,
                         "--profile", "R&D", "--site", "]]><script>")
    assert result.exit_code == 0, result.output
    # a member types the same text in the editor: it is saved escaped
    from connector.confluence.xml_escape import escape_text  # noqa: PLC0415
    typed = " ".join(INJECTIONS[:4])
    add_row(fake, "References", ["R-1", escape_text(typed), "", "", "", escape_text(typed)])
    assert provisioned.sync().exit_code == 0
    data = provisioned.export()
    eve = next(m for m in data["members"] if m["email"] == "eve@corp.example")
    name = shipped()["members"].field("name")
    assert name is not None
    assert eve["name"] == normalize(name, EVIL)  # control characters are never stored
    assert eve["site"] == "]]><script>"
    assert (data["references"][0]["title"], data["references"][0]["summary"]) == (typed, typed)
    for title in ("Members", "References"):
        soup = BeautifulSoup(fake.page(KEY, title).body, "html.parser")
        assert not soup.find_all(["script", "ac:plain-text-body"])
        assert not [m for m in soup.find_all("ac:structured-macro") if not ours(m)]
        assert "<script" not in fake.page(KEY, title).body


# --- faults -------------------------------------------------------------------------------

def test_conflict_on_the_members_page_is_reread_and_reapplied(provisioned: Cli) -> None:
    fake = provisioned.fake
    members = fake.page(KEY, "Members")
    edited = members.body.replace("</tbody></table>", "<tr><td>zoe@corp.example</td><td>Zoe"
                                  "</td><td></td><td></td><td></td><td></td></tr>"
                                  "</tbody></table>", 1)
    fake.conflict_next_update(members.id, edited)
    result = provisioned("member", "add", "battery", "ann@corp.example", "--name", "Ann",
                         "--profile", "sales")
    assert result.exit_code == 0, result.output
    body = fake.page(KEY, "Members").body
    assert "zoe@corp.example" in body and "ann@corp.example" in body


def test_a_conflict_that_persists_is_recorded_not_forced(provisioned: Cli) -> None:
    fake = provisioned.fake
    path = r"/api/v2/pages/\d+$" if provisioned.cloud else r"/rest/api/content/\d+$"
    fake.fail_next("PUT", path, status=409, times=2,
                   message="Version must be incremented on update. Current version is: 9")
    result = provisioned("member", "add", "battery", "ann@corp.example", "--name", "Ann",
                         "--profile", "sales")
    assert result.exit_code == 1
    assert "changed on the wiki" in result.output
    assert "ann@corp.example" not in fake.page(KEY, "Members").body
    assert provisioned.sync().exit_code == 0  # the next run writes what is pending
    assert "ann@corp.example" in fake.page(KEY, "Members").body


def test_interrupted_provisioning_creates_only_what_is_missing(cop: Cli) -> None:
    fake = cop.fake
    create = r"/api/v2/pages$" if cop.cloud else r"/rest/api/content$"
    # a create answered 503 is looked up, then sent once more: two child pages fail twice
    fake.fail_next("POST", create, status=503, times=4)
    first = cop("provision", "battery")
    assert first.exit_code == 1
    created = {p.title for p in fake.state.pages.values() if p.status == "current"}
    assert len(created) == 5  # the charter and four child pages
    log = len(fake.log)
    second = cop("provision", "battery")
    assert second.exit_code == 0, second.output
    creates = [r for r in fake.log[log:] if r.method == "POST" and re.search(create, r.path)]
    assert len(creates) == 2
    assert sorted(p.title for p in fake.state.pages.values() if p.status == "current") == \
        sorted(TITLES)


def test_a_timed_out_create_is_not_made_twice(cop: Cli) -> None:
    fake = cop.fake
    create = r"/api/v2/pages$" if cop.cloud else r"/rest/api/content$"
    fake.timeout_next("POST", create)  # saved, but the answer is lost
    result = cop("provision", "battery")
    assert result.exit_code == 0, result.output
    titles = [p.title for p in fake.state.pages.values() if p.status == "current"]
    assert sorted(titles) == sorted(TITLES)
    assert len([r for r in fake.log if r.method == "POST" and re.search(create, r.path)]) == 6


def test_rate_limits_and_outages_during_a_sync(provisioned: Cli) -> None:
    fake = provisioned.fake
    lists = r"/api/v2/pages$|/rest/api/content$|/rest/api/content/search$"
    fake.fail_next("GET", lists, status=429, retry_after=0)
    fake.fail_next("GET", lists, status=503, retry_after=datetime.now(UTC))
    assert provisioned.sync().exit_code == 0
    fake.fail_next("GET", lists, status=503, times=4)  # the first try and 3 retries
    down = provisioned.sync()
    assert down.exit_code == 1 and "kept answering with errors" in down.output
    fake.fail_next("GET", lists, status=429, retry_after=3600)  # absurd: waits 60 s (capped)
    assert provisioned.sync().exit_code == 0
    config = provisioned.config.read_text(encoding="utf-8")
    provisioned.config.write_text(config.replace("budget_seconds = 600",
                                                 "budget_seconds = 30"), encoding="utf-8")
    fake.fail_next("GET", lists, status=429, retry_after=3600)
    slow = provisioned.sync()
    assert slow.exit_code == 1 and "time budget" in slow.output


def test_deleted_and_moved_pages_are_followed(provisioned: Cli) -> None:
    fake = provisioned.fake
    add_row(fake, "References", ["IEC 62660", "Cells", "", "", "", ""])
    add_row(fake, "Watch", ['<time datetime="2026-11-02" />', "Kept", "", "", "", ""])
    assert provisioned.sync().exit_code == 0
    fake.delete_page(KEY, "References")
    fake.move_page(KEY, "Watch", new_title="Technology watch")
    result = provisioned.sync()
    assert "deleted on the wiki" in result.output
    data = provisioned.export()
    assert [w["title"] for w in data["watch"]] == ["Kept"]
    add_row(fake, "Technology watch", ['<time datetime="2026-11-03" />', "Moved too", "", "",
                                       "", ""])
    assert provisioned.sync().exit_code == 0
    assert {w["title"] for w in provisioned.export()["watch"]} == {"Kept", "Moved too"}
    assert provisioned("provision", "battery").exit_code == 0
    assert "IEC 62660" in fake.page(KEY, "References").body


def test_labels_a_failed_write_left_out_are_added_by_the_next_provisioning(cop: Cli) -> None:
    fake = cop.fake
    # every page's labels, then the charter's again when they are repaired at the end of
    # the community's provisioning (the others are repaired there)
    fake.fail_next("POST", r"/label$", status=503, times=8)
    first = cop("provision", "battery")
    assert first.exit_code == 1 and "labels" in first.output, first.output
    charter = fake.page(KEY, "Charter")
    assert not charter.labels
    # the rest of the run went on: rights granted, the community is the pilot
    assert fake.space(KEY).permissions and "lifecycle: proposed -> pilot" in first.output
    again = cop("provision", "battery")
    assert again.exit_code == 0, again.output
    assert set(charter.labels) == {"cop", "cop-charter"}
    log = len(fake.log)
    assert cop("provision", "battery").exit_code == 0
    assert not [r for r in fake.log[log:] if r.method != "GET"]  # nothing more to write


def test_a_page_restored_from_the_trash_is_read_back(provisioned: Cli) -> None:
    """Restoring makes no new version, so the feed finds it by checking the pages the
    records hold as deleted; their rows come back without --full."""
    fake = provisioned.fake
    add_row(fake, "References", ["IEC 62660", "Cells", "", "", "", ""])
    assert provisioned.sync().exit_code == 0
    page = fake.delete_page(KEY, "References")
    fake.clock.advance(60)
    assert "deleted on the wiki" in provisioned.sync().output
    assert provisioned.export()["references"] == []
    fake.restore_page(page)
    fake.clock.advance(60)
    assert provisioned.sync().exit_code == 0
    assert [r["ref"] for r in provisioned.export()["references"]] == ["IEC 62660"]
    assert "create" not in provisioned("provision", "battery").output  # not made again


# --- many communities: the cost of a sync -------------------------------------------------

def test_a_sync_of_k_changed_pages_costs_k_over_50_reads(cop: Cli) -> None:
    fake = cop.fake
    for number in range(2, 13):  # past [method] max_communities (issue 6): forced
        cop.add_community(f"battery{number}", f"Battery storage {number}", "--force")
    assert cop("provision", "--all").exit_code == 0
    for _ in range(2):  # cron runs every few minutes: the overlap leaves provisioning behind
        fake.clock.advance(600)
        assert cop.sync().exit_code == 0
    fake.clock.advance(600)
    log = len(fake.log)
    assert cop.sync().exit_code == 0
    assert len(fake.log) - log == 2  # nothing changed: the check of known pages, the feed
    keys = sorted(s.key for s in fake.state.spaces.values())
    assert len(keys) == 12
    changed = [(key, title) for key in keys for title in TITLES[1:]][:55]
    for key, title in changed:
        fake.edit_page(key, title, fake.page(key, title).body + "<p>seen</p>")
    fake.clock.advance(600)
    log = len(fake.log)
    result = cop.sync("--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["counts"]["pages_read"] == 55
    sent = fake.log[log:]
    # the check of the 84 known pages by id, the versions changed since the last run (one
    # list: 200 or 250 a page, no bodies), then the 55 pages by id, ceil(55 / 50)
    assert [r.path.rsplit("/", 1)[-1] for r in sent] == (
        ["pages"] * 4 if cop.cloud else ["content", "search", "content", "content"])
    assert not [r for r in sent if re.search(PER_PAGE_GET, r.path) or r.method != "GET"]


# --- the space key ------------------------------------------------------------------------

def test_a_space_key_taken_by_someone_else_stops_provisioning(cop: Cli) -> None:
    fake = cop.fake
    fake.create_space(KEY, "Battery team")
    log = len(fake.log)
    result = cop("provision", "battery")
    assert result.exit_code == 2
    assert "space key 'BATTERY' of community 'battery' is taken" in result.output
    assert "'Battery team'" in result.output
    assert not [r for r in fake.log[log:] if r.method != "GET"]


def test_the_communitys_own_space_is_adopted(cop: Cli) -> None:
    fake = cop.fake
    space = fake.create_space(KEY, "Battery storage")  # e.g. made before the records were lost
    result = cop("provision", "battery")
    assert result.exit_code == 0, result.output
    assert len(fake.state.spaces) == 1
    assert fake.state.pages[space.homepage_id].title == "Charter"


def test_an_injected_community_name_stays_text(cop: Cli) -> None:
    fake = cop.fake
    cop.add_community("evil", EVIL)
    result = cop("provision", "evil")
    assert result.exit_code == 0, result.output
    name = shipped()["members"].field("name")
    assert name is not None
    stored = normalize(name, EVIL)
    assert fake.space("EVIL").name == stored
    charter = fake.page("EVIL", "Charter").body
    soup = BeautifulSoup(charter, "html.parser")
    assert [m.get("ac:name") for m in soup.find_all("ac:structured-macro")
            if not ours(m)] == ["details"]
    assert not soup.find_all(["script", "ac:plain-text-body"])
    assert stored in soup.get_text()
    assert cop.sync().exit_code == 0
    assert cop.export("evil")["name"] == stored


def test_configuration_mistakes_are_named(confluence_cloud: ConfluenceFake,
                                          tmp_path: Path) -> None:
    cli = Cli(tmp_path, confluence_cloud)
    assert cli("init", "--confluence-url", confluence_cloud.base_url).exit_code == 0
    cli.add_community("battery", "Battery storage")
    no_user = cli("provision", "battery")
    assert no_user.exit_code == 2 and "set confluence.user" in no_user.output
    cli.env["COP_CONFLUENCE_TOKEN"] = ""  # set but empty: as good as missing
    text = cli.config.read_text().replace('user = ""', 'user = "copbot@example.com"', 1)
    cli.config.write_text(text)
    no_token = cli("provision", "battery")
    assert no_token.exit_code == 2 and "COP_CONFLUENCE_TOKEN" in no_token.output
    assert not confluence_cloud.log


def test_people_without_an_account_are_named_at_provisioning(cop: Cli) -> None:
    assert cop("member", "add", "battery", "ann@corp.example", "--name", "Ann",
               "--profile", "sales").exit_code == 0
    result = cop("provision", "battery")
    assert result.exit_code == 0, result.output
    assert "no space rights for ann@corp.example" in result.output
    assert "[confluence.accounts]" in result.output
