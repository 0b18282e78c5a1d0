"""cop member add | remove: the records first, then the Members page (optimistic write)."""

from __future__ import annotations

import click

from connector.errors import CopError, UsageError
from sync.cli.app import App, GuardedGroup, common_options, exit_code, pass_app
from sync.community.registration import LEADERS, check_removable
from sync.engine.members import forget_member, members_pending, record_member, write_members_page
from sync.engine.pull import PageOutcome
from sync.records.model import Community


@click.group("member", cls=GuardedGroup)
def member() -> None:
    """Add or remove members (the Members page follows)."""


@member.command("add")
@common_options
@click.argument("slug")
@click.argument("email")
@click.option("--name", required=True, help="First and last name.")
@click.option("--profile", required=True,
              help="Function, from the profile vocabulary: marketing, R&D, sales, "
                   "production, purchasing, quality... (in English or French; cop.toml "
                   "[method.profiles] adds profiles). A typo is refused with a suggestion.")
@click.option("--role", type=click.Choice(["member", "pilot", "expert"]), default=None,
              help="Role (a new member: member). Pilot and expert are named with `cop "
                   "community set`.")
@click.option("--site", default=None, help="Plant, office or country (an option left out "
                                            "keeps what the member list holds).")
@click.option("--since", default=None, metavar="YYYY-MM-DD", help="Date joined (default: today).")
@pass_app
def add(app: App, slug: str, email: str, name: str, profile: str, role: str | None,
        site: str | None, since: str | None) -> None:
    """Add member EMAIL to community SLUG, or update their details (options left out keep
    what the member list holds). The pilot and the expert are named on the charter:
    `cop community set SLUG --pilot|--expert EMAIL`."""
    community = _open(app, slug)
    if not profile.strip():
        raise click.BadParameter("give the member's function (marketing, R&D, sales...)",
                                 param_hint="--profile")
    _check_role(community, email, role)
    with app.lock():
        action = record_member(app.records, app.templates, community,
                               {"email": email, "name": name, "profile": profile,
                                "role": role, "site": site, "since": since})
        click.echo(f"{email.lower()} {action} in {slug}")
        _write_page(app, slug)


@member.command("remove")
@common_options
@click.argument("slug")
@click.argument("email")
@pass_app
def remove(app: App, slug: str, email: str) -> None:
    """Remove member EMAIL from community SLUG (kept in the records as removed)."""
    community = _open(app, slug)
    check_removable(community, email)
    _ = app.templates  # checked before anything is written (exit 2 when broken)
    with app.lock():
        forget_member(app.records, community, email)
        click.echo(f"{email.lower()} removed from {slug}")
        _write_page(app, slug)


def _check_role(community: Community, email: str, role: str | None) -> None:
    """Pilot and expert are governance (the charter names them, PRODUCT.md §4): this
    command neither names one nor takes the role away from one."""
    key = email.strip().lower()
    for leader in LEADERS:
        holder = getattr(community, leader) == key
        if role == leader and not holder:
            raise UsageError(f"the {leader} of {community.slug} is named on its charter: "
                             f"`cop community set {community.slug} --{leader} {key}` (the "
                             f"current {leader} stays a member)")
        if holder and role not in (None, leader):
            raise UsageError(f"{key} is the {leader} of {community.slug} (on its charter): "
                             f"name a new {leader} first (`cop community set "
                             f"{community.slug} --{leader} EMAIL`)")


def _open(app: App, slug: str) -> Community:
    """The community, unless it is archived (its member list is frozen)."""
    community = app.community(slug)
    if community.archived:
        raise UsageError(f"{slug} is archived: its member list is frozen (`cop archive "
                         f"{slug} --undo` reopens it)")
    return community


def _write_page(app: App, slug: str) -> None:
    """The local change is committed; now the wiki. A wiki failure is not a loss: exit 1,
    or 2 when the wiki refused the login (the configuration's to fix, as for every
    command)."""
    community = app.community(slug)
    try:
        outcome = write_members_page(app.records, app.backend(community.backend),
                                     app.templates, community)
    except CopError as error:
        click.echo(f"cop: error: the Members page was not written ({error}); the change is "
                   "recorded and the next cop-sync writes it", err=True)
        raise SystemExit(exit_code([error])) from error
    if outcome is None:
        click.echo(f"the Members page is not on the wiki (not provisioned yet, or deleted "
                   f"there): `cop provision {slug}` writes it")
    elif outcome.error:
        click.echo(f"cop: error: {outcome.error}; the change is recorded: cop-sync writes "
                   "it as soon as the page allows", err=True)
        raise SystemExit(1)
    else:
        click.echo(f"Members page {outcome.page}: {outcome.pushed} change(s) written, "
                   f"{outcome.upserted} wiki change(s) read back")
        _explain_held(app, community, outcome)


def _explain_held(app: App, community: Community, outcome: PageOutcome) -> None:
    """Say why the records and the page still differ after the write, and exit 1: the
    command did not do all it was asked (the change stays recorded for the next sync)."""
    for conflict in outcome.conflicts:
        click.echo(f"cop: conflict on {conflict.key} {conflict.field}: wiki {conflict.wiki!r}, "
                   f"records {conflict.local!r} (left as is; `cop conflicts resolve` settles "
                   "it)", err=True)
    if not members_pending(app.records, community) and not outcome.conflicts:
        return
    why = _why_held(outcome) or f"see `cop status {community.slug}`"
    click.echo(f"cop: the member change is recorded but not on the wiki yet ({why}); the next "
               "cop-sync writes it once the page allows", err=True)
    raise SystemExit(1)


def _why_held(outcome: PageOutcome) -> str:
    """The reason the page does not have the change: the first that applies."""
    if outcome.conflicts:
        return "a conflict on this member, above"
    if outcome.refused_empty:  # not the sync's advice (--force-delete): not for this command
        return ("the Members page reads as empty where the records know it: moved on the "
                "wiki (the next cop-sync follows it and writes the change) or emptied (see "
                "`cop status`)")
    return "; ".join([*(str(problem) for problem in outcome.errors[:3]),
                      *([outcome.notice] if outcome.notice else [])])
