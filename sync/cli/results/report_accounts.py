"""cop report accounts [--year YEAR] [--format csv|json]: meeting time per analytic account."""

from __future__ import annotations

import click

from sync.cli.app import App, GuardedCommand, common_options, pass_app
from sync.cli.output import echo_json
from sync.method.accounts import account_lines, as_csv, without_account


@click.command("accounts", cls=GuardedCommand)
@common_options
@click.option("--year", type=int, default=None, help="Only this seminar year.")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv",
              show_default=True)
@pass_app
def accounts(app: App, year: int | None, fmt: str) -> None:
    """Meetings, attendees and person-hours per analytic account and seminar year, from
    the attendance members record on the seminar pages (synced by cop-sync). A meeting is
    one community's workshop or its plenary sessions at a seminar."""
    lines = account_lines(app.records, year)
    if fmt == "json":
        echo_json({"year": year, "accounts": [line.as_dict() for line in lines]})
    else:
        click.echo(as_csv(lines), nl=False)
    missing = without_account(lines)
    if missing:
        click.echo(f"cop: warning: attendance charged to no analytic account for "
                   f"{', '.join(missing)} (`cop community set SLUG --account CODE`)",
                   err=True)
