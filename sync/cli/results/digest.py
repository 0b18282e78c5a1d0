"""cop digest [SLUG|--all] [--since DATE] [--dry-run | --send]: one e-mail per member
listing what is new in their communities (sync/relay/digests.py does the work).

Without --send nothing leaves the machine: the default shows who would get what, and
--dry-run writes the messages as .eml files. --send takes a lock of its own, so two
runs (a cron job and a manager) never send the same digest twice."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from connector.errors import ConfigError, LockHeld, UsageError
from sync.cli.app import App, GuardedCommand, common_options, pass_app
from sync.cli.dates import ISO_DATE
from sync.cli.output import echo_json
from sync.clock import utc_now

if TYPE_CHECKING:
    from sync.relay.digests import DigestOptions, DigestReport, DigestRun
    from sync.relay.smtp import SmtpSender

LOCK_FILE = "cop-digest.lock"
DEFAULT_OUT = "digests"


@click.command("digest", cls=GuardedCommand)
@common_options
@click.argument("slug", required=False)
@click.option("--all", "all_", is_flag=True, help="Every community (archived ones aside).")
@click.option("--since", type=ISO_DATE, default=None,
              help="Where a member's first digest starts (YYYY-MM-DD; default: 7 days "
                   "ago). Never before what their last digest covered.")
@click.option("--dry-run", is_flag=True,
              help="Write the messages as .eml files (see --out) instead of sending them.")
@click.option("--send", is_flag=True,
              help="Send them through the [mail] server. Without --send nothing is sent.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=None, help=f"With --dry-run: the directory (default: ./{DEFAULT_OUT}).")
@click.option("--no-wiki", is_flag=True,
              help="Do not read the wikis' latest history first (who added what): the "
                   "records only.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
def digest(app: App, slug: str | None, all_: bool, since: datetime | None, dry_run: bool,
           send: bool, out_dir: Path | None, no_wiki: bool, as_json: bool) -> None:
    """One e-mail per member: what is new in the communities they belong to since their
    last digest, in each community's language (text and HTML).

    Without --send or --dry-run, shows who would get what and sends nothing. A member
    stops the digest from the wiki: "no" in the Digest field of their row on the Members
    page. Exit 1 when a recipient was refused or the server failed (they are tried again
    next run); what was accepted is never sent again."""
    from sync.relay.digests import DigestOptions, DigestRun  # noqa: PLC0415 - `cop --help` stays light

    if bool(slug) == all_:
        raise UsageError("give a community SLUG or --all, not both" if all_
                         else "give a community SLUG or --all")
    if dry_run and send:
        raise UsageError("--dry-run writes the messages, --send sends them: give one")
    if out_dir is not None and not dry_run:
        raise UsageError("--out goes with --dry-run (where the .eml files are written)")
    mode = "send" if send else "dry-run" if dry_run else "preview"
    start = _since(since)
    server = _server(app) if send else None  # before anything is read: a missing setting
    run = DigestRun(app.records, app.templates, app.config)
    communities, _ = run.communities([slug] if slug else None)
    if not no_wiki and communities:
        from sync.cli.results.health import history  # noqa: PLC0415

        history(app, communities)
    options = DigestOptions(communities=[slug] if slug else None, since=start, mode=mode,
                            out_dir=out_dir or (Path(DEFAULT_OUT) if dry_run else None))
    report = _send(app, run, options, server) if server else run.run(options)
    _print(report, as_json)
    raise SystemExit(report.exit_code)


def _server(app: App) -> Callable[[], SmtpSender]:
    """How to reach the [mail] server (its password read now). Raises ConfigError."""
    from sync.config.loader import secret  # noqa: PLC0415
    from sync.relay.smtp import SmtpSender  # noqa: PLC0415

    config = app.config
    mail = config.mail
    if mail is None:
        raise ConfigError("`cop digest --send` needs a [mail] section (host, port, "
                          "security, user, password_env, from)", setting="mail",
                          path=str(config.path))
    password = secret(mail.password_env, user=mail.user, setting="mail.password_env",
                      service="mail") if mail.user else ""
    ca_file = str(config.resolve(mail.ca_bundle)) if mail.ca_bundle else ""
    return lambda: SmtpSender(mail, password, ca_file=ca_file)


def _send(app: App, run: DigestRun, options: DigestOptions,
          server: Callable[[], SmtpSender]) -> DigestReport:
    """Send under the digest's own lock (two senders would send the same digests)."""
    from sync.engine.lock import RunLock  # noqa: PLC0415

    lock_path = app.config.resolve(app.config.sync.lock_file).with_name(LOCK_FILE)
    try:
        with RunLock(lock_path, wait=0):
            return run.run(options, connect=server)
    except LockHeld as held:
        raise DigestLocked(held) from held


class DigestLocked(LockHeld):
    """Another `cop digest --send` is running (exit code 3)."""

    def __init__(self, held: LockHeld) -> None:
        super().__init__(lock_path=held.lock_path, pid=held.pid, started_at=held.started_at)
        holder = f"pid {held.pid}, started {held.started_at}" if held.pid else "unknown holder"
        self.message = f"another `cop digest --send` is running ({holder}; lock " \
                       f"{held.lock_path})"


def _since(since: datetime | None) -> str | None:
    if since is None:
        return None
    start, today = since.date().isoformat(), utc_now()[:10]
    if start > today:
        raise UsageError(f"--since {start} is in the future (today is {today}, UTC)")
    return start


def _print(report: DigestReport, as_json: bool) -> None:
    if as_json:
        echo_json(report.to_dict())
        return
    for line in report.skipped:
        click.echo(f"cop: {line}", err=True)
    verbs = {"would-send": "would send", "written": "written", "sent": "sent",
             "refused": "REFUSED", "not-sent": "not sent"}
    for d in report.deliveries:
        to = f"{d.name} <{d.email}>" if d.name else d.email
        where = f" -> {d.path}" if d.path else ""
        error = f": {d.error}" if d.error else ""
        click.echo(f"{verbs[d.status]}: {to}: {d.subject!r} ({d.items} item"
                   f"{'' if d.items == 1 else 's'}; {', '.join(d.communities)}){where}{error}")
    if report.error:
        click.echo(f"cop: error: {report.error}; the digests not sent are sent by the next "
                   "run", err=True)
    click.echo(_summary(report), err=True)


def _summary(report: DigestReport) -> str:
    counts: dict[str, int] = {}
    for d in report.deliveries:
        counts[d.status] = counts.get(d.status, 0) + 1
    if report.mode == "preview":
        return (f"cop digest (preview): {len(report.deliveries)} digest(s) would be sent; "
                "nothing sent (--send sends them, --dry-run writes them as .eml files)")
    if report.mode == "dry-run":
        return f"cop digest (dry run): {counts.get('written', 0)} message(s) written; " \
               "nothing sent"
    return (f"cop digest: {counts.get('sent', 0)} sent, {counts.get('refused', 0)} refused, "
            f"{counts.get('not-sent', 0)} not sent; exit {report.exit_code}")
