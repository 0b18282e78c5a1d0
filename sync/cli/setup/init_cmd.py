"""cop init: write a commented starter cop.toml and create the records database."""

from __future__ import annotations

import getpass
import os
import shutil
import sys
import tomllib
from pathlib import Path

import click
from click.core import ParameterSource

import sync.config.loader as config_module
from connector.confluence.gateway import gateway_for
from connector.confluence.settings import check_url as check_confluence_url
from connector.confluence.settings import is_gateway
from connector.errors import BackendError, ConfigError, UsageError
from connector.mediawiki.http import check_url as check_mediawiki_url
from sync.cli.app import App, GuardedCommand, common_options, pass_app
from sync.config.loader import Config, toml_string
from sync.config.starter import StarterSettings, starter_text
from sync.config.systemd import (
    ENVIRONMENT,
    SERVICE,
    TIMER,
    environment_text,
    secret_names,
    unit_files,
)
from sync.records.store import Records

# The options that are settings of the file (given on an existing file, they need --force).
SETTINGS = ("records_path", "records_password_env", "mediawiki_url", "mediawiki_user",
            "mediawiki_password_env", "confluence_url", "confluence_user",
            "confluence_token_env", "cloud", "lang", "allow_http", "scoped_token")
OPTIONS = {"mediawiki.url": "--mediawiki-url", "confluence.url": "--confluence-url",
           "mediawiki.allow_http": "--allow-http", "confluence.allow_http": "--allow-http"}


@click.command("init", cls=GuardedCommand)
@common_options
@click.option("--records", "records_path", default="cop.db", show_default=True,
              metavar="PATH|URL",
              help="SQLite records file (relative to the config file), or a PostgreSQL "
                   "database: postgresql://USER@HOST/DB (no password in it: PGPASSWORD, "
                   "~/.pgpass, or --records-password-env).")
@click.option("--records-password-env", metavar="VAR", default="",
              help="Environment variable holding the PostgreSQL password (default: libpq's "
                   "PGPASSWORD or ~/.pgpass).")
@click.option("--mediawiki-url", metavar="URL",
              help="Script path of the wiki, where api.php lives (e.g. https://wiki/w/).")
@click.option("--mediawiki-user", metavar="NAME", default="",
              help="Bot password user, e.g. CopBot@cop (empty: anonymous reads).")
@click.option("--mediawiki-password-env", metavar="VAR", default="COP_MEDIAWIKI_PASSWORD",
              show_default=True, help="Environment variable holding the bot password.")
@click.option("--confluence-url", metavar="URL",
              help="Cloud: https://SITE.atlassian.net/wiki (or, for a scoped token, "
                   "https://api.atlassian.com/ex/confluence/CLOUD_ID/wiki); Data Center: "
                   "https://HOST[/CTX].")
@click.option("--confluence-user", metavar="NAME", default="",
              help="Cloud: account e-mail. Data Center: empty for a personal access token.")
@click.option("--confluence-token-env", metavar="VAR", default="COP_CONFLUENCE_TOKEN",
              show_default=True, help="Environment variable holding the API token / PAT.")
@click.option("--confluence-cloud/--confluence-datacenter", "cloud", default=True,
              help="Confluence deployment (default: Cloud).")
@click.option("--confluence-scoped-token", "scoped_token", is_flag=True,
              help="The Cloud token is a scoped API token: use Atlassian's API gateway, "
                   "whose address is found from the site URL (one request to "
                   "https://SITE.atlassian.net/_edge/tenant_info, without credentials).")
@click.option("--lang", type=click.Choice(["en", "fr"]), default="en", show_default=True,
              help="Default language of new communities' pages.")
@click.option("--allow-http", is_flag=True,
              help="Accept a plain http:// wiki URL on a host other than this machine (the "
                   "password or token then crosses the network in clear: trusted networks "
                   "only).")
@click.option("--force", is_flag=True,
              help="Overwrite an existing configuration file (the previous one is kept as "
                   "FILE.bak; the records are kept).")
