"""``cop provision --upgrade`` in the engine, on the in-memory wiki with both page formats:
three provisioned communities take a changed template (new field, renamed label, new
section); their members' rows and prose stay byte for byte, the new parts appear, a second
upgrade writes nothing, and an interrupted upgrade is simply run again."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from legacy_pages import with_markers
from msgspec.structs import replace

from connector.base import PageRef
from connector.confluence.storage import StorageCodec
from connector.errors import EditConflict, Unreachable
from connector.mediawiki.wikitext import WikitextCodec
from connector.memory import MemoryBackend
from page_templates import TemplateSet, load_templates, shipped, template_version
from sync.community.pages import current_refs, host_refs, page_context
from sync.community.registration import NewCommunity, add_community
from sync.config.loader import parse
from sync.engine.run import Syncer, SyncOptions
from sync.provision.run import Provisioner, ProvisionReport
from sync.records.model import Community
from sync.records.store import Records

T = shipped()
CONFIG = parse({"mediawiki": {"url": "http://127.0.0.1:1/"}}, Path("/tmp/cop.toml"))
SLUGS = {"battery": "en", "solar": "fr", "wind": "en"}
CHANGE = """
version = 2

[[fields]]
name = "team"
after = "profile"
label = { en = "Team", fr = "Équipe" }
help = { en = "Your team.", fr = "Votre équipe." }

[[fields]]
name = "site"
label = { en = "Location", fr = "Lieu" }

