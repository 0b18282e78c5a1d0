"""cop export [SLUG] [--format json|csv]: the local records."""

from __future__ import annotations

import json
from pathlib import Path

import click

from sync.cli.app import App, GuardedCommand, common_options, pass_app, write_file
from sync.cli.output import echo_json
from sync.records.export import export_csv, export_json

KINDS = ["members", "watch", "references", "regulation", "competition", "attendance",
         "actions", "source"]  # the seminar pages' rows too, and the Watch page's sources


@click.command("export", cls=GuardedCommand)
@common_options
@click.argument("slug", required=False)
@click.option("--format", "fmt", type=click.Choice(["json", "csv"]), default="json",
              show_default=True)
@click.option("--kind", type=click.Choice(KINDS), default=None,
              help="Only this kind of row (CSV columns are then that kind's fields).")
@click.option("--include-deleted", is_flag=True,
              help="Also rows removed on the wiki or by command (tombstones).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Write to a file (UTF-8; missing directories are "
                                 "created) instead of standard output.")
@pass_app
def export(app: App, slug: str | None, fmt: str, kind: str | None, include_deleted: bool,
           output: Path | None) -> None:
    """Export the records of one community (or all) as JSON or CSV."""
    communities = [app.community(slug)] if slug else app.records.communities()
    if fmt == "csv":
        text = export_csv(app.records, app.templates, communities, kind=kind,
                          include_deleted=include_deleted)
        _emit(text, output)
        return
    data = export_json(app.records, app.templates, communities,
                       include_deleted=include_deleted)
    if kind:
        for community in data["communities"]:
            for other in KINDS:
                if other != kind:
                    community.pop(other, None)
    if output:
        write_file(output, json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    else:
        echo_json(data)


def _emit(text: str, output: Path | None) -> None:
    if output:
        write_file(output, text)
    else:
        click.echo(text, nl=False)
