"""cop-sync: the cron job. One run at a time; a one-line summary; a JSON report; exit codes
0 (all synced), 1 (some community, page or row failed), 2 (configuration), 3 (locked)."""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable

import click

from connector.errors import LockHeld
from sync.cli.app import App, GuardedCommand, common_options, configure_logging, pass_app
from sync.cli.output import echo_json
from sync.engine.checkpoints import checkpoint
from sync.engine.outcome import SyncReport
from sync.engine.pull import PageOutcome
from sync.engine.run import Syncer, SyncOptions
from sync.relay.run import Relay, RelayReport

log = logging.getLogger("cop-sync")


@click.command("cop-sync", cls=GuardedCommand,
               context_settings={"help_option_names": ["-h", "--help"]})
@common_options
@click.option("--community", metavar="SLUG", default=None, help="Only this community.")
@click.option("--dry-run", is_flag=True, help="Read and plan; write nothing anywhere.")
@click.option("--json", "as_json", is_flag=True, help="Print the full JSON report.")
@click.option("--force-delete", is_flag=True,
              help="Accept pages that now read as empty (their rows become tombstones).")
@click.option("--full", is_flag=True,
              help="Read every page, not only the changed ones (after an outage longer than "
                   "the wiki keeps its recent changes).")
@pass_app
def cop_sync(app: App, community: str | None, dry_run: bool, as_json: bool,
             force_delete: bool, full: bool) -> None:
    """Read the wikis' changes back into the records (and write pending member changes)."""
    config = app.config
    if config.sync.log_file:
        configure_logging(config.resolve(config.sync.log_file))
        log.setLevel(logging.INFO)  # every run's summary line goes in the file
    records = app.records  # a [records] path with no database stops here (exit 2)
    budget = app.budget  # the run's clock starts now
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(app.lock(wait=0))
        except LockHeld as held:
            if as_json:  # a script reading the JSON gets an answer too
                echo_json({"exit_code": held.exit_code, "error": str(held), "locked": True})
            raise
        checkpoint("locked")
        backends = app.configured_backends()
        relay = Relay(records, backends, app.templates, config.sources, budget=budget)
        syncer = Syncer(records, backends, app.templates, budget=budget,
                        observer=relay.observe)
        run_id = None if dry_run else records.start_run(syncer.clock(), dry_run=False)
        report = syncer.run(SyncOptions(community=community, dry_run=dry_run,
                                        force_delete=force_delete, full=full,
                                        overlap_seconds=config.sync.overlap_seconds))
        sources = relay.run(community, dry_run=dry_run)  # the watch's sources, after the sync
        exit_code = max(report.exit_code, sources.exit_code)
        data = {**report.to_dict(), "exit_code": exit_code, "sources": sources.to_dict()}
        if run_id is not None:
            records.finish_run(run_id, report.finished_at, exit_code, data)
            config.resolve(config.sync.report_file).write_text(
                json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    _print(report, sources, as_json, to_log=bool(config.sync.log_file))
    raise SystemExit(exit_code)


def _print(report: SyncReport, sources: RelayReport, as_json: bool,
           to_log: bool = False) -> None:
    """The run's outcome on the console; with a log file (``to_log``), in it too, so the
    file alone tells the operator what happened (errors and problems as WARNING)."""
    def say(text: str, *, err: bool = True, level: int = logging.WARNING) -> None:
        click.echo(text, err=err)
        if to_log:  # the logger's name says cop-sync already
            log.log(level, "%s", text.removeprefix("cop-sync: "))

    exit_code = max(report.exit_code, sources.exit_code)
    if as_json:
        echo_json({**report.to_dict(), "exit_code": exit_code, "sources": sources.to_dict()})
    else:
        for community in report.communities:
            if community.error:
                say(f"{community.slug}: error: {community.error}")
            for notice in community.notices:
                say(f"{community.slug}: {notice}", level=logging.INFO)
            for page in community.pages:
                _print_page(page, say)
        _print_sources(sources, say)
    summary = report.summary_line(extra=sources.summary_words(), exit_code=exit_code)
    say(summary, err=as_json, level=logging.WARNING if exit_code else logging.INFO)


def _print_sources(sources: RelayReport, say: Callable[..., None]) -> None:
    """A line per source that failed and per Watch page that could not be written."""
    for source in sources.sources:
        if source.status == "failed":
            say(f"{source.community}: source {source.name!r}: {source.error}")
    for page in sources.pages:
        if page.error:
            say(f"{page.page}: error: {page.error}")
        elif page.proposed:
            verb = "would get" if sources.dry_run else "got"
            say(f"{page.page}: {verb} {page.proposed} new entries to review",
                level=logging.INFO)


def _print_page(page: PageOutcome, say: Callable[..., None]) -> None:
    if page.error:
        say(f"{page.page}: error: {page.error}")
    if page.notice:
        say(f"{page.page}: {page.notice}", level=logging.INFO)
    for problem in page.problems:
        say(f"row {'problem' if problem.blocking else 'warning'}: {problem}")
    for conflict in page.conflicts:
        say(f"conflict: {page.page} {conflict.key} {conflict.field}: wiki "
            f"{conflict.wiki!r}, records {conflict.local!r}, base {conflict.base!r}")
    for name, (wiki, ours) in page.drift.items():
        say(f"drift: {page.page} {name}: wiki {wiki!r}, records {ours!r} "
            "(records win: `cop provision` restores it)")
