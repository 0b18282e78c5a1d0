"""Long work reports its progress to a Monitor and stops at a page boundary when asked: what
was done is kept, and running it again finishes the rest, exactly as an uninterrupted run
would have."""

from __future__ import annotations

from pathlib import Path

from memory_world import T, community, memory_wiki

from connector.base import PageRef
from connector.memory import MemoryBackend
from sync.cli.progress import FIXED, _bar_width, _doing
from sync.engine.run import Syncer, SyncOptions
from sync.method.archive import FINISHING, archive
from sync.progress import Monitor, Progress
from sync.provision.run import Provisioner
from sync.records.store import Records

WATCH = "{{CoP watch|date=2026-03-01|title=News %d|url=https://example.com/%d}}"


class Watch:
    """Collects the events; asks to stop once ``stop_after`` pages are done."""

    def __init__(self, stop_after: int | None = None) -> None:
        self.events: list[Progress] = []
        self.stop_after = stop_after

    def monitor(self) -> Monitor:
        return Monitor(self.events.append, self.stopping)

    def stopping(self) -> bool:
        done = self.events[-1].done if self.events else 0
        return self.stop_after is not None and done >= self.stop_after


def provision(records: Records, wiki: MemoryBackend, watch: Watch | None = None):
    monitor = watch.monitor() if watch else Monitor()
    return Provisioner(records, wiki, T, monitor=monitor).run(records.communities(),
                                                              dry_run=False)


def test_provisioning_reports_every_page_of_every_community() -> None:
    records, wiki = Records.open(":memory:"), memory_wiki()
    community(records, "battery")
    community(records, "solar")
    watch = Watch()
    report = provision(records, wiki, watch)
    writes = sum(a.writes for a in report.actions)
    assert writes == 12 + 2 * 8  # the shared templates (notice, sources), then 8 pages each
    last = watch.events[-1]
    assert (last.work, last.done, last.total) == ("provision", writes, writes)
    page = [e for e in watch.events if e.doing.startswith("create ")][-1]
    assert (page.community, page.community_number, page.communities) == ("solar", 2, 2)
    doing = [e.doing for e in watch.events if e.doing]
    assert "create CoP_Battery:Watch" in doing and "create Template:CoP member" in doing
    assert [e.done for e in watch.events] == sorted(e.done for e in watch.events)
    assert last.doing == "refresh the links of 16 page(s)"  # one batched request after them


def test_an_interrupted_provisioning_is_finished_by_the_next_run() -> None:
    records, wiki = Records.open(":memory:"), memory_wiki()
    community(records, "battery")
    community(records, "solar")
    first = provision(records, wiki, Watch(stop_after=10))
    written = sum(a.writes for a in first.done)
    assert first.interrupted and written == 10 and len(first.left) == 28 - 10  # 12 + 2 * 8
    assert all(a.writes for a in first.left)
    second = provision(records, wiki)
    assert not second.interrupted and sum(a.writes for a in second.done) == 18
    assert sum(a.writes for a in provision(records, wiki).actions) == 0  # all there now
    assert records.community("solar").status == "active"  # settled by the second run