@click.option("--systemd", is_flag=True,
              help="Also write a systemd service and timer for cop-sync, and an environment "
                   "file (mode 600) for the secrets, in a systemd/ directory beside "
                   "cop.toml (on an existing cop.toml: only these).")
@click.option("--every", "every_minutes", type=click.IntRange(1, 1440), default=5,
              show_default=True, metavar="MINUTES",
              help="With --systemd: minutes between the end of a run and the next.")
@pass_app
def init(app: App, records_path: str, records_password_env: str, mediawiki_url: str | None,
         mediawiki_user: str, mediawiki_password_env: str, confluence_url: str | None,
         confluence_user: str,
         confluence_token_env: str, cloud: bool, lang: str, allow_http: bool,
         scoped_token: bool, force: bool, systemd: bool, every_minutes: int) -> None:
    """Write a starter cop.toml (every setting can be given as a flag) and create the
    records database. Without a wiki URL, the local MediaWiki of the quick start
    (http://127.0.0.1:8080/) is assumed.

    On an existing cop.toml whose records database is missing, and without settings
    flags, it keeps the file and only creates the records. Nothing is written when a URL
    is refused or the records cannot be created."""
    path = config_module.find_config_path(app.config_path)
    if path.is_dir():
        raise UsageError(f"{path} is a directory: give the configuration file's path "
                         f"(e.g. --config {path / config_module.DEFAULT_PATH})")
    if path.exists() and not force:
        if systemd:
            _write_systemd(config_module.load(str(path)), every_minutes)
        else:
            _records_only(path)
        return
    if confluence_url and scoped_token:
        confluence_url = _gateway(confluence_url, cloud)
    backend = "confluence" if confluence_url and not mediawiki_url else "mediawiki"
    settings = StarterSettings(
        records=records_path, records_password_env=records_password_env, lang=lang,
        backend=backend,
        mediawiki_url=mediawiki_url or ("" if confluence_url else "http://127.0.0.1:8080/"),
        mediawiki_user=mediawiki_user, mediawiki_password_env=mediawiki_password_env,
        confluence_url=confluence_url or "", confluence_user=confluence_user,
        confluence_token_env=confluence_token_env,
        confluence_deployment="cloud" if cloud else "datacenter")
    text = starter_text(settings)
    if allow_http:
        text = _allow_http(text, settings)
    config = config_module.parse(tomllib.loads(text), path.resolve())  # before any write
    _check_urls(config)
    _write(path, text, config)
    if systemd:
        _write_systemd(config, every_minutes)


