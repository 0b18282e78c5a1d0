"""Whether member changes made by command still wait for the wiki: what `cop status` asks of
the engine, answered from the records alone (so status need not load the merge and the
page machinery of members.py to ask it)."""

from __future__ import annotations

from sync.records.model import Community
from sync.records.store import Records

KIND = "members"


def members_pending(records: Records, community: Community) -> bool:
    """Whether the records hold member changes the Members page does not have yet (the
    live rows differ from the last synced state)."""
    state = records.page_state(community.slug, KIND)
    return state is not None and \
        records.live_rows(community.slug, KIND) != (state.base or {})
