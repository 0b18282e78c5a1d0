"""cop community add | list | show."""

from __future__ import annotations

import click

from ..communities import NewCommunity, add_community
from ..status import community_status
from .app import App, GuardedGroup, common_options, pass_app
from .output import echo_json, echo_table


@click.group("community", cls=GuardedGroup)
def community() -> None:
    """Register and inspect communities of practice."""


@community.command("add")
@common_options
@click.argument("slug")
@click.option("--name", required=True, help="Name of the community.")
@click.option("--theme", required=True, help="Innovation theme (from the strategic axes).")
@click.option("--pilot", required=True, metavar="EMAIL", help="Pilot's e-mail.")
@click.option("--expert", required=True, metavar="EMAIL", help="Theme expert's e-mail.")
@click.option("--sponsor", default="", help="Sponsor (top management).")
@click.option("--account", default="", metavar="CODE", help="Analytic (cost) account.")
@click.option("--backend", type=click.Choice(["mediawiki", "confluence"]), default=None,
              help="Where its space lives (default: from cop.toml).")
@click.option("--lang", default=None, metavar="LANG",
              help="Language of its pages: fr, en, or one the company's templates add "
                   "(default: from cop.toml).")
@pass_app
def add(app: App, slug: str, **options: str) -> None:
    """Register community SLUG; its pilot and expert become its first members."""
    created = add_community(app.records, app.config, NewCommunity(slug=slug, **options),
                            languages=app.templates.languages)
    click.echo(f"community {created.slug} added ({created.backend}, space {created.space}, "
               f"{created.lang})")
    if created.backend == "mediawiki":
        click.echo(f"namespace {created.space} = {created.namespace_id}: add it to "
                   "LocalSettings.php (`cop mediawiki namespaces`), then "
                   f"`cop provision {created.slug}`")
    else:
        click.echo(f"next: cop provision {created.slug}")


@community.command("list")
@common_options
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
def list_(app: App, as_json: bool) -> None:
    """All communities, with their space and state."""
    statuses = [community_status(app.records, app.templates, c)
                for c in app.records.communities()]
    if as_json:
        echo_json([{k: s[k] for k in ("slug", "name", "backend", "space", "lang", "status",
                                      "provisioned", "rows", "watermark")} for s in statuses])
        return
    if not statuses:
        click.echo("no communities yet: cop community add SLUG --name ... (see --help)")
        return
    echo_table(["slug", "name", "backend", "space", "lang", "status", "members",
                "provisioned", "last sync"],
               [[s["slug"], s["name"], s["backend"], s["space"], s["lang"], s["status"],
                 s["rows"].get("members", 0), s["provisioned"], s["watermark"]]
                for s in statuses])


@community.command("show")
@common_options
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
def show(app: App, slug: str, as_json: bool) -> None:
    """One community: charter fields, pages, members and row counts."""
    found = app.community(slug)
    status = community_status(app.records, app.templates, found)
    members = app.records.live_rows(slug, "members")
    if as_json:
        echo_json({**found.__dict__, "pages": status["pages"], "rows": status["rows"],
                   "members": list(members.values())})
        return
    for name in ("slug", "name", "theme", "axes", "pilot", "expert", "sponsor", "status",
                 "account", "backend", "lang", "space", "objectives", "scope"):
        click.echo(f"{name + ':':12} {getattr(found, name) or '-'}")
    click.echo("")
    echo_table(["page", "state", "revision"],
               [[p["page"] or p["kind"], p["state"], p["revision"]] for p in status["pages"]])
    click.echo("")
    echo_table(["email", "name", "profile", "role", "site", "since"],
               [[m.get(k, "") for k in ("email", "name", "profile", "role", "site", "since")]
                for m in members.values()])
    click.echo("")
    click.echo("rows: " + ", ".join(f"{kind} {count}" for kind, count in status["rows"].items()))
