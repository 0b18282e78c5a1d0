"""Regressions found by the members' acceptance test (qa1), on the in-memory wiki: the
engine (feed, merge, pull) end to end, as the tester's steps did them on MediaWiki
(tests/integration/test_sync_regressions_mediawiki.py does them there)."""

from __future__ import annotations

import json

import pytest
from memory_world import ANN, CONFIG, members_page, memory_wiki, pending, ready, sync

from connector.base import PageRef
from connector.memory import MemoryBackend
from page_templates import shipped
from sync.community.registration import NewCommunity, add_community
from sync.engine.members import record_member, write_members_page
from sync.provision.run import Provisioner
from sync.records.store import Records

T = shipped()
SPACE = "CoP_Battery"
MARKER = "== Member list =="  # the rows heading: a row added right under it comes first
JULIE = ("{{CoP member|email=julie.roux@corp.example|name=Julie Roux|profile=marketing"
         "|role=member|site=Nice|since=2026-11-28}}")
COPY = "{{CoP member|email=julie.roux@corp.example|name=J. Roux (copy)}}"


@pytest.fixture
def records() -> Records:
    return Records.open(":memory:")


@pytest.fixture
def wiki(records: Records) -> MemoryBackend:
    wiki = memory_wiki()
    ready(records, {"mediawiki": wiki}, "battery")
    return wiki


def ref(title: str) -> PageRef:
    return PageRef(SPACE, title)


def text(wiki: MemoryBackend, title: str) -> str:
    page = wiki.page(ref(title))
    assert page is not None
    return page.content


def append(wiki: MemoryBackend, title: str, *lines: str) -> None:
    wiki.edit(ref(title), text(wiki, title).rstrip("\n") + "\n" + "\n".join(lines) + "\n")


def run(records: Records, wiki: MemoryBackend, **options):
    return sync(records, {"mediawiki": wiki}, **options)


def provision(records: Records, wiki: MemoryBackend):
    return Provisioner(records, wiki, T).run([records.community("battery")], dry_run=False)


def notices(report) -> list[str]:
    return [n for c in report.communities for n in c.notices] + \
        [p.notice for p in report.pages if p.notice]


# --- 1. a page deleted, then recreated ----------------------------------------------------

def test_a_recreated_page_is_not_deleted_again(records, wiki) -> None:
    """qa1 #1: delete, sync, `cop provision` recreates, sync inside the overlap window:
    the rows stay alive; a member's new row too, whatever runs follow."""
    append(wiki, "Competition", "{{CoP competitor|competitor=Acme|offer=X|updated=2026-10-01}}")
    assert run(records, wiki).exit_code == 0
    wiki.delete(ref("Competition"))
    deleted = run(records, wiki)
    assert any("deleted on the wiki: its" in n for n in notices(deleted))
    assert records.live_rows("battery", "competition") == {}
    recreated = provision(records, wiki)
    assert [a.ref.title for a in recreated.actions if a.op == "create"] == ["Competition"]
    assert list(records.live_rows("battery", "competition")) == ["acme|x"]

    after = run(records, wiki)  # the deletion is still in the overlap window
    assert after.exit_code == 0 and not any("deleted" in n for n in notices(after)), \
        notices(after)
    assert list(records.live_rows("battery", "competition")) == ["acme|x"]
    assert records.page_state("battery", "competition").state == "ok"

    append(wiki, "Competition", "{{CoP competitor|competitor=Beta|offer=Y|updated=2026-10-05}}")
    assert run(records, wiki).counts()["rows_upserted"] == 1
    wiki.delete(ref("References"))  # another page deleted: the feed is asked again
    for _ in range(2):
        again = run(records, wiki)
        assert not any("Competition" in n for n in notices(again)), notices(again)
        assert sorted(records.live_rows("battery", "competition")) == ["acme|x", "beta|y"]
    assert records.page_state("battery", "competition").state == "ok"
    full = run(records, wiki, full=True)
    assert full.exit_code == 0
    assert sorted(records.live_rows("battery", "competition")) == ["acme|x", "beta|y"]