[[sections]]
id = "meetings"
after = "intro"
title = { en = "Meetings", fr = "Réunions" }
paragraphs = { en = ["We meet every month."], fr = ["Nous nous réunissons chaque mois."] }
"""


class World:
    def __init__(self, codec: str) -> None:
        self.records = Records.open(":memory:")
        spaces = {f"CoP_{slug.title()}" for slug in SLUGS} | {"Template"}
        self.wiki = MemoryBackend(WikitextCodec() if codec == "wikitext" else StorageCodec(),
                                  spaces=spaces)
        self.format = codec
        self.communities: list[Community] = [add_community(
            self.records, CONFIG, NewCommunity(
                slug=slug, name=f"{slug.title()} power", theme="Energy",
                pilot=f"pia@{slug}.example", expert=f"eli@{slug}.example", lang=lang))
            for slug, lang in SLUGS.items()]

    def provision(self, templates: TemplateSet, *, upgrade: bool = False,
                  dry_run: bool = False) -> ProvisionReport:
        current = [self.records.community(c.slug) for c in self.communities]
        return Provisioner(self.records, self.wiki, templates, upgrade=upgrade).run(
            current, dry_run=dry_run)

    def members(self, community: Community) -> PageRef:
        return PageRef(community.space, T["members"].title[community.lang])

    def content(self, ref: PageRef) -> str:
        page = self.wiki.page(ref)
        assert page is not None
        return page.content

    def member_edits(self, community: Community) -> None:
        """A member adds a row and a note of their own to the members page."""
        ref = self.members(community)
        content = self.content(ref)
        if self.format == "wikitext":
            last = [line for line in content.splitlines() if line.startswith("{{CoP member|")]
            row = f"{{{{CoP member|email=zoe@{community.slug}.example|name=Zoé|site=Lyon}}}}"
            content = content.replace(last[-1], last[-1] + "\n" + row, 1)
            content += "\nOur notes: '''bring''' the samples.\n"
        else:
            row = (f"<tr><td><p>zoe@{community.slug}.example</p></td><td><p>Zoé</p></td>"
                   "<td></td><td></td><td><p>Lyon</p></td><td></td><td></td></tr>")
            content = content.replace("</tbody></table>", row + "</tbody></table>", 1)
            content += "<p>Our notes: <strong>bring</strong> the samples.</p>"
        self.wiki.edit(ref, content)

    def rows(self, content: str) -> list[str]:
        if self.format == "wikitext":
            return re.findall(r"(?m)^\{\{CoP member\|email=[^|\n][^\n]*\}\}$", content)
        return re.findall(r"<tr><td>.*?</tr>", content)

    def sync(self, templates: TemplateSet):
        return Syncer(self.records, {"mediawiki": self.wiki}, templates).run(SyncOptions())


@pytest.fixture(params=["wikitext", "storage"])
def world(request: pytest.FixtureRequest) -> World:
    world = World(request.param)
    assert world.provision(T).exit_code == 0
    for community in world.communities:
        world.member_edits(community)
    assert world.sync(T).exit_code == 0
    return world


@pytest.fixture
def changed(tmp_path: Path) -> TemplateSet:
    (tmp_path / "members.toml").write_text(CHANGE, encoding="utf-8")
    return load_templates(tmp_path)


def test_three_communities_upgrade_keeping_rows_and_prose(world: World,
                                                         changed: TemplateSet) -> None:
    before = {c.slug: world.content(world.members(c)) for c in world.communities}
    writes = world.wiki.stats.writes
    plan = world.provision(changed, upgrade=True, dry_run=True)
    assert world.wiki.stats.writes == writes  # a dry run writes nothing
    upgrades = [a for a in plan.actions if a.op == "upgrade"]
    assert sorted(str(a.ref) for a in upgrades) == sorted(
        str(world.members(c)) for c in world.communities)
    assert all("new section 'meetings'" in a.reason for a in upgrades)

    report = world.provision(changed, upgrade=True)
    assert report.exit_code == 0, report.failed
    for community in world.communities:
        old, new = before[community.slug], world.content(world.members(community))
        assert len(world.rows(old)) == 3
        for row in world.rows(old):  # byte for byte (Confluence: one empty cell more)
            assert (row if world.format == "wikitext" else row[:-5] + "<td></td></tr>") in new
        assert "'''bring''' the samples" in new or "<strong>bring</strong> the samples" in new
        meetings = "Meetings" if community.lang == "en" else "Réunions"
        assert meetings in new and ("Team" in new or "Équipe" in new)
        state = world.records.page_state(community.slug, "members")
        assert state is not None
        assert state.template_version == template_version(changed["members"])
        assert "<!--" not in new and "cop-section" not in new and "cop-template-" not in new
        assert state.regions == world.wiki.codec.page_regions(
            changed["members"], page_context_of(world, community, changed))
        watch = world.records.page_state(community.slug, "watch")
        assert watch is not None and watch.template_version == template_version(T["watch"])

    writes = world.wiki.stats.writes
    again = world.provision(changed, upgrade=True)
    assert world.wiki.stats.writes == writes  # a second upgrade writes nothing
    assert {a.op for a in again.actions} <= {"skip"}
    synced = world.sync(changed)
    assert synced.exit_code == 0 and world.wiki.stats.writes == writes
    zoe = world.records.live_rows("battery", "members")["zoe@battery.example"]
    assert (zoe["site"], zoe.get("team", "")) == ("Lyon", "")  # the renamed column reads


def test_a_member_saving_while_the_upgrade_runs_keeps_their_edit(
        world: World, changed: TemplateSet, monkeypatch: pytest.MonkeyPatch) -> None:
    """A member saves the page between the upgrade's read and its write (an edit
    conflict): the page is read again by id, planned again and written once more; the
    member's words are kept and the page is upgraded in the same run."""
    solar = world.communities[1]
    ref = world.members(solar)
    write = world.wiki.update_page
    conflicts = []

    def member_saves_first(base, content, **options):
        if base.ref == ref and not conflicts:
            conflicts.append(base.revision)
            world.wiki.edit(ref, world.content(ref) + (
                "\nA late note.\n" if world.format == "wikitext" else "<p>A late note.</p>"))
        return write(base, content, **options)

    monkeypatch.setattr(world.wiki, "update_page", member_saves_first)
    report = world.provision(changed, upgrade=True)
    assert conflicts and report.exit_code == 0, report.failed
    content = world.content(ref)
    assert "A late note." in content and "Réunions" in content  # both: kept, and upgraded
    assert len(world.rows(content)) == 3
    monkeypatch.undo()
    second = world.provision(changed, upgrade=True)
    assert second.exit_code == 0 and not any(a.writes for a in second.actions)


