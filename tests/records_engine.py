"""Which database the tests' records live in: ``COP_TEST_RECORDS=postgresql`` runs every test
again with every ``Records`` on PostgreSQL (``.ci/run`` does), the default is SQLite.

On PostgreSQL (a throwaway cluster, tests/postgres_server.py) every ``Records.open`` of a test
gets a fresh database, cloned from a template database that holds the current schema (a
clone costs a fraction of a migration):

* ``:memory:`` -> a new database each time;
* a file path (``tmp_path / "cop.db"``, the ``[records] path`` the CLI opens) -> the same
  database every time that path is opened in the test, and "no records there" until one
  open creates them, as with the file;
* a ``postgresql://`` URL -> itself.

Processes the tests start (``cop_process``) read ``cop.toml``: ``database_config`` writes the
database's URL into it. The databases a test made are dropped when it ends, except those a
session fixture keeps (snapshots).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
from pathlib import Path
from typing import Any

from connector.errors import RecordsMissing
from sync.records.engines import is_url
from sync.records.store import Records

ENGINE = os.environ.get("COP_TEST_RECORDS", "sqlite")
POSTGRESQL = ENGINE == "postgresql"
TEMPLATE = "cop_template"
# COP_RECORDS_TESTS=FILE: the SQLite run writes there the tests that made a Records object;
# the PostgreSQL run then runs only those (.ci/run: the records-touching tests, again).
TOUCHED_FILE = os.environ.get("COP_RECORDS_TESTS", "")
CURRENT: list[str] = [""]  # the running test's node id
_TOUCHED: set[str] = set()


def observe() -> None:
    """Note each test that makes a Records object (any engine, any way: open or clone)."""
    original = Records.__init__

    def init(self: Any, *args: Any, **kwargs: Any) -> None:
        _TOUCHED.add(CURRENT[0])
        original(self, *args, **kwargs)

    Records.__init__ = init  # type: ignore[method-assign]


def write_touched() -> None:
    Path(TOUCHED_FILE).write_text("".join(f"{n}\n" for n in sorted(_TOUCHED) if n),
                                  encoding="utf-8")


def touched_before() -> set[str]:
    return set(Path(TOUCHED_FILE).read_text(encoding="utf-8").splitlines())


class Databases:
    """The cluster's test databases, by the path the test named."""

    def __init__(self, cluster: Any) -> None:
        import psycopg  # noqa: PLC0415 - only when the records are on PostgreSQL

        self.cluster = cluster
        self.admin = psycopg.connect(cluster.url("postgres", role="postgres"), autocommit=True)
        self.by_path: dict[str, str] = {}
        self.made: list[str] = []
        self.kept: set[str] = set()
        self.opened: list[Any] = []
        self._numbers = itertools.count(1)
        self._sql(f"CREATE DATABASE {TEMPLATE} OWNER cop")
        Records.open(cluster.url(TEMPLATE)).close()  # the current schema, migrated once

    def _sql(self, sql: str) -> None:
        self.admin.execute(sql)

    def new(self, *, template: str = TEMPLATE) -> str:
        name = f"t{next(self._numbers)}"
        self._terminate(template)
        self._sql(f"CREATE DATABASE {name} OWNER cop TEMPLATE {template}")
        self.made.append(name)
        return name

    def url(self, name: str) -> str:
        return self.cluster.url(name)

    def url_for(self, where: Path | str, *, create: bool) -> str | None:
        """The database standing for ``where`` (None: nothing there and not to create)."""
        if str(where) == ":memory:":
            return self.url(self.new())
        key = str(Path(where).resolve())
        if key not in self.by_path:
            if not create:
                return None
            self.by_path[key] = self.new()
        return self.url(self.by_path[key])

    def copy(self, source: Path, target: Path, *, keep: bool = False) -> None:
        """The records of path ``source`` copied for path ``target`` (a snapshot)."""
        name = self.new(template=self.by_path[str(source.resolve())])
        self.by_path[str(target.resolve())] = name
        if keep:
            self.kept.add(name)

    def _terminate(self, name: str) -> None:
        """A database is cloned only with no one connected to it."""
        for records in self.opened:
            if f"@/{name}?" in records.path:
                records.close()
        self.admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE "
                           "datname = %s AND pid <> pg_backend_pid()", (name,))

    def begin_test(self) -> None:
        """Databases made before (at import, by the session) stay for the session."""
        self.kept.update(self.made)
        self.made = []

    def end_test(self) -> None:
        for records in self.opened:
            with contextlib.suppress(Exception):  # already closed or broken
                records.close()
        self.opened.clear()
        for name in self.made:
            if name not in self.kept:
                self._sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
                for key in [k for k, v in self.by_path.items() if v == name]:
                    del self.by_path[key]
        self.made = [name for name in self.made if name in self.kept]


