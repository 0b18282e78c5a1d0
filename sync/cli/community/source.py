"""cop source add | remove | list: the watch's sources, for the innovation manager.

Add and remove write the source's row on the Watch page, as a member would (the page is the
sources' truth: sync/relay/edit.py); list shows what the records know of each source.
"""

from __future__ import annotations

from typing import Any

import click

from connector.errors import CopError, UsageError
from connector.http import safe_url
from sync.cli.app import App, GuardedGroup, common_options, pass_app
from sync.cli.output import echo_json, echo_table
from sync.records.model import Community
from sync.relay.edit import SourceEdit, edit_source
from sync.results.status import sources_status


@click.group("source", cls=GuardedGroup)
def source() -> None:
    """The watch's sources: the feeds (RSS, Atom) listed on a community's Watch page, whose
    new entries cop-sync proposes there under "To review"."""


@source.command("add")
@common_options
@click.argument("slug")
@click.argument("url")
@click.option("--name", default=None,
              help="How its entries name their source (a journal, an office, a site...); "
                   "required for a new source.")
@click.option("--tags", default=None,
              help="Keywords every entry of the source gets, separated by commas.")
@pass_app
def add(app: App, slug: str, url: str, name: str | None, tags: str | None) -> None:
    """Add the feed at URL to the Watch page of community SLUG, or change its name or tags
    (options left out keep what the page holds). Members can do the same on the page."""
    community = _open(app, slug)
    with app.lock():
        edit = _edit(app, community, url, {"name": name, "tags": tags})
    _said(edit, slug)


@source.command("remove")
@common_options
@click.argument("slug")
@click.argument("url")
@pass_app
def remove(app: App, slug: str, url: str) -> None:
    """Remove the feed at URL from the Watch page of community SLUG (the entries it
    brought stay where members left them, and are still never proposed again)."""
    community = _open(app, slug)
    with app.lock():
        edit = _edit(app, community, url, None)
    _said(edit, slug)


@source.command("list")
@common_options
@click.argument("slug", required=False)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@pass_app
def list_sources(app: App, slug: str | None, as_json: bool) -> None:
    """The sources of community SLUG (or of every community), as the last cop-sync read
    them from the Watch pages: name, address, tags, last check and state."""
    communities = [app.community(slug)] if slug else app.records.communities()
    data = {c.slug: sources_status(app.records, c, app.config.sources)
            for c in communities}
    if as_json:
        echo_json(data)
        return
    rows = [[found, s["name"], safe_url(s["url"]), s["tags"], s["checked_at"] or "never",
             _state(s)] for found, status in data.items() for s in status["listed"]]
    if not rows:
        click.echo("no source listed" + (f" on the Watch page of {slug}" if slug else ""))
        return
    echo_table(["community", "name", "url", "tags", "last checked", "state"], rows)


def _state(source: dict[str, Any]) -> str:
    if source["failing"]:
        return f"failing: {source['error']}"
    return "ok" if source["ok_at"] else "not read yet"


def _open(app: App, slug: str) -> Community:
    community = app.community(slug)
    if community.archived:
        raise UsageError(f"{slug} is archived: its pages are frozen (`cop archive {slug} "
                         "--undo` reopens it)")
    return community


def _edit(app: App, community: Community, url: str,
          fields: dict[str, str | None] | None) -> SourceEdit:
    """The page write; a wiki failure is exit 1 (nothing recorded: nothing lost)."""
    backend = app.backend(community.backend)
    try:
        return edit_source(app.records, backend, app.templates, community, url, fields)
    except UsageError:
        raise
    except CopError as error:
        click.echo(f"cop: error: the Watch page was not written ({error}); nothing changed, "
                   "run the command again", err=True)
        raise SystemExit(1) from error


def _said(edit: SourceEdit, slug: str) -> None:
    if edit.action == "unchanged":
        click.echo(f"{safe_url(edit.url)}: already so on {edit.page}; nothing written")
        return
    click.echo(f"{safe_url(edit.url)} {edit.action} on {edit.page} ({slug}); cop-sync reads "
               "it at its next run" if edit.action != "removed" else
               f"{safe_url(edit.url)} removed from {edit.page} ({slug})")
