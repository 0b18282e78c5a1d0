"""The benchmark's wiki side: a throwaway MediaWiki, its communities, members who edit, the
per-page reader it is compared with, and request counting from the server's own log."""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import localwiki
import mwclient
import requests
from bench_micro import sample_row

from connector.mediawiki.backend import MediaWikiBackend
from connector.mediawiki.namespaces import snippet
from connector.mediawiki.wikitext_render import render_row
from page_templates import TemplateSet
from sync.community.registration import NewCommunity, add_community
from sync.config.backends import build_backend
from sync.config.loader import Config, MediaWikiConfig
from sync.records.model import Community
from sync.records.store import Records

PASSWORD_ENV = "COP_BENCH_MEDIAWIKI_PASSWORD"
LIST_KINDS = ("members", "watch", "references", "regulation", "competition")
# php -S logs one line per request served: "... 127.0.0.1:50124 [200]: GET /api.php?..."
_REQUEST_LINE = re.compile(rb"\[\d{3}\]: [A-Z]+ /")


@dataclass
class Figures:
    """What one measured step cost. ``requests`` is what the server logged; ``client`` what
    the client counted (HTTP round trips, retries included); they should agree."""

    requests: int
    client: int
    seconds: float
    reads: int = 0
    writes: int = 0
    feeds: int = 0
    pages: int = 0  # pages read (sync, reader) or written (provisioning)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def other(self) -> int:
        """Login and token requests."""
        return max(0, self.client - self.reads - self.writes - self.feeds)


class BenchWiki:
    """A fresh MediaWiki in a temporary directory with ``workers`` PHP workers.

    ``stop()`` kills the server's process group and removes the directory; it is safe to
    call twice and from a ``finally`` after Ctrl-C."""

    def __init__(self, workers: int, keep: bool = False) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="cop-bench-"))
        self.directory = self.root / "wiki"
        self.keep = keep
        self.server = localwiki.Server(self.directory, workers=workers)
        self.credentials: localwiki.Credentials | None = None
        self._log_offset = 0

    def start(self) -> BenchWiki:
        self.credentials = localwiki.create(self.directory)
        self.server.start()
        os.environ[PASSWORD_ENV] = self.credentials.bot_password
        return self

    def stop(self) -> None:
        self.server.stop()
        if not self.keep:
            shutil.rmtree(self.root, ignore_errors=True)

    @property
    def url(self) -> str:
        return self.server.url

    def config(self) -> Config:
        """The configuration cop would have (the bot password from the environment)."""
        assert self.credentials is not None
        return Config(path=self.root / "cop.toml", records_path=self.root / "cop.db",
                      mediawiki=MediaWikiConfig(url=self.url, user=self.credentials.bot_user,
                                                password_env=PASSWORD_ENV))

    def backend(self, records: Records) -> MediaWikiBackend:
        """A fresh adapter, built as cop-sync builds it: it takes up the session an earlier
        step kept (cop-session.json beside the records), logging in only the first time."""
        backend = build_backend(self.config(), "mediawiki", records=records)
        assert isinstance(backend, MediaWikiBackend)
        return backend

    def begin(self) -> None:
        """Wait until the server has logged everything done so far (a member's edit is
        logged after its response, once MediaWiki's post-send updates ran); count anew."""
        deadline = time.monotonic() + 5.0
        quiet_since = time.monotonic()
        while time.monotonic() < deadline and time.monotonic() - quiet_since < 0.2:
            if self.served():
                quiet_since = time.monotonic()
            time.sleep(0.02)

    def served(self) -> int:
        """Requests the server has logged since the previous call."""
        with open(self.directory / "logs" / "server.log", "rb") as log:
            log.seek(self._log_offset)
            data = log.read()
        complete = data[:data.rfind(b"\n") + 1]
        self._log_offset += len(complete)
        return len(_REQUEST_LINE.findall(complete))

    def count(self, at_least: int) -> int:
        """``served()``, waiting a moment for log lines written after the responses."""
        count = self.served()
        deadline = time.monotonic() + 2.0
        while count < at_least and time.monotonic() < deadline:
            time.sleep(0.02)
            count += self.served()
        time.sleep(0.05)
        return count + self.served()


def add_communities(wiki: BenchWiki, records: Records, count: int) -> list[Community]:
    """``count`` communities (English and French alternately), as `cop community add` does,
    and their namespaces declared as `cop mediawiki namespaces` prints them."""
    config = wiki.config()
    for number in range(count):
        add_community(records, config, NewCommunity(
            slug=f"bench-{number:03d}", name=f"Bench community {number}",
            theme="Benchmarks", pilot=f"pilot{number}@corp.example",
            expert=f"expert{number}@corp.example", lang="en" if number % 2 == 0 else "fr",
            force=True))  # a benchmark: more communities than the method runs at once
    communities = records.communities()
    entries = [(c.space, c.namespace_id, c.name) for c in communities
               if c.namespace_id is not None]
    extra = wiki.directory / "extra"
    (extra / "namespaces.php").write_text("<?php\n" + snippet(entries))
    # MediaWiki throttles a plain user to 90 edits a minute: that would only slow down the
    # set-up and the k changes the member makes (nothing cop-connector does is throttled).
    (extra / "bench.php").write_text("<?php\n$wgGroupPermissions['user']['noratelimit'] = true;\n")
    return communities


