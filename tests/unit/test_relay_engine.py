"""The watch's sources over a whole run, on the in-memory wikis (wikitext and Confluence
storage) with an in-memory publisher (a fake fetcher: the HTTP side has its own tests on a
real server, tests/integration/test_relay_fetch.py): what members see on the Watch page,
what the records keep, what the wiki is asked."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from memory_world import T, community
from msgspec.structs import replace

from connector.base import PageRef
from connector.confluence.storage import StorageCodec
from connector.errors import EditConflict, PermissionDenied
from connector.mediawiki.wikitext import WikitextCodec
from connector.memory import MemoryBackend
from page_templates.values import normalize_row
from sync.clock import format_time, parse_time
from sync.config.sources import SourcesConfig
from sync.engine import checkpoints
from sync.engine.run import Syncer, SyncOptions
from sync.provision.run import Provisioner
from sync.records.relay_state import FEED_FIELD
from sync.records.store import Records
from sync.relay.feeds import Failure
from sync.relay.fetch import Fetched, FetchFailed
from sync.relay.run import Relay
from sync.results.status import community_status

WATCH = PageRef("CoP_Battery", "Watch")
JOURNAL = "https://journal.example/toc.rss"
OFFICE = "https://office.example/news.atom"
DEAD = "https://gone.example/feed"


@dataclass
class Publisher:
    """Feeds served from memory, answering conditional requests like a server."""

    feeds: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    failures: dict[str, Failure] = field(default_factory=dict)
    asked: list[tuple[str, str]] = field(default_factory=list)

    def publish(self, url: str, *items: tuple[str, str]) -> None:
        """An RSS 2.0 feed of (title, day) items, each with a link and a guid."""
        body = "".join(
            f"<item><title>{title}</title><link>{url}/{n}</link><guid>{url}#{n}</guid>"
            f"<pubDate>{day}</pubDate><description>About {title}</description></item>"
            for title, day in items for n in [title.split()[-1]])
        xml = f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{body}' \
              "</channel></rss>"
        self.feeds[url] = (xml.encode(), '"' + hashlib.sha256(xml.encode()).hexdigest()[:8] + '"')

    def fetch(self, url: str, *, etag: str = "", last_modified: str = "",
              seconds: float | None = None) -> Fetched:
        self.asked.append((url, etag))
        if url in self.failures:
            raise FetchFailed(self.failures[url])
        body, tag = self.feeds[url]
        if etag == tag:
            return Fetched("unchanged", url, etag=tag)
        return Fetched("new", url, body, "application/rss+xml", tag)


class Clock:
    def __init__(self) -> None:
        self.now = "2026-12-07T08:00:00Z"

    def __call__(self) -> str:
        return self.now

    def advance(self, minutes: int) -> None:
        self.now = format_time(parse_time(self.now) + timedelta(minutes=minutes))


class World:
    """Battery provisioned and synced on one wiki, a publisher, a clock."""

    def __init__(self, codec, **config: object) -> None:
        self.records = Records.open(":memory:")
        self.wiki = MemoryBackend(codec, spaces={"CoP_Battery", "Template", "BATTERY"})
        self.backend = "mediawiki" if isinstance(codec, WikitextCodec) else "confluence"
        self.wikis = {self.backend: self.wiki}
        self.publisher = Publisher()
        self.clock = Clock()
        self.config = SourcesConfig(**config)  # type: ignore[arg-type]
        found = community(self.records, "battery", self.backend)
        if self.backend == "confluence":
            self.records.save_community(replace(found, space="CoP_Battery"))
        Provisioner(self.records, self.wiki, T).run([self.records.community("battery")],
                                                    dry_run=False)
        self.run()

    def run(self, **options: object):
        relay = Relay(self.records, self.wikis, T, self.config, clock=self.clock,
                      fetcher=self.publisher)
        report = Syncer(self.records, self.wikis, T, observer=relay.observe).run(
            SyncOptions(**options))  # type: ignore[arg-type]
        return report, relay.run(dry_run=bool(options.get("dry_run")))

    # --- members on the wiki ---------------------------------------------------------

    @property
    def page(self) -> str:
        found = self.wiki.page(WATCH)
        assert found is not None
        return found.content

    def add_source(self, url: str, name: str, tags: str = "") -> None:
        codec = self.wiki.codec
        from connector.base import RowChange  # noqa: PLC0415
        self.wiki.edit(WATCH, codec.apply_changes(self.page, T["source"], [RowChange(
            "add", url, {"url": url, "name": name, "tags": tags})], "en"))

    def remove_row(self, kind: str, key: str) -> None:
        from connector.base import RowChange  # noqa: PLC0415
        self.wiki.edit(WATCH, self.wiki.codec.apply_changes(
            self.page, T[kind], [RowChange("remove", key)], "en"))

    def add_item(self, values: dict[str, str]) -> None:
        from connector.base import RowChange  # noqa: PLC0415
        self.wiki.edit(WATCH, self.wiki.codec.apply_changes(
            self.page, T["watch"], [RowChange("add", values["url"], values)], "en"))

    def to_review(self) -> str:
        """The page between the "To review" heading and the next heading."""
        if self.backend == "mediawiki":
            after = re.split(r"^== *To review *== *$", self.page, flags=re.M)[1]
            return re.split(r"^==", after, maxsplit=1, flags=re.M)[0]
        after = re.split(r"<h[1-6][^>]*>To review</h[1-6]>", self.page)[1]
        return re.split(r"<h[1-6][ >]", after, maxsplit=1)[0]

    def titles(self) -> list[str]:
        parsed = self.wiki.codec.parse_rows(self.page, T["watch"], str(WATCH))
        return [normalize_row(T["watch"], raw.values)[0]["title"] for raw in parsed.rows]


CODECS = [WikitextCodec(), StorageCodec()]
IDS = ["mediawiki", "confluence"]


@pytest.fixture(params=range(2), ids=IDS)
def world(request: pytest.FixtureRequest) -> World:
    return World(CODECS[request.param])


def test_a_source_a_member_adds_brings_its_entries_at_the_next_sync(world: World) -> None:
    world.publisher.publish(JOURNAL, ("Anodes 1", "Mon, 23 Nov 2026 08:00:00 GMT"),
                            ("Cathodes 2", "Tue, 24 Nov 2026 08:00:00 GMT"))
    world.add_source(JOURNAL, "Journal", "sodium")
    sync, relay = world.run()
    assert sync.exit_code == relay.exit_code == 0
    assert world.titles() == ["Anodes 1", "Cathodes 2"]  # under To review, oldest first
    assert "Anodes 1" in world.to_review() and "Cathodes 2" in world.to_review()
    assert relay.counts()["entries_proposed"] == 2 and relay.counts()["watch_pages_written"] == 1
    watch = world.records.live_rows("battery", "watch")
    assert {v["source"] for v in watch.values()} == {"Journal"}
    assert {v["tags"] for v in watch.values()} == {"sodium"}
    entries = world.records.source_entries("battery")
    assert {(e.status, e.source) for e in entries} == {("proposed", JOURNAL)}
    # the page as written is recorded: the next run reads nothing and writes nothing
    before = world.wiki.stats.total
    world.clock.advance(5)
    sync, relay = world.run()
    assert sync.counts()["pages_read"] == 0 and relay.sources == []
    assert world.wiki.stats.total - before == 1  # the change feed, nothing else


def test_two_sources_make_one_edit(world: World) -> None:
    world.publisher.publish(JOURNAL, ("Anodes 1", "Mon, 23 Nov 2026 08:00:00 GMT"))
    world.publisher.publish(OFFICE, ("Passport 7", "Wed, 25 Nov 2026 08:00:00 GMT"))
    world.add_source(JOURNAL, "Journal")
    world.add_source(OFFICE, "Office")
    writes = world.wiki.stats.writes
    world.run()
    assert world.wiki.stats.writes - writes == 1
    assert world.titles() == ["Anodes 1", "Passport 7"]


def test_a_deleted_entry_never_comes_back(world: World) -> None:
    world.publisher.publish(JOURNAL, ("Anodes 1", "Mon, 23 Nov 2026 08:00:00 GMT"),
                            ("Cathodes 2", "Tue, 24 Nov 2026 08:00:00 GMT"))
    world.add_source(JOURNAL, "Journal")
    world.run()
    world.remove_row("watch", f"{JOURNAL}/1")  # a member drops it
    world.clock.advance(61)
    world.publisher.publish(JOURNAL, ("Anodes 1", "Mon, 23 Nov 2026 08:00:00 GMT"),
                            ("Cathodes 2", "Tue, 24 Nov 2026 08:00:00 GMT"),
                            ("Separators 3", "Wed, 25 Nov 2026 08:00:00 GMT"))
    world.run()
    assert world.titles() == ["Cathodes 2", "Separators 3"]
    # nor when the source is removed and added again, nor when its feed is read anew
    world.remove_row("source", JOURNAL)
    world.run()
    world.add_source(JOURNAL, "Journal again")
    world.clock.advance(61)
    world.run()
    assert world.titles() == ["Cathodes 2", "Separators 3"]
    deleted = [e for e in world.records.entries("battery", "watch", include_deleted=True)
               if not e.live]
    assert [e.key for e in deleted] == [f"{JOURNAL}/1"]
    status = community_status(world.records, T, world.records.community("battery"))
    assert status["sources"]["deleted_by_members"] == 1


def test_an_entry_already_on_the_page_is_not_added_twice(world: World) -> None:
    world.add_item({"date": "2026-11-01", "title": "Written by a member",
                    "url": "https://JOURNAL.example/toc.rss/1", "source": "", "summary": "",
                    "tags": ""})
    world.publisher.publish(JOURNAL, ("Anodes 1", "Mon, 23 Nov 2026 08:00:00 GMT"),
                            ("Cathodes 2", "Tue, 24 Nov 2026 08:00:00 GMT"))
    world.add_source(JOURNAL, "Journal")
    world.run()
    assert world.titles().count("Anodes 1") == 0 and "Cathodes 2" in world.titles()
    statuses = {e.link: e.status for e in world.records.source_entries("battery")}
    assert statuses == {f"{JOURNAL}/1": "on-page", f"{JOURNAL}/2": "proposed"}


def test_a_failing_source_is_reported_on_its_row_and_harms_nothing(world: World) -> None:
    world.publisher.publish(JOURNAL, ("Anodes 1", "Mon, 23 Nov 2026 08:00:00 GMT"))
    world.publisher.failures[DEAD] = Failure(
        "source_http_status", {"url": DEAD, "status": "404", "reason": "Not Found"},
        f"{DEAD}: answers 404 Not Found")
    world.add_source(DEAD, "Gone")
    world.add_source(JOURNAL, "Journal")
    sync, relay = world.run()
    assert world.titles() == ["Anodes 1"]
    assert sync.exit_code == 0 and relay.exit_code == 0  # the source's problem, not the run's
    assert relay.counts()["sources_failed"] == 1
    (problem,) = world.records.problems("battery")
    assert (problem.kind, problem.field, problem.key, problem.row) == \
        ("source", FEED_FIELD, DEAD, 1)
    assert "404" in problem.message
    assert (problem.code, problem.severity) == ("source_http_status", "warning")
    assert problem.params["status"] == "404"  # for the page's notice, in any language
    status = community_status(world.records, T, world.records.community("battery"),
                              config=None)
    (gone,) = [s for s in status["sources"]["listed"] if s["failing"]]
    assert gone["error_code"] == "source_http_status" and gone["failures"] == 1
    # the page read again (a member edit) keeps the source's problem
    world.add_item({"date": "2026-11-01", "title": "Edit", "url": "https://e.example/1",
                    "source": "", "summary": "", "tags": ""})
    world.clock.advance(5)
    sync, _ = world.run()
    assert sync.exit_code == 0
    assert [p.key for p in world.records.problems("battery")] == [DEAD]
    # it recovers: the problem goes
    del world.publisher.failures[DEAD]
    world.publisher.publish(DEAD, ("Back 9", "Thu, 26 Nov 2026 08:00:00 GMT"))
    world.clock.advance(120)
    world.run()
    assert world.records.problems("battery") == [] and "Back 9" in world.titles()


def test_a_failing_source_is_asked_less_and_less(world: World) -> None:
    world.publisher.failures[DEAD] = Failure("source_unreachable", {"url": DEAD,
                                                                    "reason": "x"}, "x")
    world.add_source(DEAD, "Gone")
    world.run()
    for minutes, asked in ((61, 2), (61, 2), (61, 3), (180, 3), (61, 4)):
        world.clock.advance(minutes)
        world.run()
        assert len(world.publisher.asked) == asked, minutes


def test_nothing_new_asks_the_wiki_nothing(world: World) -> None:
    world.publisher.publish(JOURNAL, ("Anodes 1", "Mon, 23 Nov 2026 08:00:00 GMT"))
    world.add_source(JOURNAL, "Journal")
    world.run()
    for change in ("unchanged", "new but known"):
        world.clock.advance(61)
        if change == "new but known":  # a new body (ETag) holding only known entries
            world.publisher.feeds[JOURNAL] = (world.publisher.feeds[JOURNAL][0] + b" ", '"x"')
        before = (world.wiki.stats.reads, world.wiki.stats.writes, world.wiki.stats.feeds)
        _, relay = world.run()
        assert relay.counts()["sources_asked"] == 1
        after = (world.wiki.stats.reads, world.wiki.stats.writes, world.wiki.stats.feeds)
        assert (after[0] - before[0], after[1] - before[1], after[2] - before[2]) == (0, 0, 1)


def test_conditional_requests_send_the_validators_back(world: World) -> None:
    world.publisher.publish(JOURNAL, ("Anodes 1", "Mon, 23 Nov 2026 08:00:00 GMT"))
    world.add_source(JOURNAL, "Journal")
    world.run()
    world.clock.advance(61)
    world.run()
    (first, second) = world.publisher.asked
    assert first == (JOURNAL, "") and second == (JOURNAL, world.publisher.feeds[JOURNAL][1])


def test_the_runs_limits_leave_sources_for_the_next_run() -> None:
    world = World(WikitextCodec(), max_sources=1)
    world.publisher.publish(JOURNAL, ("Anodes 1", "Mon, 23 Nov 2026 08:00:00 GMT"))
    world.publisher.publish(OFFICE, ("Passport 7", "Wed, 25 Nov 2026 08:00:00 GMT"))
    world.add_source(JOURNAL, "Journal")
    world.add_source(OFFICE, "Office")
    _, relay = world.run()
    assert relay.counts()["sources_asked"] == 1 and relay.counts()["sources_waiting"] == 1
    world.clock.advance(1)
    _, relay = world.run()
    assert relay.counts()["sources_asked"] == 1 and relay.counts()["sources_waiting"] == 0
    assert sorted(world.titles()) == ["Anodes 1", "Passport 7"]
    spent = World(WikitextCodec(), budget_seconds=0.000001)
    spent.publisher.publish(JOURNAL, ("Anodes 1", "Mon, 23 Nov 2026 08:00:00 GMT"))
    spent.add_source(JOURNAL, "Journal")
    _, relay = spent.run()
    assert relay.counts()["sources_asked"] == 0 and relay.counts()["sources_waiting"] == 1


def test_an_edit_conflict_is_read_again_and_written_once(world: World) -> None:
    world.publisher.publish(JOURNAL, ("Anodes 1", "Mon, 23 Nov 2026 08:00:00 GMT"))
    world.add_source(JOURNAL, "Journal")
    world.wiki.fail_next("update_page", EditConflict(backend="memory", page=str(WATCH),
                                                     base_revision="1"))
    _, relay = world.run()
    assert relay.exit_code == 0 and world.titles() == ["Anodes 1"]


def test_a_page_that_cannot_be_written_loses_no_entry(world: World) -> None:
    world.publisher.publish(JOURNAL, ("Anodes 1", "Mon, 23 Nov 2026 08:00:00 GMT"))
    world.add_source(JOURNAL, "Journal")
    world.wiki.fail_next("update_page", PermissionDenied("protected", backend="memory"),
                         times=None)
    _, relay = world.run()
    assert relay.exit_code == 1 and "not written" in relay.pages[0].error
    assert world.records.source_entries("battery") == []
    assert world.records.source_states("battery")[JOURNAL].etag == ""  # asked again in full
    world.wiki.clear_faults()
    world.clock.advance(61)
    world.run()
    assert world.titles() == ["Anodes 1"]


@pytest.mark.parametrize("where", ["after-relay-write", "before-relay-commit"])
def test_a_run_killed_after_its_write_adds_nothing_twice(world: World, where: str) -> None:
    world.publisher.publish(JOURNAL, ("Anodes 1", "Mon, 23 Nov 2026 08:00:00 GMT"))
    world.add_source(JOURNAL, "Journal")
    checkpoints.arm(where)
    try:
        with pytest.raises(checkpoints.SimulatedCrash):
            world.run()
    finally:
        checkpoints.disarm()
    assert world.titles() == ["Anodes 1"]
    world.clock.advance(1)  # not even due: the validators were never committed
    world.run()
    assert world.titles() == ["Anodes 1"]
    (entry,) = world.records.source_entries("battery")
    assert entry.status in ("on-page", "proposed")
    assert "Anodes 1" in {v["title"] for v in world.records.live_rows("battery", "watch").values()}


def test_a_dry_run_writes_nothing_anywhere(world: World) -> None:
    world.publisher.publish(JOURNAL, ("Anodes 1", "Mon, 23 Nov 2026 08:00:00 GMT"))
    world.add_source(JOURNAL, "Journal")
    world.run()  # the source is recorded; a new entry comes
    world.clock.advance(61)
    world.publisher.publish(JOURNAL, ("Anodes 1", "Mon, 23 Nov 2026 08:00:00 GMT"),
                            ("Cathodes 2", "Tue, 24 Nov 2026 08:00:00 GMT"))
    writes, states = world.wiki.stats.writes, world.records.source_states("battery")
    _, relay = world.run(dry_run=True)
    assert relay.pages[0].proposed == 1 and world.wiki.stats.writes == writes
    assert world.records.source_states("battery") == states
    assert len(world.records.source_entries("battery")) == 1


def test_an_archived_community_reads_no_source(world: World) -> None:
    world.publisher.publish(JOURNAL, ("Anodes 1", "Mon, 23 Nov 2026 08:00:00 GMT"))
    world.add_source(JOURNAL, "Journal")
    world.run()
    found = world.records.community("battery")
    world.records.save_community(replace(found, status="archived"))
    world.clock.advance(61)
    _, relay = world.run()
    assert relay.sources == []


def test_sources_can_be_switched_off() -> None:
    world = World(WikitextCodec(), enabled=False)
    world.publisher.publish(JOURNAL, ("Anodes 1", "Mon, 23 Nov 2026 08:00:00 GMT"))
    world.add_source(JOURNAL, "Journal")
    _, relay = world.run()
    assert relay.sources == [] and world.publisher.asked == []