def test_a_page_recreated_by_a_member_is_read_back(records, wiki) -> None:
    append(wiki, "Competition", "{{CoP competitor|competitor=Acme|offer=X}}")
    run(records, wiki)
    wiki.delete(ref("Competition"))
    run(records, wiki)
    wiki.edit(ref("Competition"), "{{CoP competitor|competitor=Acme|offer=X|strengths=S}}\n")
    back = run(records, wiki)
    assert back.exit_code == 0
    assert records.live_rows("battery", "competition")["acme|x"]["strengths"] == "S"
    assert records.page_state("battery", "competition").state == "ok"


# --- 2. a duplicate row above the established one ------------------------------------------

def test_a_duplicate_inserted_above_never_replaces_the_record(records, wiki) -> None:
    append(wiki, "Members", JULIE)
    assert run(records, wiki).exit_code == 0
    julie = records.live_rows("battery", "members")["julie.roux@corp.example"]
    wiki.edit(ref("Members"), text(wiki, "Members").replace(MARKER, MARKER + "\n" + COPY))
    report = run(records, wiki)
    assert report.exit_code == 1
    [problem] = report.pages[0].problems
    assert problem.row == 1 and "row 4" in problem.message and "ignored" in problem.message
    assert records.live_rows("battery", "members")["julie.roux@corp.example"] == julie

    # the command changes her site: the page has two rows for her, so it waits (said)
    record_member(records, T, records.community("battery"),
                  {"email": "julie.roux@corp.example", "name": "Julie Roux",
                   "profile": "marketing", "site": "Annecy"})
    outcome = write_members_page(records, wiki, T, records.community("battery"))
    assert outcome is not None and outcome.pushed == 0
    assert "1 member change(s) held back (julie.roux@corp.example: rows 1 and 4 have the " \
           "same key)" in outcome.notice
    kept = records.live_rows("battery", "members")["julie.roux@corp.example"]
    assert kept == {**julie, "site": "Annecy"}  # since 2026-11-28 and the rest kept
    assert "J. Roux (copy)" in text(wiki, "Members") and "site=Nice" in text(wiki, "Members")

    # the copy removed: the change is written to the established row
    wiki.edit(ref("Members"), text(wiki, "Members").replace(COPY + "\n", ""))
    fixed = run(records, wiki)
    assert fixed.exit_code == 0 and fixed.counts()["rows_pushed"] == 1
    assert "site=Annecy|since=2026-11-28" in text(wiki, "Members")


# --- 3. unreadable rows and `cop member add` -----------------------------------------------

@pytest.mark.parametrize("bad", [
    "{{CoP member|email=bob@corp.example|name=Bob|role=boss}}",  # key readable
    "{{CoP member|name=Bob|role=member}}",  # key unreadable
])
def test_a_member_added_by_command_is_written_beside_an_unreadable_row(records, wiki,
                                                                       bad: str) -> None:
    append(wiki, "Members", bad)
    assert run(records, wiki).exit_code == 1
    record_member(records, T, records.community("battery"), ANN)
    outcome = write_members_page(records, wiki, T, records.community("battery"))
    assert outcome is not None and outcome.pushed == 1, outcome
    assert "ann@corp.example" in members_page(wiki)
    assert not pending(records, "battery")
    assert run(records, wiki, full=True).counts()["rows_pushed"] == 0  # nothing left


