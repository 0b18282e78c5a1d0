"""Is the community really cross-functional? Members and active contributors per profile."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from page_templates.profiles import ProfileVocabulary
from sync.results.health.model import NO_PROFILE, UNKNOWN, ContributorFigure, ProfileFigure
from sync.results.people import Member, canonical_profile, plain


def profile_figures(members: Sequence[Member], contributors: Sequence[ContributorFigure],
                    required: Sequence[str], vocabulary: ProfileVocabulary | None = None
                    ) -> tuple[tuple[ProfileFigure, ...], tuple[str, ...]]:
    """Members and active contributors per profile (required profiles first, in their
    order, even at zero; then the others by name; then no profile and unknown), and the
    required profiles no member has."""
    spelled: dict[str, str] = {}  # plain key -> the first spelling seen

    def key(profile: str) -> str:
        name = canonical_profile(profile, required, vocabulary)
        return spelled.setdefault(plain(name), name) if name else NO_PROFILE

    counted = Counter(key(m.profile) for m in members)
    active = Counter(c.profile if c.profile == UNKNOWN else key(c.profile)
                     for c in contributors)
    others = sorted((set(counted) | set(active)) - set(required) - {NO_PROFILE, UNKNOWN},
                    key=str.casefold)
    order = [*required, *others, NO_PROFILE, UNKNOWN]
    figures = tuple(ProfileFigure(p, counted[p], active[p]) for p in order
                    if p in required or counted[p] or active[p])
    missing = tuple(p for p in required if not counted[p])
    return figures, missing
