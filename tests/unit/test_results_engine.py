"""Results on the in-memory wiki: people's edits read into the records, health computed,
results and portfolio pages published and rewritten only when their figures change, a hand
edit reported (not overwritten) unless forced, member text inert on the page."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from memory_world import CONFIG

from connector.base import PageRef
from connector.errors import Unreachable
from connector.mediawiki.wikitext import WikitextCodec
from connector.memory import MemoryBackend
from page_templates import shipped
from sync.community.registration import NewCommunity, add_community
from sync.config.health import HealthConfig
from sync.engine.run import Syncer, SyncOptions
from sync.provision.run import Provisioner
from sync.records.model import Community
from sync.records.store import Records
from sync.results.health.run import community_health, read_history
from sync.results.history import read_mark, stored_contributions
from sync.results.publish import Publisher

T = shipped()
DAY = 86400
WATCH = PageRef("CoP_Battery", "Watch")
REGULATION = PageRef("CoP_Battery", "Regulation")
RESULTS = PageRef("CoP_Battery", "Results")
PORTFOLIO = PageRef("Project", "Communities of practice — results")


@dataclass
class World:
    records: Records
    wiki: MemoryBackend

    @property
    def battery(self) -> Community:
        found = self.records.community("battery")
        assert found is not None
        return found

    def sync(self) -> None:
        report = Syncer(self.records, {"mediawiki": self.wiki}, T, clock=self.wiki.now).run(
            SyncOptions())
        assert report.exit_code == 0

    def member_adds(self, ref: PageRef, line: str, user: str) -> None:
        page = self.wiki.page(ref)
        assert page is not None
        self.wiki.edit(ref, page.content + "\n" + line, user=user)

    def health(self, since: str = "2026-01-01"):
        read_history(self.records, lambda _: self.wiki, T, CONFIG, [self.battery],
                     clock=self.wiki.now)
        return community_health(self.records, T, CONFIG, self.battery, since=since,
                                now=self.wiki.now())

    def publish(self, *, force: bool = False, config: HealthConfig | None = None):
        publisher = Publisher(self.records, self.wiki, "mediawiki", config or HealthConfig(),
                              "en", clock=self.wiki.now)
        figures = self.health()
        targets = publisher.targets([(self.battery, figures)], portfolio=[figures])
        return publisher.run(targets, force=force)


@pytest.fixture
def world() -> Iterator[World]:
    records = Records.open(":memory:")
    wiki = MemoryBackend(WikitextCodec(), spaces={"CoP_Battery", "Template"})
    community = add_community(records, CONFIG, NewCommunity(
        slug="battery", name="Battery storage", theme="Energy", pilot="pia@corp.example",
        expert="eli@corp.example", lang="en", backend="mediawiki"), clock=wiki.now)
    Provisioner(records, wiki, T, clock=wiki.now).run([community], dry_run=False)
    made = World(records, wiki)
    made.sync()
    made.member_adds(PageRef("CoP_Battery", "Members"),
                     "{{CoP member|email=julie.roux@corp.example|name=Julie Roux"
                     "|profile=ventes}}", "Julie_roux")
    made.sync()
    yield made
    records.close()


def a_month_of_edits(world: World) -> None:
    for day in range(1, 5):
        world.wiki.advance(7 * DAY)
        world.member_adds(WATCH, f"{{{{CoP watch|date=2026-01-{day + 10}|title=News {day}}}}}",
                          "Julie_roux")
        world.sync()
    world.member_adds(REGULATION, "{{CoP regulation|ref=EU-1|title=Batteries}}", "Karim")
    world.sync()


def test_history_is_read_into_the_records_once(world: World) -> None:
    a_month_of_edits(world)
    first = read_history(world.records, lambda _: world.wiki, T, CONFIG, [world.battery],
                         clock=world.wiki.now)
    assert first.added == 6 and first.errors == {}
    stored = stored_contributions(world.records, "battery")
    assert [(c.kind, c.user) for c in stored][-2:] == [("watch", "Julie_roux"),
                                                       ("regulation", "Karim")]
    assert read_mark(world.records, "battery") == world.wiki.now()
    again = read_history(world.records, lambda _: world.wiki, T, CONFIG, [world.battery],
                         clock=world.wiki.now)
    assert again.added == 0


def test_a_wiki_that_fails_leaves_the_records_as_they_were(world: World) -> None:
    world.wiki.fail_next("contributions", Unreachable("down", backend="memory"))
    read = read_history(world.records, lambda _: world.wiki, T, CONFIG, [world.battery],
                        clock=world.wiki.now)
    assert read.errors == {"mediawiki": "memory: down"}
    assert read_mark(world.records, "battery") is None


def test_health_from_the_month(world: World) -> None:
    a_month_of_edits(world)
    figures = world.health()
    watch = next(a for a in figures.activity if a.kind == "watch")
    assert (watch.added, watch.edits) == (4, 4)
    assert [(c.name, c.profile, c.edits) for c in figures.contributors] == [
        ("Julie Roux", "sales", 5), ("Karim", "?", 1)]
    assert [b.rows.get("watch", 0) for b in figures.timeline] == [0, 1, 1, 1, 1]


def test_publish_writes_results_and_portfolio_then_nothing_until_figures_change(
        world: World) -> None:
    a_month_of_edits(world)
    first = world.publish()
    assert [(a.op, a.target.ref) for a in first.actions] == [
        ("create", RESULTS), ("create", PORTFOLIO)]
    assert first.exit_code == 0 and first.written == 2
    page = world.wiki.page(RESULTS)
    assert page is not None
    assert "| Watch\n" in page.content and "| Julie Roux" in page.content
    portfolio = world.wiki.page(PORTFOLIO)
    assert portfolio is not None and "[[CoP Battery:Results|Battery storage]]" in \
        portfolio.content
    writes = world.wiki.stats.writes
    second = world.publish()
    assert [a.op for a in second.actions] == ["skip", "skip"]
    assert world.wiki.stats.writes == writes  # no version, no watcher e-mail

    world.member_adds(WATCH, "{{CoP watch|date=2026-02-20|title=More}}", "Julie_roux")
    world.sync()
    third = world.publish()
    assert [a.op for a in third.actions] == ["update", "update"]


def test_a_hand_edit_is_reported_not_overwritten_unless_forced(world: World) -> None:
    world.publish()
    world.wiki.edit(RESULTS, "My own summary", user="Pia")
    drift = world.publish()
    assert drift.actions[0].op == "drift" and "--force" in drift.actions[0].reason
    assert drift.actions[1].op == "skip"
    page = world.wiki.page(RESULTS)
    assert page is not None and page.content == "My own summary"
    forced = world.publish(force=True)
    assert forced.actions[0].op == "update"
    page = world.wiki.page(RESULTS)
    assert page is not None and "Results of the Battery storage" in page.content


def test_a_page_someone_else_made_first_is_not_taken_over(world: World) -> None:
    world.wiki.edit(RESULTS, "Our own results page", user="Pia")
    report = world.publish()
    assert report.actions[0].op == "drift"
    assert "written by someone else" in report.actions[0].reason


def test_portfolio_page_can_be_configured(world: World) -> None:
    report = world.publish(config=HealthConfig(portfolio_page="CoP_Battery:Sponsor view"))
    assert report.actions[1].target.ref == PageRef("CoP_Battery", "Sponsor view")


def test_member_text_on_a_results_page_is_inert(world: World) -> None:
    evil = "Eve }} [[Category:X]] ~~~~ {{#invoke:x}} <script>"
    world.member_adds(PageRef("CoP_Battery", "Members"),
                      "{{CoP member|email=eve@corp.example|name=Eve|profile=sales}}", "Eve")
    world.wiki.advance(DAY)
    world.member_adds(WATCH, "{{CoP watch|date=2026-01-02|title=x}}", "Eve")
    world.sync()
    world.records.db.execute("UPDATE contributions SET display_name = ?", (evil,))
    eve = world.records.live_rows("battery", "members")["eve@corp.example"]
    world.records.upsert_entry("battery", "members", "eve@corp.example", {**eve, "name": evil},
                               origin="wiki", now="2026-01-03T00:00:00Z")
    world.publish()
    page = world.wiki.page(RESULTS)
    assert page is not None
    for raw in ("[[Category", "~~~~", "{{#invoke", "<script", "}}"):
        assert raw not in page.content
    assert "Eve &#125;&#125; &#91;&#91;Category:X&#93;&#93;" in page.content