class Person:
    """A wiki user editing through the API (a member's browser, in effect); not counted in
    cop-connector's figures (the server log is read before and after)."""

    def __init__(self, url: str, user: str, password: str) -> None:
        self.api = url + "api.php"
        self.session = requests.Session()
        token = self._call("GET", action="query", meta="tokens", type="login")
        login = self._call("POST", action="login", lgname=user, lgpassword=password,
                           lgtoken=token["query"]["tokens"]["logintoken"])
        if login["login"]["result"] != "Success":
            raise RuntimeError(f"login of {user} refused: {login}")
        self.csrf = self._call("GET", action="query", meta="tokens")["query"]["tokens"][
            "csrftoken"]

    def _call(self, method: str, **params: Any) -> dict[str, Any]:
        params.update(format="json", formatversion=2)
        if method == "GET":
            response = self.session.get(self.api, params=params, timeout=60)
        else:
            response = self.session.post(self.api, data=params, timeout=60)
        response.raise_for_status()
        return response.json()

    def append(self, title: str, lines: Sequence[str]) -> None:
        """Add lines at the end of a page, as someone typing in the source editor."""
        result = self._call("POST", action="edit", title=title,
                            appendtext="\n" + "\n".join(lines), summary="member edit",
                            nocreate=1, token=self.csrf)
        if result.get("edit", {}).get("result") != "Success":
            raise RuntimeError(f"edit of {title} failed: {result}")

    def edit_count(self) -> int:
        """Edits saved on the whole wiki so far (siteinfo statistics)."""
        result = self._call("GET", action="query", meta="siteinfo", siprop="statistics")
        return int(result["query"]["statistics"]["edits"])


def list_pages(records: Records,
               communities: Sequence[Community]) -> list[tuple[Community, str, str]]:
    """(community, kind, title) of every list page, spread: each community's first page,
    then each one's second, ... (the kinds rotate, so a few pages cover every kind)."""
    pages = []
    for turn in range(len(LIST_KINDS)):
        for number, community in enumerate(communities):
            kind = LIST_KINDS[(turn + number) % len(LIST_KINDS)]
            state = records.page_state(community.slug, kind)
            assert state is not None, f"{community.slug} {kind} not provisioned"
            pages.append((community, kind, str(state.ref)))
    return pages


def add_rows(person: Person, templates: TemplateSet,
             pages: Sequence[tuple[Community, str, str]], count: int, salt: str,
             progress: Callable[[int], None] | None = None) -> None:
    """One edit per page appending ``count`` new rows of its kind (unique by ``salt``)."""
    for done, (community, kind_name, title) in enumerate(pages, start=1):
        kind = templates[kind_name]
        rows = [render_row(kind, sample_row(kind, i, f"{salt}{community.slug}-"),
                           community.lang) for i in range(count)]
        person.append(title, rows)
        if progress:
            progress(done)


Reader = Callable[[str, Sequence[str], Callable[[], object]], tuple[int, float, int]]


def _timed_reads(read: Callable[[str], None], titles: Sequence[str],
                 mark: Callable[[], object]) -> tuple[int, float]:
    mark()  # requests before this point (a client's set-up) are not the reader's
    start = time.perf_counter()
    for title in titles:
        read(title)
    return len(titles), time.perf_counter() - start


def per_page_reader(url: str, titles: Sequence[str],
                    mark: Callable[[], object]) -> tuple[int, float, int]:
    """Read each page with its own request, the way a tool without batching (or without a
    change feed, which must then read every page on every run) does it: anonymous (the wiki
    is world-readable, so no login is counted), and it neither parses nor stores what it
    reads, so its time is a lower bound. (requests, seconds, pages found)."""
    session = requests.Session()
    found = 0

    def read(title: str) -> None:
        nonlocal found
        response = session.get(url + "api.php", timeout=60, params={
            "action": "query", "prop": "revisions", "titles": title, "rvslots": "main",
            "rvprop": "content|ids|timestamp", "format": "json", "formatversion": 2})
        response.raise_for_status()
        page = response.json()["query"]["pages"][0]
        found += bool(page.get("revisions"))

    requests_made, seconds = _timed_reads(read, titles, mark)
    return requests_made, seconds, found


def mwclient_reader(url: str, titles: Sequence[str],
                    mark: Callable[[], object]) -> tuple[int, float, int]:
    """The same read with mwclient's idiom, ``site.pages[title].text()`` (anonymous)."""
    session = requests.Session()
    made = [0]
    session.hooks["response"].append(lambda *_, **__: made.__setitem__(0, made[0] + 1))
    parts = urlsplit(url)
    site = mwclient.Site(parts.netloc, path=parts.path, scheme=parts.scheme, pool=session)
    found = 0

    def read(title: str) -> None:
        nonlocal found
        found += bool(site.pages[title].text())

    made[0] = 0  # the Site's own siteinfo request at construction is not counted
    _, seconds = _timed_reads(read, titles, mark)
    return made[0], seconds, found


def all_titles(records: Records, communities: Sequence[Community]) -> Iterator[str]:
    """Every page once (a page holding other kinds' rows, such as the Watch page and its
    sources, has a page state per row set)."""
    for community in communities:
        yield from dict.fromkeys(str(state.ref) for state in records.page_states(community.slug))
