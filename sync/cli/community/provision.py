"""cop provision SLUG | --all [--upgrade] [--dry-run]: plan the space, print the plan, apply it."""

from __future__ import annotations

import click

from connector.errors import UsageError
from sync.cli.app import App, GuardedCommand, common_options, exit_code, pass_app
from sync.cli.progress import watched
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
@click.option("--restore-sections", is_flag=True,
              help="With --upgrade: add back the template sections members deleted from "
                   "their pages (otherwise reported and left out).")
@click.option("--dry-run", is_flag=True, help="Print the plan; write nothing.")
@pass_app
def provision(app: App, slug: str | None, all_: bool, upgrade: bool, restore_sections: bool,
              dry_run: bool) -> None:
    """Create or update the community's space and pages from the page templates.

    Pages are created when missing; pages members edited are never overwritten. A run when
    nothing changed writes nothing. With --upgrade, existing pages are brought to the
    current templates (the plan shows per page what changes); run it again after an
    interruption. On a terminal a progress bar shows the pages written; Ctrl-C stops
    after the current page (exit 130) and the same command finishes the rest."""
    if restore_sections and not upgrade:
        raise UsageError("--restore-sections goes with --upgrade")
    if bool(slug) == all_:
        raise UsageError("give a community SLUG or --all, not both" if all_
                         else "give a community SLUG or --all")
    templates = app.templates  # loaded and validated before anything is written
    communities = app.records.communities() if all_ else [app.community(slug or "")]
    if not all_ and communities[0].archived:
        raise UsageError(f"{slug} is archived: its space is frozen (`cop archive {slug} "
                         "--undo` reopens it)")
    reports = []
    with app.lock(), watched(app, show=not dry_run) as monitor:
        for backend_name in sorted({c.backend for c in communities}):
            if monitor.stopping():
                break
            group = [c for c in communities if c.backend == backend_name]
            provisioner = Provisioner(app.records, app.backend(backend_name), templates,
                                      upgrade=upgrade, restore=restore_sections,
                                      monitor=monitor)
            reports.append((provisioner.run(group, dry_run=dry_run), len(group)))
        stopped = monitor.stopping()
    for report, _ in reports:  # once the progress bar is gone: its line is not theirs
        _print(report, dry_run)
    code = max((_exit_code(report, size) for report, size in reports), default=0)
    raise SystemExit(exit_code(interrupted=True) if stopped else code)


def _print(report: ProvisionReport, dry_run: bool) -> None:
    for slug, error in (*report.community_errors.items(), *report.incomplete.items()):
        click.echo(f"{slug}: {error}", err=True)
    for slug, notices in report.notices.items():
        for notice in notices:
            click.echo(f"{slug}: {notice}", err=True)
    for spec in report.new_spaces:
        click.echo(f"+ create  space {spec.space} ({spec.name})")
    _print_plan(report)
    writes = sum(a.writes for a in report.actions)
    verb = "would write" if dry_run else "wrote"
    done = writes if dry_run else sum(a.writes for a in report.done)
    click.echo(f"{verb} {done} page(s); {len(report.actions) - writes} left as they are"
               + (" (dry run: nothing written)" if dry_run else ""))
    if report.interrupted:
        left = sum(action.writes for action in report.left)
        click.echo(f"cop: stopped (Ctrl-C) with {left} page(s) not written; run the same "
                   "command again to finish" if left else
                   "cop: stopped (Ctrl-C), with nothing left to write", err=True)
    if report.stopped:
        click.echo(f"provisioning {report.stopped}", err=True)


def _print_plan(report: ProvisionReport) -> None:
    """One line per action, with what failed and what an interruption left."""
    failed = {id(action): error for action, error in report.failed}
    left = {id(action) for action in report.left} if report.interrupted else set()
    for action in report.actions:
        line = f"{SYMBOLS[action.op]} {action.op:7} {action.ref}  ({action.reason})"
        if id(action) in failed:
            line += f"  FAILED: {failed[id(action)]}"
        if id(action) in left:
            line += "  (not done: stopped)"
        click.echo(line)
        for note in action.notes:
            click.echo(f"    ! {note}")


def _exit_code(report: ProvisionReport, communities: int) -> int:
    """A lone community that cannot be provisioned exits with its error's code (2 for a
    missing namespace: a configuration matter); otherwise as every command does (2 for a
    refused login, 1 when anything failed)."""
    if communities == 1 and report.community_errors:  # (archived ones are only noticed)
        return next(iter(report.community_errors.values())).exit_code
    return exit_code(report.community_errors.values(), partial=bool(report.exit_code))
