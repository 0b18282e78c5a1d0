"""The method on the in-memory wiki (issue 6): lifecycle and rollout, seminar pages holding
two row sets synced back, the account report, overdue actions, archiving."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from msgspec.structs import replace

from connector.base import PageRef
from connector.errors import PermissionDenied, Unreachable, UsageError, ValidationError
from connector.mediawiki.wikitext import WikitextCodec
from connector.memory import MemoryBackend
from page_templates import shipped
from sync.community.lifecycle import activate, rollout_stage
from sync.community.registration import NewCommunity, add_community, add_warnings
from sync.config.loader import parse
from sync.engine.run import Syncer, SyncOptions
from sync.method.accounts import account_lines, as_csv
from sync.method.archive import archive, reopen
from sync.method.seminars import add_seminar, add_workshop
from sync.method.themes import add_theme, decide_theme
from sync.provision.extract import extract_templates
from sync.provision.run import Provisioner
from sync.records.export import export_json
from sync.records.schema import MIGRATIONS
from sync.records.store import Records
from sync.results.health.run import community_health

T = shipped()
CONFIG = parse({"mediawiki": {"url": "http://127.0.0.1:1/"}}, Path("/tmp/cop.toml"))
SPACES = {"CoP_Battery", "CoP_Solar", "Template"}
SEMINAR = "Seminar 2026"
# where members add rows: under each list's heading, before the help that follows it
ATTENDANCE_MARKS = ("== Record your attendance ==", "== Indiquer sa présence ==")
ACTIONS_MARKS = ("== Add an action ==", "== Ajouter une action ==")


@pytest.fixture
def records() -> Records:
    return Records.open(":memory:")


@pytest.fixture
def wiki() -> MemoryBackend:
    return MemoryBackend(WikitextCodec(), spaces=set(SPACES))


def add(records: Records, slug: str, **extra: object):
    fields = {"slug": slug, "name": slug.title(), "theme": "Energy", "pilot": f"p@{slug}.io",
              "expert": f"e@{slug}.io", "lang": "en", **extra}
    return add_community(records, CONFIG, NewCommunity(**fields))  # type: ignore[arg-type]


def provision(records: Records, wiki: MemoryBackend, slug: str):
    return Provisioner(records, wiki, T).run([records.community(slug)], dry_run=False)


def sync(records: Records, wiki: MemoryBackend, **options: object):
    return Syncer(records, {"mediawiki": wiki}, T).run(SyncOptions(**options))  # type: ignore[arg-type]


def seminar_ready(records: Records, wiki: MemoryBackend, slug: str = "battery") -> PageRef:
    if records.seminar(2026) is None:
        add_seminar(records, 2026, title="CoP days", start="2026-06-10", days=2,
                    place="Lyon")
    add_workshop(records, 2026, slug, title=f"{slug} workshop")
    assert provision(records, wiki, slug).exit_code == 0
    assert sync(records, wiki).exit_code == 0
    return PageRef(f"CoP_{slug.title()}", SEMINAR)


def member_writes(wiki: MemoryBackend, ref: PageRef, attendance: list[str],
                  actions: list[str]) -> None:
    page = wiki.page(ref)
    assert page is not None
    content = page.content
    for marks, rows in ((ATTENDANCE_MARKS, attendance), (ACTIONS_MARKS, actions)):
        for mark in marks:
            content = content.replace(mark, "\n".join([*rows, "", mark]))
    wiki.edit(ref, content)


ANN = "{{CoP attendance|email=ann@corp.example|name=Ann|hours=7|workshop=battery workshop}}"
BOB = "{{CoP attendance|email=bob@corp.example|name=Bob|hours=3,5}}"
LATE = "{{CoP action|action=Write the roadmap|owner=Ann|due=2026-01-15|status=open}}"
DONE = "{{CoP action|action=Visit the plant|owner=Bob|due=2026-02-01|status=done}}"


# --- lifecycle and rollout -------------------------------------------------------------------

def test_the_first_community_is_the_pilot_and_lifecycles_follow_provisioning(
        records: Records, wiki: MemoryBackend) -> None:
    pilot = add(records, "battery")
    assert pilot.is_pilot and pilot.status == "proposed"
    assert rollout_stage(records.communities(), []) == "pilot"
    assert add_warnings(records, "solar")  # the pilot is not provisioned yet
    provision(records, wiki, "battery")
    assert records.community("battery").status == "pilot"
    charter = wiki.page(PageRef("CoP_Battery", "Charter"))
    assert charter is not None and "|status=pilot" in charter.content  # from the first write
    solar = add(records, "solar")
    assert not solar.is_pilot and solar.status == "proposed"
    provision(records, wiki, "solar")
    assert records.community("solar").status == "active"
    assert rollout_stage(records.communities(), []) == "pilot"  # the pilot stage goes on
    activate(records, records.community("battery"), by="test", now="2026-03-01T00:00:00Z")
    assert rollout_stage(records.communities(), []) == "steady"
    assert [d.decision for d in records.decisions("community", "battery")] == ["pilot",
                                                                                 "active"]
    with pytest.raises(UsageError, match="not pilot"):
        activate(records, records.community("solar"), by="test", now="2026-03-01T00:00:00Z")


def test_themes_feed_communities_and_the_rollout(records: Records) -> None:
    for slug in ("storage", "hydrogen"):
        add_theme(records, slug, title=slug.title(), axis="Energy transition")
    with pytest.raises(UsageError, match="proposed, not approved"):
        add(records, "battery", theme="", from_theme="storage")
    decide_theme(records, CONFIG, "storage", "approve", by="Board")
    decide_theme(records, CONFIG, "hydrogen", "reject", by="Board", note="later")
    created = add(records, "battery", theme="", from_theme="storage")
    assert (created.theme, created.axes, created.theme_slug) == ("Storage",
                                                                  "Energy transition",
                                                                  "storage")
    with pytest.raises(UsageError, match="already has its community"):
        add(records, "cells", theme="", from_theme="storage")
    with pytest.raises(UsageError, match="has its community battery"):
        decide_theme(records, CONFIG, "storage", "reject", by="Board")
    records.save_community(replace(records.community("battery"), status="active"))
    add_theme(records, "solar", title="Solar", axis="Energy transition")
    decide_theme(records, CONFIG, "solar", "approve", by="Board")
    assert rollout_stage(records.communities(), records.themes()) == "rollout"


def test_past_the_maximum_a_community_is_refused_unless_forced(records: Records) -> None:
    for slug in ("aaa", "bbb", "ccc", "ddd"):
        add(records, slug)
    with pytest.raises(UsageError, match="max_communities = 4"):
        add(records, "eee")
    assert add(records, "eee", force=True).slug == "eee"
    with pytest.raises(ValidationError):
        add(records, "fff", theme="", force=True)  # a theme, or --from-theme


# --- seminar pages: two row sets on one page -------------------------------------------------

def test_the_seminar_page_holds_attendance_and_actions_and_both_sync_back(
        records: Records, wiki: MemoryBackend) -> None:
    add(records, "battery", account="CC-42")
    ref = seminar_ready(records, wiki)
    states = {s.kind: s.ref for s in records.page_states("battery")}
    assert states["seminar@2026"] == states["attendance@2026"] == states["actions@2026"] == ref
    page = wiki.page(ref)
    assert page is not None and "* Day 2: 2026-06-11" in page.content
    assert "* battery workshop" in page.content and "(CC-42)" in page.content
    member_writes(wiki, ref, [ANN, BOB], [LATE, DONE])
    report = sync(records, wiki)
    assert report.exit_code == 0
    attendance = records.live_rows("battery", "attendance@2026")
    assert {row["hours"] for row in attendance.values()} == {"7", "3.5"}
    assert set(records.live_rows("battery", "actions@2026")) == {"write the roadmap",
                                                                  "visit the plant"}
    writes = wiki.stats.writes
    assert sync(records, wiki).exit_code == 0 and provision(records, wiki, "battery")
    assert wiki.stats.writes == writes  # nothing changed: nothing written


def test_a_row_problem_names_the_row_set_and_the_field(records: Records,
                                                      wiki: MemoryBackend) -> None:
    add(records, "battery")
    ref = seminar_ready(records, wiki)
    member_writes(wiki, ref, ["{{CoP attendance|email=ann@corp.example|hours=all day}}"],
                  ["{{CoP action|action=Call Acme|due=soon}}"])
    assert sync(records, wiki).exit_code == 1
    problems = {(p.kind, p.field) for p in records.problems("battery")}
    assert problems == {("attendance@2026", "hours"), ("actions@2026", "due")}


def test_a_workshop_added_later_reaches_the_page_and_the_rows_stay(
        records: Records, wiki: MemoryBackend) -> None:
    add(records, "battery")
    ref = seminar_ready(records, wiki)
    member_writes(wiki, ref, [ANN], [LATE])
    sync(records, wiki)
    add_workshop(records, 2026, "battery", title="Recycling")
    report = provision(records, wiki, "battery")
    [line] = [a for a in report.actions if a.op == "upgrade"]
    assert "section 'workshops' updated" in line.reason
    page = wiki.page(ref)
    assert page is not None and "* Recycling" in page.content
    assert ANN in page.content and LATE in page.content


def test_a_deleted_seminar_page_keeps_both_row_sets_and_comes_back(
        records: Records, wiki: MemoryBackend) -> None:
    add(records, "battery")
    add(records, "solar")
    seminar_ready(records, wiki, "solar")
    ref = seminar_ready(records, wiki)
    member_writes(wiki, ref, [ANN], [LATE])
    sync(records, wiki)
    wiki.delete(ref)
    assert sync(records, wiki).exit_code == 0
    assert records.live_rows("battery", "attendance@2026") == {}
    provision(records, wiki, "battery")
    page = wiki.page(ref)
    assert page is not None and "ann@corp.example" in page.content
    assert "Write the roadmap" in page.content
    assert len(records.live_rows("battery", "actions@2026")) == 1


# --- the account report and overdue actions ------------------------------------------------

def test_meeting_time_is_reported_per_analytic_account(records: Records,
                                                       wiki: MemoryBackend) -> None:
    add(records, "battery", account="CC-42")
    add(records, "solar", account="CC-42")
    seminar_ready(records, wiki, "battery")
    seminar_ready(records, wiki, "solar")
    member_writes(wiki, PageRef("CoP_Battery", SEMINAR), [ANN, BOB], [])
    member_writes(wiki, PageRef("CoP_Solar", SEMINAR),
                  ["{{CoP attendance|email=ann@corp.example|hours=7|workshop=solar workshop}}"],
                  [])
    sync(records, wiki)
    [line] = account_lines(records, 2026)
    assert line.as_dict() == {"year": 2026, "account": "CC-42",
                              "communities": ["battery", "solar"], "meetings": 3,
                              "attendees": 2, "person_hours": 17.5}
    assert as_csv([line]).splitlines()[1] == "2026,CC-42,battery solar,3,2,17.5"
    assert account_lines(records, 2025) == []


def test_open_actions_past_due_raise_the_actions_alert(records: Records,
                                                       wiki: MemoryBackend) -> None:
    add(records, "battery")
    ref = seminar_ready(records, wiki)
    member_writes(wiki, ref, [], [LATE, DONE])
    sync(records, wiki)
    health = community_health(records, T, CONFIG, records.community("battery"),
                              since="2026-01-01", now="2026-03-01T00:00:00Z")
    assert health.actions.tracked and health.actions.open == 1
    assert [a.title for a in health.actions.overdue] == ["Write the roadmap"]
    assert "actions" in [alert.code for alert in health.alerts]
    assert "1 seminar action past its due date." in [a.message("en")
                                                     for a in health.alerts]


# --- archive -------------------------------------------------------------------------------

def test_archive_freezes_keeps_a_snapshot_and_undo_reopens(
        records: Records, wiki: MemoryBackend, tmp_path: Path) -> None:
    add(records, "battery")
    ref = seminar_ready(records, wiki)
    member_writes(wiki, ref, [ANN], [LATE])
    sync(records, wiki)
    outcome = archive(records, wiki, T, records.community("battery"), tmp_path / "snap")
    assert records.community("battery").status == "archived"
    charter = wiki.page(PageRef("CoP_Battery", "Charter"))
    assert charter is not None and "|status=archived" in charter.content
    with pytest.raises(PermissionDenied):
        wiki.edit(ref, "vandalism")
    assert outcome.snapshot is not None
    data = json.loads(outcome.snapshot.json.read_text(encoding="utf-8"))
    assert data["community"]["status"] == "archived"
    assert [r["email"] for r in data["rows"]["attendance@2026"]] == ["ann@corp.example"]
    html = outcome.snapshot.html.read_text(encoding="utf-8")
    assert "ann@corp.example" in html and "Write the roadmap" in html
    assert "<script" not in html and "default-src 'none'" in html
    assert sync(records, wiki).communities == []  # a routine run says nothing of it
    report = sync(records, wiki, community="battery")
    assert report.communities[0].notices[0].startswith("archived: not synced")
    assert Provisioner(records, wiki, T).run([records.community("battery")],
                                             dry_run=False).actions == []
    back = reopen(records, wiki, T, records.community("battery"))
    assert back.community.status == "pilot"  # what it was before
    wiki.edit(ref, "members edit again")
    charter = wiki.page(PageRef("CoP_Battery", "Charter"))
    assert charter is not None and "|status=pilot" in charter.content


def test_a_moved_seminar_page_is_followed_by_both_row_sets(records: Records,
                                                            wiki: MemoryBackend) -> None:
    add(records, "battery")
    ref = seminar_ready(records, wiki)
    member_writes(wiki, ref, [ANN], [LATE])
    sync(records, wiki)
    moved = PageRef("CoP_Battery", "Seminar 2026 (Lyon)")
    wiki.move(ref, moved)
    member_writes(wiki, moved, [BOB], [])
    assert sync(records, wiki).exit_code == 0
    states = {s.kind: s.ref for s in records.page_states("battery")}
    assert states["attendance@2026"] == states["actions@2026"] == moved
    assert len(records.live_rows("battery", "attendance@2026")) == 2


def test_seminar_rows_are_exported_and_extract_reads_the_seminar_page(
        records: Records, wiki: MemoryBackend, tmp_path: Path) -> None:
    add(records, "battery")
    ref = seminar_ready(records, wiki)
    member_writes(wiki, ref, [ANN], [LATE])
    sync(records, wiki)
    exported = export_json(records, T, records.communities())["communities"][0]
    assert [(r["seminar"], r["email"]) for r in exported["attendance"]] == [
        ("2026", "ann@corp.example")]
    page = wiki.page(ref)
    assert page is not None
    wiki.edit(ref, page.content + "\n== Photos ==\nThe photos are on the share.\n")
    report = extract_templates(records, wiki, T, records.community("battery"),
                               tmp_path / "corp")
    assert any(note.startswith("seminar: new section 'photos'") for note in report.notes)


@pytest.mark.sqlite_only  # PostgreSQL's: tests/integration/test_records_engines.py
def test_records_of_an_earlier_version_migrate_with_their_communities_active(
        tmp_path: Path) -> None:
    path = tmp_path / "cop.db"
    with sqlite3.connect(path) as db:
        for migration in MIGRATIONS[:2]:  # the records as issue 7 left them
            db.executescript(migration)
        db.execute("PRAGMA user_version = 2")
        db.execute("INSERT INTO communities (slug, name, pilot, expert, backend, lang, space, "
                   "created_at, updated_at) VALUES ('old', 'Old', 'p@x.io', 'e@x.io', "
                   "'mediawiki', 'en', 'CoP_Old', '2025-01-01T00:00:00Z', '')")
    records = Records.open(path)
    old = records.community("old")
    assert old is not None and (old.status, old.is_pilot, old.theme_slug) == ("active", False,
                                                                               None)
    assert rollout_stage(records.communities(), records.themes()) == "steady"
    assert records.seminars() == [] and records.themes() == []
    records.close()


def test_the_snapshot_is_complete_and_in_the_communitys_language(
        records: Records, wiki: MemoryBackend, tmp_path: Path) -> None:
    add(records, "battery", lang="fr")
    seminar_ready(records, wiki)
    ref = PageRef("CoP_Battery", "Séminaire 2026")
    member_writes(wiki, ref, [ANN], [LATE])
    sync(records, wiki)
    before = records.decisions("community", "battery")
    outcome = archive(records, wiki, T, records.community("battery"), tmp_path / "snap")
    assert outcome.snapshot is not None
    data = json.loads(outcome.snapshot.json.read_text(encoding="utf-8"))
    # the lifecycle ends with the archiving, the very decision the records then hold
    assert [(d["previous"], d["decision"]) for d in data["decisions"]][-1] == ("pilot",
                                                                               "archived")
    recorded = records.decisions("community", "battery")
    assert len(recorded) == len(before) + 1
    assert (recorded[-1].at, recorded[-1].note) == (data["decisions"][-1]["at"],
                                                    data["decisions"][-1]["note"])
    # the seminar page once, with the two row sets it holds, its title filled
    seminar = [p for p in data["pages"] if p["title"] == "Séminaire 2026"]
    assert len(seminar) == 1 and len(data["pages"]) == outcome.snapshot.pages
    assert seminar[0]["key"] == "seminar@2026" and seminar[0]["kind_title"] == "Séminaire 2026"
    assert seminar[0]["row_kinds"] == ["attendance@2026", "actions@2026"]
    assert {p["key"] for p in data["pages"]} >= {"home", "charter", "members", "watch"}
    html = outcome.snapshot.html.read_text(encoding="utf-8")
    assert html.count('data-kind="attendance@2026"') == 1
    assert "Instantané de battery pris le" in html and "Cycle de vie" in html
    assert "Snapshot of" not in html and "Lifecycle" not in html
    assert "<td>ouverte</td>" in html and "<td>open</td>" not in html  # the action's status
    assert "<td>archivée</td>" in html  # the lifecycle's statuses too


def test_a_failed_freeze_records_nothing(records: Records, wiki: MemoryBackend,
                                         tmp_path: Path) -> None:
    add(records, "battery")
    provision(records, wiki, "battery")
    wiki.fail_next("freeze_space", Unreachable("down", backend="memory"))
    with pytest.raises(Unreachable):
        archive(records, wiki, T, records.community("battery"), tmp_path / "snap")
    assert records.community("battery").status == "pilot"
    assert [d.decision for d in records.decisions("community", "battery")] == ["pilot"]
    done = archive(records, wiki, T, records.community("battery"), tmp_path / "snap")
    assert done.community.status == "archived"
    with pytest.raises(UsageError, match="already archived"):
        archive(records, wiki, T, records.community("battery"), tmp_path / "again")
    assert archive(records, wiki, T, records.community("battery"), tmp_path / "again",
                   again=True).community.status == "archived"
    assert [d.decision for d in records.decisions("community", "battery")] == ["pilot",
                                                                                "archived"]
