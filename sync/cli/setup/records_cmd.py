"""cop records copy --to PATH|URL: move the records to another database (an SQLite file to
PostgreSQL, and back) without provisioning anything again."""

from __future__ import annotations

import os
from pathlib import Path

import click

from connector.errors import ConfigError
from sync.cli.app import App, GuardedCommand, GuardedGroup, common_options, pass_app
from sync.cli.output import echo_table
from sync.records.copy import copy_records
from sync.records.engines import is_url, url_password
from sync.records.store import Records


@click.group("records", cls=GuardedGroup)
def records() -> None:
    """Where the records live: copy them to another database."""


@records.command("copy", cls=GuardedCommand)
@common_options
@click.option("--to", "target", required=True, metavar="PATH|URL",
              help="A new SQLite file, or an empty PostgreSQL database "
                   "(postgresql://USER@HOST/DB; the password from PGPASSWORD, ~/.pgpass or "
                   "--to-password-env).")
@click.option("--to-password-env", metavar="VAR", default="",
              help="Environment variable holding the target database's password.")
@pass_app
def copy(app: App, target: str, to_password_env: str) -> None:
    """Copy every record (communities, rows, merge bases, history, the method) to TARGET
    and check that both hold the same rows; then point [records] in cop.toml at it.

    cop-sync and the commands that take its lock wait meanwhile. Nothing is committed in
    TARGET unless the check passes; the source is left as it is."""
    if is_url(target) and url_password(target) is not None:
        raise ConfigError("--to: the URL holds a password: give it through PGPASSWORD, "
                          "~/.pgpass or --to-password-env instead (it would stay in the "
                          "shell's history)")
    password = _password(to_password_env)
    where = target if is_url(target) else str(Path(target).resolve())
    source = app.records
    with app.lock():
        destination = Records.open(where, create=True, password=password)
        try:
            copied = copy_records(source, destination)
        finally:
            destination.close()
    click.echo(f"copied the records of {source.path} to {destination.path}")
    echo_table(["table", "rows"], [[t.table, t.rows] for t in copied])
    click.echo(f"checked: both hold the same rows ({len(copied)} tables, "
               f"{sum(t.rows for t in copied)} rows)")
    setting = (f'url = "{destination.path}"' if is_url(target) else
               f'path = "{destination.path}"')
    click.echo(f"next: in {app.config.path}, set [records] {setting} (cop-sync uses the old "
               "records until then)")


def _password(variable: str) -> str | None:
    if not variable:
        return None
    if not os.environ.get(variable):
        raise ConfigError(f"--to-password-env: the environment variable {variable} is not set")
    return os.environ[variable]
