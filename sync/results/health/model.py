"""Community health as plain frozen data: what ``cop health`` prints, what reports and results
pages show (sync/results/health/compute.py computes it). Dates are ``YYYY-MM-DD``; profiles
are the required profile names, a member's own spelling, ``NO_PROFILE`` or ``UNKNOWN``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from msgspec import Struct, field, to_builtins

from page_templates.report import profile_display, report_text
from sync.results.funnel.model import Funnel

NO_PROFILE = ""  # a member who gave no profile
UNKNOWN = "?"  # a contributor who could not be matched to a member
OTHER_PAGES = ""  # the activity line of the space's pages that are not the community's own


def singular(count: int, lang: str) -> bool:
    """Whether ``count`` things take the singular in ``lang`` (French: 0 and 1)."""
    return count in (0, 1) if lang == "fr" else count == 1


def counted_text(key: str, lang: str, count: int, **values: object) -> str:
    """report_text for a sentence about ``count`` things: its ``<key>_one`` form when the
    count is singular in ``lang`` (and report.toml has one), else ``key``; ``{count}``
    is filled with the count."""
    if singular(count, lang):
        try:
            return report_text(f"{key}_one", lang, count=count, **values)
        except KeyError:
            pass
    return report_text(key, lang, count=count, **values)


class KindActivity(Struct, frozen=True):
    """One page kind over the period: rows added, updated, removed, and people's edits."""

    kind: str
    title: str  # the page's title in the community's language
    added: int = 0
    updated: int = 0
    removed: int = 0
    edits: int = 0


class Bucket(Struct, frozen=True):
    """One week (or month) of activity: row changes per kind, and wiki edits."""

    start: str
    rows: Mapping[str, int]
    edits: int = 0


class ProfileFigure(Struct, frozen=True):
    profile: str
    members: int
    active: int


class ContributorFigure(Struct, frozen=True):
    """A person (or an unmatched wiki account) and their edits over the period."""

    user: str
    name: str
    email: str | None
    profile: str
    edits: int
    last: str


class Freshness(Struct, frozen=True):
    """When a kind's page was last reviewed (a person's edit or a row change), against its
    review period: ``state`` is "ok", "overdue", or "free" (no period configured)."""

    kind: str
    title: str
    last_reviewed: str | None
    months: int | None
    due: str | None
    state: str


class ActionItem(Struct, frozen=True):
    title: str
    due: str


class ActionsFigure(Struct, frozen=True):
    """Seminar actions with a due date. ``tracked`` is False while the records have no
    "actions" kind (seminars, issue 6): then nothing is reported, and the figure says so."""

    tracked: bool
    open: int = 0
    overdue: tuple[ActionItem, ...] = ()


class Alert(Struct, frozen=True):
    """Something to act on; its sentence comes from report.toml ``[alerts]``, in the
    singular or the plural (``<code>_one``) as its number says, profiles by their label in
    the sentence's language."""

    # fading | fading_never | review | review_never | actions | profiles | ideas_idle |
    # ideas_never
    code: str
    values: Mapping[str, str] = field(default_factory=dict)
    profiles: tuple[str, ...] = ()  # "profiles": the missing profiles' names

    def message(self, lang: str) -> str:
        values = dict(self.values)
        if self.profiles:
            values["profiles"] = ", ".join(profile_display(p, lang) for p in self.profiles)
        count = self._count()
        if count is None:
            return report_text(f"alerts.{self.code}", lang, **values)
        values.pop("count", None)
        return counted_text(f"alerts.{self.code}", lang, count, **values)

    def _count(self) -> int | None:
        """The number the sentence agrees with (profiles, weeks, months, actions)."""
        if self.profiles:
            return len(self.profiles)
        number = _NUMBER.get(self.code, "")
        value = self.values.get(number, "")
        return int(value) if value.isdigit() else None


_NUMBER = {"fading": "weeks", "fading_never": "weeks", "review": "months",
           "review_never": "months", "actions": "count", "ideas_idle": "weeks",
           "ideas_never": "weeks"}  # what the sentence counts


class NewRow(Struct, frozen=True):
    kind: str
    label: str


class CommunityHealth(Struct, frozen=True):
    """Everything known of one community's health over ``since`` .. ``until``."""

    slug: str
    name: str
    lang: str
    since: str
    until: str
    as_of: str  # the day alerts and ages are judged at (not shown on published pages)
    members: int
    active: int
    edits: int
    added: int
    updated: int
    removed: int
    last_contribution: str | None
    cross_functional: bool
    required_profiles: tuple[str, ...]
    missing_profiles: tuple[str, ...]  # required profiles no member has
    profiles: tuple[ProfileFigure, ...]
    activity: tuple[KindActivity, ...]
    timeline: tuple[Bucket, ...]
    monthly: bool  # timeline buckets are months (else weeks)
    contributors: tuple[ContributorFigure, ...]
    freshness: tuple[Freshness, ...]
    actions: ActionsFigure
    alerts: tuple[Alert, ...]
    new_rows: tuple[NewRow, ...] = ()
    archived: bool = False  # its space is frozen: no activity alerts
    funnel: Funnel = field(default_factory=lambda: Funnel(tracked=False))  # its ideas

    def as_json(self) -> dict[str, Any]:
        """Plain JSON data, alerts with their sentence in the community's language."""
        data = to_builtins(self)
        data["alerts"] = [{"code": a.code, **a.values, "message": a.message(self.lang)}
                          for a in self.alerts]
        for match, found in zip(self.funnel.matches, data["funnel"]["matches"], strict=True):
            found["across"] = match.across
        return data