def test_a_change_held_back_by_an_unreadable_row_is_said(records, wiki) -> None:
    """A removal on the wiki beside a row whose key cannot be read is not taken, and a
    command's change to that member waits: both said, the rest goes on."""
    content = text(wiki, "Members").replace(
        "{{CoP member|email=eli@battery.example|", "{{CoP member|emial=eli@battery.example|")
    wiki.edit(ref("Members"), content)
    report = run(records, wiki)
    assert "eli@battery.example" in records.live_rows("battery", "members")
    assert "1 deletion(s) held back" in report.pages[0].notice
    record_member(records, T, records.community("battery"),
                  {"email": "eli@battery.example", "name": "Eli", "site": "Lyon"})
    record_member(records, T, records.community("battery"), ANN)
    outcome = write_members_page(records, wiki, T, records.community("battery"))
    assert outcome is not None and outcome.pushed == 1  # Ann, not Eli
    assert "1 member change(s) held back (eli@battery.example: the page has rows whose " \
           "key cannot be read (row 1))" in outcome.notice
    assert outcome.held_back and pending(records, "battery")


# --- 4. a deletion beside a problem row ------------------------------------------------------

def test_a_deletion_is_taken_beside_a_row_with_a_known_key(records, wiki) -> None:
    append(wiki, "Watch", "{{CoP watch|date=2026-01-01|title=Keep|url=https://ex.com/1}}",
           "{{CoP watch|date=2026-01-02|title=Gone|url=https://ex.com/2}}")
    run(records, wiki)
    content = text(wiki, "Watch").replace(
        "{{CoP watch|date=2026-01-02|title=Gone|url=https://ex.com/2}}\n",
        "{{CoP watch|date=22/01/2026|title=Bad date slash|url=https://ex.com/22}}\n"
        "{{CoP watch|date=2026-01-03|title=Dup|url=https://ex.com/d}}\n"
        "{{CoP watch|date=2026-01-04|title=Dup again|url=https://ex.com/d}}\n")
    wiki.edit(ref("Watch"), content)
    report = run(records, wiki)
    assert report.counts()["rows_tombstoned"] == 1 and report.counts()["row_problems"] == 3
    assert sorted(records.live_rows("battery", "watch")) == ["https://ex.com/1"]
    append(wiki, "Watch", "{{CoP watch|title=No date, no url}}")
    wiki.edit(ref("Watch"), text(wiki, "Watch").replace(
        "{{CoP watch|date=2026-01-01|title=Keep|url=https://ex.com/1}}\n", ""))
    held = run(records, wiki)
    assert held.counts()["rows_tombstoned"] == 0
    [watch] = [page for page in held.pages if page.kind == "watch"]  # (its sources too)
    assert "1 deletion(s) held back" in watch.notice
    assert "https://ex.com/1" in records.live_rows("battery", "watch")


# --- 5. governance fields of the charter ----------------------------------------------------

def test_an_invalid_governance_value_is_drift_and_members_edits_are_read(records,
                                                                          wiki) -> None:
    content = text(wiki, "Charter").replace("|status=pilot", "|status=actif").replace(
        "|pilot=pia@battery.example\n", "").replace("|objectives=", "|objectives=Green H2")
    wiki.edit(ref("Charter"), content)
    report = run(records, wiki)
    assert report.exit_code == 0 and report.counts()["row_problems"] == 0
    assert report.pages[0].drift == {"status": ("actif", "pilot"),
                                     "pilot": ("", "pia@battery.example")}
    community = records.community("battery")
    assert community.objectives == "Green H2" and community.status == "pilot"
    assert community.pilot == "pia@battery.example"
    assert len(records.drift("battery")) == 2


# --- 6. url keys keep their case; records keyed the old way are renamed ---------------------

def test_urls_differing_in_case_are_two_rows(records, wiki) -> None:
    append(wiki, "Watch", "{{CoP watch|date=2026-03-19|title=Upper|url=https://youtu.be/AbC}}",
           "{{CoP watch|date=2026-03-20|title=Lower|url=https://youtu.be/abc}}",
           "{{CoP watch|date=2026-03-21|title=Host|url=HTTPS://YOUTU.BE/Xy}}")
    report = run(records, wiki)
    assert report.exit_code == 0
    assert sorted(records.live_rows("battery", "watch")) == [
        "https://youtu.be/AbC", "https://youtu.be/Xy", "https://youtu.be/abc"]


