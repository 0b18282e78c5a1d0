"""Whether member (or subject) changes made by command still wait for the wiki: what
`cop status` and `cop idea` ask of the engine, answered from the records alone (so status
need not load the merge and the page machinery of members.py to ask it)."""

from __future__ import annotations

from sync.records.model import Community
from sync.records.store import Records

KIND = "members"


def members_pending(records: Records, community: Community) -> bool:
    """Whether the records hold member changes the Members page does not have yet (the
    live rows differ from the last synced state)."""
    return rows_pending(records, community, KIND)


def rows_pending(records: Records, community: Community, kind: str) -> bool:
    """Whether the records hold changes of a two-way ``kind`` (the members, the subjects of
    the Ideas page) its page does not have yet."""
    state = records.page_state(community.slug, kind)
    return state is not None and \
        records.live_rows(community.slug, kind) != (state.base or {})
