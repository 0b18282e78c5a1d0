"""Community health, computed (pure) from what the records hold: the rows with their times,
the members, and people's edits read from the wiki's history (sync/results/history.py).

Row times are sync times (``first_seen``, ``updated_at``, ``deleted_at``: when cop-sync saw
the change, minutes after it was made when cop-sync runs from cron); edit times are the
wiki's own. Only a row's last update is known, so "rows updated" counts rows, not edits; the
wiki's history gives the edits.

Activity is per page: a seminar page's attendance and actions count on it, and every edit
of the period is on a line (the charter, the home page and the space's other pages once
edited), so that the table adds up to the totals.

Alerts are judged at ``now`` (not over the report's period): a community fades when nobody
contributed for ``fading_weeks``; a page is overdue when its kind was not reviewed (a
person's edit of the page, or a row change) within its review period, counted from the
community's creation when it never was; seminar actions past their due date; required
profiles missing among the members. An archived community has no alert: its space is frozen.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, timedelta

from msgspec import Struct

from page_templates.report import report_text
from sync.config.health import HealthConfig
from sync.records.model import Community, Entry
from sync.results.funnel.compute import FunnelInput, funnel
from sync.results.funnel.model import Funnel
from sync.results.health.model import (
    OTHER_PAGES,
    UNKNOWN,
    ActionItem,
    ActionsFigure,
    Alert,
    Bucket,
    CommunityHealth,
    ContributorFigure,
    Freshness,
    KindActivity,
    NewRow,
)
from sync.results.health.profiles import profile_figures
from sync.results.history import RESULTS, StoredContribution
from sync.results.people import Member, MemberFinder, canonical_profile

ACTIONS_KIND = "actions"  # the seminar actions of issue 6, once the records have them
ACTIONS_DUE = "due"
ACTIONS_DONE = frozenset({"done", "closed", "cancelled"})
MONTHLY_AFTER_WEEKS = 26  # a longer period is charted per month


class HealthInput(Struct, frozen=True):
    """What the records hold for one community (gathered by sync/results/health/run.py)."""

    community: Community
    members: tuple[Member, ...]
    entries: tuple[Entry, ...]  # every row of every kind, removed ones too
    contributions: tuple[StoredContribution, ...]
    titles: Mapping[str, str]  # row kind -> page title in the community's language
    fields: Mapping[str, tuple[str, ...]]  # row kind -> its field names
    actions: tuple[Mapping[str, str], ...] | None = None  # None: no actions kind yet
    accounts: Mapping[str, str] | None = None  # Confluence e-mail -> account id
    # Every page of the community, page key -> title, in page order (None: ``titles``).
    # Pages holding rows are always in the activity table, the others (home, charter) once
    # people edited them in the period; edits of the space's other pages come last.
    pages: Mapping[str, str] | None = None
    # Row kind -> the page key its rows are on ("attendance@2027" -> "seminar@2027");
    # None, or a kind not named: its own page.
    row_pages: Mapping[str, str] | None = None
    funnel: FunnelInput | None = None  # its subjects (None: no Ideas page in the templates)


def compute(data: HealthInput, config: HealthConfig, since: str, now: str) -> CommunityHealth:
    """The community's figures from ``since`` (a date) on and its alerts at ``now``. Times
    after ``now`` count too: a wiki's clock may run ahead of ours."""
    start = since[:10] + "T00:00:00Z"
    finder = MemberFinder(data.members, config.users, data.accounts)
    edits = [c for c in data.contributions if start <= c.at and c.kind != RESULTS]
    events = list(_row_events(data.entries))
    row_pages = _row_pages(data)
    in_period = [(row_pages.get(kind, kind), what, at) for kind, what, at in events
                 if start <= at]  # per page: a seminar page's attendance and actions
    contributors = _contributors(edits, finder, config)
    activity = _activity(data, row_pages, in_period, edits)
    freshness = tuple(_freshness(data, config, events, now))
    actions = _actions(data.actions, now)
    last = _last_contribution(data.entries, data.contributions)
    profiles, missing = profile_figures(data.members, contributors, config.required_profiles,
                                        config.vocabulary)
    active_profiles = {c.profile for c in contributors}
    monthly = _days(start, now) > MONTHLY_AFTER_WEEKS * 7
    stamps = [e[2] for e in in_period] + [c.at for c in edits]
    end = max([now, *stamps])
    ideas = funnel(data.funnel, start, now) if data.funnel else Funnel(tracked=False)
    alerts = _alerts(data.community, config, last, freshness, actions, missing, now)
    idle = _idle(data.community, config, data.funnel, ideas, now)
    return CommunityHealth(
        slug=data.community.slug, name=data.community.name, lang=data.community.lang,
        since=since[:10], until=max([start, *stamps])[:10], as_of=now[:10],
        members=len(data.members), active=len(contributors), edits=len(edits),
        added=sum(a.added for a in activity), updated=sum(a.updated for a in activity),
        removed=sum(a.removed for a in activity),
        last_contribution=last[:10] if last else None,
        cross_functional=set(config.required_profiles) <= active_profiles,
        required_profiles=tuple(config.required_profiles), missing_profiles=missing,
        profiles=profiles, activity=activity,
        timeline=_timeline(in_period, edits, start, end, monthly), monthly=monthly,
        contributors=contributors, freshness=freshness, actions=actions,
        alerts=alerts + idle, new_rows=tuple(_new_rows(data, row_pages, start)),
        archived=data.community.archived, funnel=ideas)


