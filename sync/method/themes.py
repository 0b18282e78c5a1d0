"""Themes (``cop theme add | list | decide``): candidate themes from the company's strategic
axes and innovation portfolio, submitted to the decision makers, who retain three or four.

A theme is ``proposed``, then ``approved`` or ``rejected`` (a decision can be taken again:
every one is kept in ``decisions``). A community is made from an approved theme
(``cop community add --from-theme``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from msgspec import Struct
from msgspec.structs import asdict, replace

from connector.errors import UsageError, ValidationError
from sync.clock import utc_now
from sync.community.registration import SLUG, SLUG_RULE
from sync.config.loader import Config
from sync.method.values import clean
from sync.records.model import Decision, Theme
from sync.records.store import Records

DECISIONS = {"approve": "approved", "reject": "rejected"}


def add_theme(records: Records, slug: str, *, title: str, axis: str, portfolio: str = "",
              clock: Callable[[], str] = utc_now) -> Theme:
    """Record a proposed theme. Raises ValidationError (a field named) or UsageError
    (slug taken)."""
    if not SLUG.match(slug):
        raise ValidationError(SLUG_RULE, field="SLUG", value=slug)
    theme = Theme(slug=slug, title=clean("--title", title, required=True),
                  axis=clean("--axis", axis, required=True),
                  portfolio=clean("--portfolio", portfolio), created_at=clock())
    with records.transaction():  # checked where no other manager can add it meanwhile
        if records.theme(slug) is not None:
            raise UsageError(f"theme {slug!r} already exists")
        records.add_theme(theme)
    return theme


class Decided(Struct, frozen=True):
    """A theme decided, and what the method says about it (warnings, not refusals)."""

    theme: Theme
    warnings: tuple[str, ...] = ()


def decide_theme(records: Records, config: Config, slug: str, decision: str, *, by: str,
                 note: str = "", clock: Callable[[], str] = utc_now) -> Decided:
    """Approve or reject a theme (``decision``: approve | reject), recorded with who and
    why. Raises UsageError (no such theme; rejecting a theme that has its community),
    ValidationError (an unknown decision, no ``by``)."""
    theme = records.theme(slug)
    if theme is None:
        raise UsageError(f"no theme {slug!r} (see `cop theme list`)")
    if decision not in DECISIONS:
        raise ValidationError("is approve or reject", field="DECISION", value=decision)
    status = DECISIONS[decision]
    used = [c.slug for c in records.communities()
            if c.theme_slug == slug and not c.archived]
    if status == "rejected" and used:
        raise UsageError(f"theme {slug!r} has its community {used[0]}: archive it first "
                         f"(`cop archive {used[0]}`)")
    now = clock()
    decided = replace(theme, status=status, decided_at=now,
                      decided_by=clean("--by", by, required=True), note=clean("--note", note))
    with records.transaction():
        records.save_theme(decided, expected=theme)
        records.add_decision(Decision("theme", slug, status, theme.status, decided.decided_by
                                      or "", decided.note, now))
    return Decided(decided, tuple(_warnings(records, config, decided)))


def _warnings(records: Records, config: Config, theme: Theme) -> list[str]:
    approved = [t.slug for t in records.themes() if t.status == "approved"]
    limit = config.method.max_communities
    if theme.status == "approved" and len(approved) > limit:
        return [f"{len(approved)} themes are approved ({', '.join(approved)}): the decision "
                f"makers retain three or four ([method] max_communities = {limit})"]
    return []


def theme_rows(records: Records) -> list[dict[str, Any]]:
    """Every theme with its latest decision, the whole history of its decisions (oldest
    first: what, from what, who, when, why) and the community made from it."""
    by_theme = {c.theme_slug: c.slug for c in records.communities() if c.theme_slug}
    history: dict[str, list[dict[str, str]]] = {}
    for d in records.decisions("theme"):
        history.setdefault(d.slug, []).append({
            "decision": d.decision, "previous": d.previous, "decided_by": d.decided_by,
            "decided_at": d.at, "note": d.note})
    return [{**asdict(t), "community": by_theme.get(t.slug), "decisions": history.get(t.slug, [])}
            for t in records.themes()]
