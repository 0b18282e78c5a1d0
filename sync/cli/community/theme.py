"""cop theme add | list | decide: candidate themes and the decision makers' decisions."""

from __future__ import annotations

import click

from sync.cli.app import App, GuardedGroup, common_options, pass_app
from sync.cli.output import echo_json, echo_table
from sync.method.themes import add_theme, decide_theme, theme_rows


@click.group("theme", cls=GuardedGroup)
def theme() -> None:
    """Candidate themes from the strategic axes, and the decision makers' choice."""


@theme.command("add")
@common_options
@click.argument("slug")
@click.option("--title", required=True, help="The theme, in a few words.")
@click.option("--axis", required=True, help="The company's strategic axis it serves.")
@click.option("--portfolio", default="", metavar="REF",
              help="The innovation portfolio item it relates to (a reference).")
@pass_app
def add(app: App, slug: str, title: str, axis: str, portfolio: str) -> None:
    """Propose theme SLUG (to be decided by the decision makers)."""
    added = add_theme(app.records, slug, title=title, axis=axis, portfolio=portfolio)
    click.echo(f"theme {added.slug} proposed: {added.title} (axis: {added.axis}); next: "
               f"`cop theme decide {added.slug} approve|reject --by NAME`")


@theme.command("list")
@common_options
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
def list_(app: App, as_json: bool) -> None:
    """Every theme, its latest decision (and how many were taken) and its community; with
    --json, every decision: what, who, when, why."""
    rows = theme_rows(app.records)
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("no themes yet: cop theme add SLUG --title TEXT --axis TEXT")
        return
    echo_table(["slug", "title", "axis", "portfolio", "status", "decided by", "decisions",
                "community"],
               [[r["slug"], r["title"], r["axis"], r["portfolio"] or None, r["status"],
                 r["decided_by"], len(r["decisions"]) or None, r["community"]]
                for r in rows])


@theme.command("decide")
@common_options
@click.argument("slug")
@click.argument("decision", type=click.Choice(["approve", "reject"]))
@click.option("--by", "by", required=True, metavar="NAME",
              help="Who decided (the decision makers).")
@click.option("--note", default="", help="Why, or under what conditions.")
@pass_app
def decide(app: App, slug: str, decision: str, by: str, note: str) -> None:
    """Record the decision makers' decision on theme SLUG: approve or reject."""
    decided = decide_theme(app.records, app.config, slug, decision, by=by, note=note)
    click.echo(f"theme {slug} {decided.theme.status} by {decided.theme.decided_by}")
    for warning in decided.warnings:
        click.echo(f"cop: warning: {warning}", err=True)
    if decided.theme.status == "approved":
        click.echo(f"next: cop community add SLUG --from-theme {slug} --name ... "
                   "--pilot EMAIL --expert EMAIL")