# --- rows and edits ---------------------------------------------------------------------------

def _row_events(entries: Iterable[Entry]) -> Iterable[tuple[str, str, str]]:
    """(kind, "added" | "updated" | "removed", time) for each change the records saw."""
    for entry in entries:
        yield entry.kind, "added", entry.first_seen
        if entry.deleted_at:
            yield entry.kind, "removed", entry.deleted_at
        if entry.updated_at not in (entry.first_seen, entry.deleted_at):
            yield entry.kind, "updated", entry.updated_at


def _row_pages(data: HealthInput) -> dict[str, str]:
    """Row kind -> the page key its rows are on."""
    return {kind: kind for kind in data.titles} | dict(data.row_pages or {})


def _activity(data: HealthInput, row_pages: Mapping[str, str],
              events: Sequence[tuple[str, str, str]],
              edits: Sequence[StoredContribution]) -> tuple[KindActivity, ...]:
    """Per page: the row changes on it and people's edits of it. Every edit of the period
    is on one line, so the lines add up to the totals: pages with rows always, other pages
    of the community when edited, then the space's other pages."""
    pages = data.pages if data.pages is not None else data.titles
    with_rows = set(row_pages.values())
    counts = Counter((page, what) for page, what, _ in events)
    edited = Counter(row_pages.get(c.kind, c.kind) for c in edits)
    found = [KindActivity(key, title, counts[key, "added"], counts[key, "updated"],
                          counts[key, "removed"], edited[key])
             for key, title in pages.items() if key in with_rows or edited[key]]
    elsewhere = sum(n for key, n in edited.items() if key not in pages)
    if elsewhere:
        found.append(KindActivity(OTHER_PAGES, report_text("other_pages",
                                                           data.community.lang),
                                  edits=elsewhere))
    return tuple(found)


def _contributors(edits: Sequence[StoredContribution], finder: MemberFinder,
                  config: HealthConfig) -> tuple[ContributorFigure, ...]:
    """People who edited in the period, most edits first (one person, several accounts:
    counted once when the accounts map to the same member)."""
    grouped: dict[str, list[StoredContribution]] = defaultdict(list)
    who: dict[str, tuple[str, str | None, str]] = {}
    for edit in edits:
        member = finder.member(edit.user, edit.name)
        key = member.email if member else f"user:{edit.user}"
        grouped[key].append(edit)
        if member:
            who[key] = (member.name or member.email, member.email,
                        canonical_profile(member.profile, config.required_profiles,
                                          config.vocabulary))
        else:
            who.setdefault(key, (edit.name or edit.user, None, UNKNOWN))
    figures = [ContributorFigure(user=found[-1].user, name=who[key][0], email=who[key][1],
                                 profile=who[key][2], edits=len(found),
                                 last=max(c.at for c in found)[:10])
               for key, found in grouped.items()]
    return tuple(sorted(figures, key=lambda f: (-f.edits, f.name.casefold())))


def _last_contribution(entries: Iterable[Entry],
                       contributions: Iterable[StoredContribution]) -> str | None:
    """The last sign of members' activity: an edit in the wiki's history, or a change to a
    row that came from the wiki (rows made by command are the innovation manager's)."""
    wiki_rows = [e for e in entries if e.origin == "wiki"]
    stamps = [c.at for c in contributions if c.kind != RESULTS] + [
        t for _, _, t in _row_events(wiki_rows)]
    return max(stamps) if stamps else None


def _timeline(events: Sequence[tuple[str, str, str]], edits: Sequence[StoredContribution],
              start: str, end: str, monthly: bool) -> tuple[Bucket, ...]:
    """Every week (Monday) or month from ``start`` to ``end``, empty ones included."""
    starts = _bucket_starts(start, end, monthly)
    rows: dict[str, Counter[str]] = {s: Counter() for s in starts}
    edited: Counter[str] = Counter()
    for kind, what, stamp in events:
        if what != "removed":
            rows[_bucket(stamp, monthly)][kind] += 1
    for edit in edits:
        edited[_bucket(edit.at, monthly)] += 1
    return tuple(Bucket(s, dict(rows[s]), edited[s]) for s in starts)