def test_records_keyed_case_folded_are_renamed_at_the_next_sync(records, wiki) -> None:
    """Records written before url keys kept their case: the next sync renames the key,
    never duplicates nor tombstones the row."""
    append(wiki, "Watch", "{{CoP watch|date=2026-03-19|title=Upper|url=https://ex.com/Upper}}")
    run(records, wiki)
    old, new = "https://ex.com/upper", "https://ex.com/Upper"
    state = records.page_state("battery", "watch")
    with records.transaction():  # as the previous version recorded it
        records.db.execute("UPDATE entries SET key = ? WHERE key = ?", (old, new))
        records.db.execute("UPDATE pages SET base = ? WHERE community = 'battery' AND "
                           "kind = 'watch'",
                           (json.dumps({old: state.base[new]}),))
    assert list(records.live_rows("battery", "watch")) == [old]
    append(wiki, "Watch", "{{CoP watch|date=2026-03-20|title=Other|url=https://ex.com/o}}")
    report = run(records, wiki)
    assert report.exit_code == 0
    assert (report.counts()["rows_upserted"], report.counts()["rows_tombstoned"]) == (1, 0)
    entries = records.entries("battery", "watch", include_deleted=True)
    assert sorted(e.key for e in entries) == [new, "https://ex.com/o"]
    assert all(e.live for e in entries)
    assert set(records.page_state("battery", "watch").base) == {new, "https://ex.com/o"}
    assert run(records, wiki, full=True).counts()["rows_upserted"] == 0


# --- 7. choice messages in the page's language ----------------------------------------------

def test_choice_problems_name_the_labels_of_the_pages_language(records) -> None:
    wiki = MemoryBackend(memory_wiki().codec, spaces={"CoP_Hydro", "Template"})
    community = add_community(records, CONFIG, NewCommunity(
        slug="hydro", name="Hydro", theme="H2", pilot="p@corp.example",
        expert="e@corp.example", lang="fr"))
    Provisioner(records, wiki, T).run([community], dry_run=False)
    page = PageRef("CoP_Hydro", "Réglementation")
    current = wiki.page(page)
    assert current is not None
    wiki.edit(page, current.content + "\n{{CoP regulation|ref=R1|title=T|status=en cours}}\n")
    report = sync(records, {"mediawiki": wiki})
    [problem] = [p for page_ in report.pages for p in page_.problems]
    assert problem.message == "'en cours' is not one of: projet, adopté, en vigueur, abrogé"


# --- 8. exit 1 lasts as long as a row problem ---------------------------------------------

def test_exit_1_lasts_while_a_row_problem_is_open(records, wiki) -> None:
    """qa1 #8: a cron run after the one that found a bad row still exits 1 (the problem is
    still there, whether or not the page was read again); fixed on the wiki, exit 0."""
    bad = "{{CoP regulation|ref=EU-1|title=Bad date|effective=2026-02-30}}"
    append(wiki, "Regulation", bad)
    first = run(records, wiki)
    assert first.exit_code == 1 and first.counts()["row_problems"] == 1
    again = run(records, wiki)
    assert again.counts()["row_problems"] == 0  # the page was not read again
    assert again.exit_code == 1 and "still open" in again.summary_line()
    wiki.edit(ref("Regulation"), text(wiki, "Regulation").replace("2026-02-30", "2026-02-28"))
    assert run(records, wiki).exit_code == 0
    assert run(records, wiki).exit_code == 0


def test_a_deleted_page_leaves_no_stale_problems_and_says_what_it_held(records, wiki) -> None:
    """qa1 #10: the deleted page's old row problems go with it; the notice reads right."""
    append(wiki, "Regulation", "{{CoP regulation|ref=EU-1|title=Bad|effective=2026-02-30}}")
    assert run(records, wiki).exit_code == 1
    wiki.delete(ref("Regulation"))
    deleted = run(records, wiki)
    assert records.problems("battery") == [] and deleted.exit_code == 0
    assert any("it held no rows" in n for n in notices(deleted)), notices(deleted)
