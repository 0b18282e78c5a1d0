"""What a sync does when the wiki fails, on the in-memory wiki with injected faults.

Each test injects one fault (MemoryBackend.fail_next) and checks the outcome a person relies
on: exit code, what was recorded, what is still pending, where the watermark is — and that
the next run converges without a double write. The same faults at the HTTP level (429, 503,
maxlag, dropped connections) are in tests/integration/test_mediawiki_backend.py, and at the
sync level on the real wiki in tests/integration/test_sync_faults_mediawiki.py.
"""

from __future__ import annotations

import pytest
from memory_world import (
    ANN,
    add_locally,
    community,
    members_page,
    memory_wiki,
    pending,
    ready,
    sync,
    timeout,
)

from connector.base import PageRef
from connector.errors import EditConflict, PermissionDenied, Unreachable
from connector.http import Budget
from connector.mediawiki.wikitext import WikitextCodec
from connector.memory import MemoryBackend
from sync.records.store import Records


@pytest.fixture
def records() -> Records:
    return Records.open(":memory:")


@pytest.fixture
def wiki() -> MemoryBackend:
    return memory_wiki()


def test_a_wiki_that_keeps_failing_does_not_stop_the_others(records, wiki) -> None:
    other = MemoryBackend(WikitextCodec(), spaces={"SOLAR"}, name="confluence")
    wikis = {"mediawiki": wiki, "confluence": other}
    community(records, "battery")
    community(records, "solar", backend="confluence")
    ready(records, wikis, "battery", "solar")
    marks = {slug: records.watermark(slug) for slug in ("battery", "solar")}
    add_locally(records, "battery")
    add_locally(records, "solar")
    other.fail_next("changes_since", Unreachable("did not answer", backend="confluence"),
                    times=None)
    report = sync(records, wikis)
    assert report.exit_code == 1
    outcome = {c.slug: c for c in report.communities}
    assert "did not answer" in outcome["solar"].error and not outcome["battery"].failed
    assert "ann@corp.example" in members_page(wiki)
    assert records.watermark("solar") == marks["solar"] and outcome["solar"].watermark is None
    assert outcome["battery"].watermark is not None
    assert pending(records, "solar")
    other.clear_faults()
    assert sync(records, wikis).exit_code == 0 and not pending(records, "solar")


def test_a_community_whose_page_keeps_failing_does_not_stop_the_others(records, wiki) -> None:
    wikis = {"mediawiki": wiki}
    ready(records, wikis, "battery", "solar")
    before = records.watermark("solar")
    for slug in ("battery", "solar"):
        add_locally(records, slug)
    wiki.fail_next("update_page", PermissionDenied("protected page", backend="memory"),
                   times=None, space="CoP_Solar")
    for _ in range(2):  # it keeps failing, run after run
        report = sync(records, wikis)
        assert report.exit_code == 1
        solar = next(c for c in report.communities if c.slug == "solar")
        assert "protected page" in solar.pages[0].error and "pending" in solar.pages[0].error
        assert records.watermark("solar") == before and pending(records, "solar")
    assert "ann@corp.example" in members_page(wiki) and not pending(records, "battery")
    wiki.clear_faults()
    assert sync(records, wikis).exit_code == 0
    assert "ann@corp.example" in members_page(wiki, "CoP_Solar")


def test_a_write_that_landed_but_timed_out_is_not_written_twice(records, wiki) -> None:
    ready(records, {"mediawiki": wiki}, "battery")
    add_locally(records, "battery")
    wiki.fail_next("update_page", timeout(), landed=True)
    writes, reads = wiki.stats.writes, wiki.stats.reads
    report = sync(records, {"mediawiki": wiki})
    assert report.exit_code == 0, report.to_dict()
    assert wiki.stats.writes - writes == 1  # re-read (one read), found it saved, done
    assert wiki.stats.reads - reads == 2  # the batched read, then the re-read
    assert members_page(wiki).count("ann@corp.example") == 1
    assert not pending(records, "battery")
    assert sync(records, {"mediawiki": wiki}, full=True).counts()["rows_pushed"] == 0


def test_a_write_that_failed_is_written_once_after_a_re_read(records, wiki) -> None:
    ready(records, {"mediawiki": wiki}, "battery")
    add_locally(records, "battery")
    wiki.fail_next("update_page", timeout())
    writes = wiki.stats.writes
    assert sync(records, {"mediawiki": wiki}).exit_code == 0
    assert wiki.stats.writes - writes == 2
    assert members_page(wiki).count("ann@corp.example") == 1 and not pending(records, "battery")


