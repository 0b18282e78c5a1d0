"""Settling conflicts (sync/engine/conflicts.py) on the in-memory wiki: the next sync applies the
choice through the ordinary three-way merge."""

from __future__ import annotations

from pathlib import Path

import pytest

from connector.base import PageRef
from connector.errors import NotFoundError, UsageError
from connector.mediawiki.wikitext import WikitextCodec
from connector.memory import MemoryBackend
from page_templates import shipped
from sync.community.registration import NewCommunity, add_community
from sync.config.loader import parse
from sync.engine.conflicts import open_conflicts, resolve
from sync.engine.members import forget_member, record_member
from sync.engine.merge import ROW
from sync.engine.run import Syncer, SyncOptions
from sync.provision.run import Provisioner
from sync.records.store import Records

T = shipped()
MEMBERS = PageRef("CoP_Battery", "Members")
ANN = {"email": "ann@corp.example", "name": "Ann", "profile": "marketing", "site": "Nice"}


@pytest.fixture
def records() -> Records:
    return Records.open(":memory:")


@pytest.fixture
def wiki() -> MemoryBackend:
    return MemoryBackend(WikitextCodec(), spaces={"CoP_Battery", "Template"})


@pytest.fixture
def synced(records: Records, wiki: MemoryBackend) -> Records:
    """Battery provisioned, Ann a member on both sides."""
    config = parse({"mediawiki": {"url": "http://127.0.0.1:1/"}}, Path("/tmp/cop.toml"))
    community = add_community(records, config, NewCommunity(
        slug="battery", name="Battery", theme="Energy", pilot="pia@corp.example",
        expert="eli@corp.example", lang="en"))
    record_member(records, T, community, ANN)
    Provisioner(records, wiki, T).run([community], dry_run=False)
    assert sync(records, wiki).exit_code == 0
    return records


def sync(records: Records, wiki: MemoryBackend):
    return Syncer(records, {"mediawiki": wiki}, T).run(SyncOptions())


def wiki_edit(wiki: MemoryBackend, old: str, new: str) -> None:
    page = wiki.page(MEMBERS)
    assert page is not None and old in page.content
    wiki.edit(MEMBERS, page.content.replace(old, new))


def local_site(records: Records, site: str) -> None:
    record_member(records, T, records.community("battery"), {**ANN, "site": site})


def ann(records: Records) -> dict[str, str] | None:
    return records.live_rows("battery", "members").get("ann@corp.example")


def site_conflict(records: Records, wiki: MemoryBackend) -> int:
    """Ann's site: Paris on the wiki, Lyon by command, Nice before."""
    wiki_edit(wiki, "site=Nice", "site=Paris")
    local_site(records, "Lyon")
    report = sync(records, wiki)
    assert report.exit_code == 1 and report.counts()["conflicts"] == 1
    [conflict] = open_conflicts(records, "battery")
    assert (conflict.key, conflict.field, conflict.base, conflict.wiki, conflict.local) == (
        "ann@corp.example", "site", "Nice", "Paris", "Lyon")
    assert conflict.id is not None
    return conflict.id


def test_keep_wiki_takes_the_wiki_value_and_writes_nothing(synced, wiki) -> None:
    conflict_id = site_conflict(synced, wiki)
    settled = resolve(synced, conflict_id, "wiki")
    assert settled.resolution == "kept wiki" and ann(synced)["site"] == "Paris"
    writes = wiki.stats.writes
    report = sync(synced, wiki)
    assert report.exit_code == 0 and wiki.stats.writes == writes
    assert open_conflicts(synced) == []
    wiki_edit(wiki, "site=Paris", "site=Rome")  # later wiki edits flow back as usual
    assert sync(synced, wiki).exit_code == 0 and ann(synced)["site"] == "Rome"


def test_keep_local_writes_the_records_value_to_the_wiki(synced, wiki) -> None:
    conflict_id = site_conflict(synced, wiki)
    resolve(synced, conflict_id, "local")
    report = sync(synced, wiki)
    assert report.exit_code == 0 and report.counts()["rows_pushed"] == 1
    assert "site=Lyon" in wiki.page(MEMBERS).content and ann(synced)["site"] == "Lyon"
    assert open_conflicts(synced) == []
    assert sync(synced, wiki).counts()["pages_read"] == 0  # settled for good


def test_a_wiki_edit_after_the_choice_is_a_new_conflict(synced, wiki) -> None:
    conflict_id = site_conflict(synced, wiki)
    resolve(synced, conflict_id, "local")
    wiki_edit(wiki, "site=Paris", "site=Berlin")  # not seen by whoever settled it
    report = sync(synced, wiki)
    assert report.exit_code == 1
    [again] = open_conflicts(synced)
    assert again.id != conflict_id and (again.wiki, again.local) == ("Berlin", "Lyon")


def test_row_deleted_on_the_wiki_and_changed_locally(synced, wiki) -> None:
    line = next(x for x in wiki.page(MEMBERS).content.splitlines() if "ann@corp" in x)
    wiki_edit(wiki, line, "")
    local_site(synced, "Lyon")
    assert sync(synced, wiki).exit_code == 1
    [conflict] = open_conflicts(synced)
    assert conflict.field == ROW and conflict.wiki is None
    resolve(synced, conflict.id, "local")  # keep the member: back on the wiki
    assert sync(synced, wiki).exit_code == 0
    assert "ann@corp.example" in wiki.page(MEMBERS).content and ann(synced)["site"] == "Lyon"


def test_row_deleted_on_the_wiki_kept_deleted(synced, wiki) -> None:
    line = next(x for x in wiki.page(MEMBERS).content.splitlines() if "ann@corp" in x)
    wiki_edit(wiki, line, "")
    local_site(synced, "Lyon")
    sync(synced, wiki)
    [conflict] = open_conflicts(synced)
    resolve(synced, conflict.id, "wiki")
    assert ann(synced) is None
    [entry] = [e for e in synced.entries("battery", "members", include_deleted=True)
               if e.key == "ann@corp.example"]
    assert entry.deleted_by == "conflict" and entry.data["site"] == "Lyon"  # data kept
    assert sync(synced, wiki).exit_code == 0
    assert "ann@corp.example" not in wiki.page(MEMBERS).content


@pytest.mark.parametrize(("keep", "on_wiki", "in_records"), [
    ("wiki", True, True), ("local", False, False)])
def test_row_removed_locally_and_changed_on_the_wiki(synced, wiki, keep, on_wiki,
                                                     in_records) -> None:
    wiki_edit(wiki, "site=Nice", "site=Paris")
    forget_member(synced, synced.community("battery"), "ann@corp.example")
    assert sync(synced, wiki).exit_code == 1
    [conflict] = open_conflicts(synced)
    assert conflict.field == ROW and conflict.local is None
    resolve(synced, conflict.id, keep)
    assert sync(synced, wiki).exit_code == 0
    assert ("ann@corp.example" in wiki.page(MEMBERS).content) is on_wiki
    assert (ann(synced) is not None) is in_records
    if in_records:
        assert ann(synced)["site"] == "Paris"


def test_unknown_or_settled_conflicts_are_refused(synced, wiki) -> None:
    with pytest.raises(NotFoundError):
        resolve(synced, 99, "wiki")
    conflict_id = site_conflict(synced, wiki)
    with pytest.raises(UsageError, match="wiki or local"):
        resolve(synced, conflict_id, "both")  # type: ignore[arg-type]
    resolve(synced, conflict_id, "wiki")
    with pytest.raises(UsageError, match="already settled"):
        resolve(synced, conflict_id, "local")
