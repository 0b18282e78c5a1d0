"""The ideas funnel's figures as plain frozen data (what reports and results pages show).
Dates are ``YYYY-MM-DD``; durations are days."""

from __future__ import annotations

from msgspec import Struct


class StageFigure(Struct, frozen=True):
    """One stage of the funnel: the subjects at it now, those that reached it in the
    period, and how long subjects stay at it (the median of every stay, a stay still
    running counted up to today; None for the final stages, launched and dropped)."""

    stage: str
    count: int
    entered: int
    median_days: float | None


class SubjectLine(Struct, frozen=True):
    """A subject as a line of the report: its community, title and where it stands."""

    community: str
    community_name: str
    key: str
    title: str
    status: str
    since: str  # when it reached its status
    owner: str = ""
    project: str = ""
    reason: str = ""


class Match(Struct, frozen=True):
    """A need waiting for a capability, and a subject whose capability may answer it;
    ``keywords`` (shared keywords) and ``entries`` (entries both rely on) say why."""

    need: SubjectLine
    capability: SubjectLine
    keywords: tuple[str, ...]
    entries: tuple[str, ...]

    @property
    def across(self) -> bool:
        """Between two communities: the cross-functional match the method is for."""
        return self.need.community != self.capability.community


class WorkshopYield(Struct, frozen=True):
    """What a seminar workshop raised: its subjects and their statuses."""

    year: int
    workshop: str
    subjects: tuple[SubjectLine, ...]


class Funnel(Struct, frozen=True):
    """A community's funnel. ``tracked`` is False when the templates have no Ideas page
    (then nothing else is filled)."""

    tracked: bool
    stages: tuple[StageFigure, ...] = ()
    total: int = 0
    raised: int = 0  # subjects first seen in the period
    last_raised: str | None = None
    median_days_to_launch: float | None = None
    launched: tuple[SubjectLine, ...] = ()
    dropped: tuple[SubjectLine, ...] = ()
    handover: tuple[SubjectLine, ...] = ()
    unanswered: tuple[SubjectLine, ...] = ()  # needs no capability answers yet
    unasked: tuple[SubjectLine, ...] = ()  # capabilities no need asked for
    matches: tuple[Match, ...] = ()  # the matches this community's subjects are in
    workshops: tuple[WorkshopYield, ...] = ()
