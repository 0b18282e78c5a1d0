"""cop template extract SLUG --to DIR: a community's pages as the company's template set."""

from __future__ import annotations

from pathlib import Path

import click

from sync.cli.app import App, GuardedGroup, common_options, pass_app
from sync.provision.extract import extract_templates


@click.group("template", cls=GuardedGroup)
def template() -> None:
    """Company page templates (see [templates] dir in cop.toml)."""


@template.command("extract")
@common_options
@click.argument("slug")
@click.option("--to", "directory", required=True, metavar="DIR",
              type=click.Path(file_okay=False, path_type=Path),
              help="New or empty directory for the template files.")
@pass_app
def extract(app: App, slug: str, directory: Path) -> None:
    """Turn community SLUG's pages into a template set others can be provisioned from.

    Fields and sections its members added on the wiki, and the template sections they
    rewrote, become override files (rows are not taken), on top of the current templates
    directory if any. Review them (translate the copied texts), then set
    `[templates] dir = "DIR"` in cop.toml and run `cop provision --upgrade --all`."""
    community = app.community(slug)
    report = extract_templates(app.records, app.backend(community.backend), app.templates,
                               community, directory, app.config.templates_dir)
    for note in report.notes:
        click.echo(note)
    for path in report.files:
        click.echo(f"wrote {path}")
    if not report.files:
        click.echo(f"nothing to extract: {slug}'s pages follow the templates")
    else:
        click.echo(f'next: review them, set [templates] dir = "{directory}" in cop.toml, '
                   "then cop provision --upgrade --all")
