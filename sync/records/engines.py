"""Where the records live, and what differs between the two databases that can hold them.

The records are either an SQLite file (the default: one innovation manager, the cron job on
the same machine) or a PostgreSQL database (``postgresql://user@host/db``: several managers,
a container job without a disk, IT's backups). ``Records`` (store.py) talks to both through
the same small interface: its connection's ``execute``/``executemany`` with ``?`` parameters,
and an ``Engine`` for what SQL alone cannot say the same way on both (transactions, the schema
version, the run lock).

The PostgreSQL driver is imported only when a ``postgresql://`` URL is opened: the SQLite
path, and every command's start-up, never pay for it.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any, Protocol
from urllib.parse import parse_qs, urlsplit, urlunsplit

URL_SCHEMES = ("postgresql://", "postgres://")


def is_url(where: object) -> bool:
    """Whether ``where`` names a PostgreSQL database rather than an SQLite file."""
    return isinstance(where, str) and where.startswith(URL_SCHEMES)


def url_password(url: str) -> str | None:
    """The password written in a URL (``postgresql://user:secret@host/db`` or
    ``?password=secret``), if any."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.password is not None:
        return parts.password
    return (parse_qs(parts.query).get("password") or [None])[0]


def redacted(url: str) -> str:
    """The URL as messages and logs may show it: a password in it becomes ``***``; query
    parameters that carry one (``?password=``) too."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "postgresql://***"
    netloc = parts.netloc
    if parts.password is not None:
        user, _, host = netloc.rpartition("@")
        netloc = f"{user.split(':', 1)[0]}:***@{host}"
    query = "&".join("password=***" if item.lower().startswith("password=") else item
                     for item in parts.query.split("&")) if parts.query else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


class Cursor(Protocol):
    rowcount: int

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...

    def __iter__(self) -> Any: ...


class Connection(Protocol):
    """What the records' code uses of a connection: sqlite3's, and the PostgreSQL one
    (postgres.py) that takes the same ``?`` parameters and gives rows read by name or
    position."""

    def execute(self, sql: str, parameters: Any = ...) -> Any: ...

    def executemany(self, sql: str, parameters: Any) -> Any: ...

    def close(self) -> None: ...


class Engine(Protocol):
    """What differs between the databases beyond plain SQL."""

    name: str  # "sqlite" | "postgresql"
    where: str  # the file, or the URL without its password: for messages
    errors: tuple[type[Exception], ...]  # the driver's errors (a migration that fails)

    def schema_version(self) -> int: ...

    def set_schema_version(self, version: int) -> None: ...

    def migration_statements(self, script: str) -> list[str]:
        """The statements of one migration (schema.py), as this database reads them."""
        ...

    def in_transaction(self) -> bool: ...

    def begin(self) -> None:
        """Start a write transaction: one writer at a time, as SQLite's BEGIN IMMEDIATE."""
        ...

    def commit(self) -> None: ...

    def rollback(self) -> None: ...

    def snapshot(self) -> AbstractContextManager[None]:
        """A read-only transaction that sees one moment of the records (``cop records
        copy`` reads every table from it)."""
        ...

    def column_types(self, table: str) -> dict[str, str]:
        """column -> its declared type, lower case (``integer``, ``text``, ...)."""
        ...

    def after_copy(self, tables: list[str]) -> None:
        """After rows were copied in with their ids: ids assigned later follow them."""
        ...
