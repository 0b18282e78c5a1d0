"""The commands of ``cop``, each imported only when it runs.

Importing every command up front meant importing the whole library, both wikis' client
libraries and the charting library for `cop --help` (about a second, where Python itself
starts in a twentieth). The group below knows each command by the module that holds it and
the line its listing shows, so `cop --help` imports none of them and `cop status` only its
own (tests/cli/test_startup.py keeps it so).
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence

import click

from sync.cli.app import GuardedGroup, common_options

# name -> (module:attribute, the line `cop --help` shows; it is the command's short help)
COMMANDS: dict[str, tuple[str, str]] = {
    "archive": ("sync.cli.community.archive:archive",
                "Freeze a community's space and keep a snapshot (--undo reopens it)."),
    "community": ("sync.cli.community.community:community",
                  "Register and inspect communities of practice."),
    "conflicts": ("sync.cli.community.conflicts:conflicts",
                  "Field-level conflicts of the member lists, and how to settle them."),
    "digest": ("sync.cli.results.digest:digest",
               "E-mail each member what is new in their communities since their last digest."),
    "doctor": ("sync.cli.setup.doctor:doctor",
               "Check each wiki for what provisioning and the cron job need (read-only)."),
    "export": ("sync.cli.results.export:export",
               "Export the records of one community (or all) as JSON or CSV."),
    "health": ("sync.cli.results.health:health",
               "Members, contributors, activity, freshness and alerts of the communities."),
    "idea": ("sync.cli.community.idea:idea",
             "The subjects the communities raise, and their hand-over to the portfolio."),
    "init": ("sync.cli.setup.init_cmd:init",
             "Write a starter cop.toml and create the records database."),
    "mediawiki": ("sync.cli.setup.mediawiki:mediawiki", "MediaWiki administration helpers."),
    "member": ("sync.cli.community.member:member",
               "Add or remove members (the Members page follows)."),
    "provision": ("sync.cli.community.provision:provision",
                  "Create or update the community's space and pages from the templates."),
    "records": ("sync.cli.setup.records_cmd:records",
                "The records' database: copy it between SQLite and PostgreSQL."),
    "report": ("sync.cli.results.report:report",
               "Results of one community or of all; the analytic accounts' hours."),
    "seminar": ("sync.cli.community.seminar:seminar",
                "The yearly seminar of the communities and its workshops."),
    "source": ("sync.cli.community.source:source",
               "The watch's feeds of a community (the Watch page's Sources table follows)."),
    "status": ("sync.cli.results.status:status",
               "What the records know: pages, last sync, problems, conflicts, drift."),
    "template": ("sync.cli.community.template:template",
                 "Company page templates (see [templates] dir in cop.toml)."),
    "theme": ("sync.cli.community.theme:theme",
              "Candidate themes from the strategic axes, and the decision makers' choice."),
}


def load_command(name: str) -> click.Command:
    """The command ``name`` of COMMANDS, its module imported now; its listing line is its
    short help (one text for both). Raises KeyError for an unknown name."""
    target, short_help = COMMANDS[name]
    module, _, attribute = target.partition(":")
    command: click.Command = getattr(importlib.import_module(module), attribute)
    command.short_help = short_help
    return command


class LazyGroup(GuardedGroup):
    """A group whose commands are imported when used; its help lists them from COMMANDS."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMANDS:
            self.add_command(load_command(cmd_name), cmd_name)
        return self.commands.get(cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows: Sequence[tuple[str, str]] = [
            (name, COMMANDS[name][1] if name in COMMANDS else
             self.commands[name].get_short_help_str(formatter.width))
            for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group("cop", cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@common_options
@click.version_option(package_name="cop-connector")
def cop_group() -> None:
    """cop-connector: give each community of practice its space on the company wiki.

    Configuration: --config, else $COP_CONFIG, else ./cop.toml (create it with `cop init`)."""
