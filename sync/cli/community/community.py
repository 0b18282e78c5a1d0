"""cop community add | list | show."""

from __future__ import annotations

import click
from msgspec.structs import asdict, replace

from connector.errors import CopError, UsageError
from sync.cli.app import App, GuardedGroup, common_options, pass_app, stops_every_run
from sync.cli.output import echo_json, echo_table
from sync.clock import utc_now
from sync.community.lifecycle import activate as activate_community
from sync.community.registration import (
    LEADERS,
    NewCommunity,
    add_community,
    add_warnings,
    set_leaders,
)
from sync.engine.members import write_members_page
from sync.method.values import clean
from sync.provision.run import Provisioner
from sync.records.model import Community
from sync.results.status import community_status, last_sync_errors


@click.group("community", cls=GuardedGroup)
def community() -> None:
    """Register and inspect communities of practice."""


@community.command("add")
@common_options
@click.argument("slug")
@click.option("--name", required=True, help="Name of the community.")
@click.option("--theme", default="",
              help="Innovation theme (from the strategic axes); optional with --from-theme.")
@click.option("--from-theme", "from_theme", default=None, metavar="SLUG",
              help="An approved theme (`cop theme list`): its title and strategic axis fill "
                   "the charter's theme and axes.")
@click.option("--pilot", required=True, metavar="EMAIL", help="Pilot's e-mail.")
@click.option("--expert", required=True, metavar="EMAIL", help="Theme expert's e-mail.")
@click.option("--sponsor", default="", help="Sponsor (top management).")
@click.option("--account", default="", metavar="CODE", help="Analytic (cost) account.")
@click.option("--backend", type=click.Choice(["mediawiki", "confluence"]), default=None,
              help="Where its space lives (default: from cop.toml).")
@click.option("--lang", default=None, metavar="LANG",
              help="Language of its pages: fr, en, or one the company's templates add "
                   "(default: from cop.toml).")
@click.option("--force", is_flag=True,
              help="Register it even past [method] max_communities (default 4).")
@pass_app
def add(app: App, slug: str, force: bool, **options: str) -> None:
    """Register community SLUG (lifecycle: proposed, until provisioned); its pilot and
    expert become its first members. The first community registered is the pilot: the
    method starts with one, then deploys to the other themes."""
    warnings = add_warnings(app.records, slug)
    created = add_community(app.records, app.config,
                            NewCommunity(slug=slug, force=force, **options),
                            languages=app.templates.languages)
    for warning in warnings:
        click.echo(f"cop: warning: {warning}", err=True)
    click.echo(f"community {created.slug} added ({created.backend}, space {created.space}, "
               f"{created.lang})")
    click.echo(f"lifecycle: {created.status}" + (
        " (the pilot community: the method starts with it)" if created.is_pilot else ""))
    if created.backend == "mediawiki":
        click.echo(f"namespace {created.space} = {created.namespace_id}: add it to "
                   "LocalSettings.php (`cop mediawiki namespaces`), then "
                   f"`cop provision {created.slug}`")
    else:
        click.echo(f"next: cop provision {created.slug}")


@community.command("list")
@common_options
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
def list_(app: App, as_json: bool) -> None:
    """All communities, with their space and state."""
    last_errors = last_sync_errors(app.records)  # the last run's report, read once
    statuses = [community_status(app.records, app.templates, c, last_errors=last_errors)
                for c in app.records.communities()]
    if as_json:
        echo_json([{k: s[k] for k in ("slug", "name", "backend", "space", "lang", "status",
                                      "provisioned", "rows", "watermark")} for s in statuses])
        return
    if not statuses:
        click.echo("no communities yet: cop community add SLUG --name ... (see --help)")
        return
    echo_table(["slug", "name", "backend", "space", "lang", "status", "members",
                "provisioned", "last sync"],
               [[s["slug"], s["name"], s["backend"], s["space"], s["lang"], s["status"],
                 s["rows"].get("members", 0), s["provisioned"], s["watermark"]]
                for s in statuses])


@community.command("show")
@common_options
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
def show(app: App, slug: str, as_json: bool) -> None:
    """One community: charter fields, pages, members and row counts."""
    found = app.community(slug)
    status = community_status(app.records, app.templates, found)
    members = app.records.live_rows(slug, "members")
    if as_json:
        echo_json({**asdict(found), "pages": status["pages"], "rows": status["rows"],
                   "members": list(members.values())})
        return
    for name in ("slug", "name", "theme", "axes", "pilot", "expert", "sponsor", "status",
                 "account", "backend", "lang", "space", "objectives", "scope"):
        click.echo(f"{name + ':':12} {getattr(found, name) or '-'}")
    if found.is_pilot:
        click.echo(f"{'rollout:':12} the pilot community")
    for decision in app.records.decisions("community", slug):
        click.echo(f"{'lifecycle:':12} {decision.at[:10]} {decision.previous or '-'} -> "
                   f"{decision.decision} ({decision.decided_by}: {decision.note})")
    click.echo("")
    echo_table(["page", "state", "revision"],
               [[p["page"] or p["kind"], p["state"], p["revision"]] for p in status["pages"]])
    click.echo("")
    echo_table(["email", "name", "profile", "role", "site", "since"],
               [[m.get(k, "") for k in ("email", "name", "profile", "role", "site", "since")]
                for m in members.values()])
    click.echo("")
    click.echo("rows: " + ", ".join(f"{kind} {count}" for kind, count in status["rows"].items()))


