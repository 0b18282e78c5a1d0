"""Shared fixtures: the real local MediaWiki (scripts/localwiki.py).

One wiki is installed per test session (about 1 s) and served by one ``php -S``; before each
test that asks for ``wiki`` its databases are copied back from the pristine install (about
5 ms) and its extra PHP (namespaces) is cleared, so every test starts from a clean wiki.

Where MediaWiki is not installed the MediaWiki tests are skipped, unless
COP_REQUIRE_MEDIAWIKI=1 (set by .ci/run), which turns the skip into a failure.
COP_MEDIAWIKI_VERSION=1.39|1.43 chooses the wiki's version (1.39 by default; 1.43 is
downloaded once, see scripts/localwiki.py); the version shows in pytest's header.

The records: SQLite by default; ``COP_TEST_RECORDS=postgresql`` puts every test's records in
a throwaway PostgreSQL cluster started for the session (tests/records_engine.py). The
``postgres`` fixture gives that cluster to the tests that need a server whatever the switch
says (PostgreSQL's own behaviour, copying between the engines); where the server is not
installed they are skipped, unless COP_REQUIRE_POSTGRESQL=1 (set by .ci/run).
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import records_engine
from postgres_server import Cluster, start_cluster

ROOT = Path(__file__).resolve().parent.parent


def _load_localwiki():
    spec = importlib.util.spec_from_file_location("localwiki", ROOT / "scripts" / "localwiki.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["localwiki"] = module
    spec.loader.exec_module(module)
    return module


localwiki = _load_localwiki()


@dataclass
class LocalWiki:
    """A running local MediaWiki, reset to pristine before each test."""

    directory: Path
    golden: Path
    server: object
    credentials: object
    _serial: int = 0

    @property
    def url(self) -> str:
        """Script path, where api.php lives (what `cop init --mediawiki-url` takes)."""
        return self.server.url

    def reset(self) -> None:
        localwiki.reset_data(self.golden, self.directory)
        for extra in (self.directory / "extra").glob("*.php"):
            extra.unlink()

    def add_php(self, name: str, php: str) -> None:
        """Add settings (e.g. the namespaces snippet); read by the very next request.

        Each call writes a new file name: PHP's opcache may keep a rewritten file's old
        meaning for a moment, a new file it has never seen."""
        if not php.lstrip().startswith("<?php"):
            php = "<?php\n" + php
        self._serial += 1
        (self.directory / "extra" / f"{name}-{self._serial}.php").write_text(php)

    def add_namespace(self, name: str, number: int) -> None:
        self.add_php(f"ns-{number}", f"$wgExtraNamespaces[{number}] = '{name}';\n"
                                     f"$wgExtraNamespaces[{number + 1}] = '{name}_talk';\n"
                                     f"$wgVisualEditorAvailableNamespaces[{number}] = true;\n")

    @property
    def version(self) -> str:
        return localwiki.wiki_version(self.directory)


def _require_mediawiki() -> None:
    missing = localwiki.packages_missing()
    if not missing:
        return
    reason = (f"MediaWiki packages missing ({' '.join(missing)}): "
              "run `python3 scripts/localwiki.py install-deps` as root")
    if os.environ.get("COP_REQUIRE_MEDIAWIKI") == "1":
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def _wiki_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalWiki]:
    _require_mediawiki()
    base = tmp_path_factory.mktemp("mediawiki")
    golden = base / "golden"
    credentials = localwiki.create(golden)
    live = base / "live"
    localwiki.copy(golden, live)
    server = localwiki.Server(live).start()
    try:
        yield LocalWiki(live, golden, server, credentials)
    finally:
        server.stop()


@pytest.fixture
def wiki(_wiki_server: LocalWiki) -> LocalWiki:
    """The real MediaWiki, clean: no pages but the main page, no extra namespaces."""
    _wiki_server.reset()
    return _wiki_server


def pytest_report_header() -> str:
    return f"MediaWiki version: {os.environ.get('COP_MEDIAWIKI_VERSION') or '1.39'}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if {"wiki", "_wiki_server"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.mediawiki)
    if records_engine.POSTGRESQL and records_engine.TOUCHED_FILE:  # only those again
        touched = records_engine.touched_before()
        kept = [item for item in items if item.nodeid in touched]
        config.hook.pytest_deselected(items=[i for i in items if i.nodeid not in touched])
        items[:] = kept


# --- PostgreSQL -------------------------------------------------------------------------------

_CLUSTER: list[Cluster] = []


def _cluster() -> Cluster:
    if not _CLUSTER:
        try:
            _CLUSTER.append(start_cluster())
        except RuntimeError as error:
            if os.environ.get("COP_REQUIRE_POSTGRESQL") == "1":
                pytest.fail(str(error))
            pytest.skip(str(error))
    return _CLUSTER[0]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "sqlite_only: about the SQLite file itself (skipped "
                                       "when the records are on PostgreSQL)")
    config.addinivalue_line("markers", "both_engines: opens SQLite files and PostgreSQL "
                                       "databases side by side (runs once: skipped when "
                                       "COP_TEST_RECORDS=postgresql)")
    if records_engine.POSTGRESQL:  # no server, no run: a RuntimeError stops pytest
        _CLUSTER.append(start_cluster())
        records_engine.install(_CLUSTER[0])
    elif records_engine.TOUCHED_FILE:
        records_engine.observe()


def pytest_sessionfinish(session: pytest.Session) -> None:
    if not records_engine.POSTGRESQL and records_engine.TOUCHED_FILE:
        records_engine.write_touched()


def pytest_unconfigure(config: pytest.Config) -> None:
    while _CLUSTER:
        _CLUSTER.pop().stop()


@pytest.fixture(scope="session")
def postgres() -> Cluster:
    """The throwaway PostgreSQL cluster (started once per session)."""
    return _cluster()


@pytest.fixture
def pg_database(postgres: Cluster) -> Iterator[str]:
    """A new, empty database of the throwaway cluster (its URL), dropped afterwards."""
    _DATABASES[0] += 1
    name = f"shared{_DATABASES[0]}"
    postgres.create_database(name)
    yield postgres.url(name)
    postgres.drop_database(name)


_DATABASES = [0]


@pytest.fixture(autouse=True)
def _records_engine(request: pytest.FixtureRequest) -> Iterator[None]:
    if records_engine.POSTGRESQL and request.node.get_closest_marker("sqlite_only"):
        pytest.skip("about the SQLite file itself")
    if records_engine.POSTGRESQL and request.node.get_closest_marker("both_engines"):
        pytest.skip("runs once, in the run with SQLite records")
    if records_engine.DATABASES is not None:
        records_engine.DATABASES.begin_test()
    records_engine.CURRENT[0] = request.node.nodeid
    yield
    if records_engine.DATABASES is not None:
        records_engine.DATABASES.end_test()


@pytest.fixture
def feeds():
    """A real HTTP server publishing feeds (and failing as publishers do): tests/feed_server.py."""
    from feed_server import feed_server  # noqa: PLC0415 - only the tests that ask start it

    with feed_server() as server:
        yield server
