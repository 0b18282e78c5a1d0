"""cop init: write a commented starter cop.toml and create the records database."""

from __future__ import annotations

import click

from connector.errors import UsageError

from .. import config as config_module
from ..records import Records
from ..starter import StarterSettings, starter_text
from .app import App, GuardedCommand, common_options, pass_app


@click.command("init", cls=GuardedCommand)
@common_options
@click.option("--records", "records_path", default="cop.db", show_default=True,
              help="SQLite records file (relative to the config file).")
@click.option("--mediawiki-url", metavar="URL",
              help="Script path of the wiki, where api.php lives (e.g. https://wiki/w/).")
@click.option("--mediawiki-user", metavar="NAME", default="",
              help="Bot password user, e.g. CopBot@cop (empty: anonymous reads).")
@click.option("--mediawiki-password-env", metavar="VAR", default="COP_MEDIAWIKI_PASSWORD",
              show_default=True, help="Environment variable holding the bot password.")
@click.option("--confluence-url", metavar="URL",
              help="Cloud: https://SITE.atlassian.net/wiki; Data Center: https://HOST[/CTX].")
@click.option("--confluence-user", metavar="NAME", default="",
              help="Cloud: account e-mail. Data Center: empty for a personal access token.")
@click.option("--confluence-token-env", metavar="VAR", default="COP_CONFLUENCE_TOKEN",
              show_default=True, help="Environment variable holding the API token / PAT.")
@click.option("--confluence-cloud/--confluence-datacenter", "cloud", default=True,
              help="Confluence deployment (default: Cloud).")
@click.option("--lang", type=click.Choice(["en", "fr"]), default="en", show_default=True,
              help="Default language of new communities' pages.")
@click.option("--force", is_flag=True, help="Overwrite an existing configuration file.")
@pass_app
def init(app: App, records_path: str, mediawiki_url: str | None, mediawiki_user: str,
         mediawiki_password_env: str, confluence_url: str | None, confluence_user: str,
         confluence_token_env: str, cloud: bool, lang: str, force: bool) -> None:
    """Write a starter cop.toml (every setting can be given as a flag) and create the
    records database. Without a wiki URL, the local MediaWiki of the quick start
    (http://127.0.0.1:8080/) is assumed."""
    path = config_module.find_config_path(app.config_path)
    if path.exists() and not force:
        raise UsageError(f"{path} already exists (use --force to overwrite it)")
    backend = "confluence" if confluence_url and not mediawiki_url else "mediawiki"
    settings = StarterSettings(
        records=records_path, lang=lang, backend=backend,
        mediawiki_url=mediawiki_url or ("" if confluence_url else "http://127.0.0.1:8080/"),
        mediawiki_user=mediawiki_user, mediawiki_password_env=mediawiki_password_env,
        confluence_url=confluence_url or "", confluence_user=confluence_user,
        confluence_token_env=confluence_token_env,
        confluence_deployment="cloud" if cloud else "datacenter")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(starter_text(settings), encoding="utf-8")
    config = config_module.load(str(path))  # proves the file we wrote is valid
    Records.open(config.records_path).close()
    click.echo(f"wrote {path}")
    click.echo(f"records: {config.records_path}")
    click.echo("next: cop community add SLUG --name ... --theme ... --pilot ... --expert ...")
