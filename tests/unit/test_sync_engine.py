"""The whole loop on the in-memory wiki: provision, member edits, sync, member commands.

Fast and deterministic; the same scenarios run against the real MediaWiki in
tests/integration/test_loop_mediawiki.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from connector.base import PageRef
from connector.mediawiki.wikitext import WikitextCodec
from connector.memory import MemoryBackend
from page_templates import shipped
from sync.community.registration import NewCommunity, add_community
from sync.config.loader import parse
from sync.engine.members import forget_member, record_member, write_members_page
from sync.engine.run import Syncer, SyncOptions
from sync.progress import Monitor
from sync.provision.run import Provisioner
from sync.records.store import Records

T = shipped()
SPACE = "CoP_Battery"


@pytest.fixture
def records() -> Records:
    return Records.open(":memory:")


@pytest.fixture
def wiki() -> MemoryBackend:
    return MemoryBackend(WikitextCodec(), spaces={SPACE, "Template"})


@pytest.fixture
def community(records: Records):
    config = parse({"mediawiki": {"url": "http://127.0.0.1:1/"}}, Path("/tmp/cop.toml"))
    return add_community(records, config, NewCommunity(
        slug="battery", name="Battery storage", theme="Energy", pilot="pia.pilot@corp.example",
        expert="eli.expert@corp.example", lang="en"))


def provision(records: Records, wiki: MemoryBackend, community, dry_run: bool = False):
    return Provisioner(records, wiki, T).run([records.community(community.slug)],
                                             dry_run=dry_run)


def sync(records: Records, wiki: MemoryBackend, **options):
    return Syncer(records, {"mediawiki": wiki}, T).run(SyncOptions(**options))


def ref(title: str) -> PageRef:
    return PageRef(SPACE, title)


def append(wiki: MemoryBackend, title: str, line: str) -> None:
    current = wiki.page(ref(title))
    assert current is not None
    wiki.edit(ref(title), current.content.rstrip("\n") + "\n" + line + "\n")


def test_provision_creates_every_page_then_writes_nothing(records, wiki, community) -> None:
    report = provision(records, wiki, community)
    created = [str(a.ref) for a in report.actions if a.op == "create"]
    # home + seven pages (the Ideas page: issue 16) + ten row templates (charter, 5 lists,
    # the seminar's attendance and actions: issue 6, the ideas: issue 16, the Watch page's
    # sources: issue 15) + the notice's template and the "Add" buttons' preload (issue 11);
    # no seminar page without a seminar
    assert len(created) == 8 + 10 + 2
    assert "CoP_Battery:Members" in created and "Template:CoP member" in created
    assert "Template:CoP notice" in created
    writes = wiki.stats.writes
    again = provision(records, wiki, community)
    assert {a.op for a in again.actions} == {"skip"}
    assert wiki.stats.writes == writes


def test_written_pages_are_refreshed_in_one_call_and_none_when_nothing_changed(
        records, wiki, community) -> None:
    """Home is written before the pages it links to: the written pages are purged once,
    all together, at the end of the run (MediaWiki would show red links until its job
    queue ran); a provisioning that wrote nothing refreshes nothing. A page created again
    refreshes its community's pages (Home links to it, and was not written this time)."""
    every = {"CoP_Battery:Home", "CoP_Battery:Charter", "CoP_Battery:Members",
             "CoP_Battery:Watch", "CoP_Battery:References", "CoP_Battery:Regulation",
             "CoP_Battery:Competition", "CoP_Battery:Ideas and subjects"}
    provision(records, wiki, community)
    [refreshed] = wiki.refreshed
    assert {str(r) for r in refreshed} == every
    provision(records, wiki, community)
    assert len(wiki.refreshed) == 1
    wiki.delete(ref("Watch"))
    provision(records, wiki, community)
    [again] = wiki.refreshed[1:]
    assert {str(r) for r in again} == every


def test_an_interrupted_provisioning_refreshes_what_it_wrote_and_the_rerun_the_rest(
        records, wiki, community) -> None:
    """Ctrl-C after Home: Home is refreshed then; the re-run creates the pages Home links
    to and refreshes Home with them (else it shows them as red links)."""
    monitor = Monitor(stop=lambda: monitor.done >= 12 + 1)  # the shared templates, then Home
    first = Provisioner(records, wiki, T, monitor=monitor).run(
        [records.community(community.slug)], dry_run=False)
    assert first.interrupted and first.left
    assert [[str(r) for r in call] for call in wiki.refreshed] == [["CoP_Battery:Home"]]
    provision(records, wiki, community)
    assert "CoP_Battery:Home" in {str(r) for r in wiki.refreshed[-1]}


