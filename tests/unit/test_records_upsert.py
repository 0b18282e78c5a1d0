"""Upserts of rows in the records: one statement per page, and ``updated_at`` moved only by
a change of what the row holds (a field a template upgrade added, still empty, is none)."""

from __future__ import annotations

from pathlib import Path

from sync.records.model import Community
from sync.records.store import Records

T1, T2, T3 = "2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z", "2026-03-01T00:00:00Z"


def records(tmp_path: Path) -> Records:
    opened = Records.open(tmp_path / "cop.db")
    opened.add_community(Community(slug="battery", name="Battery", theme="Energy",
                                   pilot="p@x.io", expert="e@x.io", backend="mediawiki",
                                   lang="en", space="CoP_Battery"))
    return opened


def updated(db: Records) -> dict[str, str]:
    return {e.key: e.updated_at for e in db.entries("battery", "members")}


def test_a_new_empty_field_is_no_change_but_a_filled_one_is(tmp_path: Path) -> None:
    db = records(tmp_path)
    db.upsert_entries("battery", "members", {"a@x.io": {"email": "a@x.io", "name": "A"},
                                             "b@x.io": {"email": "b@x.io", "name": "B"}},
                      origin="wiki", now=T1)
    db.upsert_entries("battery", "members", {
        "a@x.io": {"email": "a@x.io", "name": "A", "team": ""},
        "b@x.io": {"email": "b@x.io", "name": "B", "team": "R1"}}, origin="wiki", now=T2)
    assert updated(db) == {"a@x.io": T1, "b@x.io": T2}
    assert db.live_rows("battery", "members")["a@x.io"] == {"email": "a@x.io", "name": "A",
                                                            "team": ""}


def test_an_upsert_revives_a_tombstoned_row_as_a_change(tmp_path: Path) -> None:
    db = records(tmp_path)
    db.upsert_entry("battery", "members", "a@x.io", {"email": "a@x.io"}, origin="wiki",
                    now=T1)
    db.tombstone_entry("battery", "members", "a@x.io", by="wiki", now=T2)
    db.upsert_entry("battery", "members", "a@x.io", {"email": "a@x.io"}, origin="wiki",
                    now=T3)
    assert updated(db) == {"a@x.io": T3}
    assert "a@x.io" in db.live_rows("battery", "members")
