"""A community whose space the wiki no longer has (a MediaWiki namespace taken out of
LocalSettings.php): cop-sync fails that community with what to put back, exit 2, and leaves
its records as they are — never its rows taken for deleted. The others are synced.

The same on the real MediaWiki: tests/integration/test_sessions_mediawiki.py
(``test_a_namespace_taken_out_of_the_wiki_fails_its_community``).
"""

from __future__ import annotations

import pytest
from memory_world import memory_wiki, ready, sync

from connector.base import ChangeFeed, PageRef
from connector.errors import EXIT_USAGE, SpaceMissing
from connector.memory import MemoryBackend
from sync.cli.app import exit_code
from sync.records.store import Records
from sync.results.status import last_sync_errors


def append(wiki: MemoryBackend, ref: PageRef, line: str) -> None:
    current = wiki.page(ref)
    assert current is not None
    wiki.edit(ref, current.content.rstrip("\n") + "\n" + line + "\n")


@pytest.fixture
def world() -> tuple[Records, dict[str, MemoryBackend]]:
    records, wikis = Records.open(":memory:"), {"mediawiki": memory_wiki()}
    ready(records, wikis, "battery", "solar")
    append(wikis["mediawiki"], PageRef("CoP_Battery", "Watch"),
           "{{CoP watch|date=2026-01-01|title=Keep me}}")
    assert sync(records, wikis).exit_code == 0
    return records, wikis


def test_a_space_gone_fails_its_community_and_keeps_its_records(world) -> None:
    records, wikis = world
    kept = {kind: records.live_rows("battery", kind) for kind in ("members", "watch")}
    mark = records.watermark("battery")
    wikis["mediawiki"].spaces.discard("CoP_Battery")
    append(wikis["mediawiki"], PageRef("CoP_Solar", "Watch"),
           "{{CoP watch|date=2026-01-02|title=Solar news}}")

    report = sync(records, wikis)

    battery, solar = report.communities
    assert solar.error == "" and not solar.failed
    assert isinstance(battery.failure, SpaceMissing)
    assert "CoP_Battery" in battery.error
    assert not battery.refused_empty and not battery.pages  # not read, not "emptied"
    assert {kind: records.live_rows("battery", kind) for kind in kept} == kept
    assert records.watermark("battery") == mark
    assert "Solar news" in str(records.live_rows("solar", "watch"))  # the others go on
    assert exit_code(report.failures, partial=bool(report.exit_code)) == EXIT_USAGE


def test_a_full_sync_does_not_take_a_space_gone_for_an_emptied_one(world) -> None:
    records, wikis = world
    wikis["mediawiki"].spaces.discard("CoP_Battery")
    report = sync(records, wikis, full=True)
    assert isinstance(report.communities[0].failure, SpaceMissing)
    assert not any("--force-delete" in notice for notice in report.communities[0].notices)
    assert records.live_rows("battery", "watch")


def test_a_wiki_whose_feed_cannot_tell_is_asked_when_the_pages_look_gone(
        world, monkeypatch: pytest.MonkeyPatch) -> None:
    """Confluence Data Center's feed cannot tell a space gone from a quiet one: the pages
    then read as missing, and the engine asks check_space before refusing an "empty"
    community with the --force-delete hint."""
    records, wikis = world
    wiki = wikis["mediawiki"]
    quiet = wiki.changes_since

    def feed_that_cannot_tell(spaces, since) -> ChangeFeed:
        found = quiet(spaces, since)
        return ChangeFeed(found.changes, found.signpost)

    monkeypatch.setattr(wiki, "changes_since", feed_that_cannot_tell)
    wiki.spaces.discard("CoP_Battery")
    for title in ("Members", "Watch"):
        wiki.delete(PageRef("CoP_Battery", title))
    report = sync(records, wikis, full=True)
    battery = report.communities[0]
    assert isinstance(battery.failure, SpaceMissing) and not battery.refused_empty
    assert records.live_rows("battery", "watch") and records.live_rows("battery", "members")


def test_an_empty_community_whose_space_is_there_is_still_refused_as_empty(world) -> None:
    records, wikis = world
    for title in ("Members", "Watch"):
        wikis["mediawiki"].delete(PageRef("CoP_Battery", title))
    battery = sync(records, wikis).communities[0]
    assert battery.refused_empty and battery.failure is None


def test_cop_status_says_what_stopped_the_community_in_the_last_run(world) -> None:
    records, wikis = world
    wikis["mediawiki"].spaces.discard("CoP_Battery")
    run = records.start_run("2026-12-07T10:00:00Z", dry_run=False)
    report = sync(records, wikis)
    records.finish_run(run, report.finished_at, 2, report.to_dict(2))
    errors = last_sync_errors(records)
    assert "'CoP_Battery' does not exist" in errors["battery"]
    assert "solar" not in errors
