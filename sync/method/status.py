"""What ``cop status`` says about the method: the rollout stage, and for each community its
lifecycle, its members by profile and what its make-up lacks (pure, from the records).

Warnings (never refusals): a required profile no member has (``[method]
required_profiles``, default marketing, R&D, sales); a vacant role (no member with the
role pilot, or expert, on the member list; no sponsor recorded); a member whose profile is
not in the vocabulary (recorded before it existed); other communities deployed while the
pilot has not ended its pilot stage; more communities running than ``max_communities``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from page_templates.profiles import ProfileVocabulary
from sync.community.lifecycle import pilot_community, rollout_stage
from sync.config.method import MethodConfig
from sync.records.model import Community, Theme

NO_PROFILE = "(none)"
ROLES = ("pilot", "expert")


def members_by_profile(members: Mapping[str, Mapping[str, str]],
                       vocabulary: ProfileVocabulary) -> dict[str, int]:
    """Canonical profile -> live members (vocabulary order, then others, then none)."""
    counted = Counter(vocabulary.canonical(m.get("profile", "")) or
                      m.get("profile", "").strip() or NO_PROFILE for m in members.values())
    order = [*vocabulary.names, *sorted(set(counted) - set(vocabulary.names) - {NO_PROFILE}),
             NO_PROFILE]
    return {name: counted[name] for name in order if counted[name]}


def community_warnings(community: Community, members: Mapping[str, Mapping[str, str]],
                       method: MethodConfig) -> list[str]:
    """What the community's make-up lacks (see the module docstring)."""
    vocabulary = method.profiles
    profiles = members_by_profile(members, vocabulary)
    warnings = []
    missing = [p for p in method.required_profiles if not profiles.get(p)]
    if missing:
        warnings.append(f"profiles missing among the members: {', '.join(missing)} "
                        "(the method mixes market pull and technology push)")
    roles = {m.get("role", "") for m in members.values()}
    for role in ROLES:
        if role not in roles:
            warnings.append(f"role vacant: no member is {role} on the member list "
                            f"(`cop community set {community.slug} --{role} EMAIL`)")
    if not community.sponsor:
        warnings.append(f"role vacant: no sponsor (`cop community set {community.slug} "
                        "--sponsor NAME`)")
    unknown = sorted({m.get("profile", "") for m in members.values()
                      if m.get("profile") and vocabulary.canonical(m["profile"]) is None})
    if unknown:
        warnings.append(f"profiles outside the vocabulary: {', '.join(unknown)} (fix them on "
                        "the member list, or add them under [method.profiles])")
    return warnings


def rollout(communities: Sequence[Community], themes: Sequence[Theme],
            method: MethodConfig) -> dict[str, Any]:
    """The rollout stage, the pilot community, and what goes against the method."""
    live = [c for c in communities if not c.archived]
    pilot = pilot_community(communities)
    warnings = []
    if pilot is not None and pilot.status in ("proposed", "pilot"):
        early = [c.slug for c in live if c is not pilot and c.status == "active"]
        if early:
            warnings.append(f"deployed before the pilot {pilot.slug} ended its pilot stage: "
                            f"{', '.join(early)}")
    if len(live) > method.max_communities:
        warnings.append(f"{len(live)} communities running or proposed, more than "
                        f"max_communities = {method.max_communities}")
    approved = [t.slug for t in themes if t.status == "approved"]
    used = {c.theme_slug for c in live}
    waiting = [slug for slug in approved if slug not in used]
    return {"stage": rollout_stage(communities, themes),
            "pilot": pilot.slug if pilot else None, "communities": len(live),
            "max_communities": method.max_communities,
            "themes": {"proposed": sum(t.status == "proposed" for t in themes),
                       "approved": len(approved),
                       "rejected": sum(t.status == "rejected" for t in themes),
                       "approved_without_community": waiting},
            "warnings": warnings}
