"""cop.toml: loading, validation, the starter file, and secrets.

Found at ``--config``, else ``$COP_CONFIG``, else ``./cop.toml``. Relative paths are relative
to the file. Secrets are never in the file: it names the environment variable that holds
them (or the system keyring is asked, when the optional ``keyring`` package is installed).
Every problem is a ConfigError naming the setting (exit code 2).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import tomli  # the compiled tomllib: see pyproject.toml
from msgspec import Struct, field
from msgspec.structs import fields as struct_fields
from msgspec.structs import replace

from connector.errors import ConfigError
from sync.config.health import HealthConfig, parse_health
from sync.config.method import MethodConfig, parse_method
from sync.config.relay_out import FeedsConfig, MailConfig, parse_feeds, parse_mail
from sync.config.sources import SourcesConfig, parse_sources
from sync.records.engines import URL_SCHEMES, url_password

DEFAULT_PATH = "cop.toml"
LANG_CODE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})*$")
KEYRING_SERVICE = "cop-connector"
SESSION_FILE = "cop-session.json"


class MediaWikiConfig(Struct, frozen=True):
    url: str
    user: str = ""
    password_env: str = "COP_MEDIAWIKI_PASSWORD"  # noqa: S105 - a variable name
    namespace_base: int = 3000
    timeout: float = 30.0
    ca_bundle: str = ""
    allow_http: bool = False


class ConfluenceConfig(Struct, frozen=True):
    url: str
    user: str = ""
    token_env: str = "COP_CONFLUENCE_TOKEN"  # noqa: S105 - a variable name
    deployment: str = "cloud"  # cloud | datacenter
    timeout: float = 30.0
    ca_bundle: str = ""
    allow_http: bool = False
    # [confluence.accounts]: e-mail -> Cloud accountId / Data Center user key, for space
    # permissions (no Confluence API finds an account by e-mail)
    accounts: Mapping[str, str] = field(default_factory=dict)
    # issue 12 (connector/confluence/settings.py says what each does)
    labels: bool = True  # false: no labels (REST v1 only: a scoped token cannot add them)
    feed_overlap_seconds: int = 3600  # the change feed's overlap (search index lag)
    max_retry_wait: int = 60  # the longest Retry-After honoured, in seconds
    admin_role: str = "Admin"  # role-based sites: the space role of pilot and expert
    editor_role: str = "Collaborator"  # ... and of members
    # where members open the pages (links in feeds and digests) when ``url`` is the API
    # gateway (a scoped token's), which no browser opens: https://SITE.atlassian.net/wiki
    site_url: str = ""


class SyncConfig(Struct, frozen=True):
    overlap_seconds: int = 300
    budget_seconds: int = 600
    lock_file: str = "cop-sync.lock"
    report_file: str = "cop-sync-report.json"
    log_file: str = ""
    # the wikis' sessions between runs (connector/session.py): a cron run need not log in
    keep_session: bool = True
    session_file: str = ""  # default: cop-session.json beside the records


class Config(Struct, frozen=True):
    path: Path
    records_path: Path
    default_backend: str = "mediawiki"
    default_lang: str = "en"
    mediawiki: MediaWikiConfig | None = None
    confluence: ConfluenceConfig | None = None
    sync: SyncConfig = field(default_factory=SyncConfig)
    health: HealthConfig = field(default_factory=HealthConfig)
    method: MethodConfig = field(default_factory=MethodConfig)
    templates_dir: Path | None = None  # [templates] dir: the company's override directory
    sources: SourcesConfig = field(default_factory=SourcesConfig)  # the watch's feeds
    records_url: str = ""  # [records] url: a PostgreSQL database instead of the file
    records_password_env: str = ""  # [records] password_env: the variable holding its password

    @property
    def shown_path(self) -> str:
        """This file as a message names it: its path from the current directory when it
        is there or below (cop.toml, cop-test.toml, etc/cop.toml), else its full path."""
        try:
            return str(self.path.resolve().relative_to(Path.cwd().resolve()))
        except (ValueError, OSError):  # elsewhere (or no current directory any more)
            return str(self.path)

    @property
    def records_where(self) -> str:
        """Where the records are: the database's URL, or the SQLite file's path."""
        return self.records_url or str(self.records_path)

    def records_password(self) -> str | None:
        """The database's password when ``[records] password_env`` names its variable
        (else None: libpq looks in PGPASSWORD and ~/.pgpass). Raises ConfigError."""
        if not self.records_password_env:
            return None
        user = urlsplit(self.records_url).username or ""
        return secret(self.records_password_env, user=user, setting="records.password_env",
                      service="records")
    feeds: FeedsConfig | None = None  # [feeds]: the Atom feeds cop-sync writes (None: none)
    mail: MailConfig | None = None  # [mail]: the SMTP server of `cop digest`

    @property
    def session_path(self) -> Path | None:
        """Where the wikis' sessions are kept between runs (mode 600): ``[sync]
        session_file``, else ``cop-session.json`` beside the records; None when ``[sync]
        keep_session = false``."""
        if not self.sync.keep_session:
            return None
        if self.sync.session_file:
            return self.resolve(self.sync.session_file)
        return self.records_path.parent / SESSION_FILE

    def resolve(self, relative: str) -> Path:
        """A path from the file, relative to the file's directory."""
        candidate = Path(relative).expanduser()
        return candidate if candidate.is_absolute() else self.path.parent / candidate


