"""cop export [SLUG] [--format json|csv]: the local records."""

from __future__ import annotations

import json
from pathlib import Path

import click

from sync.cli.app import App, GuardedCommand, common_options, pass_app, write_file
from sync.cli.output import echo_json
from sync.records.export import export_csv, export_json
from sync.records.model import Community

KINDS = ["members", "watch", "references", "regulation", "competition", "attendance",
         "actions", "ideas", "source"]  # the seminar pages' rows too, the Watch page's
# sources; ideas: see _ideas
IDEAS = "ideas"


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
    """Export the records of one community (or all) as JSON or CSV.

    --kind ideas gives the subjects of the Ideas pages as the innovation portfolio needs
    them: each with its community, dates (first seen, at its status since), history,
    seminar workshop and named entries."""
    communities = [app.community(slug)] if slug else app.records.communities()
    if kind == IDEAS:
        _ideas(app, communities, fmt, include_deleted, output)
        return
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


def _ideas(app: App, communities: list[Community], fmt: str, include_deleted: bool,
           output: Path | None) -> None:
    from sync.method.ideas_export import ideas_csv, ideas_json  # noqa: PLC0415 - on use only

    if fmt == "csv":
        _emit(ideas_csv(app.records, app.templates, communities,
                        include_deleted=include_deleted), output)
        return
    data = ideas_json(app.records, app.templates, communities, include_deleted=include_deleted)
    _emit(json.dumps(data, ensure_ascii=False, indent=2) + "\n", output)


def _emit(text: str, output: Path | None) -> None:
    if output:
        write_file(output, text)
    else:
        click.echo(text, nl=False)
