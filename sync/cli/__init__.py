"""The command line: ``cop`` (the innovation manager's commands) and ``cop-sync`` (cron).

A thin layer over the library (sync/*): each command opens what it needs, calls the
library and prints; errors become messages and exit codes in sync/cli/app.py only.
"""

from __future__ import annotations

import click

from sync.cli.app import GuardedGroup, common_options, configure_logging
from sync.cli.archive import archive
from sync.cli.community import community
from sync.cli.conflicts import conflicts
from sync.cli.export import export
from sync.cli.health import health
from sync.cli.init_cmd import init
from sync.cli.mediawiki import mediawiki
from sync.cli.member import member
from sync.cli.provision import provision
from sync.cli.report import report
from sync.cli.seminar import seminar
from sync.cli.source import source
from sync.cli.status import status
from sync.cli.sync_command import cop_sync as _cop_sync
from sync.cli.template import template
from sync.cli.theme import theme


@click.group(cls=GuardedGroup, context_settings={"help_option_names": ["-h", "--help"]})
@common_options
@click.version_option(package_name="cop-connector")
def _cop() -> None:
    """cop-connector: give each community of practice its space on the company wiki.

    Configuration: --config, else $COP_CONFIG, else ./cop.toml (create it with `cop init`)."""


for command in (init, theme, community, member, source, seminar, provision, status, conflicts,
                export, mediawiki, health, report, template, archive):
    _cop.add_command(command)


def cop() -> None:
    """Console script entry point of ``cop``."""
    configure_logging()
    _cop()


def cop_sync() -> None:
    """Console script entry point of ``cop-sync``."""
    configure_logging()
    _cop_sync()


__all__ = ["cop", "cop_sync"]