@community.command("activate")
@common_options
@click.argument("slug")
@pass_app
def activate(app: App, slug: str) -> None:
    """End the pilot stage of the pilot community SLUG (pilot -> active): the method then
    deploys to the other approved themes."""
    with app.lock():
        changed = activate_community(app.records, app.community(slug),
                                     by="cop community activate", now=utc_now())
        click.echo(f"{slug} is {changed.status}: the pilot stage is over")
        _write_charter(app, changed)


@community.command("set")
@common_options
@click.argument("slug")
@click.option("--pilot", default=None, metavar="EMAIL",
              help="New pilot: a member (or made one) with the role pilot; the previous "
                   "pilot stays a member.")
@click.option("--expert", default=None, metavar="EMAIL",
              help="New theme expert: a member (or made one) with the role expert; the "
                   "previous expert stays a member.")
@click.option("--sponsor", default=None, help="Sponsor (top management).")
@click.option("--account", default=None, metavar="CODE", help="Analytic (cost) account.")
@pass_app
def set_(app: App, slug: str, pilot: str | None, expert: str | None, sponsor: str | None,
         account: str | None) -> None:
    """Change the governance fields of SLUG that the records own: pilot, expert, sponsor,
    analytic account. Its charter is written at once when it is on the wiki (else at the
    next `cop provision`); a new pilot or expert also goes on the Members page."""
    found = app.community(slug)
    changes = {name: clean(f"--{name}", value) for name, value in
               (("sponsor", sponsor), ("account", account)) if value is not None}
    leaders = pilot is not None or expert is not None
    if not changes and not leaders:
        raise click.UsageError("nothing to set: give --pilot, --expert, --sponsor or --account")
    if leaders and found.archived:
        raise UsageError(f"{slug} is archived: its member list is frozen (`cop archive "
                         f"{slug} --undo` reopens it)")
    _ = app.templates  # checked before anything is written (exit 2 when broken)
    with app.lock():
        changed = replace(found, updated_at=utc_now(), **changes)
        if leaders:
            changed = set_leaders(app.records, changed, pilot=pilot, expert=expert,
                                  expected=found)
        else:
            app.records.save_community(changed, expected=found)
        shown = {**changes, **{role: getattr(changed, role) for role in LEADERS
                               if getattr(changed, role) != getattr(found, role)}}
        click.echo(f"{slug}: " + (", ".join(f"{k} {v!r}" for k, v in shown.items())
                                  or "unchanged"))
        members = app.records.live_rows(slug, "members")
        for role in LEADERS:
            before = getattr(found, role)
            if before not in (changed.pilot, changed.expert) and before in members:
                click.echo(f"{before}, {role} before, stays a member of {slug} (role member)")
        _write_charter(app, changed)
        if (changed.pilot, changed.expert) != (found.pilot, found.expert):
            _write_members(app, changed)


def _write_members(app: App, community: Community) -> None:
    """The roles changed in the records: the Members page follows now when it is on the
    wiki (a failure is only reported: the next cop-sync writes it)."""
    try:
        outcome = write_members_page(app.records, app.backend(community.backend),
                                     app.templates, community)
    except CopError as error:
        click.echo(f"cop: warning: the Members page was not written ({error}); the next "
                   "cop-sync writes it", err=True)
        _stop_if_misconfigured(error)
        return
    if outcome is None:
        return
    if outcome.error:
        click.echo(f"cop: warning: the Members page was not written ({outcome.error}); the "
                   "next cop-sync writes it", err=True)
    else:
        click.echo(f"Members page {outcome.page}: {outcome.pushed} change(s) written")


def _stop_if_misconfigured(error: CopError) -> None:
    """The records changed, the wiki did not follow: a warning (exit 0), unless the wiki
    refused the login or the secret is missing, exit 2 as from every command."""
    if stops_every_run(error):
        raise SystemExit(error.exit_code)


def _write_charter(app: App, community: Community) -> None:
    """The records changed: the charter follows now (a wiki failure is only reported:
    `cop provision` writes it later)."""
    if community.archived or not app.records.page_states(community.slug):
        return
    try:
        written = Provisioner(app.records, app.backend(community.backend),
                              app.templates).write_charter(community)
    except CopError as error:
        click.echo(f"cop: warning: the charter was not written ({error}); `cop provision "
                   f"{community.slug}` writes it", err=True)
        _stop_if_misconfigured(error)
        return
    if written is not None:
        click.echo(f"charter {written.ref} updated ({written.reason})")