def _bucket(stamp: str, monthly: bool) -> str:
    day = date.fromisoformat(stamp[:10])
    first = day.replace(day=1) if monthly else day - timedelta(days=day.weekday())
    return first.isoformat()


def _bucket_starts(start: str, end: str, monthly: bool) -> list[str]:
    current, last = _bucket(start, monthly), _bucket(end, monthly)
    starts = [current]
    while current < last:
        day = date.fromisoformat(current)
        current = (add_months(day, 1) if monthly else day + timedelta(days=7)).isoformat()
        starts.append(current)
    return starts


def _new_rows(data: HealthInput, row_pages: Mapping[str, str],
              start: str) -> Iterable[NewRow]:
    """The rows first seen in the period, by page."""
    for entry in data.entries:
        if entry.live and start <= entry.first_seen and entry.kind in row_pages:
            fields = data.fields.get(entry.kind) or \
                data.fields.get(entry.kind.partition("@")[0], ())
            yield NewRow(row_pages[entry.kind], row_label(entry.data, fields))


def row_label(values: Mapping[str, str], fields: Sequence[str]) -> str:
    """A row in a few words: its title or name, else its first two fields."""
    found = values.get("title") or values.get("name")
    return found or " — ".join(v for v in (values.get(f, "") for f in fields[:2]) if v)


# --- freshness, actions, alerts -----------------------------------------------------------------

def _freshness(data: HealthInput, config: HealthConfig,
               events: Sequence[tuple[str, str, str]], now: str) -> Iterable[Freshness]:
    for kind, title in data.titles.items():
        if kind == "members":
            continue
        stamps = [t for k, _, t in events if k == kind] + [
            c.at for c in data.contributions if c.kind == kind]
        last = max(stamps)[:10] if stamps else None
        months = config.review_months.get(kind)
        if months is None:
            yield Freshness(kind, title, last, None, None, "free")
            continue
        origin = date.fromisoformat(last or data.community.created_at[:10])
        due = add_months(origin, months).isoformat()
        yield Freshness(kind, title, last, months, due, "overdue" if now[:10] > due else "ok")


def _actions(rows: Sequence[Mapping[str, str]] | None, now: str) -> ActionsFigure:
    if rows is None:
        return ActionsFigure(tracked=False)
    open_rows = [r for r in rows if (r.get("status") or "").casefold() not in ACTIONS_DONE]
    overdue = tuple(ActionItem(r.get("title") or r.get("action") or "", r[ACTIONS_DUE])
                    for r in open_rows if r.get(ACTIONS_DUE) and r[ACTIONS_DUE] < now[:10])
    return ActionsFigure(tracked=True, open=len(open_rows), overdue=overdue)


def _alerts(community: Community, config: HealthConfig, last: str | None,
            freshness: Sequence[Freshness], actions: ActionsFigure,
            missing: Sequence[str], now: str) -> tuple[Alert, ...]:
    if community.archived:  # its space is frozen: no activity to expect
        return ()
    alerts: list[Alert] = []
    weeks = str(config.fading_weeks)
    since = last or community.created_at
    if since and _days(since, now) > config.fading_weeks * 7:
        code = "fading" if last else "fading_never"
        alerts.append(Alert(code, {"date": since[:10], "weeks": weeks}))
    for item in freshness:
        if item.state == "overdue":
            code = "review" if item.last_reviewed else "review_never"
            alerts.append(Alert(code, {"page": item.title, "date": item.last_reviewed or "",
                                       "due": item.due or "", "months": str(item.months)}))
    if actions.overdue:
        alerts.append(Alert("actions", {"count": str(len(actions.overdue))}))
    if missing:
        alerts.append(Alert("profiles", {"profiles": ", ".join(missing)}, profiles=missing))
    return tuple(alerts)


def _idle(community: Community, config: HealthConfig, data: FunnelInput | None,
          ideas: Funnel, now: str) -> tuple[Alert, ...]:
    """A community that raised no subject for ``ideas_weeks``: counted from its last
    subject, else from when its Ideas page was opened (never from before it existed)."""
    if community.archived or data is None or data.opened is None:
        return ()
    opened = data.opened or community.created_at
    since = max(ideas.last_raised or "", opened[:10])
    if not since or _days(since, now) <= config.ideas_weeks * 7:
        return ()
    code = "ideas_idle" if ideas.last_raised else "ideas_never"
    return (Alert(code, {"date": since[:10], "weeks": str(config.ideas_weeks)}),)


def add_months(day: date, months: int) -> date:
    """``day`` plus whole months, the day clamped to the month's length (Aug 31 + 6 = Feb 28)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    for candidate in range(day.day, 27, -1):
        try:
            return day.replace(year=year, month=month, day=candidate)
        except ValueError:
            continue
    return day.replace(year=year, month=month, day=min(day.day, 28))


def _days(start: str, end: str) -> int:
    return (date.fromisoformat(end[:10]) - date.fromisoformat(start[:10])).days
