"""The ``[feeds]`` and ``[mail]`` sections of cop.toml: what is new, sent out.

```toml
[feeds]
dir = "feeds"                              # <slug>.atom and all.atom, written by cop-sync
url = "https://intranet.corp.example/cop/" # where a web server serves that directory
entries = 50                               # the newest rows each feed lists

[mail]
host = "smtp.corp.example"
port = 587                                 # default: 25 (none), 587 (starttls), 465 (tls)
security = "starttls"                      # none | starttls | tls
user = "cop-bot"                           # empty: the server takes mail without a login
password_env = "COP_MAIL_PASSWORD"         # the variable holding the password
from = "Communities of practice <cop@corp.example>"
ca_bundle = ""                             # a private certificate authority's file
timeout = 30
```

Every problem is a ConfigError naming the setting (exit code 2). A password never crosses
the network in clear: a ``user`` needs ``starttls`` or ``tls`` unless the server is this
machine.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from msgspec import Struct

from connector.errors import ConfigError

if TYPE_CHECKING:  # the email package is imported by the commands that send mail only
    from email.headerregistry import Address

SECURITY = ("none", "starttls", "tls")
DEFAULT_PORTS = {"none": 25, "starttls": 587, "tls": 465}


class FeedsConfig(Struct, frozen=True):
    """Where cop-sync writes the Atom feeds (``dir``, relative to cop.toml), the address a
    web server serves them at (``url``: the feeds' self links; "" for relative ones), and
    how many of the newest rows each lists."""

    dir: str = "feeds"
    url: str = ""
    entries: int = 50


class MailConfig(Struct, frozen=True):
    """The company's SMTP server the digests go through."""

    host: str
    sender: str  # ``from`` in the file: "Name <address>" or an address
    port: int = 587
    security: str = "starttls"
    user: str = ""
    password_env: str = "COP_MAIL_PASSWORD"  # noqa: S105 - a variable name
    ca_bundle: str = ""
    timeout: float = 30.0

    @property
    def sender_address(self) -> Address:
        """``from`` as an address (display name and e-mail)."""
        from email.headerregistry import Address  # noqa: PLC0415 - see the imports
        from email.utils import getaddresses  # noqa: PLC0415

        name, email = getaddresses([self.sender])[0]
        user, _, domain = email.partition("@")
        return Address(display_name=name, username=user, domain=domain)


def parse_feeds(raw: Any, path: Path) -> FeedsConfig | None:
    """The ``[feeds]`` table; None when absent (cop-sync writes no feed)."""
    if raw is None:
        return None
    table = _table(raw, "feeds", {"dir", "url", "entries"}, path)
    directory = _string(table, "dir", "feeds", "feeds", path)
    if not directory:
        raise ConfigError("must be a directory path (relative to this file)",
                          setting="feeds.dir", path=str(path))
    url = _string(table, "url", "", "feeds", path)
    if url and not url.startswith(("https://", "http://")):
        raise ConfigError(f"must be the http(s) address the directory is served at, not "
                          f"{url!r}", setting="feeds.url", path=str(path))
    entries = table.get("entries", 50)
    if type(entries) is not int or not 1 <= entries <= 1000:
        raise ConfigError(f"must be a whole number from 1 to 1000, not {entries!r}",
                          setting="feeds.entries", path=str(path))
    return FeedsConfig(dir=directory, url=url.rstrip("/") + "/" if url else "",
                       entries=entries)


def parse_mail(raw: Any, path: Path) -> MailConfig | None:
    """The ``[mail]`` table; None when absent (`cop digest --send` then says to add it)."""
    if raw is None:
        return None
    table = _table(raw, "mail", {"host", "port", "security", "user", "password_env", "from",
                                 "ca_bundle", "timeout"}, path)
    security = _string(table, "security", "starttls", "mail", path)
    if security not in SECURITY:
        raise ConfigError(f"must be one of {', '.join(SECURITY)}, not {security!r}",
                          setting="mail.security", path=str(path))
    mail = MailConfig(
        host=_required(table, "host", path), sender=_sender(table, path),
        port=_port(table.get("port", DEFAULT_PORTS[security]), path), security=security,
        user=_string(table, "user", "", "mail", path),
        password_env=_string(table, "password_env", "COP_MAIL_PASSWORD", "mail", path),
        ca_bundle=_string(table, "ca_bundle", "", "mail", path),
        timeout=_timeout(table.get("timeout", 30.0), path))
    from connector.http import is_loopback  # noqa: PLC0415 - requests only when [mail] is set

    if mail.user and security == "none" and not is_loopback(mail.host):
        raise ConfigError(f"a login to {mail.host} would send the password in clear: set "
                          "security = \"starttls\" or \"tls\" (or no user, for a server "
                          "that takes the company's mail without one)",
                          setting="mail.security", path=str(path))
    return mail


def _table(raw: Any, name: str, allowed: set[str], path: Path) -> Mapping[str, Any]:
    if not isinstance(raw, Mapping):
        raise ConfigError("must be a table", setting=name, path=str(path))
    for key in raw:
        if key not in allowed:
            raise ConfigError(f"unknown setting (expected one of: {', '.join(sorted(allowed))})",
                              setting=f"{name}.{key}", path=str(path))
    return raw


def _string(table: Mapping[str, Any], key: str, default: str, section: str,
            path: Path) -> str:
    value = table.get(key, default)
    if not isinstance(value, str):
        raise ConfigError(f"must be a string, not {value!r}", setting=f"{section}.{key}",
                          path=str(path))
    return value.strip()


def _required(table: Mapping[str, Any], key: str, path: Path) -> str:
    value = _string(table, key, "", "mail", path)
    if not value:
        raise ConfigError("is required", setting=f"mail.{key}", path=str(path))
    return value


def _sender(table: Mapping[str, Any], path: Path) -> str:
    """``from``: one address, with or without a display name."""
    from email.utils import getaddresses  # noqa: PLC0415 - see the imports

    value = _required(table, "from", path)
    found = getaddresses([value])
    if len(found) != 1 or found[0][1].count("@") != 1 or not all(found[0][1].split("@")):
        raise ConfigError(f'must be one e-mail address, e.g. "Communities of practice '
                          f'<cop@corp.example>", not {value!r}', setting="mail.from",
                          path=str(path))
    return value


def _port(value: Any, path: Path) -> int:
    if type(value) is not int or not 1 <= value <= 65535:
        raise ConfigError(f"must be a port number (1 to 65535), not {value!r}",
                          setting="mail.port", path=str(path))
    return value


def _timeout(value: Any, path: Path) -> float:
    if type(value) not in (int, float) or not value > 0:
        raise ConfigError(f"must be a positive number of seconds, not {value!r}",
                          setting="mail.timeout", path=str(path))
    return float(value)