def _write_systemd(config: Config, every_minutes: int) -> None:
    """The units (rewritten) and the environment file (only when missing: it may hold the
    secrets already), in ``systemd/`` beside the configuration; then how to install them."""
    directory = config.path.parent / "systemd"
    environment = directory / ENVIRONMENT
    units = unit_files(config, bin_dir=Path(sys.executable).parent, user=getpass.getuser(),
                       every_minutes=every_minutes,
                       environment_file=Path("/etc/cop-connector") / ENVIRONMENT)
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for name, text in units.items():
            (directory / name).write_text(text, encoding="utf-8")
        kept = environment.exists()
        if not kept:
            descriptor = os.open(environment, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w", encoding="utf-8") as out:
                out.write(environment_text(config))
    except OSError as error:
        raise UsageError(f"cannot write {directory}: {error.strerror or error}") from error
    if kept:  # say so: a re-run must not let anyone think the secrets were reset
        click.echo(f"wrote {directory / SERVICE} and {directory / TIMER}; kept {environment} "
                   "as it is (it may hold the secret already)")
    else:
        secrets = "fill in the secret" if secret_names(config) else \
            "the configuration names no secret"
        click.echo(f"wrote {directory / SERVICE}, {directory / TIMER} and {environment} "
                   f"(mode 600; {secrets})")
    click.echo("install (as root):\n"
               f"  install -D -m 600 {environment} /etc/cop-connector/{ENVIRONMENT}\n"
               f"  cp {directory / SERVICE} {directory / TIMER} /etc/systemd/system/\n"
               f"  systemctl daemon-reload && systemctl enable --now {TIMER}\n"
               "then: systemctl list-timers cop-sync; journalctl -u cop-sync")


def _gateway(url: str, cloud: bool) -> str:
    """The API gateway's address for the site at ``url`` (a scoped token's)."""
    if not cloud:
        raise UsageError("--confluence-scoped-token: scoped tokens are Confluence Cloud's; "
                         "Data Center takes a personal access token")
    try:
        found = gateway_for(url)
    except ConfigError as error:
        raise UsageError(f"--confluence-url: {str(error).removeprefix(f'[{error.setting}] ')}"
                         ) from error
    except BackendError as error:
        raise UsageError(f"--confluence-scoped-token: cannot find the site's cloud id: "
                         f"{error}; give the gateway URL itself (https://api.atlassian.com/"
                         "ex/confluence/CLOUD_ID/wiki)") from error
    if not is_gateway(url):
        click.echo(f"scoped token: Confluence is reached through {found}", err=True)
    return found


def _records_only(path: Path) -> None:
    """``cop init`` on an existing file: create its missing records, nothing else."""
    ctx = click.get_current_context()
    given = [name for name in SETTINGS
             if ctx.get_parameter_source(name) == ParameterSource.COMMANDLINE]
    if given:
        raise UsageError(f"{path} already exists (use --force to overwrite it with these "
                         "settings; the previous file is kept as .bak)")
    config = config_module.load(str(path))
    if Records.exist(config.records_where, password=config.records_password()):
        raise UsageError(f"{path} already exists, and so do its records "
                         f"({config.records_where}): nothing to do (use --force to overwrite "
                         "the configuration)")
    _create_records(config)
    click.echo(f"kept {path}")
    click.echo(f"records: {config.records_where} (created)")


def _write(path: Path, text: str, config: Config) -> None:
    """The file (via a temporary one), the records, then the file in place: a records
    database that cannot be created leaves no configuration behind."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary.write_text(text, encoding="utf-8")
    except OSError as error:
        raise UsageError(f"cannot write {path}: {error.strerror or error}") from error
    try:
        _create_records(config)
        backup = None
        if path.exists():
            backup = path.with_name(path.name + ".bak")
            shutil.copy2(path, backup)
        os.replace(temporary, path)
    except OSError as error:
        raise UsageError(f"cannot write {path}: {error.strerror or error}") from error
    finally:
        temporary.unlink(missing_ok=True)
    click.echo(f"wrote {path}" + (f" (the previous one is {backup})" if backup else ""))
    click.echo(f"records: {config.records_where}")
    click.echo("next: cop community add SLUG --name ... --theme ... --pilot ... --expert ...")


def _create_records(config: Config) -> None:
    """The records' tables, in a new SQLite file or in the (existing) PostgreSQL database."""
    directory = config.records_path.parent
    new_directory = not config.records_url and not directory.exists()
    Records.open(config.records_where, create=True,
                 password=config.records_password()).close()
    if new_directory:
        click.echo(f"created directory {directory}", err=True)


def _check_urls(config: Config) -> None:
    """The checks the adapters make when they start, now, with the flag to blame."""
    try:
        if config.mediawiki is not None:
            check_mediawiki_url(config.mediawiki.url, allow_http=config.mediawiki.allow_http)
        if config.confluence is not None:
            check_confluence_url(config.confluence.url, deployment=config.confluence.deployment,
                                 allow_http=config.confluence.allow_http)
    except ConfigError as error:
        option = OPTIONS.get(error.setting or "", error.setting or "URL")
        message = str(error).removeprefix(f"[{error.setting}] ")
        if option == "--allow-http":
            message += " (here: pass --allow-http)"
        raise UsageError(f"{option}: {message}") from error


def _allow_http(text: str, settings: StarterSettings) -> str:
    """``allow_http = true`` under each configured wiki's url line."""
    for section, url in (("mediawiki", settings.mediawiki_url),
                         ("confluence", settings.confluence_url)):
        if not url:
            continue
        line = f"url = {toml_string(url)}\n"
        at = text.index(line, text.index(f"[{section}]\n")) + len(line)
        text = text[:at] + "allow_http = true   # cop init --allow-http\n" + text[at:]
    return text
