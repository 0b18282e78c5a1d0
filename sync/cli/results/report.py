"""cop report [SLUG|--all] --since DATE [--format md|json|html] [--publish], and
cop report accounts [--year YEAR] [--format csv|json].

``cop report`` is a group whose first argument, when it names a subcommand (``accounts``),
selects it; anything else (a SLUG, --all, options) is the results report, as before."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

import click

from connector.errors import UsageError
from sync.cli.app import App, GuardedGroup, common_options, exit_code, pass_app, write_file
from sync.cli.dates import ISO_DATE
from sync.cli.progress import watched
from sync.cli.results.health import SINCE_HELP, history, period_start
from sync.cli.results.report_accounts import accounts
from sync.clock import format_time, parse_time, utc_now
from sync.records.model import Community
from sync.results.health.model import CommunityHealth
from sync.results.health.run import HistoryRead, all_health
from sync.results.publish import Publisher, PublishReport
from sync.results.report.markdown import markdown_report

REPORT_LANGUAGES = ("en", "fr")  # the report frame's texts (page_templates/report.toml)

DEFAULT_DAYS = 30
SYMBOLS = {"create": "+", "update": "~", "skip": "=", "adopt": "?", "drift": "!"}


class ReportGroup(GuardedGroup):
    """The results report, or a subcommand when the first argument names one."""

    allow_interspersed_args = True  # cop report SLUG --since DATE: options after SLUG

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] in self.commands:
            click.Command.parse_args(self, ctx, [])  # the report's options: defaults
            ctx._protected_args, ctx.args = args[:1], args[1:]
            return ctx.args
        rest = click.Command.parse_args(self, ctx, args)
        if rest:
            raise click.UsageError(f"unexpected argument {rest[0]!r} (a community SLUG, "
                                   "--all, or: accounts)", ctx=ctx)
        return []

    def collect_usage_pieces(self, ctx: click.Context) -> list[str]:
        pieces = super().collect_usage_pieces(ctx)
        pieces.insert(-1, "[SLUG]")  # shown here only: see _SlugArgument
        return pieces


class _SlugArgument(click.Argument):
    """SLUG, left out of the usage line click builds for a subcommand: it reads
    `cop report accounts`, not `cop report [SLUG] accounts` (accounts takes no SLUG)."""

    def get_usage_pieces(self, ctx: click.Context) -> list[str]:
        return []


@click.group("report", cls=ReportGroup, invoke_without_command=True,
             subcommand_metavar="| accounts [--year YEAR] [--format csv|json]")
@common_options
@click.argument("slug", required=False, cls=_SlugArgument)
@click.option("--all", "all_", is_flag=True, help="Every community (and the portfolio).")
@click.option("--since", type=ISO_DATE, default=None,
              help=f"{SINCE_HELP}; default: {DEFAULT_DAYS} days ago. A date after today "
                   "is refused.")
@click.option("--format", "fmt", type=click.Choice(["md", "json", "html"]), default="md",
              show_default=True, help="md: a digest to mail; html: one file with charts.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Write the report to this file (default: standard output).")
@click.option("--lang", type=click.Choice(REPORT_LANGUAGES), default=None,
              help="Language of the report's frame and portfolio (default: the language "
                   "its communities share, else from cop.toml; each community's figures "
                   "are in its own language).")
@click.option("--publish", is_flag=True,
              help="Also write each community's results page (and with --all the "
                   "sponsor's portfolio page) on its wiki, when their figures changed.")
@click.option("--force", is_flag=True,
              help="With --publish: replace results pages someone edited by hand.")
@click.option("--dry-run", is_flag=True, help="With --publish: say what would be written.")
@click.option("--no-wiki", is_flag=True,
              help="Do not read the wikis' latest history first: the records only.")
@click.pass_context
@pass_app
def report(app: App, ctx: click.Context, slug: str | None, all_: bool,
           since: datetime | None, fmt: str, output: Path | None, lang: str | None,
           publish: bool, force: bool, dry_run: bool, no_wiki: bool) -> None:
    """Results of one community (SLUG) or of all (--all) since DATE: members and active
    contributors by profile, activity per page over time, contributors, freshness, alerts.

    The Markdown report is a short digest per community, ready to be mailed; the HTML
    report is one self-contained file with charts; JSON has every figure.

    `cop report accounts` gives the meetings' time per analytic account instead (see
    `cop report accounts --help`)."""
    if ctx.invoked_subcommand:
        return
    if bool(slug) == all_:
        raise UsageError("give a community SLUG or --all, not both" if all_
                         else "give a community SLUG or --all")
    if (force or dry_run) and not publish:
        raise UsageError(f"{'--force' if force else '--dry-run'} goes with --publish")
    communities = app.records.communities() if all_ else [app.community(slug or "")]
    now = utc_now()
    start = period_start(since, now) or _days_ago(now, DEFAULT_DAYS)
    read = HistoryRead() if no_wiki else history(app, communities)
    healths = all_health(app.records, app.templates, app.config, communities, since=start,
                         now=now)
    # The report's own texts: --lang, else the language its communities share, else the
    # configured default (a French community's report is French without being asked).
    shared = {community.lang for community in communities}
    language = lang or (next(iter(shared)) if len(shared) == 1
                        and shared <= set(REPORT_LANGUAGES) else app.config.default_lang)
    _write(_render(healths, fmt, language, now, start), output)
    code = exit_code(read.failures)
    if publish:
        with app.lock():
            code = max(code, _publish(app, communities, healths, all_, force, dry_run))
    raise SystemExit(code)


def _render(healths: Sequence[CommunityHealth], fmt: str, lang: str, now: str,
            since: str) -> str:
    if fmt == "json":
        return json.dumps({"generated_at": now, "since": since,
                           "communities": [h.as_json() for h in healths]},
                          ensure_ascii=False, indent=2) + "\n"
    if fmt == "html":
        from sync.results.report.html import html_report  # noqa: PLC0415 - see report_html: matplotlib
        return html_report(healths, lang, now[:10])  # is imported by the HTML report only
    return markdown_report(healths, lang)


def _write(text: str, output: Path | None) -> None:
    if output is None:
        click.echo(text, nl=False)
        return
    write_file(output, text)
    click.echo(f"report written to {output}", err=True)


def _publish(app: App, communities: Sequence[Community], healths: Sequence[CommunityHealth],
             portfolio: bool, force: bool, dry_run: bool) -> int:
    """Results pages per wiki (the portfolio too with --all); the plan goes to stderr so
    that standard output stays the report. On a terminal, a progress bar; Ctrl-C stops
    before the next page (exit 130)."""
    pairs = []
    for community, figures in zip(communities, healths, strict=True):
        if community.archived:  # its space is frozen: its results stay in the snapshot
            click.echo(f"cop: {community.slug}: archived, so no results page published",
                       err=True)
        elif app.records.page_states(community.slug):
            pairs.append((community, figures))
        else:  # its space may not exist yet: a page there could land anywhere
            click.echo(f"cop: {community.slug}: not provisioned yet, so no results page "
                       f"(run `cop provision {community.slug}`)", err=True)
    outcomes = []
    with watched(app, show=not dry_run) as monitor:
        for name in sorted({c.backend for c, _ in pairs}):
            if monitor.stopping():
                break
            group = [(c, h) for c, h in pairs if c.backend == name]
            publisher = Publisher(app.records, app.backend(name), name, app.config.health,
                                  app.config.default_lang, monitor=monitor)
            targets = publisher.targets(group, portfolio=healths if portfolio else ())
            outcomes.append(publisher.run(targets, dry_run=dry_run, force=force))
        stopped = monitor.stopping()
    for outcome in outcomes:  # once the progress bar is gone: its line is not theirs
        _print(outcome, dry_run)
    return exit_code([f for o in outcomes for f in o.failures],
                     partial=any(o.exit_code for o in outcomes), interrupted=stopped)


def _print(outcome: PublishReport, dry_run: bool) -> None:
    """One line per action, with what failed and what an interruption left (as
    `cop provision` says them)."""
    for name, error in outcome.errors.items():
        click.echo(f"cop: {name}: nothing published: {error}", err=True)
    failed = {id(action): error for action, error in outcome.failed}
    attempted = len(outcome.done) + len(outcome.failed)  # (the actions run in their order)
    left = [a for a in outcome.actions[attempted:] if a.writes] if outcome.interrupted else []
    for action in outcome.actions:
        line = f"{SYMBOLS[action.op]} {action.op:7} {action.target.ref}  ({action.reason})"
        if id(action) in failed:
            line += f"  FAILED: {failed[id(action)]}"
        if any(action is stopped for stopped in left):
            line += "  (not done: stopped)"
        click.echo(line, err=True)
    writes = sum(a.writes for a in outcome.actions)
    done = writes if dry_run else outcome.written
    click.echo(f"{'would publish' if dry_run else 'published'} {done} page(s); "
               f"{len(outcome.actions) - writes} left as they are", err=True)
    if outcome.interrupted:
        click.echo(f"cop: stopped (Ctrl-C) with {len(left)} page(s) not published; run the "
                   "same command again to finish" if left else
                   "cop: stopped (Ctrl-C), with nothing left to publish", err=True)


def _days_ago(now: str, days: int) -> str:
    return format_time(parse_time(now) - timedelta(days=days))[:10]


report.add_command(accounts)
