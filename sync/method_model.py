"""The method's records as small frozen dataclasses: themes, decisions, seminars, workshops.

See sync/method.py for the rules (lifecycle, rollout stage) and sync/themes.py,
sync/seminars.py for the commands' library side.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

THEME_STATUSES = ("proposed", "approved", "rejected")
LIFECYCLE = ("proposed", "pilot", "active", "archived")


@dataclass(frozen=True)
class Theme:
    """A candidate theme from a strategic axis, and the decision makers' decision on it."""

    slug: str
    title: str
    axis: str
    portfolio: str = ""  # the innovation portfolio item it relates to (a reference)
    status: str = "proposed"  # proposed | approved | rejected
    created_at: str = ""
    decided_at: str | None = None
    decided_by: str | None = None
    note: str = ""


@dataclass(frozen=True)
class Decision:
    """A decision on a theme (approve/reject) or a community's lifecycle change."""

    subject: str  # "theme" | "community"
    slug: str
    decision: str  # the new status
    previous: str = ""
    decided_by: str = ""
    note: str = ""
    at: str = ""
    id: int | None = None


@dataclass(frozen=True)
class Seminar:
    """The yearly seminar: ``days`` (2 or 3) from ``start`` (YYYY-MM-DD)."""

    year: int
    title: str
    start: str
    days: int
    place: str
    created_at: str = ""

    @property
    def dates(self) -> tuple[str, ...]:
        first = date.fromisoformat(self.start)
        return tuple((first + timedelta(days=n)).isoformat() for n in range(self.days))

    @property
    def end(self) -> str:
        return self.dates[-1]


@dataclass(frozen=True)
class Workshop:
    year: int
    community: str
    title: str
    created_at: str = ""
