"""What the tests of feeds and digests share: two communities on an in-memory wiki
(Battery in English, Solaire in French), a clock that moves only when told, members who
add rows, and a check of what RFC 4287 requires of an Atom document."""

from __future__ import annotations

import copy
import re
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree as ET

import records_engine

from connector.base import PageRef
from connector.mediawiki.wikitext import WikitextCodec
from connector.memory import MemoryBackend
from page_templates import shipped
from sync.clock import format_time, parse_time
from sync.community.registration import NewCommunity, add_community
from sync.config.loader import Config, parse
from sync.engine.run import Syncer, SyncOptions
from sync.provision.run import Provisioner
from sync.records.store import Records
from sync.results.history import StoredContribution, save_contributions

T = shipped()
WIKI = "https://wiki.corp.example/w/"
ATOM = "{http://www.w3.org/2005/Atom}"
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")


class Clock:
    """ISO times that move only with ``advance`` (seconds)."""

    def __init__(self, start: str = "2026-12-01T08:00:00Z") -> None:
        self.now = start

    def __call__(self) -> str:
        return self.now

    def advance(self, seconds: int = 60) -> str:
        self.now = format_time(parse_time(self.now) + timedelta(seconds=seconds))
        return self.now


def config(extra: dict[str, Any] | None = None, path: Path = Path("/tmp/cop.toml")) -> Config:
    return parse({"mediawiki": {"url": WIKI}, **(extra or {})}, path)


class World:
    """Records, an in-memory MediaWiki and a clock; ``battery`` (en) and ``solar`` (fr)
    registered, provisioned and synced once. ``World.fresh()`` copies one made earlier
    (a few milliseconds instead of half a second)."""

    _made: World | None = None

    @classmethod
    def fresh(cls) -> World:
        if records_engine.POSTGRESQL:  # each test's databases are dropped after it: none kept
            return cls()
        if cls._made is None:
            cls._made = cls()
        made = cls._made
        world = cls.__new__(cls)
        world.records = Records.open(":memory:")
        made.records.db.backup(world.records.db)
        world.clock = Clock(made.clock.now)
        world.wiki = copy.deepcopy(made.wiki)
        world.config = made.config
        return world

    def __init__(self) -> None:
        self.records = Records.open(":memory:")
        self.clock = Clock()
        self.wiki = MemoryBackend(WikitextCodec(), spaces={"CoP_Battery", "CoP_Solar",
                                                           "Template"})
        self.config = config()
        for slug, name, lang in (("battery", "Battery storage", "en"),
                                 ("solar", "Solaire", "fr")):
            community = add_community(self.records, self.config, NewCommunity(
                slug=slug, name=name, theme="Energy", pilot=f"pia@{slug}.example",
                expert=f"eli@{slug}.example", lang=lang, backend="mediawiki"),
                clock=self.clock)
            done = Provisioner(self.records, self.wiki, T, clock=self.clock).run(
                [community], dry_run=False)
            assert done.exit_code == 0, done
        self.sync()

    def sync(self) -> None:
        self.clock.advance(60)
        report = Syncer(self.records, {"mediawiki": self.wiki}, T, clock=self.clock).run(
            SyncOptions())
        assert report.exit_code == 0, report.to_dict()

    def page(self, slug: str, kind: str) -> PageRef:
        state = self.records.page_state(slug, kind)
        assert state is not None
        return state.ref

    def append(self, slug: str, kind: str, *lines: str) -> None:
        ref = self.page(slug, kind)
        current = self.wiki.page(ref)
        assert current is not None
        self.wiki.edit(ref, current.content.rstrip("\n") + "\n" + "\n".join(lines) + "\n")

    def replace(self, slug: str, kind: str, old: str, new: str) -> None:
        ref = self.page(slug, kind)
        current = self.wiki.page(ref)
        assert current is not None and old in current.content
        self.wiki.edit(ref, current.content.replace(old, new))

    def edited_by(self, slug: str, kind: str, user: str, at: str | None = None) -> None:
        """The wiki's history, as `cop health` reads it into the records."""
        save_contributions(self.records, [StoredContribution(
            community=slug, kind=kind, page=str(self.page(slug, kind)), user=user,
            at=at or self.clock())])


def rfc4287_problems(document: bytes) -> list[str]:
    """What RFC 4287 requires of a feed document (the MUSTs of sections 4.1.1 to 4.2.7)
    that ``document`` breaks; [] when none."""
    root = ET.fromstring(document)  # noqa: S314 - our own document
    problems = []
    if root.tag != f"{ATOM}feed":
        return [f"root is {root.tag}"]
    problems += _required(root, "feed", ("id", "title", "updated"))
    entries = root.findall(f"{ATOM}entry")
    if root.find(f"{ATOM}author") is None and any(
            e.find(f"{ATOM}author") is None for e in entries):
        problems.append("no feed author, and an entry without one (4.1.1)")
    problems += _links(root, "feed")
    for number, entry in enumerate(entries, start=1):
        where = f"entry {number}"
        problems += _required(entry, where, ("id", "title", "updated"))
        problems += _links(entry, where)
        alternate = [link for link in entry.findall(f"{ATOM}link")
                     if link.get("rel", "alternate") == "alternate"]
        if not alternate and entry.find(f"{ATOM}content") is None:
            problems.append(f"{where}: neither an alternate link nor content (4.1.1)")
    for element in root.iter():
        name = element.tag.removeprefix(ATOM)
        if name in ("updated", "published") and not RFC3339.match(element.text or ""):
            problems.append(f"{name} {element.text!r} is not an RFC 3339 date (3.3)")
        if name == "id" and not urlsplit(element.text or "").scheme:
            problems.append(f"id {element.text!r} is not an absolute IRI (4.2.6)")
        if name in ("title", "subtitle", "summary", "rights") and \
                element.get("type", "text") not in ("text", "html", "xhtml"):
            problems.append(f"{name} has type {element.get('type')!r} (3.1.1)")
        if name == "author" and element.find(f"{ATOM}name") is None:
            problems.append("an author without a name (3.2.1)")
    return problems


def _required(element: ET.Element, where: str, names: tuple[str, ...]) -> list[str]:
    return [f"{where}: {len(element.findall(ATOM + name))} {name} elements, not exactly 1"
            for name in names if len(element.findall(ATOM + name)) != 1]


def _links(element: ET.Element, where: str) -> list[str]:
    links = element.findall(f"{ATOM}link")
    problems = [f"{where}: a link without href (4.2.7.1)" for link in links
                if not link.get("href")]
    alternates = [(link.get("type"), link.get("hreflang")) for link in links
                  if link.get("rel", "alternate") == "alternate"]
    if len(alternates) != len(set(alternates)):
        problems.append(f"{where}: two alternate links of one type and language (4.1.1)")
    return problems
