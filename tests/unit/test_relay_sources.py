"""Which sources are due, which entries are new, what a Watch page gets (pure:
sync/relay/sources.py, propose.py, and the schedule in sync/config/sources.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connector.base import RawRow
from connector.errors import ConfigError
from page_templates import shipped
from sync.clock import format_time
from sync.config.sources import SourcesConfig, parse_sources
from sync.records.model import SourceState
from sync.relay.feeds import FeedEntry
from sync.relay.propose import Candidate, plan_additions, watch_values
from sync.relay.sources import Source, due_sources, fresh_entries, listed_sources

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
CONFIG = SourcesConfig(interval_minutes=60)
WATCH = shipped()["watch"]
JOURNAL = Source("https://j.example/rss", "Journal", "sodium, anodes")
OFFICE = Source("https://o.example/atom", "Office")


def state(url: str, minutes_ago: float, failures: int = 0) -> SourceState:
    return SourceState("battery", url, checked_at=format_time(NOW - timedelta(
        minutes=minutes_ago)), failures=failures, error_code="x" if failures else "")


def entry(n: int, day: str = "", link: str | None = None) -> FeedEntry:
    return FeedEntry(f"id-{n}", f"Entry {n}", f"https://j.example/{n}" if link is None else link,
                     day, f"Summary {n}", position=n)


# --- the schedule ------------------------------------------------------------------------

def test_a_source_is_asked_at_most_once_per_interval() -> None:
    sources = [JOURNAL, OFFICE]
    assert due_sources(sources, {}, NOW, CONFIG) == sources  # never asked
    states = {JOURNAL.url: state(JOURNAL.url, 59), OFFICE.url: state(OFFICE.url, 60)}
    assert due_sources(sources, states, NOW, CONFIG) == [OFFICE]


def test_never_asked_first_then_the_longest_waiting_and_a_limit() -> None:
    third = Source("https://t.example/rss", "Third")
    states = {JOURNAL.url: state(JOURNAL.url, 300), OFFICE.url: state(OFFICE.url, 90)}
    assert due_sources([OFFICE, JOURNAL, third], states, NOW, CONFIG) == \
        [third, JOURNAL, OFFICE]
    assert due_sources([OFFICE, JOURNAL, third], states, NOW, CONFIG, limit=2) == \
        [third, JOURNAL]


def test_a_failing_source_waits_longer_each_time_a_day_at_most() -> None:
    assert [CONFIG.wait_after(n) for n in (0, 1, 2, 3, 4)] == [
        timedelta(hours=1), timedelta(hours=1), timedelta(hours=2), timedelta(hours=4),
        timedelta(hours=8)]
    assert CONFIG.wait_after(30) == timedelta(days=1)
    assert due_sources([JOURNAL], {JOURNAL.url: state(JOURNAL.url, 90, failures=2)},
                       NOW, CONFIG) == []
    assert due_sources([JOURNAL], {JOURNAL.url: state(JOURNAL.url, 121, failures=2)},
                       NOW, CONFIG) == [JOURNAL]
    slow = SourcesConfig(interval_minutes=60 * 48)  # never less than the interval
    assert slow.wait_after(5) == timedelta(days=2)


def test_the_sources_section_is_checked(tmp_path: Path) -> None:
    config = parse_sources({"interval_minutes": 30, "timeout_seconds": 5,
                            "contact": "innovation@corp.example"}, tmp_path)
    assert (config.interval_minutes, config.timeout_seconds) == (30, 5.0)
    for bad in ({"interval_minutes": 0}, {"timeout_seconds": -1}, {"max_bytes": "big"},
                {"every": 5}, {"enabled": 1}, {"first_entries": -1}):
        with pytest.raises(ConfigError) as refused:
            parse_sources(bad, tmp_path)
        assert "sources." in str(refused.value)


def test_the_listed_sources_are_the_rows_as_recorded() -> None:
    rows = {"https://b.example/": {"url": "https://b.example/", "name": "B", "tags": "x"},
            "https://a.example/": {"url": "https://a.example/", "name": ""}}
    assert listed_sources(rows) == [Source("https://a.example/", "https://a.example/"),
                                    Source("https://b.example/", "B", "x")]


# --- new entries ---------------------------------------------------------------------------

def test_an_entry_known_by_its_source_and_id_or_by_its_link_is_not_new() -> None:
    entries = [entry(1), entry(2), entry(3), entry(4, link="")]
    known_ids = {(JOURNAL.url, "id-1")}
    known_links = {"HTTPS://J.EXAMPLE/2"}  # a link compares as keys do: host case aside
    fresh = fresh_entries(JOURNAL, entries, known_ids, known_links, first_read=False,
                          first_entries=10, max_entries=30)
    assert [e.entry_id for e in fresh.new] == ["id-3", "id-4"] and fresh.passed == ()
    # the same id from another source is another entry
    other = fresh_entries(OFFICE, [entry(1, link="https://o.example/1")], known_ids, set(),
                          first_read=False, first_entries=10, max_entries=30)
    assert [e.entry_id for e in other.new] == ["id-1"]


def test_a_first_read_proposes_only_the_newest_and_passes_the_backlog() -> None:
    entries = [entry(n, f"2026-11-{10 + n:02d}") for n in range(8)] + [entry(9)]
    fresh = fresh_entries(JOURNAL, entries, set(), set(), first_read=True, first_entries=3,
                          max_entries=30)
    assert [e.entry_id for e in fresh.new] == ["id-7", "id-6", "id-5"]
    assert len(fresh.passed) == 6  # undated entries come after the dated ones
    later = fresh_entries(JOURNAL, entries, set(), set(), first_read=False, first_entries=3,
                          max_entries=5)
    assert len(later.new) == 5 and len(later.passed) == 4


def test_an_entry_twice_in_one_feed_is_taken_once() -> None:
    fresh = fresh_entries(JOURNAL, [entry(1), entry(1)], set(), set(), first_read=False,
                          first_entries=10, max_entries=30)
    assert len(fresh.new) == 1


# --- what a page gets ------------------------------------------------------------------------

def test_an_entry_becomes_a_watch_row_with_the_sources_name_and_tags() -> None:
    values = watch_values(WATCH, Candidate(JOURNAL, entry(1, "2026-11-28")), "2026-12-07")
    assert values == {"date": "2026-11-28", "title": "Entry 1", "url": "https://j.example/1",
                      "source": "Journal", "summary": "Summary 1", "tags": "sodium, anodes"}
    undated = watch_values(WATCH, Candidate(OFFICE, entry(2, link="")), "2026-12-07")
    assert undated is not None and undated["date"] == "2026-12-07" and undated["url"] == ""


def test_a_link_anywhere_on_the_page_is_not_added_again() -> None:
    rows = (RawRow(1, 3, {"date": "2026-01-01", "title": "Kept", "url": "https://J.example/1"}),
            RawRow(2, 9, {"date": "2026-11-30", "title": "Entry 5", "url": ""}))
    candidates = [Candidate(JOURNAL, entry(1, "2026-11-01")),  # its link is on the page
                  Candidate(JOURNAL, entry(5, "2026-11-30", link="")),  # title+date there
                  Candidate(JOURNAL, entry(3, "2026-11-03")),
                  Candidate(OFFICE, entry(3, "2026-11-03")),  # the same link from another
                  Candidate(JOURNAL, entry(2, "2026-11-02"))]
    additions = plan_additions(WATCH, candidates, rows, today="2026-12-07", section="review")
    assert [p.key for p in additions.proposed] == ["https://j.example/2",
                                                   "https://j.example/3"]  # oldest first
    assert {change.section for change in additions.changes} == {"review"}
    assert {change.op for change in additions.changes} == {"add"}
    assert len(additions.on_page) == 3


def test_an_entry_no_row_can_be_made_of_is_unusable() -> None:
    untitled = FeedEntry("x", "", "", "", "")
    additions = plan_additions(WATCH, [Candidate(JOURNAL, untitled)], (), today="2026-12-07",
                               section="review")
    assert additions.changes == () and len(additions.unusable) == 1
