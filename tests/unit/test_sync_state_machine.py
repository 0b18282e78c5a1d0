"""A property-based test of the whole sync, in the spirit of vdirsyncer's: a Hypothesis state
machine over the in-memory wiki mixes member edits on the wiki (through the page text),
local edits (cop member add/remove), injected faults, crashes (a checkpoint armed in-process:
the run is abandoned there, open transactions roll back) and syncs, and checks:

* no edit is lost: after a clean sync (no fault, no crash) every change made on either side
  since it was last seen on both is on both sides, or recorded as a conflict;
* the records equal the wiki after a clean sync (one-way kinds exactly; members up to the
  open conflicts);
* no row twice on a page, no page created by a sync, the watermark never goes back;
* a role only the records set (pilot, expert) typed on the wiki is never taken: the records
  keep theirs and the difference is reported (``governed_value``), whatever else happens.
"""

from __future__ import annotations

import copy
import sqlite3
from pathlib import Path

import records_engine
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from connector.base import PageRef, RowChange
from connector.errors import EditConflict, Unreachable
from connector.mediawiki.wikitext import WikitextCodec
from connector.memory import MemoryBackend
from page_templates import shipped
from sync.community.registration import NewCommunity, add_community
from sync.config.loader import parse
from sync.engine import checkpoints
from sync.engine.governance import GOVERNED
from sync.engine.members import forget_member, record_member
from sync.engine.merge import ROW
from sync.engine.page_rows import read_rows
from sync.engine.run import Syncer, SyncOptions
from sync.provision.run import Provisioner
from sync.records.store import Records

T = shipped()
SPACE = "CoP_Battery"
PAGES = {"members": PageRef(SPACE, "Members"), "watch": PageRef(SPACE, "Watch")}
EMAILS = st.sampled_from(["ann@x.io", "bob@x.io", "cy@x.io", "pia@corp.example"])
FIELDS = st.sampled_from(["name", "profile", "site"])
VALUES = st.sampled_from(["A", "B", "C"])
ITEMS = st.integers(min_value=1, max_value=4)
ROLES = st.sampled_from(["member", "pilot", "expert"])
LEADERS = {"pia@corp.example", "eli@corp.example"}  # named on the charter (pilot, expert)
CRASH_POINTS = st.sampled_from(["after-wiki-write", "before-page-commit", "after-page-commit",
                                "after-watermark"])


def _golden() -> tuple[Records, MemoryBackend]:
    """Battery provisioned and synced once, with two members and one watch item."""
    records = Records.open(":memory:")
    wiki = MemoryBackend(WikitextCodec(), spaces={SPACE, "Template"})
    config = parse({"mediawiki": {"url": "http://127.0.0.1:1/"}}, Path("/tmp/cop.toml"))
    community = add_community(records, config, NewCommunity(
        slug="battery", name="Battery", theme="Energy", pilot="pia@corp.example",
        expert="eli@corp.example", lang="en"))
    Provisioner(records, wiki, T).run([community], dry_run=False)
    page = wiki.page(PAGES["watch"])
    assert page is not None
    wiki.edit(PAGES["watch"], page.content + "\n{{CoP watch|date=2026-01-01|title=T0|"
                                              "url=https://e.x/0}}\n")
    assert Syncer(records, {"mediawiki": wiki}, T).run(SyncOptions()).exit_code == 0
    return records, wiki


GOLDEN = _golden()


def _clone(records: Records) -> Records:
    if records_engine.POSTGRESQL:  # a database cloned from the golden one
        return records_engine.clone(records)
    db = sqlite3.connect(":memory:", isolation_level=None)
    records.db.backup(db)
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA foreign_keys = ON")
    return Records(db, ":memory:")


class SyncMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.records = _clone(GOLDEN[0])
        self.wiki = copy.deepcopy(GOLDEN[1])
        self.pages = len(self.wiki._pages)
        self.watermark = self.records.watermark("battery")
        # changes not yet seen on both sides: (side, email, field) -> value (None: removed)
        self.intents: dict[tuple[str, str, str], str | None] = {}
        checkpoints.disarm()

    # --- the wiki, as members edit it (the page text) -----------------------------------------

    def rows(self, kind: str) -> tuple[str, dict[str, dict[str, str]]]:
        page = self.wiki.page(PAGES[kind])
        assert page is not None
        parsed = self.wiki.codec.parse_rows(page.content, T[kind], str(PAGES[kind]))
        rows, problems = read_rows(T[kind], str(PAGES[kind]), parsed)
        assert problems == [], problems  # no row twice, nothing unreadable
        return page.content, rows

    def save(self, kind: str, content: str, changes: list[RowChange] | None = None) -> None:
        if changes:
            content = self.wiki.codec.apply_changes(content, T[kind], changes, "en")
        self.wiki.edit(PAGES[kind], content)

    @rule(email=EMAILS, field=FIELDS, value=VALUES)
    def wiki_edits_a_member(self, email: str, field: str, value: str) -> None:
        content, rows = self.rows("members")
        if email not in rows:  # a member adds a line by hand
            line = f"{{{{CoP member|email={email}|name=N|{field}={value}}}}}"
            if field == "name":
                line = f"{{{{CoP member|email={email}|name={value}}}}}"
            self.save("members", content.rstrip("\n") + "\n" + line + "\n")
            self.intend("wiki", email, {"name": "N", field: value}, new=True)
        elif rows[email].get(field, "") != value:
            self.save("members", content, [RowChange("update", email, {field: value})])
            self.intend("wiki", email, {field: value})

    @rule(email=EMAILS, role=ROLES)
    def wiki_sets_a_role(self, email: str, role: str) -> None:
        """A member types a role: pilot and expert are the charter's, so never taken."""
        content, rows = self.rows("members")
        if email in rows and rows[email].get("role", "") != role:
            self.save("members", content, [RowChange("update", email, {"role": role})])

    @rule(email=EMAILS)
    def wiki_removes_a_member(self, email: str) -> None:
        content, rows = self.rows("members")
        if email in rows and len(rows) >= 2:  # emptying a page is another test's business
            self.save("members", content, [RowChange("remove", email)])
            self.intend("wiki", email, None)

    @rule(item=ITEMS, title=VALUES)
    def wiki_edits_a_watch_item(self, item: int, title: str) -> None:
        content, rows = self.rows("watch")
        url = f"https://e.x/{item}"
        if url in rows:
            self.save("watch", content, [RowChange("update", url, {"title": title})])
        else:
            line = f"{{{{CoP watch|date=2026-01-0{item}|title={title}|url={url}}}}}"
            self.save("watch", content.rstrip("\n") + "\n" + line + "\n")

    @rule(item=ITEMS)
    def wiki_removes_a_watch_item(self, item: int) -> None:
        content, rows = self.rows("watch")
        url = f"https://e.x/{item}"
        if url in rows and len(rows) >= 2:
            self.save("watch", content, [RowChange("remove", url)])

    # --- the records, as the innovation manager changes them ----------------------------------

    @rule(email=EMAILS, field=FIELDS, value=VALUES)
    def command_sets_a_member(self, email: str, field: str, value: str) -> None:
        live = self.records.live_rows("battery", "members")
        fields = {"email": email, field: value}
        if email not in live:
            fields.setdefault("name", "N")
        elif live[email].get(field, "") == value:
            return
        record_member(self.records, T, self.records.community("battery"), fields)
        self.intend("local", email, {k: v for k, v in fields.items() if k != "email"},
                    new=email not in live)

    @rule(email=EMAILS)
    def command_removes_a_member(self, email: str) -> None:
        live = self.records.live_rows("battery", "members")
        if email in live and len(live) >= 2:
            forget_member(self.records, self.records.community("battery"), email)
            self.intend("local", email, None)

    def intend(self, side: str, email: str, fields: dict[str, str] | None,
               new: bool = False) -> None:
        """Remember a change that must end on both sides (or as a conflict)."""
        if fields is None or new:
            for key in [k for k in self.intents if k[:2] == (side, email)]:
                del self.intents[key]
        if fields is None:
            self.intents[(side, email, ROW)] = None
            return
        self.intents.pop((side, email, ROW), None)
        self.intents.update({(side, email, name): value for name, value in fields.items()})

    def drop_undone_intents(self) -> None:
        """A change undone before any sync saw it (a member added then removed, a field
        set back to its synced value) is no change: the merge base says so."""
        state = self.records.page_state("battery", "members")
        base = (state.base if state else None) or {}
        for side, email, field in list(self.intents):
            value = self.intents[(side, email, field)]
            if (email not in base) if field == ROW else base.get(email, {}).get(field) == value:
                del self.intents[(side, email, field)]

    # --- faults, crashes, syncs ---------------------------------------------------------------

    @rule(operation=st.sampled_from(["read_pages", "changes_since", "update_page"]),
          landed=st.booleans(), times=st.integers(min_value=1, max_value=2))
    def the_wiki_fails(self, operation: str, landed: bool, times: int) -> None:
        error: Exception = Unreachable("timed out", backend="memory")
        if operation == "update_page" and not landed and times == 2:
            error = EditConflict(backend="memory", page="Members", base_revision="?")
        self.wiki.fail_next(operation, error, times=times,
                            landed=landed and operation == "update_page")

    @rule(where=CRASH_POINTS, after=st.integers(min_value=1, max_value=2))
    def sync_crashes(self, where: str, after: int) -> None:
        checkpoints.arm(where, after=after)
        try:
            self.drop_undone_intents()
            Syncer(self.records, {"mediawiki": self.wiki}, T).run(SyncOptions())
        except checkpoints.SimulatedCrash:
            pass  # the process died here; the next run starts afresh over the same records
        finally:
            checkpoints.disarm()
        self.forget_seen_intents()

    @rule()
    def sync(self) -> None:
        self.drop_undone_intents()
        Syncer(self.records, {"mediawiki": self.wiki}, T).run(SyncOptions())
        self.forget_seen_intents()

    @rule()
    def clean_sync(self) -> None:
        self.wiki.clear_faults()
        self.drop_undone_intents()
        report = Syncer(self.records, {"mediawiki": self.wiki}, T).run(SyncOptions())
        if report.counts()["refused_empty"] or report.counts()["communities_refused_empty"]:
            # A member removed the last row the records still had while the records removed
            # the others: refused as empty (safe), until the operator accepts it.
            report = Syncer(self.records, {"mediawiki": self.wiki}, T).run(
                SyncOptions(force_delete=True))
        assert not any(c.failed or c.refused_empty for c in report.communities), \
            report.to_dict()
        assert all(not p.refused_empty and not p.errors for p in report.pages)
        _, watch = self.rows("watch")
        assert self.records.live_rows("battery", "watch") == watch
        self.check_members()
        self.forget_seen_intents()
        assert self.intents == {}, f"edits lost: {self.intents}"

    # --- checks --------------------------------------------------------------------------------

    def conflicted(self) -> set[tuple[str, str]]:
        return {(c.key, c.field) for c in self.records.conflicts("battery")}

    def check_members(self) -> None:
        """Equal on both sides, except where a conflict is open, or a role only the records
        set was typed on the wiki (reported, not taken)."""
        _, wiki = self.rows("members")
        local = self.records.live_rows("battery", "members")
        open_keys = {key for key, _ in self.conflicted()}
        governed = {p.key for p in self.records.problems("battery") if p.code == GOVERNED}
        for key in set(wiki) | set(local):
            w, lo = wiki.get(key), local.get(key)
            if w is not None and lo is not None and key in governed:
                w = {**w, "role": lo.get("role", "")}
            if w != lo:
                assert key in open_keys, (key, wiki.get(key), local.get(key))

    @invariant()
    def no_role_typed_on_the_wiki_is_taken(self) -> None:
        for email, row in self.records.live_rows("battery", "members").items():
            if email not in LEADERS:
                assert row.get("role") not in ("pilot", "expert"), (email, row)

    def forget_seen_intents(self) -> None:
        """Changes now the same on both sides, or recorded as a conflict, are done."""
        _, wiki = self.rows("members")
        local = self.records.live_rows("battery", "members")
        conflicts = self.conflicted()
        for (side, email, field), value in list(self.intents.items()):
            if field == ROW:
                done = email not in wiki and email not in local
            else:
                done = (wiki.get(email, {}).get(field) == value
                        and local.get(email, {}).get(field) == value)
            if done or (email, field) in conflicts or (email, ROW) in conflicts:
                del self.intents[(side, email, field)]

    @invariant()
    def watermark_never_goes_back(self) -> None:
        mark = self.records.watermark("battery")
        assert mark is not None and (self.watermark is None or mark >= self.watermark)
        self.watermark = mark

    @invariant()
    def no_page_is_created_and_no_row_is_twice(self) -> None:
        assert len(self.wiki._pages) == self.pages
        self.rows("members")
        self.rows("watch")

    def teardown(self) -> None:
        checkpoints.disarm()
        self.records.close()
        records_engine.drop(self.records)


# On PostgreSQL (the second CI run) each example clones a database and every statement is a
# round trip: fewer examples there, the 150 of the SQLite run explore the state space.
SyncMachine.TestCase.settings = settings(
    max_examples=40 if records_engine.POSTGRESQL else 150, stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow])
TestSyncStateMachine = SyncMachine.TestCase