def test_dry_run_writes_nothing(records, wiki, community) -> None:
    report = provision(records, wiki, community, dry_run=True)
    assert {a.op for a in report.actions} == {"create"}
    assert wiki.stats.writes == 0 and records.page_states() == []


def test_member_rows_added_on_the_wiki_are_recorded(records, wiki, community) -> None:
    provision(records, wiki, community)
    append(wiki, "Watch", "{{CoP watch|date=2026-03-01|title=Sodium-ion cells|"
                          "url=https://example.com/na|source=Lab|summary=Cheap|tags=na, ion}}")
    first = sync(records, wiki)
    assert first.exit_code == 0, first.to_dict()
    rows = records.live_rows("battery", "watch")
    assert rows["https://example.com/na"]["tags"] == "na, ion"
    reads = wiki.stats.reads
    second = sync(records, wiki)
    assert second.exit_code == 0 and wiki.stats.reads == reads  # no page read at all
    assert second.counts()["pages_read"] == 0


def test_members_two_way(records, wiki, community) -> None:
    provision(records, wiki, community)
    sync(records, wiki)
    record_member(records, T, records.community("battery"),
                  {"email": "ann@corp.example", "name": "Ann", "profile": "marketing"})
    outcome = write_members_page(records, wiki, T, records.community("battery"))
    assert outcome is not None and outcome.pushed == 1
    assert "ann@corp.example" in wiki.page(ref("Members")).content
    append(wiki, "Members", "{{CoP member|email=bob@corp.example|name=Bob|profile=R&D}}")
    report = sync(records, wiki)
    assert report.exit_code == 0
    assert "bob@corp.example" in records.live_rows("battery", "members")
    forget_member(records, records.community("battery"), "ann@corp.example")
    write_members_page(records, wiki, T, records.community("battery"))
    assert "ann@corp.example" not in wiki.page(ref("Members")).content


def test_broken_rows_are_reported_and_the_rest_recorded(records, wiki, community) -> None:
    provision(records, wiki, community)
    append(wiki, "Regulation", "{{CoP regulation|title=No ref}}\n"
                               "{{CoP regulation|ref=R1|title=Ok|effective=2026-13-01}}\n"
                               "{{CoP regulation|ref=R2|title=Fine}}")
    report = sync(records, wiki)
    assert report.exit_code == 1
    problems = [(p.row, p.field) for p in report.pages[0].problems] if report.pages else []
    found = [(p.row, p.field) for page in report.pages for p in page.problems]
    assert (1, "ref") in found and (2, "effective") in found, problems
    assert list(records.live_rows("battery", "regulation")) == ["r2"]
    assert len(records.problems("battery")) == 2


def test_emptied_page_keeps_the_records(records, wiki, community) -> None:
    provision(records, wiki, community)
    append(wiki, "Competition", "{{CoP competitor|competitor=Acme|offer=Cell X}}")
    sync(records, wiki)
    wiki.edit(ref("Competition"), "oops\n")
    report = sync(records, wiki)
    assert report.exit_code == 1 and report.pages[0].refused_empty
    assert "acme|cell x" in records.live_rows("battery", "competition")
    forced = sync(records, wiki, force_delete=True)
    assert forced.counts()["rows_tombstoned"] == 1
    assert records.live_rows("battery", "competition") == {}


def test_deleted_page_tombstones_rows_and_provision_recreates_it(records, wiki,
                                                                 community) -> None:
    provision(records, wiki, community)
    append(wiki, "References", "{{CoP reference|ref=IEC 62660|title=Li-ion cells}}")
    sync(records, wiki)
    wiki.delete(ref("References"))
    report = sync(records, wiki)
    assert report.exit_code == 0
    assert any("deleted on the wiki" in p.notice for p in report.communities[0].pages)
    assert records.live_rows("battery", "references") == {}
    [kept] = records.entries("battery", "references", include_deleted=True)
    assert (kept.key, kept.deleted_by, kept.data["title"]) == (
        "iec 62660", "page-deleted", "Li-ion cells")
    assert records.page_state("battery", "references").state == "deleted"
    assert sync(records, wiki, full=True).exit_code == 0  # still deleted: nothing more to do
    recreated = provision(records, wiki, community)
    assert [a.ref.title for a in recreated.actions if a.op == "create"] == ["References"]
    assert "IEC 62660" in wiki.page(ref("References")).content
    assert "iec 62660" in records.live_rows("battery", "references")  # back to life
    quiet = sync(records, wiki, full=True)
    assert quiet.exit_code == 0 and quiet.counts()["rows_upserted"] == 0


