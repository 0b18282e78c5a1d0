"""Which pages a sync reads (sync/engine/changes.py ``plan_reads``), from plain change feeds."""

from __future__ import annotations

from connector.base import Change, ChangeFeed, PageRef
from sync.engine.changes import plan_reads
from sync.records.model import PageState

WATCH, REFS = PageRef("CoP_Battery", "Watch"), PageRef("CoP_Battery", "References")


def states(revision: str = "10", state: str = "ok") -> list[PageState]:
    return [PageState("battery", "watch", WATCH, revision=revision, state=state),
            PageState("battery", "references", REFS, revision="5")]


def feed(*changes: tuple[str, str, str]) -> ChangeFeed:
    """(action, second, revision) changes of the Watch page."""
    return ChangeFeed(tuple(Change(WATCH, action, f"2026-01-01T00:00:{second}Z",  # type: ignore[arg-type]
                                   revision=revision)
                            for action, second, revision in changes), "2026-01-01T00:01:00Z")


def test_a_deletion_is_followed() -> None:
    plan = plan_reads(states(), feed(("edit", "01", "11"), ("delete", "02", "")))
    assert plan.deleted == {"watch"} and plan.to_read == {}


def test_a_page_recreated_after_its_deletion_is_not_deleted() -> None:
    """`cop provision` recreated it and recorded the revision it wrote: the deletion
    still in the overlap window is cancelled by the later creation; nothing to read."""
    plan = plan_reads(states(revision="12"), feed(("delete", "01", ""),
                                                   ("create", "06", "12")))
    assert plan.deleted == frozenset() and plan.to_read == {}


def test_an_edit_after_the_recreation_is_read_and_the_deletion_forgotten() -> None:
    plan = plan_reads(states(revision="12"), feed(("delete", "01", ""),
                                                   ("create", "06", "12"),
                                                   ("edit", "09", "13")))
    assert plan.deleted == frozenset() and plan.to_read == {"watch": WATCH}


def test_a_member_recreating_a_page_marked_deleted_is_read() -> None:
    plan = plan_reads(states(revision="10", state="deleted"),
                      feed(("delete", "01", ""), ("create", "06", "12")))
    assert plan.deleted == frozenset() and plan.to_read == {"watch": WATCH}


def test_the_last_word_counts_in_time_order() -> None:
    changes = feed(("create", "06", "12"), ("delete", "09", ""), ("delete", "01", ""))
    assert plan_reads(states(revision="12"), changes).deleted == {"watch"}
    restored = feed(("delete", "01", ""), ("restore", "03", ""))
    assert plan_reads(states(), restored).to_read == {"watch": WATCH}


def test_full_reads_a_recreated_page_but_not_a_deleted_one() -> None:
    recreated = plan_reads(states(revision="12"), feed(("delete", "01", ""),
                                                        ("create", "06", "12")), full=True)
    assert recreated.to_read == {"watch": WATCH, "references": REFS}
    deleted = plan_reads(states(), feed(("delete", "01", "")), full=True)
    assert deleted.to_read == {"references": REFS} and deleted.deleted == {"watch"}


def test_pending_pages_are_read_unless_deleted() -> None:
    assert plan_reads(states(), feed(), always=["watch"]).to_read == {"watch": WATCH}
    gone = plan_reads(states(), feed(("delete", "01", "")), always=["watch"])
    assert gone.to_read == {} and gone.deleted == {"watch"}
    back = plan_reads(states(revision="12"), feed(("delete", "01", ""),
                                                   ("create", "02", "12")), always=["watch"])
    assert back.to_read == {"watch": WATCH} and not back.deleted
