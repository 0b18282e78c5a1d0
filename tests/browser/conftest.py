"""The browser suite's fixtures: a real MediaWiki with VisualEditor, two provisioned communities
(Battery, English; Stockage, French), a member account, and Debian's Chromium driven by
Playwright for Python (never ``playwright install``: the browser download is unreachable).

The wiki is its own (not the session wiki of the other tests): it is served by ``php -S``
with three workers, as the visual editor loads many resources at once, and it runs the whole
snippet of ``cop mediawiki namespaces`` (the "Add" buttons' script included). Its version
follows ``COP_MEDIAWIKI_VERSION`` (1.39 or 1.43). Each community has the page of a seminar
(two lists on one page). A second account, the newcomer, has never opened the visual editor
(VisualEditor greets it with a welcome dialog). Screenshots go to
``tests/browser/screenshots/<version>/`` (ignored by git), printed at the end of the run.

Without Playwright or Chromium the suite is skipped, saying why; with
``COP_REQUIRE_CHROMIUM=1`` (set by .ci/run) that is a failure.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from sync.cli import _cop
from sync.cli.sync_command import cop_sync

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "integration"))
from wiki_people import Person  # noqa: E402  (the integration tests' helper)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = ROOT / "tests" / "browser" / "screenshots"


def _skip_or_fail(reason: str) -> None:
    if os.environ.get("COP_REQUIRE_CHROMIUM") == "1":
        pytest.fail(f"{reason} (COP_REQUIRE_CHROMIUM=1)")
    pytest.skip(reason)


@dataclass
class MemberWiki:
    """The wiki, the cop directory that provisioned it, and its people."""

    url: str
    version: str
    cop_env: dict[str, str]
    credentials: Any
    shots: Path
    newcomer: tuple[str, str] = ("Newcomer", "Newc0mer-Local-Wiki-Pass")

    def cop(self, *args: str) -> Result:
        return CliRunner().invoke(_cop, list(args), env=self.cop_env, catch_exceptions=False)

    def sync(self) -> Result:
        return CliRunner().invoke(cop_sync, [], env=self.cop_env, catch_exceptions=False)

    def person(self, admin: bool = False) -> Person:
        c = self.credentials
        if admin:
            return Person(self.url, c.admin_user, c.admin_password)
        return Person(self.url, c.member_user, c.member_password)

    def member_language(self, lang: str) -> None:
        """The member's interface language (Special:Preferences → Language), and no
        welcome dialog in front of the visual editor."""
        site = self.person().site
        site.post("options", token=site.get_token("csrf"),
                  change=f"language={lang}|visualeditor-hidebetawelcome=1")

    def read(self, title: str) -> str:
        return self.person().read(title)

    @contextmanager
    def appended(self, title: str, line: str) -> Iterator[None]:
        """``line`` added at the end of the page by another person, and the page put back as
        it was however the block ends: the session's other tests sync, and a bad row left
        open would fail them all."""
        before = self.read(title)
        self.person().append(title, line)
        try:
            yield
        finally:
            self.person().save(title, before)


def _localwiki() -> Any:
    return sys.modules["localwiki"]  # loaded by tests/conftest.py


@pytest.fixture(scope="session")
def member_wiki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MemberWiki]:
    localwiki = _localwiki()
    if localwiki.packages_missing():
        if os.environ.get("COP_REQUIRE_MEDIAWIKI") == "1":
            pytest.fail("MediaWiki packages missing")
        pytest.skip("MediaWiki packages missing: run scripts/setup")
    base = tmp_path_factory.mktemp("member-wiki")
    credentials = localwiki.create(base / "wiki")
    localwiki.create_user(base / "wiki", *MemberWiki.newcomer)
    server = localwiki.Server(base / "wiki", workers=3).start()
    version = localwiki.wiki_version(base / "wiki")
    env = {"COP_CONFIG": str(base / "cop.toml"),
           "COP_MEDIAWIKI_PASSWORD": credentials.bot_password}
    wiki = MemberWiki(server.url, version, env, credentials, SCREENSHOTS / version)
    wiki.shots.mkdir(parents=True, exist_ok=True)
    try:
        _provision(wiki, base)
        yield wiki
    finally:
        server.stop()
        print(f"\nbrowser screenshots: {wiki.shots}")


def _provision(wiki: MemberWiki, base: Path) -> None:
    assert wiki.cop("init", "--mediawiki-url", wiki.url, "--mediawiki-user",
                    wiki.credentials.bot_user).exit_code == 0
    for slug, name, lang in (("battery", "Battery storage", "en"),
                             ("stockage", "Stockage d'énergie", "fr")):
        added = wiki.cop("community", "add", slug, "--name", name, "--theme", "Energy",
                         "--pilot", "claire@corp.example", "--expert", "karim@corp.example",
                         "--lang", lang)
        assert added.exit_code == 0, added.output
    seminar = wiki.cop("seminar", "add", "2027", "--title", "Annual seminar", "--start",
                       "2027-03-10", "--days", "2", "--place", "Lyon")
    assert seminar.exit_code == 0, seminar.output
    snippet = wiki.cop("mediawiki", "namespaces", "--php-file").output
    (base / "wiki" / "extra" / "namespaces.php").write_text(snippet)
    provisioned = wiki.cop("provision", "--all")
    assert provisioned.exit_code == 0, provisioned.output
    assert wiki.sync().exit_code == 0


@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright  # noqa: PLC0415  (optional)
    except ImportError:
        _skip_or_fail("Playwright for Python is not installed (pip install -e '.[test]')")
    if not CHROMIUM.exists():
        _skip_or_fail(f"Debian's chromium is not installed ({CHROMIUM}): run scripts/setup")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def _logged_in(chromium: Any, wiki: MemberWiki, user: str, password: str, *,
               javascript: bool = True) -> Iterator[Any]:
    context = chromium.new_context(viewport={"width": 1280, "height": 900},
                                   java_script_enabled=javascript)
    page = context.new_page()
    # generous: the visual editor takes 5-15 s to open on a busy CI machine
    page.set_default_timeout(90_000)
    page.goto(wiki.url + "index.php?title=Special:UserLogin")
    page.fill("#wpName1", user)
    page.fill("#wpPassword1", password)
    page.click("#wpLoginAttempt")
    page.wait_for_selector("#pt-logout, #pt-userpage", state="attached")
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def member_page(chromium: Any, member_wiki: MemberWiki) -> Iterator[Any]:
    """A browser tab logged in as the member."""
    c = member_wiki.credentials
    yield from _logged_in(chromium, member_wiki, c.member_user, c.member_password)


@pytest.fixture
def member_page_without_js(chromium: Any, member_wiki: MemberWiki) -> Iterator[Any]:
    """The member in a browser with JavaScript off (no visual editor, no page scripts)."""
    c = member_wiki.credentials
    yield from _logged_in(chromium, member_wiki, c.member_user, c.member_password,
                          javascript=False)


@pytest.fixture
def newcomer_page(chromium: Any, member_wiki: MemberWiki) -> Iterator[Any]:
    """A member who has never opened the visual editor (it shows its welcome dialog)."""
    yield from _logged_in(chromium, member_wiki, *member_wiki.newcomer)
