"""cop-sync: the cron job. One run at a time; a one-line summary; a JSON report; exit codes
0 (all synced), 1 (some community, page or row failed), 2 (configuration, a refused login
included), 3 (locked), 130 (stopped by Ctrl-C: the next run finishes). On a terminal, a
progress bar while pages are read; nothing extra in cron."""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from connector.errors import EXIT_PARTIAL, EXIT_USAGE, ConfigError, LockHeld
from sync.cli.app import (
    App,
    GuardedCommand,
    common_options,
    configure_logging,
    exit_code,
    pass_app,
)
from sync.cli.output import echo_json
from sync.cli.progress import watched
from sync.engine.checkpoints import checkpoint
from sync.engine.outcome import PageOutcome, SyncReport
from sync.engine.run import Syncer, SyncOptions

if TYPE_CHECKING:
    from sync.config.loader import Config
    from sync.relay.feed_files import FeedsOutcome
    from sync.relay.run import RelayReport

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
    """Read the wikis' changes back into the records (and write pending member changes).

    Exit 0: all synced; 1: some community, page or row failed (the others were synced);
    2: configuration (a refused login included); 3: another cop-sync holds the lock; 130:
    stopped by Ctrl-C (the next run finishes). On a terminal a progress bar shows the pages
    read; Ctrl-C stops after the current page."""
    config = app.config
    if config.sync.log_file:
        try:
            configure_logging(config.resolve(config.sync.log_file))
        except OSError as error:  # before anything is done: the run stops, saying where
            raise ConfigError(f"cannot write the log file: {error.strerror or error}",
                              setting="sync.log_file", path=str(config.path)) from error
        log.setLevel(logging.INFO)  # every run's summary line goes in the file
    records = app.records  # a [records] path with no database stops here (exit 2)
    budget = app.budget  # the run's clock starts now
    unwritten = ""  # the report file, when it could not be written: why
    with contextlib.ExitStack() as stack:
        try:
            stack.enter_context(app.lock(wait=0))
        except LockHeld as held:
            if as_json:  # a script reading the JSON gets an answer too
                echo_json({"exit_code": held.exit_code, "error": str(held), "locked": True})
            raise
        checkpoint("locked")
        monitor = stack.enter_context(watched(app, show=not as_json))
        backends = app.configured_backends()
        from sync.relay.run import Relay, RelayReport  # noqa: PLC0415 - `cop --help` light

        relay = Relay(records, backends, app.templates, config.sources, budget=budget)
        syncer = Syncer(records, backends, app.templates, budget=budget, monitor=monitor,
                        observer=relay.observe)
        run_id = None if dry_run else records.start_run(syncer.clock(), dry_run=False)
        report = syncer.run(SyncOptions(community=community, dry_run=dry_run,
                                        force_delete=force_delete, full=full,
                                        overlap_seconds=config.sync.overlap_seconds))
        # the watch's sources, after the sync (not once Ctrl-C asked to stop)
        sources = relay.run(community, dry_run=dry_run) if not report.interrupted else \
            RelayReport(dry_run=dry_run)
        code = exit_code(report.failures, partial=bool(report.exit_code or
                                                       sources.exit_code),
                         interrupted=report.interrupted)
        data = {**report.to_dict(code), "sources": sources.to_dict()}
        feeds = None if dry_run or report.interrupted else _write_feeds(app)
        if feeds is not None:
            data["feeds"] = feeds.to_dict()
            if feeds.errors:  # the sync went well, the feeds did not
                code = data["exit_code"] = max(code, EXIT_PARTIAL)
        if run_id is not None:
            records.finish_run(run_id, report.finished_at, code, data)
            unwritten = _write_report(config, data)
            if unwritten:  # the sync is committed; only its report file is missing
                code = data["exit_code"] = max(code, EXIT_USAGE)
    # once the progress bar is gone (its line is not theirs)
    _print(report, sources, code, as_json, to_log=bool(config.sync.log_file), data=data,
           unwritten=unwritten)
    raise SystemExit(code)


