"""cop conflicts [SLUG] [--json] | cop conflicts resolve ID --keep wiki|local."""

from __future__ import annotations

from typing import Any

import click

from sync.cli.app import App, GuardedGroup, common_options, pass_app
from sync.cli.output import echo_json, echo_table
from sync.engine.conflicts import open_conflicts, resolve
from sync.records.model import Conflict

FIELDS = ("id", "community", "kind", "key", "field", "base", "wiki", "local", "detected_at")


class _ListByDefault(GuardedGroup):
    """``cop conflicts [SLUG]`` lists: anything that is not a subcommand goes to ``list``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ("-h", "--help")):
            args = ["list", *args]
        return super().parse_args(ctx, args)


@click.group("conflicts", cls=_ListByDefault)
def conflicts() -> None:
    """Field-level conflicts of the member lists: a field changed differently on the wiki and
    by command since the last sync, left as it is on both sides until settled.

    `cop conflicts [SLUG] [--json]` lists them; `cop conflicts resolve ID --keep wiki|local`
    settles one, and the next cop-sync applies it."""


@conflicts.command("list")
@common_options
@click.argument("slug", required=False)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
def list_(app: App, slug: str | None, as_json: bool) -> None:
    """Open conflicts (of community SLUG, or of all): both values and the merge base."""
    if slug:
        app.community(slug)  # an unknown slug is an error, not an empty list
    found = open_conflicts(app.records, slug)
    if as_json:
        echo_json([_as_dict(c) for c in found])
        return
    if not found:
        click.echo("no open conflicts")
        return
    echo_table(FIELDS, [[getattr(c, name) for name in FIELDS] for c in found])
    click.echo("\nsettle one with: cop conflicts resolve ID --keep wiki|local")


@conflicts.command("resolve")
@common_options
@click.argument("conflict_id", metavar="ID", type=int)
@click.option("--keep", type=click.Choice(["wiki", "local"]), required=True,
              help="wiki: the records take the wiki's value. local: the next cop-sync "
                   "writes the records' value to the wiki.")
@pass_app
def resolve_(app: App, conflict_id: int, keep: str) -> None:
    """Settle conflict ID by keeping one side; the next cop-sync applies it."""
    with app.lock():
        settled = resolve(app.records, conflict_id, keep)  # type: ignore[arg-type]
    where = f"{settled.community} {settled.kind} {settled.key} {settled.field}"
    if keep == "wiki":
        click.echo(f"conflict {conflict_id} ({where}) settled: the records take the wiki's "
                   f"value {settled.wiki!r}")
    else:
        click.echo(f"conflict {conflict_id} ({where}) settled: the next cop-sync writes "
                   f"{settled.local!r} to the wiki")


def _as_dict(conflict: Conflict) -> dict[str, Any]:
    return {name: getattr(conflict, name) for name in FIELDS}
