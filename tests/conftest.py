"""Shared fixtures: the real local MediaWiki (scripts/localwiki.py).

One wiki is installed per test session (about 1 s) and served by one ``php -S``; before each
test that asks for ``wiki`` its databases are copied back from the pristine install (about
5 ms) and its extra PHP (namespaces) is cleared, so every test starts from a clean wiki.

Where MediaWiki is not installed the MediaWiki tests are skipped, unless
COP_REQUIRE_MEDIAWIKI=1 (set by .ci/run), which turns the skip into a failure.
COP_MEDIAWIKI_VERSION=1.39|1.43 chooses the wiki's version (1.39 by default; 1.43 is
downloaded once, see scripts/localwiki.py); the version shows in pytest's header.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

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


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if {"wiki", "_wiki_server"} & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.mediawiki)


@pytest.fixture
def feeds():
    """A real HTTP server publishing feeds (and failing as publishers do): tests/feed_server.py."""
    from feed_server import feed_server  # noqa: PLC0415 - only the tests that ask start it

    with feed_server() as server:
        yield server