def find_config_path(explicit: str | None) -> Path:
    return Path(explicit or os.environ.get("COP_CONFIG") or DEFAULT_PATH)


def load(explicit: str | None = None) -> Config:
    """Read and validate the configuration. Raises ConfigError."""
    path = find_config_path(explicit)
    if not path.exists():
        raise ConfigError(f"no configuration at {path.absolute()}; create one with `cop init` "
                          "(or pass --config / set COP_CONFIG)")
    if path.is_dir():
        raise ConfigError("is a directory: give the configuration file (cop.toml) in it, "
                          "or another file", path=str(path))
    try:
        data = tomli.loads(path.read_text(encoding="utf-8"))
    except tomli.TOMLDecodeError as error:
        raise ConfigError(f"is not a valid TOML file: {error}", path=str(path)) from error
    except UnicodeDecodeError as error:
        raise ConfigError("is not a text file (UTF-8): is it the configuration?",
                          path=str(path)) from error
    except OSError as error:
        raise ConfigError(f"cannot read: {error.strerror or error}", path=str(path)) from error
    return parse(data, path.resolve())


def parse(data: Mapping[str, Any], path: Path) -> Config:
    _only(data, {"records", "defaults", "mediawiki", "confluence", "sync", "health",
                 "templates", "method", "sources", "feeds", "mail"}, "", path)
    records = _section(data, "records", {"path", "url", "password_env"}, path)
    templates = _section(data, "templates", {"dir"}, path)
    defaults = _section(data, "defaults", {"backend", "lang"}, path)
    config = Config(
        path=path,
        records_path=Path(),
        default_backend=_choice(defaults, "backend", ("mediawiki", "confluence"),
                                "mediawiki", "defaults", path),
        default_lang=_lang(defaults, path),
        mediawiki=_settings(MediaWikiConfig, data, "mediawiki", path),
        confluence=_settings(ConfluenceConfig, data, "confluence", path),
        sync=_settings(SyncConfig, data, "sync", path) or SyncConfig(),
    )
    method, health = parse_method(data.get("method"), data.get("health"),
                                  parse_health(data.get("health"), path), path)
    config = _replace(config, method=method, health=health,
                      sources=parse_sources(data.get("sources"), path),
                      feeds=parse_feeds(data.get("feeds"), path),
                      mail=parse_mail(data.get("mail"), path))
    records_path = config.resolve(str(records.get("path", "cop.db")))
    config = _replace(config, records_path=records_path, **_records_url(records, path),
                      templates_dir=_templates_dir(config, templates))
    _check(config)
    return config


