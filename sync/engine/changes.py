"""Which pages a sync must read, from the change feed (pure).

Reads are idempotent, so the feed is asked with an overlap before the watermark; a change
whose revision is not newer than the one already synced costs nothing (no content read).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from msgspec import Struct, field

from connector.base import ChangeFeed, PageRef
from sync.records.model import PageState


class ReadPlan(Struct, frozen=True):
    """key -> where to read it now; pages moved (key -> new place) or deleted on the wiki.
    Keys are the page states' (a kind, or a row set's key on a shared page)."""

    to_read: dict[str, PageRef] = field(default_factory=dict)
    moved: dict[str, PageRef] = field(default_factory=dict)
    deleted: frozenset[str] = frozenset()


def plan_reads(states: Sequence[PageState], feed: ChangeFeed | None,
               always: Iterable[str] = (), *, full: bool = False) -> ReadPlan:
    """Pages to read for one community. ``feed`` None means a full read knowing nothing of
    moves; ``full`` reads every page too, where the feed says it now is (moved), except
    the pages it says were deleted. ``always`` are kinds to read regardless (local changes
    to push, refused pages).

    The changes are taken in time order, and a page's last word counts: a deletion
    followed by a creation or an edit (``cop provision`` recreating the page, a member
    writing it again, an undeletion) is no deletion, even when that later revision is
    already synced (provisioning records the revision it creates)."""
    where = {state.kind: state.ref for state in states}
    if feed is None:
        return ReadPlan(to_read={s.kind: s.ref for s in states})
    synced = {state.kind: state.revision for state in states}
    kinds_at: dict[PageRef, list[str]] = {}  # several row sets may share a page
    for kind, ref in where.items():
        kinds_at.setdefault(ref, []).append(kind)
    to_read: set[str] = {kind for kind in always if kind in where}
    moved: dict[str, PageRef] = {}
    deleted: set[str] = set()
    for change in sorted(feed.changes, key=lambda c: c.timestamp):
        kinds = kinds_at.get(change.ref, [])
        if change.action == "move" and change.target is not None and kinds:
            del kinds_at[change.ref]
            kinds_at.setdefault(change.target, []).extend(kinds)
        for kind in kinds:
            if change.action == "move" and change.target is not None:
                where[kind] = moved[kind] = change.target
                to_read.add(kind)
            elif change.action == "delete":
                deleted.add(kind)
            else:  # the page is there again (or still): created, edited or restored
                deleted.discard(kind)
                if change.action == "restore" or _newer(change.revision,
                                                        synced.get(kind, "")):
                    to_read.add(kind)
    if full:
        to_read |= set(where)
    to_read -= deleted
    return ReadPlan(to_read={kind: where[kind] for kind in sorted(to_read)}, moved=moved,
                    deleted=frozenset(deleted))


def _newer(revision: str, synced: str) -> bool:
    """Revision numbers only grow (MediaWiki revids, Confluence versions)."""
    if not synced:
        return True
    if revision.isdigit() and synced.isdigit():
        return int(revision) > int(synced)
    return revision != synced
