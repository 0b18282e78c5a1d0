"""cop doctor [--json]: read-only checks of each configured wiki, with the fix for each.

Exit 0 when everything is ok, 1 when there are warnings, 2 when something fails: what a
first provisioning or the cron job would stumble on."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

import click
from msgspec import to_builtins

from connector.diagnosis import FAILURE, OK, WARNING, Check, Expectations, worst
from connector.errors import CopError
from sync.cli.app import App, GuardedCommand, common_options, pass_app
from sync.cli.output import echo_json
from sync.clock import utc_now
from sync.config.backends import build_backend
from sync.doctor.run import config_file, expectations, file_checks, wiki_checks

EXIT = {OK: 0, WARNING: 1, FAILURE: 2}
LABEL = {OK: "ok", WARNING: "warning", FAILURE: "FAILURE"}
T = TypeVar("T")


@click.command("doctor", cls=GuardedCommand)
@common_options
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
def doctor(app: App, as_json: bool) -> None:
    """Check each configured wiki, reading only, for everything a first provisioning and
    the cron job need, and say for each problem exactly how to fix it: the wiki answers
    (TLS verified), the login works, the account's rights and bot password grants (edit,
    create, protect for `cop archive`, high-volume), every community's namespace declared
    with the number the records know, the row templates installed and at their version,
    the extensions members' editing needs (VisualEditor, TemplateData, ParserFunctions)
    and the script of the pages' Add buttons on each community namespace, the job queue,
    how long the wiki keeps recent changes against the last sync; on Confluence the API
    versions, the spaces, their permissions and labels; and the files the cron job writes.

    Writes nothing: no edit, no records change, no kept session. Exit 0: all ok; 1:
    warnings; 2: failures."""
    checks = run_checks(app)
    status = worst(checks)
    if as_json:
        echo_json({"exit_code": EXIT[status], "status": status, "counts": _counts(checks),
                   "checks": to_builtins(checks)})
    else:
        _print(checks, status)
    raise SystemExit(EXIT[status])


def run_checks(app: App) -> list[Check]:
    """Configuration, records and files, then each configured wiki."""
    config = app.config  # a configuration that cannot be read stops here (exit 2)
    checks: list[Check] = []
    records = _attempt(checks, "records", lambda: app.records)
    templates = _attempt(checks, "templates", lambda: app.templates) if records else None
    checks += file_checks(config)
    now = utc_now()
    for name in ("mediawiki", "confluence"):
        if getattr(config, name) is None:
            continue
        try:
            backend = build_backend(config, name, records=records, budget=app.budget,
                                    keep_session=False)
        except CopError as error:
            checks.append(Check(name, "configuration", FAILURE, str(error),
                                "set the setting or the environment variable the message "
                                "names (for cron: in its environment file, mode 600)"))
            continue
        expect = expectations(records, config, name, now) if records else \
            Expectations(spaces=[], now=now, config_file=config_file(config))
        try:
            checks += wiki_checks(backend, records, templates, expect)
        finally:
            backend.close()  # (built with no session store: nothing is saved)
    return checks


def _attempt(checks: list[Check], topic: str, load: Callable[[], T]) -> T | None:
    try:
        value = load()
    except CopError as error:
        checks.append(Check("", topic, FAILURE, str(error)))
        return None
    checks.append(Check("", topic, OK, "read"))
    return value


def _counts(checks: Sequence[Check]) -> dict[str, int]:
    return {status: sum(c.status == status for c in checks) for status in EXIT}


def _print(checks: Sequence[Check], status: str) -> None:
    wiki = None
    for check in checks:
        if check.wiki != wiki:
            wiki = check.wiki
            click.echo(f"\n{wiki or 'cop-connector'}")
        click.echo(f"  {LABEL[check.status]:8} {check.topic}: {check.message}")
        if check.fix and check.status != OK:
            lines = check.fix.splitlines()
            click.echo(f"  {'':8} fix: {lines[0]}")
            for line in lines[1:]:
                click.echo(f"  {'':8}      {line}")
    counts = _counts(checks)
    click.echo(f"\ncop doctor: {counts[OK]} ok, {counts[WARNING]} warning(s), "
               f"{counts[FAILURE]} failure(s); exit {EXIT[status]}")