def _records_url(records: Mapping[str, Any], path: Path) -> dict[str, str]:
    """[records] url and password_env, checked: a PostgreSQL URL without a password (it
    comes from libpq's PGPASSWORD or ~/.pgpass, or the variable password_env names)."""
    where = str(path)
    url, variable, file = (records.get(k, "") for k in ("url", "password_env", "path"))
    for key, value in (("url", url), ("password_env", variable), ("path", file)):
        if not isinstance(value, str):
            raise ConfigError(f"must be a string, not {value!r}", setting=f"records.{key}",
                              path=where)
    if file.startswith(URL_SCHEMES):
        raise ConfigError('a database URL goes in url = "...", not in path',
                          setting="records.path", path=where)
    if url and file:
        raise ConfigError("give path (an SQLite file) or url (a PostgreSQL database), not "
                          "both", setting="records.url", path=where)
    if url and not url.startswith(URL_SCHEMES):
        raise ConfigError("must be a postgresql://user@host/database URL",
                          setting="records.url", path=where)
    if url and url_password(url) is not None:
        raise ConfigError("holds a password, which never goes in cop.toml: remove it and "
                          "give it through PGPASSWORD, ~/.pgpass, or the variable named by "
                          "[records] password_env", setting="records.url", path=where)
    if variable and not url:
        raise ConfigError("is for a PostgreSQL database: set [records] url too",
                          setting="records.password_env", path=where)
    return {"records_url": url, "records_password_env": variable}


def _check(config: Config) -> None:
    if config.confluence and config.confluence.deployment not in ("cloud", "datacenter"):
        raise ConfigError("deployment must be cloud or datacenter",
                          setting="confluence.deployment", path=str(config.path))
    for name in ("mediawiki", "confluence"):
        section = getattr(config, name)
        if section is not None and not section.url:
            raise ConfigError("url is required", setting=f"{name}.url", path=str(config.path))
    if getattr(config, config.default_backend) is None:
        raise ConfigError(f"default backend {config.default_backend!r} has no "
                          f"[{config.default_backend}] section", setting="defaults.backend",
                          path=str(config.path))
    _check_numbers(config)


def _check_numbers(config: Config) -> None:
    """Numbers that parse but cannot work: a timeout of -5 s, a namespace pair that would
    overlap another (odd base: its pages would take a talk namespace's number)."""
    where = str(config.path)
    if config.mediawiki is not None:
        base = config.mediawiki.namespace_base
        if base < 100 or base % 2:
            raise ConfigError(
                f"must be an even number of at least 100, not {base}: each community takes "
                "a pair, the even number for its pages and the next odd one for their talk "
                "pages (MediaWiki keeps the numbers below 100)",
                setting="mediawiki.namespace_base", path=where)
    for name in ("mediawiki", "confluence"):
        section = getattr(config, name)
        if section is not None and not section.timeout > 0:
            raise ConfigError(f"must be a positive number of seconds, not {section.timeout:g}",
                              setting=f"{name}.timeout", path=where)
    if config.sync.budget_seconds <= 0:
        raise ConfigError(f"must be a positive number of seconds, not "
                          f"{config.sync.budget_seconds}", setting="sync.budget_seconds",
                          path=where)
    if config.sync.overlap_seconds < 0:
        raise ConfigError(f"must be zero or more seconds, not {config.sync.overlap_seconds}",
                          setting="sync.overlap_seconds", path=where)
    confluence = config.confluence
    for key in ("feed_overlap_seconds", "max_retry_wait"):
        if confluence is not None and getattr(confluence, key) < 0:
            raise ConfigError(f"must be zero or more seconds, not {getattr(confluence, key)}",
                              setting=f"confluence.{key}", path=where)


