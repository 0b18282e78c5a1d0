"""The in-memory world the engine tests share: communities on MemoryBackend wikis,
provisioned and synced, and small helpers to change and inspect them."""

from __future__ import annotations

from pathlib import Path

from connector.base import PageRef
from connector.errors import Unreachable
from connector.http import Budget
from connector.mediawiki.wikitext import WikitextCodec
from connector.memory import MemoryBackend
from page_templates import shipped
from sync.community.registration import NewCommunity, add_community
from sync.config.loader import parse
from sync.engine.members import record_member
from sync.engine.run import Syncer, SyncOptions
from sync.provision.run import Provisioner
from sync.records.model import Community
from sync.records.store import Records
from sync.results.status import community_status

T = shipped()
CONFIG = parse({"mediawiki": {"url": "http://127.0.0.1:1/"},
                "confluence": {"url": "https://x.atlassian.net/wiki"}}, Path("/tmp/cop.toml"))
ANN = {"email": "ann@corp.example", "name": "Ann", "profile": "marketing"}


def timeout() -> Unreachable:
    return Unreachable("the connection failed after the write was sent (ReadTimeout); it "
                       "was not replayed and may or may not have been saved", backend="memory")


def memory_wiki() -> MemoryBackend:
    return MemoryBackend(WikitextCodec(), spaces={"CoP_Battery", "CoP_Solar", "Template"})


def community(records: Records, slug: str, backend: str = "mediawiki") -> Community:
    return add_community(records, CONFIG, NewCommunity(
        slug=slug, name=slug.title(), theme="Energy", pilot=f"pia@{slug}.example",
        expert=f"eli@{slug}.example", lang="en", backend=backend))


def ready(records: Records, wikis: dict[str, MemoryBackend], *slugs: str) -> None:
    """Communities provisioned and synced once."""
    for slug in slugs:
        found = records.community(slug) or community(records, slug)
        Provisioner(records, wikis[found.backend], T).run([found], dry_run=False)
    assert sync(records, wikis).exit_code == 0


def sync(records: Records, wikis: dict[str, MemoryBackend], budget: Budget | None = None,
         **options):
    return Syncer(records, wikis, T, budget=budget).run(SyncOptions(**options))


def members_page(wiki: MemoryBackend, space: str = "CoP_Battery") -> str:
    page = wiki.page(PageRef(space, "Members"))
    assert page is not None
    return page.content


def add_locally(records: Records, slug: str, fields=ANN) -> None:
    record_member(records, T, records.community(slug), fields)


def pending(records: Records, slug: str) -> bool:
    return community_status(records, T, records.community(slug))["pending_member_changes"]
