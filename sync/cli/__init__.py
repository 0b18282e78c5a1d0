"""The command line: ``cop`` (the innovation manager's commands) and ``cop-sync`` (cron).

A thin layer over the library (sync/*): each command opens what it needs, calls the
library and prints; errors become messages and exit codes in sync/cli/app.py only.

Each command's module is imported only when that command runs (sync/cli/commands.py lists
them with the line `cop --help` shows), so a command loads only the libraries it uses. The
commands are grouped by what they are for: setup/ (installing and checking), community/ (the
life of the communities), results/ (what the records say); sync_command.py is cop-sync.
"""

from __future__ import annotations

from typing import Any

import click

from sync.cli.app import common_options, configure_logging
from sync.cli.commands import LazyGroup


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@common_options
@click.version_option(package_name="cop-connector")
def _cop() -> None:
    """cop-connector: give each community of practice its space on the company wiki.

    Configuration: --config, else $COP_CONFIG, else ./cop.toml (create it with `cop init`)."""


def cop() -> None:
    """Console script entry point of ``cop``."""
    configure_logging()
    _cop()


def cop_sync() -> None:
    """Console script entry point of ``cop-sync``."""
    from sync.cli.sync_command import cop_sync as command  # noqa: PLC0415 - see commands.py

    configure_logging()
    command()


def __getattr__(name: str) -> Any:
    """``_cop_sync``, the click command of cop-sync, imported when asked for (the docs'
    command reference walks it; `cop` itself never needs it)."""
    if name == "_cop_sync":
        from sync.cli.sync_command import cop_sync as command  # noqa: PLC0415

        return command
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["cop", "cop_sync"]
