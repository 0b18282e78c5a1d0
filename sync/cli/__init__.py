"""The command line: ``cop`` (the innovation manager's commands) and ``cop-sync`` (cron).

A thin layer over the library (sync/*): each command opens what it needs, calls the
library and prints; errors become messages and exit codes in sync/cli/app.py only.

Each command's module is imported only when that command runs (sync/cli/commands.py lists
them with the line `cop --help` shows), so a command loads only the libraries it uses. The
commands are grouped by what they are for: setup/ (installing and checking), community/ (the
life of the communities), results/ (what the records say); sync_command.py is cop-sync.

This module imports nothing itself: the entry points import the command line inside a
guard, so a Ctrl-C in the first tenth of a second (while Python loads click and the
command) ends with a line and exit code 130, as one later does, not with a traceback.
"""

from __future__ import annotations

import sys
from typing import Any

from page_templates.errors import EXIT_INTERRUPTED


def cop() -> None:
    """Console script entry point of ``cop``."""
    try:
        from sync.cli.app import configure_logging  # noqa: PLC0415 - inside the guard
        from sync.cli.commands import cop_group  # noqa: PLC0415
    except KeyboardInterrupt:
        _interrupted_at_start("cop")
    configure_logging()
    cop_group()


def cop_sync() -> None:
    """Console script entry point of ``cop-sync``."""
    try:
        from sync.cli.app import configure_logging  # noqa: PLC0415 - inside the guard
        from sync.cli.sync_command import cop_sync as command  # noqa: PLC0415
    except KeyboardInterrupt:
        _interrupted_at_start("cop-sync")
    configure_logging()
    command()


def _interrupted_at_start(program: str) -> None:
    """Ctrl-C before the command started: nothing was done."""
    sys.stderr.write(f"{program}: interrupted before it started; nothing was done\n")
    raise SystemExit(EXIT_INTERRUPTED)


def __getattr__(name: str) -> Any:
    """The click commands, imported when asked for: ``_cop`` (the group of `cop`) and
    ``_cop_sync`` (the tests and the docs' command reference walk them)."""
    if name == "_cop":
        from sync.cli.commands import cop_group  # noqa: PLC0415

        return cop_group
    if name == "_cop_sync":
        from sync.cli.sync_command import cop_sync as command  # noqa: PLC0415

        return command
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["cop", "cop_sync"]
