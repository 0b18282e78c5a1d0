"""A community's lifecycle and the rollout stage of the method (pure rules, and the one
function that records a change).

Lifecycle of a community (``communities.status``, shown on its charter):

* ``proposed`` — registered by ``cop community add``; its space is not provisioned yet.
* ``pilot`` — the pilot community (the first one registered) once its space is provisioned:
  the method starts gently with one pilot.
* ``active`` — any other community once provisioned; the pilot once the innovation manager
  ends the pilot stage (``cop community activate SLUG``).
* ``archived`` — frozen by ``cop archive SLUG`` (any state); ``--undo`` brings back the
  state it had.

Every change is a row of ``decisions`` (subject "community"): who, when, from what.

Rollout stage of the method (communities archived are left out):

* ``pilot`` — the pilot community has not ended its pilot stage (it is proposed or pilot),
  or there is no community yet;
* ``rollout`` — the pilot stage is over and the method is still deploying: a community is
  proposed (registered, not provisioned), or an approved theme has no community yet;
* ``steady`` — every approved theme has its community and every community is provisioned.
"""

from __future__ import annotations

from collections.abc import Sequence

from msgspec.structs import replace

from connector.errors import UsageError
from sync.records.model import Community, Decision, Theme
from sync.records.store import Records

STAGES = ("pilot", "rollout", "steady")


def provisioned_status(community: Community) -> str:
    """The status a community has once its space is provisioned."""
    if community.status != "proposed":
        return community.status
    return "pilot" if community.is_pilot else "active"


def set_status(records: Records, community: Community, status: str, *, by: str, note: str,
               now: str) -> Community:
    """Record a lifecycle change (community and decision, one transaction)."""
    changed = replace(community, status=status, updated_at=now)
    with records.transaction():
        records.save_community(changed, expected=community)
        records.add_decision(Decision("community", community.slug, status, community.status,
                                      by, note, now))
    return changed


def activate(records: Records, community: Community, *, by: str, now: str) -> Community:
    """End the pilot stage: pilot -> active. UsageError from any other state."""
    if community.status != "pilot":
        hint = (f"provision it first (`cop provision {community.slug}`)"
                if community.status == "proposed" else "only the pilot community is activated")
        raise UsageError(f"{community.slug} is {community.status}, not pilot: {hint}")
    return set_status(records, community, "active", by=by, note="pilot stage ended", now=now)


def status_before_archive(records: Records, community: Community) -> str:
    """The status an archived community had before (what ``--undo`` restores)."""
    for decision in reversed(records.decisions("community", community.slug)):
        if decision.decision == "archived" and decision.previous:
            return decision.previous
    return "active"


def pilot_community(communities: Sequence[Community]) -> Community | None:
    """The rollout's pilot community, unless archived."""
    return next((c for c in communities if c.is_pilot and not c.archived), None)


def rollout_stage(communities: Sequence[Community], themes: Sequence[Theme]) -> str:
    """pilot, rollout or steady (see the module's definitions)."""
    live = [c for c in communities if not c.archived]
    pilot = pilot_community(communities)
    if not live or (pilot is not None and pilot.status in ("proposed", "pilot")):
        return "pilot"
    used = {c.theme_slug for c in live if c.theme_slug}
    waiting = [t for t in themes if t.status == "approved" and t.slug not in used]
    if any(c.status == "proposed" for c in live) or waiting:
        return "rollout"
    return "steady"


def pilot_warning(communities: Sequence[Community], new_slug: str) -> str | None:
    """Why registering another community now goes against "one pilot first", or None."""
    pilot = pilot_community(communities)
    if pilot is None or pilot.slug == new_slug or pilot.status == "active":
        return None
    if pilot.status == "proposed":
        state = "is not provisioned yet"
        step = f"`cop provision {pilot.slug}`"
    else:
        state = "is still in its pilot stage"
        step = f"once it has run, `cop community activate {pilot.slug}`"
    return (f"the pilot community {pilot.slug} {state}: the method starts with one pilot, "
            f"then deploys to other themes ({step})")
