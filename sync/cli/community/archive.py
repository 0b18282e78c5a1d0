"""cop archive SLUG [--undo] [--to DIR]: freeze a community's space and keep a snapshot."""

from __future__ import annotations

from pathlib import Path

import click

from sync.cli.app import App, GuardedCommand, common_options, exit_code, pass_app
from sync.cli.progress import watched
from sync.clock import utc_now
from sync.engine.outcome import SyncReport
from sync.engine.run import Syncer, SyncOptions
from sync.method.archive import archive as archive_community
from sync.method.archive import default_directory, refuse_archived, reopen
from sync.progress import Monitor

DEFAULT_BASE = "archives"


@click.command("archive", cls=GuardedCommand)
@common_options
@click.argument("slug")
@click.option("--undo", is_flag=True, help="Reopen an archived community.")
@click.option("--to", "directory", type=click.Path(file_okay=False, path_type=Path),
              default=None, help=f"Where the snapshot goes (default: {DEFAULT_BASE}/"
                                 "<slug>-<date>/ beside cop.toml).")
@click.option("--no-sync", is_flag=True,
              help="Do not read the community's last changes first (cop-sync).")
@click.option("--force", is_flag=True,
              help="Archive a community already archived once more: its pages protected "
                   "again and a new snapshot taken (without it, that is refused).")
@pass_app
def archive(app: App, slug: str, undo: bool, directory: Path | None, no_sync: bool,
            force: bool) -> None:
    """Archive community SLUG: a last sync, its charter's status set to archived, a snapshot
    of its pages and records (snapshot.json and snapshot.html, which opens in a browser),
    then its space frozen (MediaWiki: every page protected; Confluence: the space
    archived). Nothing is deleted; cop-sync and provisioning then leave it alone.
    --undo reopens it with the status it had. A community already archived is refused
    (exit 2) unless --force. On a terminal, a progress bar; Ctrl-C stops between two
    steps (exit 130) and the same command finishes the rest, except once the space is being
    frozen: the archive is then finished first (a space half frozen would be worse)."""
    community = app.community(slug)
    backend = app.backend(community.backend)
    with app.lock():
        if undo:
            outcome = reopen(app.records, backend, app.templates, community)
            _print(outcome.frozen, outcome.notes)
            click.echo(f"{slug} reopened: {outcome.community.status}")
            return
        if not force:  # before the last sync, which skips an archived community anyway
            refuse_archived(app.records, community)
        sync = not (no_sync or community.archived or not app.records.page_states(slug))
        code = 0
        if sync:
            with watched(app) as monitor:
                report = _last_sync(app, slug, monitor)
            code = _last_sync_said(slug, report)  # once its progress bar is gone
        target = directory or default_directory(app.config.resolve(DEFAULT_BASE), community,
                                                utc_now())
        with watched(app) as monitor:
            outcome = archive_community(app.records, backend, app.templates, community,
                                        target, again=force, monitor=monitor)
    _print(outcome.frozen, outcome.notes)
    if outcome.interrupted:
        click.echo(f"cop: stopped (Ctrl-C) before the space was frozen: {slug} is not "
                   f"archived yet; run `cop archive {slug}` again to finish", err=True)
        raise SystemExit(exit_code(interrupted=True))
    if outcome.snapshot is not None:
        click.echo(f"snapshot: {outcome.snapshot.pages} page(s), {outcome.snapshot.rows} "
                   f"row(s) in {outcome.snapshot.html} (open it in a browser) and "
                   f"{outcome.snapshot.json}")
    again = " again" if community.archived else ""
    click.echo(f"{slug} archived{again} (`cop archive {slug} --undo` reopens it)")
    raise SystemExit(code)


def _last_sync(app: App, slug: str, monitor: Monitor) -> SyncReport:
    """cop-sync of this community, so the snapshot holds its last changes."""
    syncer = Syncer(app.records, app.configured_backends(), app.templates, budget=app.budget,
                    monitor=monitor)
    return syncer.run(SyncOptions(community=slug,
                                  overlap_seconds=app.config.sync.overlap_seconds))


def _last_sync_said(slug: str, report: SyncReport) -> int:
    """The last sync's problems and summary, and the exit code it gives: the archive goes
    on (exit 1 at the end). Stopped by Ctrl-C, the command stops there (exit 130): nothing
    of the archive is done."""
    for outcome in report.communities:
        if outcome.error:
            click.echo(f"cop: warning: the last sync of {slug} failed: {outcome.error}",
                       err=True)
    code = exit_code(report.failures, partial=bool(report.exit_code),
                     interrupted=report.interrupted)
    click.echo(f"last sync: {report.summary_line(code)}", err=True)
    if report.interrupted:
        click.echo(f"cop: stopped (Ctrl-C) before archiving: run `cop archive {slug}` again",
                   err=True)
        raise SystemExit(code)
    return code


def _print(frozen: str, notes: list[str]) -> None:
    if frozen:
        click.echo(f"wiki: {frozen}")
    for note in notes:
        click.echo(note)
