"""Crashes in-process (a checkpoint armed: the run is abandoned there, its open transaction
rolled back) on the in-memory wiki: the next run ends where an uncrashed run ends. The same
with real processes killed by SIGKILL on the real wiki: tests/integration/test_crash_safety.py.
"""

from __future__ import annotations

import pytest
from memory_world import ANN, add_locally, members_page, ready, sync

from connector.base import PageRef
from connector.mediawiki.wikitext import WikitextCodec
from connector.memory import MemoryBackend
from sync.engine import checkpoints
from sync.engine.members import forget_member
from sync.records.store import Records

MEMBERS = PageRef("CoP_Battery", "Members")
WATCH = PageRef("CoP_Battery", "Watch")


def world() -> tuple[Records, MemoryBackend]:
    """Battery synced; then a member adds a watch item and Bob, Ann is added by command."""
    records = Records.open(":memory:")
    wiki = MemoryBackend(WikitextCodec(), spaces={"CoP_Battery", "Template"})
    ready(records, {"mediawiki": wiki}, "battery")
    for ref, line in ((MEMBERS, "{{CoP member|email=bob@x.io|name=Bob}}"),
                      (WATCH, "{{CoP watch|date=2026-01-02|title=New|url=https://e.x/n}}")):
        wiki.edit(ref, wiki.page(ref).content + "\n" + line + "\n")
    add_locally(records, "battery", ANN)
    return records, wiki


def digest(records: Records, wiki: MemoryBackend) -> tuple[object, ...]:
    entries = sorted((e.kind, e.key, e.deleted_by) for e in
                     records.entries("battery", include_deleted=True))
    states = sorted((s.kind, s.revision, str(s.base)) for s in records.page_states("battery"))
    return entries, states, members_page(wiki)


@pytest.fixture(autouse=True)
def _disarmed():
    yield
    checkpoints.disarm()


@pytest.mark.parametrize(("where", "after"), [
    ("after-wiki-write", 1), ("before-page-commit", 1), ("after-page-commit", 1),
    ("before-page-commit", 2), ("after-page-commit", 2), ("after-watermark", 1)])
def test_a_crashed_run_is_finished_by_the_next_one(where: str, after: int) -> None:
    records, wiki = world()
    assert sync(records, {"mediawiki": wiki}).exit_code == 0
    expected = digest(records, wiki)

    records, wiki = world()
    before = records.watermark("battery")
    checkpoints.arm(where, after=after)
    with pytest.raises(checkpoints.SimulatedCrash):
        sync(records, {"mediawiki": wiki})
    assert (records.watermark("battery") == before) is (where != "after-watermark")
    assert sync(records, {"mediawiki": wiki}).exit_code == 0
    assert digest(records, wiki) == expected
    assert members_page(wiki).count("ann@corp.example") == 1


def test_a_page_emptied_by_a_member_and_a_command_together_is_refused_before_any_write(
        ) -> None:
    """A member removes every row but Eli's while Eli is removed by command: writing that
    removal would empty the page, so it is refused first — and a crash after such a write
    could therefore never read differently from a run that did not crash."""
    records, wiki = world()
    assert sync(records, {"mediawiki": wiki}).exit_code == 0
    content = members_page(wiki)
    for email in ("pia@battery", "bob@x.io", "ann@corp"):
        line = next(x for x in content.splitlines() if email in x)
        content = content.replace(line + "\n", "")
    wiki.edit(MEMBERS, content)
    forget_member(records, records.community("battery"), "eli@battery.example")
    writes = wiki.stats.writes
    report = sync(records, {"mediawiki": wiki})
    assert report.exit_code == 1 and report.counts()["refused_empty"] == 1
    assert wiki.stats.writes == writes
    assert sync(records, {"mediawiki": wiki}, force_delete=True).exit_code == 0
    assert records.live_rows("battery", "members") == {}


def test_every_member_removed_by_command_then_a_crash_after_the_write() -> None:
    records, wiki = world()
    assert sync(records, {"mediawiki": wiki}).exit_code == 0
    community = records.community("battery")
    for email in list(records.live_rows("battery", "members")):
        forget_member(records, community, email)
    checkpoints.arm("after-wiki-write")
    with pytest.raises(checkpoints.SimulatedCrash):
        sync(records, {"mediawiki": wiki})
    assert "email=eli@battery.example" not in members_page(wiki)  # written, not committed
    report = sync(records, {"mediawiki": wiki})
    assert report.exit_code == 0, report.to_dict()
    assert records.page_state("battery", "members").base == {}
