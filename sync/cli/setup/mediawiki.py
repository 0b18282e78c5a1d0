"""cop mediawiki namespaces: the LocalSettings.php snippet for every community."""

from __future__ import annotations

import click

from connector.mediawiki.namespaces import snippet
from sync.cli.app import App, GuardedGroup, common_options, pass_app


@click.group("mediawiki", cls=GuardedGroup)
def mediawiki() -> None:
    """MediaWiki administration helpers."""


@mediawiki.command("namespaces")
@common_options
@click.option("--php-file", is_flag=True,
              help="Print a complete PHP file (with the opening <?php), to save as a file "
                   "that LocalSettings.php includes, instead of lines to paste into it.")
@pass_app
def namespaces(app: App, php_file: bool) -> None:
    """Print the LocalSettings.php lines declaring one namespace per MediaWiki community.

    Paste them at the end of LocalSettings.php (or save them with --php-file and
    `require` the file there); MediaWiki's API cannot create namespaces."""
    entries = [(c.space, c.namespace_id, c.name) for c in app.records.communities()
               if c.backend == "mediawiki" and c.namespace_id is not None]
    click.echo(("<?php\n" if php_file else "") + snippet(entries), nl=False)
    if not entries:  # on stderr: the output stays a valid (empty) snippet
        click.echo("cop: no MediaWiki community yet (`cop community add SLUG ...` first)",
                   err=True)