def secret(env_var: str, *, user: str, setting: str, service: str) -> str:
    """The secret in ``$env_var``, else in the keyring; ConfigError if neither has it."""
    if env_var and os.environ.get(env_var):
        return os.environ[env_var]
    try:
        import keyring  # optional dependency  # noqa: PLC0415
    except ImportError:
        keyring = None
    if keyring is not None:
        try:
            stored = keyring.get_password(KEYRING_SERVICE, f"{service}:{user}")
        except Exception:  # any keyring backend failure means "not found"
            stored = None
        if stored:
            return stored
    raise ConfigError(f"the secret for {user!r} is missing: set the environment variable "
                      f"{env_var or '(none named)'}" + (
                          f" or store it with `keyring set {KEYRING_SERVICE} {service}:{user}`"
                          if keyring else ""), setting=setting)


def secret_origin(env_var: str, *, user: str, service: str) -> str:
    """Where ``secret`` found it, for a message that tells what to check."""
    if env_var and os.environ.get(env_var):
        return f"the environment variable {env_var}"
    return f"the keyring ({KEYRING_SERVICE} {service}:{user})"


# --- helpers ----------------------------------------------------------------------------------

def _replace(config: Config, **changes: Any) -> Config:
    return replace(config, **changes)


def _section(data: Mapping[str, Any], name: str, allowed: set[str],
             path: Path) -> Mapping[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, Mapping):
        raise ConfigError("must be a table", setting=name, path=str(path))
    _only(value, allowed, name, path)
    return value


def _only(data: Mapping[str, Any], allowed: set[str], section: str, path: Path) -> None:
    for key in data:
        if key not in allowed:
            where = f"{section}.{key}" if section else key
            raise ConfigError(f"unknown setting (expected one of: {', '.join(sorted(allowed))})",
                              setting=where, path=str(path))


def _choice(data: Mapping[str, Any], key: str, allowed: tuple[str, ...], default: str,
            section: str, path: Path) -> str:
    value = data.get(key, default)
    if value not in allowed:
        raise ConfigError(f"must be one of {', '.join(allowed)}, not {value!r}",
                          setting=f"{section}.{key}", path=str(path))
    return value


def _lang(defaults: Mapping[str, Any], path: Path) -> str:
    """A language code; whether the templates offer it is checked where it is used (the
    templates directory may add languages)."""
    value = defaults.get("lang", "en")
    if not isinstance(value, str) or not LANG_CODE.match(value):
        raise ConfigError(f"must be a language code like en or fr, not {value!r}",
                          setting="defaults.lang", path=str(path))
    return value


def _templates_dir(config: Config, templates: Mapping[str, Any]) -> Path | None:
    """[templates] dir, relative to the file; None when not set."""
    if "dir" not in templates:
        return None
    value = templates["dir"]
    if not isinstance(value, str) or not value.strip():
        raise ConfigError("must be a directory path (relative to this file)",
                          setting="templates.dir", path=str(config.path))
    return config.resolve(value)


def _settings(cls: type, data: Mapping[str, Any], name: str, path: Path) -> Any:
    """The table ``name`` as a ``cls`` (a Struct of settings), each value of its field's
    type (that of its default; the url is a string)."""
    if name not in data:
        return None
    fields = {found.name: found for found in struct_fields(cls)}
    section = _section(data, name, set(fields), path)
    values = {}
    for key, raw in section.items():
        if key == "accounts":
            values[key] = _accounts(raw, f"{name}.{key}", path)
            continue
        expected = type(fields[key].default) if key != "url" else str
        value = float(raw) if expected is float and type(raw) is int else raw
        if type(value) is not expected:  # bool is an int: be exact
            raise ConfigError(f"must be a {expected.__name__}, not {raw!r}",
                              setting=f"{name}.{key}", path=str(path))
        values[key] = value
    if "url" not in values and "url" in fields:
        raise ConfigError("url is required", setting=f"{name}.url", path=str(path))
    return cls(**values)


def _accounts(raw: Any, setting: str, path: Path) -> dict[str, str]:
    """A table of e-mail = "account identifier" strings."""
    if not isinstance(raw, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in raw.items()):
        raise ConfigError('must be a table of "e-mail" = "account id" strings',
                          setting=setting, path=str(path))
    return dict(raw)


def toml_string(value: str) -> str:
    """A TOML basic string (JSON string syntax is valid TOML)."""
    return json.dumps(value, ensure_ascii=False)