def test_a_write_that_keeps_timing_out_stays_pending_and_the_next_run_converges(
        records, wiki) -> None:
    ready(records, {"mediawiki": wiki}, "battery")
    add_locally(records, "battery")
    wiki.fail_next("update_page", timeout(), landed=True, times=2)
    report = sync(records, {"mediawiki": wiki})
    # the first landed; the re-read saw it: nothing left to write, no second attempt
    assert report.exit_code == 0 and members_page(wiki).count("ann@corp.example") == 1
    wiki.clear_faults()
    before = records.watermark("battery")
    add_locally(records, "battery", {**ANN, "site": "Lyon"})
    wiki.fail_next("update_page", timeout(), times=2)  # neither lands
    report = sync(records, {"mediawiki": wiki})
    assert report.exit_code == 1 and "pending" in report.pages[0].error
    assert pending(records, "battery") and records.watermark("battery") == before
    assert sync(records, {"mediawiki": wiki}).exit_code == 0
    assert "site=Lyon" in members_page(wiki) and not pending(records, "battery")


def test_edit_conflict_twice_is_a_page_error_and_the_change_stays_pending(records,
                                                                          wiki) -> None:
    ready(records, {"mediawiki": wiki}, "battery")
    before = records.watermark("battery")
    add_locally(records, "battery")
    conflict = EditConflict(backend="memory", page="CoP_Battery:Members", base_revision="9")
    wiki.fail_next("update_page", conflict, times=2)
    report = sync(records, {"mediawiki": wiki})
    assert report.exit_code == 1
    [page] = report.pages
    assert "changed on the wiki" in page.error and "stay pending" in page.error
    assert records.watermark("battery") == before and pending(records, "battery")
    assert "ann@corp.example" not in members_page(wiki)
    assert records.live_rows("battery", "members")["ann@corp.example"]["name"] == "Ann"
    assert sync(records, {"mediawiki": wiki}).exit_code == 0
    assert members_page(wiki).count("ann@corp.example") == 1


def test_a_failed_batched_read_leaves_every_watermark(records, wiki) -> None:
    wikis = {"mediawiki": wiki}
    ready(records, wikis, "battery", "solar")
    marks = {slug: records.watermark(slug) for slug in ("battery", "solar")}
    watch = PageRef("CoP_Solar", "Watch")
    wiki.edit(watch, wiki.page(watch).content + "\n{{CoP watch|date=2026-01-02|title=New}}\n")
    wiki.fail_next("read_pages", Unreachable("connection reset", backend="memory"))
    report = sync(records, wikis)
    assert report.exit_code == 1
    assert {c.slug: records.watermark(c.slug) for c in report.communities} == marks
    assert sync(records, wikis).exit_code == 0
    assert "new|2026-01-02" in records.live_rows("solar", "watch")


def test_a_spent_budget_leaves_what_has_not_started_for_the_next_run(records, wiki) -> None:
    wikis = {"mediawiki": wiki}
    ready(records, wikis, "battery", "solar")
    now = [0.0]
    budget = Budget(10, clock=lambda: now[0])
    now[0] = 11  # spent before the run starts
    report = sync(records, wikis, budget=budget)
    assert report.exit_code == 1 and wiki.stats.feeds == 1  # not even the feed was asked
    assert all("time budget (10 s) is spent" in c.error for c in report.communities)


class _SlowWrites(MemoryBackend):
    """Each page write takes 20 s of the run's (fake) clock."""

    clock: list[float] | None = None

    def update_page(self, base, content, *, summary, minor=False):
        assert self.clock is not None
        self.clock[0] += 20
        return super().update_page(base, content, summary=summary)


def test_a_budget_spent_mid_run_stops_before_the_next_community(records) -> None:
    now = [0.0]
    wiki = _SlowWrites(WikitextCodec(), spaces={"CoP_Battery", "CoP_Solar", "Template"})
    wiki.clock = now
    ready(records, {"mediawiki": wiki}, "battery", "solar")
    before = records.watermark("solar")
    for slug in ("battery", "solar"):
        add_locally(records, slug)
    report = sync(records, {"mediawiki": wiki}, budget=Budget(10, clock=lambda: now[0]))
    outcome = {c.slug: c for c in report.communities}
    assert not outcome["battery"].failed and "ann@corp.example" in members_page(wiki)
    assert "budget" in outcome["solar"].error and records.watermark("solar") == before
    assert report.exit_code == 1 and pending(records, "solar")


def test_fault_injection_refuses_nonsense() -> None:
    wiki = MemoryBackend(WikitextCodec())
    with pytest.raises(ValueError, match="no operation"):
        wiki.fail_next("update_pages", timeout())
    with pytest.raises(ValueError, match="not a write"):
        wiki.fail_next("read_pages", timeout(), landed=True)