def test_a_page_undeleted_on_the_wiki_brings_its_members_back(records, wiki,
                                                              community) -> None:
    provision(records, wiki, community)
    sync(records, wiki)
    kept = wiki.page(ref("Members"))
    wiki.delete(ref("Members"))
    append(wiki, "Watch", "{{CoP watch|date=2026-01-01|title=Something}}")  # not empty
    sync(records, wiki)
    assert records.live_rows("battery", "members") == {}
    wiki.edit(ref("Members"), kept.content)  # restored by an admin
    report = sync(records, wiki)
    assert report.exit_code == 0 and report.counts()["rows_pushed"] == 0  # no removal pushed
    assert set(records.live_rows("battery", "members")) == {"pia.pilot@corp.example",
                                                            "eli.expert@corp.example"}


def test_a_community_that_suddenly_reads_as_empty_is_refused(records, wiki, community) -> None:
    provision(records, wiki, community)
    append(wiki, "Watch", "{{CoP watch|date=2026-01-01|title=Keep me}}")
    sync(records, wiki)
    before = records.watermark("battery")
    for title in ("Members", "Watch"):  # every page that holds rows, at once
        wiki.delete(ref(title))
    report = sync(records, wiki)
    assert report.exit_code == 1 and report.communities[0].refused_empty
    assert "--force-delete" in report.communities[0].notices[0]
    assert records.watermark("battery") == before
    assert len(records.live_rows("battery", "members")) == 2
    assert records.page_state("battery", "members").state == "ok"
    assert sync(records, wiki).exit_code == 1  # refused again, every run
    forced = sync(records, wiki, force_delete=True)
    assert forced.exit_code == 0 and records.live_rows("battery", "watch") == {}
    assert records.watermark("battery") > before


def test_every_page_emptied_at_once_is_refused_as_a_community(records, wiki,
                                                              community) -> None:
    provision(records, wiki, community)
    sync(records, wiki)
    wiki.edit(ref("Members"), "vandalised\n")
    report = sync(records, wiki)
    assert report.exit_code == 1 and report.communities[0].refused_empty
    assert len(records.live_rows("battery", "members")) == 2


def test_moved_page_is_followed(records, wiki, community) -> None:
    provision(records, wiki, community)
    sync(records, wiki)
    wiki.move(ref("Watch"), ref("Technology watch"))
    append(wiki, "Technology watch", "{{CoP watch|date=2026-01-01|title=Moved but read}}")
    sync(records, wiki)
    assert "moved but read|2026-01-01" in records.live_rows("battery", "watch")
    assert records.page_state("battery", "watch").ref == ref("Technology watch")
    again = provision(records, wiki, community)  # no page recreated at the old title;
    assert [a.kind for a in again.actions if a.writes] == ["home"]  # links follow the move
    assert "[[CoP_Battery:Technology watch|" in wiki.page(ref("Home")).content


def test_governance_drift_is_reported_not_taken(records, wiki, community) -> None:
    provision(records, wiki, community)
    sync(records, wiki)
    page = wiki.page(ref("Charter"))
    wiki.edit(ref("Charter"), page.content.replace("pia.pilot@corp.example", "me@corp.example"))
    report = sync(records, wiki)
    assert report.pages[0].drift == {"pilot": ("me@corp.example", "pia.pilot@corp.example")}
    assert records.community("battery").pilot == "pia.pilot@corp.example"
    fixed = provision(records, wiki, community)
    assert [a.op for a in fixed.actions if a.kind == "charter"] == ["update"]
    assert "pia.pilot@corp.example" in wiki.page(ref("Charter")).content


def test_a_wiki_that_creates_spaces_gets_one_with_the_charter_as_home(records, community):
    wiki = MemoryBackend(WikitextCodec(), home_kind="charter", can_create_spaces=True)
    dry = provision(records, wiki, community, dry_run=True)
    assert [s.space for s in dry.new_spaces] == [SPACE] and SPACE not in wiki.spaces
    report = provision(records, wiki, community)
    assert SPACE in wiki.spaces
    pages = [a for a in report.actions if a.community == "battery"]
    assert [a.kind for a in pages] == ["charter", "members", "watch", "references",
                                       "regulation", "competition", "ideas"]  # no home
    assert pages[0].home and {a.parent for a in pages[1:]} == {ref("Charter")}
    assert wiki.roles[SPACE][0] == ("pia.pilot@corp.example", "eli.expert@corp.example")
    assert {a.op for a in provision(records, wiki, community).actions} == {"skip"}


def test_full_sync_reads_every_page(records, wiki, community) -> None:
    provision(records, wiki, community)
    sync(records, wiki)
    assert sync(records, wiki).counts()["pages_read"] == 0
    # 8 pages (the Watch page once, though it holds two row sets: items and sources)
    assert sync(records, wiki, full=True).counts()["pages_read"] == 8