def _write_report(config: Config, data: dict[str, Any]) -> str:
    """The run's JSON report in ``[sync] report_file`` ("": only in the records' sync_runs,
    e.g. a container without a disk); what went wrong, in words, else ""."""
    if not config.sync.report_file:
        return ""
    path = config.resolve(config.sync.report_file)
    try:
        path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n",
                        encoding="utf-8")
    except OSError as error:
        return (f"cannot write the report file {path} ([sync] report_file in "
                f"{config.path}): {error.strerror or error}")
    return ""


def _write_feeds(app: App) -> FeedsOutcome | None:
    """The Atom feeds of what is new, from the records (no wiki request), when cop.toml
    has a [feeds] section."""
    if app.config.feeds is None:
        return None
    from sync.relay.feed_files import write_feeds  # noqa: PLC0415 - `cop --help` stays light

    return write_feeds(app.records, app.templates, app.config)


def _print(report: SyncReport, sources: RelayReport, code: int, as_json: bool,
           to_log: bool = False, data: dict[str, Any] | None = None,
           unwritten: str = "") -> None:
    """The run's outcome on the console; with a log file (``to_log``), in it too, so the
    file alone tells the operator what happened (errors and problems as WARNING).
    ``data``: the report as recorded (with the feeds written after the sync);
    ``unwritten``: why the report file could not be written, if it could not."""
    def say(text: str, *, err: bool = True, level: int = logging.WARNING) -> None:
        click.echo(text, err=err)
        if to_log:  # the logger's name says cop-sync already
            log.log(level, "%s", text.removeprefix("cop-sync: "))

    data = data if data is not None else {**report.to_dict(code),
                                           "sources": sources.to_dict()}
    if unwritten:  # the sync is committed; only its report file is missing
        say(f"cop-sync: {unwritten}")
    if as_json:
        echo_json(data)
    else:
        for error, slugs in _errors_shared(report).items():  # a wiki down: one line, not N
            say(f"{', '.join(slugs)}: error: {error}")
        for community in report.communities:
            for notice in community.notices:
                say(f"{community.slug}: {notice}", level=logging.INFO)
            noticed: set[str] = set()  # a page with two row sets (Watch) has one notice
            for page in community.pages:
                _print_page(page, say, noticed)
        _print_sources(sources, say)
        for path, reason in data.get("feeds", {}).get("errors", {}).items():
            say(f"feeds: cannot write {path}: {reason}")
    say(report.summary_line(code, extra=sources.summary_words()), err=as_json,
        level=logging.WARNING if code else logging.INFO)


def _errors_shared(report: SyncReport) -> dict[str, list[str]]:
    """Each community error once, with the communities it stopped (the same error stops
    every community of a wiki that cannot be reached or refuses the login)."""
    shared: dict[str, list[str]] = {}
    for community in report.communities:
        if community.error:
            shared.setdefault(community.error, []).append(community.slug)
    return shared


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


def _print_page(page: PageOutcome, say: Callable[..., None], noticed: set[str]) -> None:
    if page.error:
        say(f"{page.page}: error: {page.error}")
    if page.notice:
        say(f"{page.page}: {page.notice}", level=logging.INFO)
    if page.page_notice and page.page not in noticed:
        noticed.add(page.page)
        say(f"{page.page}: the notice of entries to fix {page.page_notice}",
            level=logging.INFO)
    for problem in page.problems:
        say(f"row {'problem' if problem.blocking else 'warning'}: {problem}")
    for conflict in page.conflicts:
        say(f"conflict: {page.page} {conflict.key} {conflict.field}: wiki "
            f"{conflict.wiki!r}, records {conflict.local!r}, base {conflict.base!r}")
    for name, (wiki, ours) in page.drift.items():
        say(f"drift: {page.page} {name}: wiki {wiki!r}, records {ours!r} "
            "(records win: `cop provision` restores it)")