def test_a_second_conflict_is_reported_and_the_next_run_upgrades(
        world: World, changed: TemplateSet) -> None:
    solar = world.communities[1]
    conflict = EditConflict(backend="memory", page=str(world.members(solar)), base_revision="1")
    world.wiki.fail_next("update_page", conflict, times=2, space=solar.space)
    first = world.provision(changed, upgrade=True)
    assert first.exit_code == 1 and [str(a.ref) for a, _ in first.failed] == [
        str(world.members(solar))]
    assert world.provision(changed, upgrade=True).exit_code == 0


def test_an_interrupted_upgrade_is_run_again(world: World, changed: TemplateSet) -> None:
    solar = world.communities[1]
    world.wiki.fail_next("update_page", Unreachable("down", backend="memory"),
                         space=solar.space)
    first = world.provision(changed, upgrade=True)
    assert first.exit_code == 1 and [str(a.ref) for a, _ in first.failed] == [
        str(world.members(solar))]
    states = [world.records.page_state(c.slug, "members") for c in world.communities]
    assert [s.template_version == template_version(changed["members"])
            for s in states if s] == [True, False, True]  # each write recorded at once
    second = world.provision(changed, upgrade=True)
    assert second.exit_code == 0
    assert [str(a.ref) for a in second.actions if a.op == "upgrade"] == [
        str(world.members(solar))]
    writes = world.wiki.stats.writes
    world.provision(changed, upgrade=True)
    assert world.wiki.stats.writes == writes


def test_a_region_edited_by_hand_is_reported_not_overwritten(world: World,
                                                            changed: TemplateSet) -> None:
    battery = world.communities[0]
    ref = world.members(battery)
    world.wiki.edit(ref, world.content(ref).replace("Everyone from marketing",
                                                    "Anyone at all", 1))
    report = world.provision(changed, upgrade=True)
    [action] = [a for a in report.actions if a.ref == ref]
    assert action.op == "upgrade"
    assert action.notes == ("section 'intro' is not on the page as written (edited or deleted "
                            "on the wiki): kept as it is",)
    assert "Anyone at all" in world.content(ref) and "Meetings" in world.content(ref)
    again = world.provision(changed, upgrade=True)
    [line] = [a for a in again.actions if a.ref == ref]
    assert line.op == "drift" and "section 'intro' is not on the page" in line.reason


def test_plain_provisioning_says_when_a_page_is_behind(world: World,
                                                      changed: TemplateSet) -> None:
    writes = world.wiki.stats.writes
    report = world.provision(changed)
    members = [a for a in report.actions if a.kind == "members"]
    assert all("cop provision --upgrade" in a.reason for a in members)
    assert world.wiki.stats.writes == writes + (
        1 if world.format == "wikitext" else 0)  # the row template (TemplateData) only


def test_pages_from_before_markers_are_upgraded(world: World, changed: TemplateSet) -> None:
    """Pages of cop-connector 0.1: no marker, no merge base in the records; their sections
    are found as the shipped template rendered them."""
    forget_regions(world, version="1")
    before = {c.slug: world.content(world.members(c)) for c in world.communities}
    report = world.provision(changed, upgrade=True)
    assert report.exit_code == 0 and not [a for a in report.actions if a.notes]
    for community in world.communities:
        new = world.content(world.members(community))
        for row in world.rows(before[community.slug]):
            assert (row if world.format == "wikitext" else row[:-5] + "<td></td></tr>") in new
        assert "Meetings" in new or "Réunions" in new
    [line] = [a for a in report.actions if a.ref == world.members(world.communities[0])]
    assert line.reason.startswith(f"template 1 -> {T['members'].version}.2-")
    writes = world.wiki.stats.writes
    world.provision(changed, upgrade=True)
    assert world.wiki.stats.writes == writes


