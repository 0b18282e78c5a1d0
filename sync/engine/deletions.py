"""Pages deleted on the wiki, and communities that suddenly read as empty.

A page deleted on the wiki: its rows become tombstones (``deleted_by = 'page-deleted'``, their
data kept), the page is marked ``deleted`` and its merge base emptied. So nothing is silently
lost: ``cop export --include-deleted`` shows the rows, and ``cop provision`` recreates the page
with them and brings them back to life. The empty merge base matters if the page comes back
another way (undeleted, recreated by hand): its rows are then taken from the wiki as new,
never read as local removals to push.

A community this run would leave without a single row — every page holding rows deleted,
missing or read as empty at once — smells of an accident (a namespace dropped from
LocalSettings.php, a mass deletion, a wiki restored from an empty backup): it is refused as a
whole, nothing recorded, until the wiki is fixed or ``cop-sync --force-delete`` accepts it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from msgspec.structs import replace

from connector.base import ParsedPage
from page_templates import PageKind
from sync.engine.merge import page_is_empty, rows_at_risk
from sync.records.model import PageState, Rows
from sync.records.store import Records

PAGE_DELETED = "page-deleted"  # deleted_by of rows whose page was deleted on the wiki


def mark_deleted(records: Records, state: PageState, now: str) -> int:
    """Tombstone the page's live rows and mark it deleted, in one transaction; the number
    of rows tombstoned. A page already marked deleted is left as it is (rows recorded since,
    e.g. a member added by command, wait for the page to be recreated)."""
    if state.state == "deleted":
        return 0
    keys = list(records.live_rows(state.community, state.kind))
    with records.transaction():
        for key in keys:
            records.tombstone_entry(state.community, state.kind, key, by=PAGE_DELETED, now=now)
        records.save_page_state(replace(state, state="deleted", base={}, synced_at=now))
        records.replace_problems(state.community, state.kind, [])  # no page, no bad rows
    return len(keys)


def deletion_notice(state: PageState, rows: int) -> str:
    """What the report says of the page (it is printed after the page's title)."""
    if state.state == "deleted":
        return (f"still deleted on the wiki (run `cop provision {state.community}` to "
                "recreate it)")
    held = (f"its {rows} row{'s are' if rows != 1 else ' is'} kept as tombstones (deleted_by "
            f"'{PAGE_DELETED}'; `cop export --include-deleted` shows them)" if rows
            else "it held no rows")
    return (f"deleted on the wiki: {held}; `cop provision "
            f"{state.community}` recreates the page" + (" with them" if rows else ""))


def community_reads_empty(kinds: Sequence[tuple[str, PageKind] | PageKind],
                          states: Mapping[str, PageState],
                          live: Mapping[str, Rows], parsed: Mapping[str, ParsedPage],
                          gone: Iterable[str]) -> bool:
    """Would this run leave the community without the rows its pages held? (pure)

    True when no page read this run holds a row, and every row page with recorded rows at
    risk (sync/engine/merge.py ``rows_at_risk``) is gone (deleted or missing) or read as empty —
    at least one of them. ``parsed``: the pages read this run; a page not read keeps its rows.
    ``kinds``: the row sets, as (key, kind) (a kind alone: its key is its name).
    """
    gone, lost = set(gone), False
    for entry in kinds:
        key, kind = entry if isinstance(entry, tuple) else (entry.kind, entry)
        state = states.get(key)
        if state is None or state.state == "deleted":
            continue
        base, local = state.base or {}, live.get(key, {})
        page = parsed.get(key)
        empty = page is not None and page_is_empty(kind, str(state.ref), page, base, local)
        if page is not None and not empty:
            return False  # the wiki holds rows: this community is not empty
        if not rows_at_risk(kind, base, local):
            continue
        if not empty and key not in gone:
            return False  # not read this run: it keeps its rows
        lost = True
    return lost


def empty_community_notice(slug: str) -> str:
    return ("the whole community reads as empty on the wiki (the pages holding its rows "
            "deleted, missing or emptied at once): refused, nothing recorded. Restore the "
            f"pages, or accept with `cop-sync --community {slug} --force-delete`")