def test_an_interrupted_sync_keeps_the_watermark_and_the_next_run_reads_the_rest() -> None:
    records, wiki = Records.open(":memory:"), memory_wiki()
    community(records, "battery")
    community(records, "solar")
    provision(records, wiki)
    wikis = {"mediawiki": wiki}
    assert Syncer(records, wikis, T).run(SyncOptions()).exit_code == 0
    marks = {slug: records.watermark(slug) for slug in ("battery", "solar")}
    wiki.advance(60)
    for number, space in enumerate(("CoP_Battery", "CoP_Solar", "CoP_Battery")):
        ref = PageRef(space, "Watch" if number < 2 else "References")
        page = wiki.page(ref)
        assert page is not None
        line = WATCH % (number, number) if number < 2 else \
            "{{CoP reference|ref=R1|title=Cells}}"
        wiki.edit(ref, page.content.rstrip("\n") + "\n" + line + "\n")
    watch = Watch(stop_after=1)
    stopped = Syncer(records, wikis, T, monitor=watch.monitor()).run(SyncOptions())
    assert stopped.interrupted and stopped.exit_code == 0
    assert "stopped (Ctrl-C)" in stopped.summary_line()
    assert records.watermark("battery") == marks["battery"]  # battery: half done
    assert records.watermark("solar") == marks["solar"]  # solar: not started
    assert watch.events[-1].total == 3
    rest = Syncer(records, wikis, T).run(SyncOptions())
    assert not rest.interrupted and rest.exit_code == 0
    assert len(records.live_rows("battery", "watch")) == 1
    assert len(records.live_rows("battery", "references")) == 1
    assert len(records.live_rows("solar", "watch")) == 1
    assert records.watermark("battery") != marks["battery"]


def test_an_interrupted_archive_changes_nothing_the_next_run_would_not(tmp_path: Path) -> None:
    records, wiki = Records.open(":memory:"), memory_wiki()
    community(records, "battery")
    provision(records, wiki)
    outcome = archive(records, wiki, T, records.community("battery"), tmp_path / "a",
                      monitor=Watch(stop_after=1).monitor())
    assert outcome.interrupted and outcome.snapshot is None and not outcome.frozen
    assert not records.community("battery").archived
    watch = Watch()
    done = archive(records, wiki, T, records.community("battery"), tmp_path / "b",
                   monitor=watch.monitor())
    assert not done.interrupted and done.frozen and records.community("battery").archived
    assert watch.events[-1].unit == "steps" and watch.events[-1].done == 4


def test_a_stop_asked_while_the_space_is_frozen_finishes_the_archive(tmp_path: Path) -> None:
    """A stop is answered "after the current step" until the freeze begins; from then on
    the archive goes on to its end (a space half frozen, or frozen and not recorded
    archived, would be worse), and the answer says so."""
    records, wiki = Records.open(":memory:"), memory_wiki()
    community(records, "battery")
    provision(records, wiki)
    answers: dict[str, str] = {}

    def watch(progress: Progress) -> None:
        answers.setdefault(progress.doing, monitor.stop_answer())

    monitor = Monitor(watch, lambda: any(d.startswith("freeze") for d in answers))
    outcome = archive(records, wiki, T, records.community("battery"), tmp_path / "a",
                      monitor=monitor)
    assert not outcome.interrupted and outcome.frozen and records.community("battery").archived
    assert answers["the charter's status: archived"] == "stopping after the current step"
    assert answers["freeze the space CoP_Battery"] == FINISHING
    assert answers["the records: archived"] == FINISHING
    assert monitor.stop_answer() == "stopping after the current step"  # once it is done
    assert Monitor().stop_answer() == "stopping after the current page"


def test_a_monitor_without_a_watcher_never_stops() -> None:
    monitor = Monitor()
    monitor.plan("sync", pages=2)
    with monitor.page("sync A"):
        pass
    assert monitor.done == 1 and not monitor.stopping()


def test_the_progress_line_fits_an_80_column_terminal() -> None:
    """On 80 columns the bar narrows and the line names the page, its community by number;
    a wide terminal shows the community's name too (a wrapped line cannot be redrawn)."""
    progress = Progress("provision", 40, 848, "hydrogen", 3, 120, "create CoP Hydrogen:Watch")
    narrow = 80 - len("provision") - _bar_width(80) - FIXED
    assert _doing(progress, narrow) == "3/120: create CoP Hydrogen:Watch"
    wide = 160 - len("provision") - _bar_width(160) - FIXED
    assert _doing(progress, wide) == "hydrogen (3/120): create CoP Hydrogen:Watch"
    assert _doing(progress, 12) == "3/120: crea…"
    assert _doing(progress, 0) == ""