def forget_regions(world: World, version: str) -> None:
    """The records as an earlier version left them: no merge base of the regions."""
    for community in world.communities:
        for state in world.records.page_states(community.slug):
            world.records.save_page_state(replace(state, regions=None,
                                                  template_version=version))


def add_markers(world: World) -> None:
    """Every page as an earlier version wrote it: markers around its regions."""
    for community in world.communities:
        for state in world.records.page_states(community.slug):
            kind = T.kind_for(state.kind)
            if kind.host:
                continue
            assert state.regions is not None
            world.wiki.edit(state.ref, with_markers(world.format, kind,
                                                    world.content(state.ref), state.regions))


def test_pages_with_markers_lose_them_at_the_next_provisioning(
        world: World, changed: TemplateSet) -> None:
    """Spaces provisioned by the versions that wrote markers: a plain `cop provision`
    takes them off (one write per page, nothing else changed), records each region's
    merge base, and a second run writes nothing; `--upgrade` then works as for any page."""
    add_markers(world)
    forget_regions(world, version=template_version(T["members"]))
    assert world.sync(T).exit_code == 0
    marked = {c.slug: world.content(world.members(c)) for c in world.communities}
    assert all("cop:section" in page or "cop-section" in page for page in marked.values())
    writes, minor = world.wiki.stats.writes, world.wiki.minor_writes
    plain = world.provision(T)
    assert plain.exit_code == 0
    unmarked = [a for a in plain.actions if "markers taken off" in a.reason]
    pages = [s for c in world.communities for s in world.records.page_states(c.slug)
             if not T.kind_for(s.kind).host]
    assert len(unmarked) == len(pages)
    assert world.wiki.stats.writes - writes == len(pages)
    assert world.wiki.minor_writes - minor == len(pages)  # no watcher is told of them
    for community in world.communities:
        page = world.content(world.members(community))
        assert "<!--" not in page and 'ac:name="anchor"' not in page
        assert world.rows(page) == world.rows(marked[community.slug])
        assert "Our notes" in page
        state = world.records.page_state(community.slug, "members")
        assert state is not None and state.regions
        assert state.template_version == template_version(T["members"])
    writes = world.wiki.stats.writes
    assert world.provision(T).exit_code == 0 and world.wiki.stats.writes == writes
    synced = world.sync(T)
    assert synced.exit_code == 0 and world.wiki.stats.writes == writes
    report = world.provision(changed, upgrade=True)
    assert report.exit_code == 0 and not [a for a in report.actions if a.notes]
    assert all("Meetings" in world.content(world.members(c)) or
               "Réunions" in world.content(world.members(c)) for c in world.communities)


def test_an_upgrade_takes_the_markers_off_too(world: World, changed: TemplateSet) -> None:
    add_markers(world)
    forget_regions(world, version=template_version(T["members"]))
    report = world.provision(changed, upgrade=True)
    assert report.exit_code == 0
    assert not [(a.ref, a.notes) for a in report.actions if a.notes]
    [line] = [a for a in report.actions if a.ref == world.members(world.communities[0])]
    assert "markers taken off the page" in line.reason and "new section 'meetings'" in \
        line.reason
    for community in world.communities:
        assert "cop:section" not in world.content(world.members(community))
    writes = world.wiki.stats.writes
    world.provision(changed, upgrade=True)
    assert world.wiki.stats.writes == writes


def page_context_of(world: World, community: Community, templates: TemplateSet):
    """The context provisioning renders ``community``'s pages with."""
    states = world.records.page_states(community.slug)
    current = world.records.community(community.slug)
    refs = current_refs(current, current.space, templates, states, [])
    return page_context(current, host_refs(refs, templates))
