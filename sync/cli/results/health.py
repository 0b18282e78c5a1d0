"""cop health [SLUG] [--json]: each community's health figures and alerts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import click

from connector.errors import UsageError
from sync.cli.app import App, GuardedCommand, common_options, exit_code, pass_app
from sync.cli.dates import ISO_DATE
from sync.cli.output import echo_json
from sync.clock import utc_now
from sync.records.model import Community
from sync.results.health.model import CommunityHealth
from sync.results.health.run import HistoryRead, all_health, default_since, read_history
from sync.results.report.document import profile_label

SINCE_HELP = "Start of the period (YYYY-MM-DD)"


@click.command("health", cls=GuardedCommand)
@common_options
@click.argument("slug", required=False)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--since", type=ISO_DATE, default=None,
              help=f"{SINCE_HELP}; default: [health] history_days (90) days ago. A date "
                   "after today is refused.")
@click.option("--no-wiki", is_flag=True,
              help="Do not ask the wikis for their latest history: the records only.")
@pass_app
def health(app: App, slug: str | None, as_json: bool, since: datetime | None,
           no_wiki: bool) -> None:
    """Members and active contributors by profile, activity per page, freshness against
    the review periods, seminar actions, and alerts (a fading community, a page overdue
    for review, missing profiles). Reads people's edits from the wikis' history first
    (stored in the records) unless --no-wiki."""
    communities = [app.community(slug)] if slug else app.records.communities()
    now = utc_now()
    start = period_start(since, now) or default_since(app.config, now)
    read = HistoryRead() if no_wiki else history(app, communities)
    healths = all_health(app.records, app.templates, app.config, communities, since=start,
                         now=now)
    if as_json:
        echo_json({"as_of": now, "since": start, "history_errors": read.errors,
                   "communities": [h.as_json() for h in healths]})
    else:
        for figures in healths:
            print_health(figures)
    raise SystemExit(exit_code(read.failures))


def period_start(since: datetime | None, now: str) -> str | None:
    """``--since`` as YYYY-MM-DD (None when not given). A day after today (UTC) is refused
    (UsageError, exit 2): the period would hold nothing, which is never what was meant."""
    if since is None:
        return None
    today = now[:10]
    start = since.date().isoformat()
    if start > today:
        raise UsageError(f"--since {start} is in the future (today is {today}, UTC): the "
                         "period would be empty")
    return start


def history(app: App, communities: Sequence[Community]) -> HistoryRead:
    """Read the wikis' history into the records; a wiki that fails is said on stderr."""
    read = read_history(app.records, app.backend, app.templates, app.config, communities)
    for name, error in read.errors.items():
        click.echo(f"cop: {name}: the wiki's history could not be read ({error}); figures "
                   "from the records only", err=True)
    return read


def print_health(h: CommunityHealth) -> None:
    lang = "en"  # the terminal speaks English, like every other command
    click.echo(f"\n{h.slug} — {h.name} ({h.since} .. {h.as_of})")
    click.echo(f"  members {h.members}, active contributors {h.active} (cross-functional: "
               f"{'yes' if h.cross_functional else 'no'}), wiki edits {h.edits}")
    click.echo(f"  rows: added {h.added}, updated {h.updated}, removed {h.removed}; "
               f"last contribution {h.last_contribution or 'never'}")
    click.echo("  profiles (members/active): " + ", ".join(
        f"{profile_label(p.profile, lang)} {p.members}/{p.active}" for p in h.profiles))
    click.echo("  activity: " + ", ".join(
        f"{a.kind or 'other pages'} +{a.added} ~{a.updated} -{a.removed} "
        f"({a.edits} edit{'' if a.edits == 1 else 's'})" for a in h.activity))
    if h.contributors:
        click.echo("  contributors: " + ", ".join(
            f"{c.name} {_parenthesized(profile_label(c.profile, lang))} {c.edits}"
            for c in h.contributors))
    for item in h.freshness:
        due = f", due {item.due} ({item.state})" if item.due else ""
        click.echo(f"  freshness: {item.kind} last reviewed {item.last_reviewed or 'never'}"
                   f"{due}")
    click.echo("  actions: " + (f"{h.actions.open} open, {len(h.actions.overdue)} overdue"
                                if h.actions.tracked else
                                "not tracked yet (no actions page): none reported"))
    if h.funnel.tracked:
        stages = ", ".join(f"{s.stage} {s.count}" for s in h.funnel.stages)
        click.echo(f"  ideas: {stages}; raised in the period {h.funnel.raised}, waiting "
                   f"for a project code {len(h.funnel.handover)}")
    if h.archived:
        click.echo("  archived: its space is frozen, no activity alerts")
    for alert in h.alerts:
        click.echo(f"  ! {alert.message(lang)}")


def _parenthesized(label: str) -> str:
    """``(sales)``; a label in parentheses already ("(not identified)") as it is."""
    return label if label.startswith("(") else f"({label})"
