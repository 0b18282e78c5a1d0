"""cop provision SLUG | --all [--upgrade] [--dry-run]: plan the space, print the plan, apply it."""

from __future__ import annotations

import click

from connector.errors import UsageError
from sync.cli.app import App, GuardedCommand, common_options, pass_app
from sync.provision.run import Provisioner, ProvisionReport

SYMBOLS = {"create": "+", "update": "~", "upgrade": "^", "skip": "=", "adopt": "?",
           "drift": "!"}


@click.command("provision", cls=GuardedCommand)
@common_options
@click.argument("slug", required=False)
@click.option("--all", "all_", is_flag=True, help="Every community.")
@click.option("--upgrade", is_flag=True,
              help="Bring existing pages to the current templates: only the template's "
                   "sections, help, table header and row templates change; rows and "
                   "members' text stay as they are; a section edited by hand is kept.")
@click.option("--dry-run", is_flag=True, help="Print the plan; write nothing.")
@pass_app
def provision(app: App, slug: str | None, all_: bool, upgrade: bool, dry_run: bool) -> None:
    """Create or update the community's space and pages from the page templates.

    Pages are created when missing; pages members edited are never overwritten. A run when
    nothing changed writes nothing. With --upgrade, existing pages are brought to the
    current templates (the plan shows per page what changes); run it again after an
    interruption."""
    if bool(slug) == all_:
        raise UsageError("give a community SLUG or --all, not both" if all_
                         else "give a community SLUG or --all")
    templates = app.templates  # loaded and validated before anything is written
    communities = app.records.communities() if all_ else [app.community(slug or "")]
    if not all_ and communities[0].archived:
        raise UsageError(f"{slug} is archived: its space is frozen (`cop archive {slug} "
                         "--undo` reopens it)")
    exit_code = 0
    with app.lock():
        for backend_name in sorted({c.backend for c in communities}):
            group = [c for c in communities if c.backend == backend_name]
            provisioner = Provisioner(app.records, app.backend(backend_name), templates,
                                      upgrade=upgrade)
            report = provisioner.run(group, dry_run=dry_run)
            _print(report, dry_run)
            exit_code = max(exit_code, _exit_code(report, len(group)))
    raise SystemExit(exit_code)


def _print(report: ProvisionReport, dry_run: bool) -> None:
    for slug, error in (*report.community_errors.items(), *report.incomplete.items()):
        click.echo(f"{slug}: {error}", err=True)
    for slug, notices in report.notices.items():
        for notice in notices:
            click.echo(f"{slug}: {notice}", err=True)
    for spec in report.new_spaces:
        click.echo(f"+ create  space {spec.space} ({spec.name})")
    failed = {id(action): error for action, error in report.failed}
    for action in report.actions:
        line = f"{SYMBOLS[action.op]} {action.op:7} {action.ref}  ({action.reason})"
        if id(action) in failed:
            line += f"  FAILED: {failed[id(action)]}"
        click.echo(line)
        for note in action.notes:
            click.echo(f"    ! {note}")
    writes = sum(a.writes for a in report.actions)
    verb = "would write" if dry_run else "wrote"
    done = writes if dry_run else sum(a.writes for a in report.done)
    click.echo(f"{verb} {done} page(s); {len(report.actions) - writes} left as they are"
               + (" (dry run: nothing written)" if dry_run else ""))
    if report.stopped:
        click.echo(f"provisioning {report.stopped}", err=True)


def _exit_code(report: ProvisionReport, communities: int) -> int:
    """A lone community that cannot be provisioned exits with its error's code (2 for a
    missing namespace: a configuration matter); otherwise 1 when anything failed."""
    if communities == 1 and report.community_errors:  # (archived ones are only noticed)
        return next(iter(report.community_errors.values())).exit_code
    return report.exit_code