DATABASES: Databases | None = None


def install(cluster: Any) -> Databases:
    """Every Records.open of the tests on ``cluster`` from now on (see the module)."""
    global DATABASES  # noqa: PLW0603 - one cluster per test session
    databases = DATABASES = Databases(cluster)
    original = Records.open.__func__  # type: ignore[attr-defined]

    def open_(cls: type, where: Path | str, *, create: bool = True,
              password: str | None = None) -> Any:
        url = str(where) if is_url(where) else databases.url_for(where, create=create)
        if url is None:
            raise RecordsMissing("no records database there", path=str(where))
        records = original(cls, url, create=create, password=password)
        databases.opened.append(records)
        return records

    def exist(where: Path | str, *, password: str | None = None) -> bool:
        if is_url(where):
            return original_exist(where, password=password)
        return str(Path(where).resolve()) in databases.by_path

    original_exist = Records.exist
    Records.open = classmethod(open_)  # type: ignore[method-assign,assignment]
    Records.exist = staticmethod(exist)  # type: ignore[method-assign,assignment]
    return databases


def clone(records: Any) -> Any:
    """A new database holding what ``records`` holds (PostgreSQL only)."""
    assert DATABASES is not None
    source = re.search(r"@/(\w+)\?", records.path)
    assert source is not None, records.path
    return Records.open(DATABASES.url(DATABASES.new(template=source[1])))


def drop(records: Any) -> None:
    """Drop the database of ``records`` now (a test that makes many), PostgreSQL only."""
    found = re.search(r"@/(\w+)\?", records.path)
    if DATABASES is None or found is None:
        return
    DATABASES.admin.execute(f"DROP DATABASE IF EXISTS {found[1]} WITH (FORCE)")
    if found[1] in DATABASES.made:
        DATABASES.made.remove(found[1])


def database_config(config: Path) -> None:
    """On PostgreSQL, ``config``'s ``[records] path`` becomes the URL of the database the
    tests use for that path (for a process the tests start: it reads the file)."""
    if not POSTGRESQL or DATABASES is None:
        return
    text = config.read_text(encoding="utf-8")
    found = re.search(r'^path = "([^"]*)"', text, re.MULTILINE)
    if found is None:
        return
    path = Path(found[1]) if Path(found[1]).is_absolute() else config.parent / found[1]
    url = DATABASES.url_for(path, create=True)
    config.write_text(text.replace(found[0], f'url = "{url}"'), encoding="utf-8")


def records_where(directory: Path, name: str = "cop.db") -> str:
    """What to open for the records a ``cop.toml`` in ``directory`` names (its path, or on
    PostgreSQL the URL database_config wrote)."""
    text = (directory / "cop.toml").read_text(encoding="utf-8")
    found = re.search(r'^url = "(postgresql://[^"]*)"', text, re.MULTILINE)
    return found[1] if found else str(directory / name)


def execute(directory: Path, statement: str, *args: object) -> None:
    """Run one SQL statement (SQLite's ``?`` parameters) on the records of the ``cop.toml``
    in ``directory``, whichever engine holds them (a test setting the scene)."""
    records = Records.open(records_where(directory), create=False)
    try:
        with records.transaction():
            records.db.execute(statement, args)
    finally:
        records.close()
