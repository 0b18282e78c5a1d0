"""A community's ideas funnel, computed (pure) from its subjects (sync/method/ideas.py):
how many at each stage now, how many reached each stage in the period, how long subjects
stay at a stage, what was launched or dropped, what waits for the portfolio, where pull
meets push (matching.py) and what each seminar workshop raised.

Times are the records': a subject's stages are its status changes as the sync saw them
(minutes after the edit when cop-sync runs from cron), the first from when it was first
seen. A stay at a stage lasts until the next change; one still running counts up to now.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from statistics import median

from msgspec import Struct

from sync.clock import parse_time
from sync.method.ideas import DROPPED, LAUNCHED, STAGES, Subject, handover
from sync.records.model import Workshop
from sync.results.funnel.matching import line, pull_push
from sync.results.funnel.model import Funnel, StageFigure, WorkshopYield

ORDER = (*STAGES, DROPPED)  # the stages as shown: the funnel, then dropped
FINAL = frozenset({LAUNCHED, DROPPED})  # no stay is measured at these


class FunnelInput(Struct, frozen=True):
    """What the records hold for one community's funnel (gathered by health/run.py)."""

    subjects: tuple[Subject, ...]  # the community's live subjects
    everyone: tuple[Subject, ...]  # every community's (for the matches), its own included
    workshops: tuple[Workshop, ...]  # the community's seminar workshops
    names: Mapping[str, str]  # community slug -> name
    # When its Ideas page was first recorded: None while it has none (not provisioned),
    # "" when unknown (then the community's creation counts)
    opened: str | None = None


def funnel(data: FunnelInput, start: str, now: str) -> Funnel:
    """The funnel of ``data.subjects`` over the period from ``start`` (a time) to ``now``."""
    subjects, names = data.subjects, data.names
    unanswered, unasked, found = pull_push(subjects, data.everyone, names)
    seen = [s.first_seen for s in subjects]
    return Funnel(
        tracked=True, stages=tuple(_stage(name, subjects, start, now) for name in ORDER),
        total=len(subjects), raised=sum(start <= s.first_seen for s in subjects),
        last_raised=max(seen)[:10] if seen else None,
        median_days_to_launch=_to_launch(subjects),
        launched=tuple(line(s, names) for s in _latest(subjects, LAUNCHED)),
        dropped=tuple(line(s, names) for s in _latest(subjects, DROPPED)),
        handover=tuple(line(s, names) for s in handover(subjects)),
        unanswered=unanswered, unasked=unasked, matches=found,
        workshops=_workshops(data.workshops, subjects, names))


def _stage(name: str, subjects: Sequence[Subject], start: str, now: str) -> StageFigure:
    count = sum(s.status == name for s in subjects)
    entered = sum(1 for s in subjects for status, at in s.history
                  if status == name and at >= start)
    if name in FINAL:
        return StageFigure(name, count, entered, None)
    stays = [days(since, until) for s in subjects for status, since, until in stays_of(s, now)
             if status == name]
    return StageFigure(name, count, entered, round(median(stays), 1) if stays else None)


def stays_of(subject: Subject, now: str) -> list[tuple[str, str, str]]:
    """(stage, from, until) of each stay of ``subject``, the last one until ``now``."""
    steps = subject.history
    return [(status, since, steps[i + 1][1] if i + 1 < len(steps) else max(now, since))
            for i, (status, since) in enumerate(steps)]


def days(start: str, end: str) -> float:
    return max(0.0, (parse_time(end) - parse_time(start)).total_seconds() / 86400)


def _to_launch(subjects: Sequence[Subject]) -> float | None:
    """Median days from first seen to launched, over the subjects launched."""
    spans = [days(s.first_seen, at) for s in subjects
             for at in [next((a for st, a in s.history if st == LAUNCHED), "")] if at]
    return round(median(spans), 1) if spans else None


def _latest(subjects: Sequence[Subject], status: str) -> list[Subject]:
    return sorted((s for s in subjects if s.status == status),
                  key=lambda s: (s.status_since, s.key), reverse=True)


def _workshops(workshops: Sequence[Workshop], subjects: Sequence[Subject],
               names: Mapping[str, str]) -> tuple[WorkshopYield, ...]:
    """Every workshop of the community with the subjects whose origin names it."""
    return tuple(WorkshopYield(w.year, w.title, tuple(
        line(s, names) for s in subjects if s.workshop == (w.year, w.title)))
        for w in sorted(workshops, key=lambda w: (w.year, w.title.casefold())))
