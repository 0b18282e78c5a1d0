"""cop mediawiki namespaces: the LocalSettings.php snippet for every community."""

from __future__ import annotations

import click

from connector.mediawiki.namespaces import snippet

from .app import App, GuardedGroup, common_options, pass_app


@click.group("mediawiki", cls=GuardedGroup)
def mediawiki() -> None:
    """MediaWiki administration helpers."""


@mediawiki.command("namespaces")
@common_options
@pass_app
def namespaces(app: App) -> None:
    """Print the LocalSettings.php lines declaring one namespace per MediaWiki community."""
    entries = [(c.space, c.namespace_id, c.name) for c in app.records.communities()
               if c.backend == "mediawiki" and c.namespace_id is not None]
    click.echo(snippet(entries), nl=False)
