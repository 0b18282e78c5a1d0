"""The ideas funnel in the engine, on the in-memory wiki with both page formats (issue 16):
three communities whose members write subjects over several syncs; each status change is
recorded with its date, the report's funnel and its pull/push matches (across communities)
are right; a name of an entry that finds nothing is a warning that goes once the entry
exists; the hand-over round trip (proposed, `cop idea link`, the code written back to the
row, the next sync clean); and `cop provision --upgrade` adding the Ideas page to spaces
made before it, touching nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest
from msgspec.structs import replace

from connector.base import PageRef, RowChange
from connector.confluence.storage import StorageCodec
from connector.mediawiki.wikitext import WikitextCodec
from connector.memory import MemoryBackend
from page_templates import TemplateSet, shipped
from page_templates.values import row_key
from sync.community.registration import NewCommunity, add_community
from sync.config.loader import parse
from sync.engine.members import rows_pending, write_rows_page
from sync.engine.run import Syncer, SyncOptions
from sync.method.ideas import handover, link_project, read_subjects
from sync.method.ideas_export import ideas_csv, ideas_json
from sync.method.seminars import add_seminar, add_workshop
from sync.provision.run import Provisioner, ProvisionReport
from sync.records.model import Community
from sync.records.store import Records
from sync.results.health.run import all_health

T = shipped()
IDEAS = T["ideas"]
DAY = 86400
CONFIG = parse({"mediawiki": {"url": "http://127.0.0.1:1/"}}, Path("/tmp/cop.toml"))
SLUGS = {"battery": "en", "solar": "fr", "wind": "en"}


def without_ideas() -> TemplateSet:
    """The templates as they were before the Ideas page (spaces made then)."""
    return TemplateSet(tuple(k for k in T.kinds if k.kind != "ideas"), T.languages, "old")


class World:
    def __init__(self, codec: str) -> None:
        self.records = Records.open(":memory:")
        spaces = {f"CoP_{slug.title()}" for slug in SLUGS} | {"Template"}
        self.wiki = MemoryBackend(WikitextCodec() if codec == "wikitext" else StorageCodec(),
                                  spaces=spaces,
                                  home_kind="home" if codec == "wikitext" else "charter")
        self.format = codec
        for slug, lang in SLUGS.items():
            add_community(self.records, CONFIG, NewCommunity(
                slug=slug, name=f"{slug.title()} power", theme="Energy",
                pilot=f"pia@{slug}.example", expert=f"eli@{slug}.example", lang=lang),
                clock=self.wiki.now)

    @property
    def communities(self) -> list[Community]:
        return self.records.communities()

    def community(self, slug: str) -> Community:
        found = self.records.community(slug)
        assert found is not None
        return found

    def provision(self, templates: TemplateSet = T, *, upgrade: bool = False
                  ) -> ProvisionReport:
        return Provisioner(self.records, self.wiki, templates, clock=self.wiki.now,
                           upgrade=upgrade).run(self.communities, dry_run=False)

    def sync(self, templates: TemplateSet = T):
        report = Syncer(self.records, {"mediawiki": self.wiki}, templates,
                        clock=self.wiki.now).run(SyncOptions())
        return report

    def ref(self, slug: str, kind: str = "ideas") -> PageRef:
        state = self.records.page_state(slug, kind)
        assert state is not None
        return state.ref

    def content(self, ref: PageRef) -> str:
        page = self.wiki.page(ref)
        assert page is not None
        return page.content

    def member_writes(self, slug: str, changes: list[RowChange], kind: str = "ideas") -> None:
        """A member edits the page in the editor: rows added or changed in place."""
        ref = self.ref(slug, kind)
        lang = self.community(slug).lang
        content = self.wiki.codec.apply_changes(self.content(ref), T[kind], changes, lang)
        self.wiki.edit(ref, content, user=f"member-{slug}")

    def days(self, count: int) -> None:
        self.wiki.advance(count * DAY)


def add(title: str, **values: str) -> RowChange:
    row = {name: "" for name in IDEAS.field_names} | {"title": title, "status": "idea"}
    return RowChange("add", row_key(IDEAS, row) or "", row | values)


def status(title: str, new: str, **values: str) -> RowChange:
    return RowChange("update", row_key(IDEAS, {"title": title}) or "", {"status": new, **values})


@pytest.fixture(params=["wikitext", "storage"])
def world(request: pytest.FixtureRequest) -> World:
    found = World(request.param)
    assert found.provision().exit_code == 0
    assert found.sync().exit_code == 0
    return found


def test_subjects_move_through_the_funnel_over_several_syncs(world: World) -> None:
    add_seminar(world.records, 2026, title="CoP days", start="2026-01-05", days=2,
                place="Lyon")  # the in-memory wiki's clock starts on 2026-01-01
    add_workshop(world.records, 2026, "battery", title="Fast charging")
    world.member_writes("battery", [
        add("Forklift packs", need="Logistics customers ask for 1 h charging",
            tags="fast charging, logistics", origin="Workshop Fast charging", owner="Léa"),
        add("Cold start", need="Northern fleets", capability="Heating film",
            status="studied")])
    world.member_writes("solar", [add("Chargeurs DC rapides", capability="Nos convertisseurs",
                                      tags="Fast-Charging")])
    world.member_writes("wind", [add("Grid services", need="Utilities", tags="grid")])
    assert world.sync().exit_code == 0
    world.days(10)
    world.member_writes("battery", [status("Forklift packs", "studied")])
    assert world.sync().exit_code == 0
    world.days(20)
    world.member_writes("battery", [status("Forklift packs", "proposed"),
                                    status("Cold start", "dropped", reason="No market")])
    assert world.sync().exit_code == 0
    world.days(5)

    changes = [(c.key, c.previous, c.status) for c in
               world.records.status_changes("battery", "ideas")]
    assert changes == [("cold start", "", "studied"), ("forklift packs", "", "idea"),
                       ("forklift packs", "idea", "studied"),
                       ("cold start", "studied", "dropped"),
                       ("forklift packs", "studied", "proposed")]
    steps = [c.at[:10] for c in world.records.status_changes("battery", "ideas")]
    assert steps[2] > steps[0] and steps[3] > steps[2]  # dated when each sync saw it

    healths = {h.slug: h for h in all_health(world.records, T, CONFIG, world.communities,
                                             since="2026-01-01", now=world.wiki.now())}
    funnel = healths["battery"].funnel
    assert {s.stage: s.count for s in funnel.stages} == {
        "idea": 0, "studied": 0, "proposed": 1, "launched": 0, "dropped": 1}
    studied = next(s for s in funnel.stages if s.stage == "studied")
    # forklift packs stayed 20 days, cold start 30 (until dropped)
    assert studied.median_days is not None and 24.9 < studied.median_days < 25.1
    assert [s.title for s in funnel.handover] == ["Forklift packs"]
    assert [(s.title, s.reason) for s in funnel.dropped] == [("Cold start", "No market")]
    [match] = funnel.matches
    assert (match.need.title, match.capability.community, match.keywords, match.across) == (
        "Forklift packs", "solar", ("fast charging",), True)
    assert [s.title for s in healths["wind"].funnel.unanswered] == ["Grid services"]
    assert [(w.workshop, [s.title for s in w.subjects])
            for w in funnel.workshops] == [("Fast charging", ["Forklift packs"])]
    writes = world.wiki.stats.writes
    assert world.sync().exit_code == 0 and world.wiki.stats.writes == writes


def test_a_name_that_finds_nothing_warns_until_the_entry_exists(world: World) -> None:
    world.member_writes("battery", [add("Solid cells", links="Solid-state review 2027")])
    report = world.sync()
    assert report.exit_code == 0  # a warning: the subject is recorded all the same
    assert "solid cells" in world.records.live_rows("battery", "ideas")
    [problem] = world.records.problems("battery")
    assert (problem.kind, problem.code, problem.severity, problem.field) == (
        "ideas", "unknown_entry", "warning", "links")
    world.days(1)
    world.member_writes("battery", [RowChange("add", "https://x.example/ssr", {
        "date": "2026-01-02", "title": "Solid-state review 2027", "url": "https://x.example/ssr",
        "source": "", "summary": "", "tags": "solid-state"})], kind="watch")
    assert world.sync().exit_code == 0  # the Ideas page is read again with the watch
    assert world.records.problems("battery") == []
    [subject] = read_subjects(world.records, T, world.community("battery"))
    assert [e.kind for e in subject.linked] == ["watch"]


def test_the_hand_over_round_trip_writes_the_code_back_and_the_next_sync_is_clean(
        world: World) -> None:
    solar = world.community("solar")  # French: the status is written "lancée"
    world.member_writes("solar", [add("Stockage saisonnier", status="proposed",
                                      need="Les collectivités")])
    assert world.sync().exit_code == 0
    subjects = read_subjects(world.records, T, solar)
    assert [s.key for s in handover(subjects)] == ["stockage saisonnier"]

    done = link_project(world.records, T, solar, "Stockage Saisonnier", "INNO-42",
                        clock=world.wiki.now)
    assert (done.action, done.previous_status) == ("linked", "proposed")
    assert rows_pending(world.records, solar, "ideas")
    outcome = write_rows_page(world.records, world.wiki, T, solar, "ideas",
                              clock=world.wiki.now)
    assert outcome is not None and outcome.pushed == 1 and not outcome.error
    page = world.content(world.ref("solar"))
    assert "INNO-42" in page and "lancée" in page
    assert not rows_pending(world.records, solar, "ideas")
    assert handover(read_subjects(world.records, T, solar)) == []
    assert [(c.previous, c.status, c.by) for c in
            world.records.status_changes("solar", "ideas")][-1] == (
        "proposed", "launched", "cop idea link")

    writes = world.wiki.stats.writes
    assert world.sync().exit_code == 0 and world.records.problems("solar") == []
    assert world.wiki.stats.writes == writes  # nothing left to write
    again = link_project(world.records, T, solar, "stockage saisonnier", "INNO-42")
    assert again.action == "unchanged" and not rows_pending(world.records, solar, "ideas")

    exported = ideas_json(world.records, T, [solar])["subjects"]
    assert [(s["key"], s["project"], s["status"]) for s in exported] == [
        ("stockage saisonnier", "INNO-42", "launched")]
    assert [h["status"] for h in exported[0]["history"]] == ["proposed", "launched"]
    csv = ideas_csv(world.records, T, [solar]).splitlines()
    assert csv[0].startswith("community,community_name,key,title,need,capability")
    assert csv[1].startswith("solar,Solar power,stockage saisonnier,Stockage saisonnier,")


def test_a_member_changing_the_code_meanwhile_is_a_conflict_not_overwritten(
        world: World) -> None:
    battery = world.community("battery")
    world.member_writes("battery", [add("Fast charging", status="proposed")])
    assert world.sync().exit_code == 0
    link_project(world.records, T, battery, "Fast charging", "P-1", clock=world.wiki.now)
    world.member_writes("battery", [status("Fast charging", "launched", project="P-9")])
    outcome = write_rows_page(world.records, world.wiki, T, battery, "ideas")
    assert outcome is not None
    assert [(c.field, c.wiki, c.local) for c in outcome.conflicts] == [("project", "P-9",
                                                                        "P-1")]
    assert "P-9" in world.content(world.ref("battery"))  # the member's value stays


@pytest.mark.parametrize("codec", ["wikitext", "storage"])
def test_upgrade_adds_the_ideas_page_and_touches_nothing_else(codec: str) -> None:
    world = World(codec)
    old = without_ideas()
    assert world.provision(old).exit_code == 0 and world.sync(old).exit_code == 0
    pages = dict(world.wiki._pages)  # every page as it is before the upgrade
    writes = world.wiki.stats.writes

    report = world.provision(upgrade=True)
    assert report.exit_code == 0, report.failed
    written = sorted((a.op, a.kind) for a in report.done if a.writes)
    index = "home" if codec == "wikitext" else "charter"  # the page listing the others
    expected = [("create", "ideas")] * 3 + [("upgrade", index)] * 3
    if codec == "wikitext":
        expected.append(("create", "support:Template:CoP idea"))
    assert written == sorted(expected)
    assert world.wiki.stats.writes == writes + len(expected)
    changed = {str(ref) for ref, page in world.wiki._pages.items()
               if ref not in pages or pages[ref].revision != page.revision}
    assert all(("Ideas" in title or "Idées" in title or "CoP idea" in title
                or title.endswith(("Home", "Accueil", "Charter", "Charte")))
               for title in changed), changed
    for slug, lang in SLUGS.items():
        title = "Idées et sujets" if lang == "fr" else "Ideas and subjects"
        assert title in world.content(world.ref(slug, index))

    writes = world.wiki.stats.writes
    again = world.provision(upgrade=True)
    assert world.wiki.stats.writes == writes and not [a for a in again.actions if a.writes]
    assert world.sync().exit_code == 0 and world.wiki.stats.writes == writes
    state = world.records.page_state("battery", "ideas")
    assert state is not None and world.records.page_created("battery", "ideas")


def test_a_space_without_an_ideas_page_yet_is_not_alerted_on(world: World) -> None:
    battery = world.community("battery")
    created = world.records.page_created("battery", "ideas")
    assert created  # recorded when provisioning made the page
    old = replace(battery, created_at="1960-01-01T00:00:00Z")
    world.records.save_community(old)
    [h] = all_health(world.records, T, CONFIG, [world.community("battery")],
                     since="2026-01-01", now="2026-03-01T00:00:00Z")
    assert not [a for a in h.alerts if a.code.startswith("ideas")]
    [later] = all_health(world.records, T, CONFIG, [world.community("battery")],
                         since="2026-01-01", now="2026-12-01T00:00:00Z")
    assert [a.code for a in later.alerts if a.code.startswith("ideas")] == ["ideas_never"]
