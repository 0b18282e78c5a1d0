"""Conflicts a person settles: ``cop conflicts`` lists them, ``resolve`` applies a choice.

A conflict is a field (or a whole row, field ``(row)``) that the wiki and the records changed
differently since the page's merge base. Settling one changes no merge rule: it only moves
the inputs of the next three-way merge (sync/engine/merge.py) so that the merge itself does
the rest.

* keep **wiki**: the records take the wiki's value, and the merge base too — both sides now
  agree, and a later wiki edit of that field flows back as usual;
* keep **local**: the merge base takes the wiki's value — to the next merge the wiki then
  looks unchanged and the records changed, so the next cop-sync writes the records' value to
  the wiki (the page counts as pending, so it is read and written even if nobody edits it).

Values are those of the last sync that saw the conflict. If the wiki changes that field
again before the next sync, the merge sees two changes again and records a new conflict:
a person's choice is never applied over an edit they have not seen.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Literal

from msgspec.structs import replace

from connector.errors import NotFoundError, UsageError
from sync.clock import utc_now
from sync.engine.merge import ROW
from sync.records.model import Conflict
from sync.records.store import Records

Keep = Literal["wiki", "local"]
RESOLVED_BY = "conflict"  # deleted_by of a row removed by keeping the wiki's deletion


def open_conflicts(records: Records, community: str | None = None) -> list[Conflict]:
    """The conflicts waiting for a person, oldest first (of one community, or all)."""
    return records.conflicts(community)


def resolve(records: Records, conflict_id: int, keep: Keep,
            clock: Callable[[], str] = utc_now) -> Conflict:
    """Settle conflict ``conflict_id`` by keeping one side; the next cop-sync applies it.

    Returns the conflict as settled. Raises NotFoundError (no such conflict) or UsageError
    (already settled, or ``keep`` not 'wiki' or 'local').
    """
    if keep not in ("wiki", "local"):
        raise UsageError(f"--keep must be wiki or local, not {keep!r}")
    now = clock()
    with records.transaction():
        conflict = records.conflict(conflict_id)
        if conflict is None:
            raise NotFoundError(f"no conflict {conflict_id} (see `cop conflicts`)")
        if conflict.resolved_at is not None:
            raise UsageError(f"conflict {conflict_id} is already settled "
                             f"({conflict.resolution} at {conflict.resolved_at})")
        wiki_row = _wiki_row(records, conflict)
        _set_base(records, conflict, wiki_row)
        if keep == "wiki":
            _set_local(records, conflict, wiki_row, now)
        records.resolve_conflict(conflict_id, f"kept {keep}", now)
    return replace(conflict, resolved_at=now, resolution=f"kept {keep}")


def _wiki_row(records: Records, conflict: Conflict) -> dict[str, str] | None:
    """The row as the wiki had it when the conflict was seen (None: deleted there)."""
    if conflict.field == ROW:
        return None if conflict.wiki is None else json.loads(conflict.wiki)
    state = records.page_state(conflict.community, conflict.kind)
    base_row = dict((state.base or {}).get(conflict.key, {})) if state else {}
    local = records.live_rows(conflict.community, conflict.kind).get(conflict.key, {})
    return {**local, **base_row, conflict.field: conflict.wiki or ""}


def _set_base(records: Records, conflict: Conflict, wiki_row: dict[str, str] | None) -> None:
    state = records.page_state(conflict.community, conflict.kind)
    if state is None:  # no page any more (never provisioned): nothing to merge against
        return
    base = {key: dict(row) for key, row in (state.base or {}).items()}
    if conflict.field != ROW:
        base[conflict.key] = {**base.get(conflict.key, {}),
                              conflict.field: conflict.wiki or ""}
    elif wiki_row is None:
        base.pop(conflict.key, None)
    else:
        base[conflict.key] = wiki_row
    records.save_page_state(replace(state, base=base))


def _set_local(records: Records, conflict: Conflict, wiki_row: dict[str, str] | None,
               now: str) -> None:
    if wiki_row is None:
        records.tombstone_entry(conflict.community, conflict.kind, conflict.key,
                                by=RESOLVED_BY, now=now)
        return
    local = records.live_rows(conflict.community, conflict.kind).get(conflict.key)
    data = wiki_row if conflict.field == ROW or local is None else {
        **local, conflict.field: wiki_row[conflict.field]}
    records.upsert_entry(conflict.community, conflict.kind, conflict.key, data,
                         origin="wiki", now=now)
