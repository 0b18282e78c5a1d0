"""Community health computed from plain records data (sync/health.py): the alerts fire for
a fading community and an overdue regulation review, and not for a healthy community;
profiles, contributors, activity over time, freshness and actions."""

from __future__ import annotations

from datetime import date

import pytest

from sync.health import HealthInput, add_months, compute
from sync.health_config import HealthConfig
from sync.health_model import UNKNOWN
from sync.history import StoredContribution
from sync.model import Community, Entry
from sync.people import Member, MemberFinder, canonical_profile

NOW = "2026-11-28T12:00:00Z"
TITLES = {"members": "Members", "watch": "Watch", "references": "References",
          "regulation": "Regulation", "competition": "Competition"}
FIELDS = {"watch": ("date", "title", "url"), "regulation": ("ref", "title"),
          "competition": ("competitor", "offer"), "members": ("email", "name"),
          "references": ("ref", "title")}
PEOPLE = (Member("julie.roux@corp.example", "Julie Roux", "Ventes"),
          Member("karim@corp.example", "Karim Haddad", "R&D"),
          Member("lea@corp.example", "Léa Martin", "marketing"))


def community(created: str = "2026-01-05T09:00:00Z") -> Community:
    return Community(slug="battery", name="Battery", theme="Energy", pilot="p@x", expert="e@x",
                     backend="mediawiki", lang="en", space="CoP_Battery", created_at=created)


def entry(kind: str, key: str, seen: str, updated: str | None = None,
          deleted: str | None = None, **data: str) -> Entry:
    return Entry("battery", kind, key, data or {"title": key}, "wiki", seen,
                 updated or deleted or seen, deleted)


def edit(kind: str, user: str, at: str, name: str = "") -> StoredContribution:
    return StoredContribution("battery", kind, f"CoP Battery:{TITLES.get(kind, 'Other')}",
                              user, at, name)


def health(entries=(), edits=(), members=PEOPLE, config=None, created="2026-01-05T09:00:00Z",
           actions=None, since="2026-10-01", now=NOW):
    data = HealthInput(community(created), tuple(members), tuple(entries), tuple(edits),
                       TITLES, FIELDS, actions)
    return compute(data, config or HealthConfig(), since, now)


def healthy_entries() -> list[Entry]:
    return [entry("watch", "w1", "2026-11-20T08:00:00Z"),
            entry("regulation", "EU-1", "2026-09-01T08:00:00Z", "2026-11-02T10:00:00Z"),
            entry("competition", "acme", "2026-10-12T08:00:00Z")]


# --- the alerts of the acceptance criteria ----------------------------------------------

def test_a_healthy_community_raises_no_alert() -> None:
    h = health(healthy_entries(), [edit("watch", "Julie_roux", "2026-11-20T07:59:00Z")])
    assert h.alerts == ()
    assert h.cross_functional is False  # only sales contributed: said, but not an alert
    assert [f.state for f in h.freshness] == ["free", "free", "ok", "ok"]


def test_fading_alert_when_nothing_was_contributed_for_the_configured_weeks() -> None:
    entries = [entry("watch", "w1", "2026-08-01T08:00:00Z"),
               entry("regulation", "EU-1", "2026-10-01T08:00:00Z")]
    h = health(entries, [edit("watch", "Bob", "2026-10-09T10:00:00Z")],
               config=HealthConfig(fading_weeks=6))
    assert [a.code for a in h.alerts] == ["fading"]
    assert h.alerts[0].values == {"date": "2026-10-09", "weeks": "6"}
    assert "no contribution since 2026-10-09 (more than 6 weeks)" in h.alerts[0].message("en")
    assert "aucune contribution depuis le 2026-10-09" in h.alerts[0].message("fr")
    assert health(entries, [edit("watch", "Bob", "2026-10-09T10:00:00Z")],
                  config=HealthConfig(fading_weeks=8)).alerts == ()


def test_fading_counts_from_the_creation_when_nobody_ever_contributed() -> None:
    h = health(created="2026-08-01T00:00:00Z", config=HealthConfig(review_months={}))
    assert [(a.code, a.values["date"]) for a in h.alerts] == [("fading_never", "2026-08-01")]
    assert health(created="2026-11-01T00:00:00Z").alerts == ()  # a new community: not yet


def test_rows_made_by_command_are_not_members_contributions() -> None:
    made = Entry("battery", "members", "p@x", {"email": "p@x"}, "command",
                 "2026-11-27T00:00:00Z", "2026-11-27T00:00:00Z")
    h = health([made], created="2026-06-01T00:00:00Z", config=HealthConfig(review_months={}))
    assert [a.code for a in h.alerts] == ["fading_never"]


def test_overdue_regulation_review() -> None:
    entries = [*healthy_entries()[:1], entry("regulation", "EU-1", "2026-03-02T08:00:00Z")]
    h = health(entries, [edit("watch", "Julie_roux", "2026-11-20T07:59:00Z")])
    assert [a.code for a in h.alerts] == ["review"]
    assert h.alerts[0].values == {"page": "Regulation", "date": "2026-03-02",
                                  "due": "2026-09-02", "months": "6"}
    regulation = next(f for f in h.freshness if f.kind == "regulation")
    assert (regulation.last_reviewed, regulation.due, regulation.state) == (
        "2026-03-02", "2026-09-02", "overdue")
    # an edit of the regulation page by a person counts as a review
    reviewed = health(entries, [edit("regulation", "Bob", "2026-11-01T10:00:00Z")])
    assert reviewed.alerts == ()


def test_a_page_never_reviewed_is_due_one_period_after_the_creation() -> None:
    h = health([entry("watch", "w1", "2026-11-20T08:00:00Z")],
               config=HealthConfig(review_months={"competition": 3}),
               created="2026-06-01T00:00:00Z")
    assert [(a.code, a.values["due"]) for a in h.alerts] == [("review_never", "2026-09-01")]


def test_required_profiles_missing_among_members() -> None:
    h = health(healthy_entries(), members=PEOPLE[:2])
    assert [(a.code, a.values) for a in h.alerts] == [("profiles", {"profiles": "marketing"})]
    assert h.missing_profiles == ("marketing",)


# --- figures ----------------------------------------------------------------------------------

def test_members_and_active_contributors_by_profile() -> None:
    edits = [edit("watch", "Julie_roux", "2026-11-02T10:00:00Z"),
             edit("watch", "Julie roux", "2026-11-03T10:00:00Z"),
             edit("regulation", "Karim.haddad", "2026-11-04T10:00:00Z"),
             edit("watch", "Stranger", "2026-11-05T10:00:00Z"),
             edit("watch", "Julie_roux", "2026-09-01T10:00:00Z")]  # before the period
    h = health(healthy_entries(), edits)
    assert [(p.profile, p.members, p.active) for p in h.profiles] == [
        ("marketing", 1, 0), ("R&D", 1, 1), ("sales", 1, 1), (UNKNOWN, 0, 1)]
    assert [(c.name, c.profile, c.edits) for c in h.contributors] == [
        ("Julie Roux", "sales", 2), ("Karim Haddad", "R&D", 1), ("Stranger", UNKNOWN, 1)]
    assert (h.active, h.edits, h.cross_functional) == (3, 4, False)
    edits.append(edit("watch", "Lea.Martin", "2026-11-06T10:00:00Z"))
    assert health(healthy_entries(), edits).cross_functional is True


def test_rows_added_updated_removed_per_kind_in_the_period() -> None:
    entries = [entry("watch", "new", "2026-11-02T08:00:00Z"),
               entry("watch", "old", "2026-01-02T08:00:00Z", "2026-11-03T08:00:00Z"),
               entry("watch", "gone", "2026-10-02T08:00:00Z", deleted="2026-11-04T08:00:00Z"),
               entry("regulation", "EU-1", "2026-05-01T08:00:00Z")]
    h = health(entries)
    watch = next(a for a in h.activity if a.kind == "watch")
    assert (watch.added, watch.updated, watch.removed) == (2, 1, 1)
    assert (h.added, h.updated, h.removed) == (2, 1, 1)
    assert [r.label for r in h.new_rows] == ["new"]  # live rows only


def test_timeline_per_week_with_empty_weeks_and_per_month_for_long_periods() -> None:
    entries = [entry("watch", "a", "2026-11-02T08:00:00Z"),
               entry("watch", "b", "2026-11-04T08:00:00Z"),
               entry("regulation", "EU-1", "2026-11-18T08:00:00Z")]
    edits = [edit("watch", "Bob", "2026-11-03T08:00:00Z")]
    h = health(entries, edits, since="2026-11-01")
    assert h.monthly is False
    assert [(b.start, dict(b.rows), b.edits) for b in h.timeline] == [
        ("2026-10-26", {}, 0), ("2026-11-02", {"watch": 2}, 1), ("2026-11-09", {}, 0),
        ("2026-11-16", {"regulation": 1}, 0), ("2026-11-23", {}, 0)]
    yearly = health(entries, edits, since="2025-12-01")
    assert yearly.monthly is True and yearly.timeline[0].start == "2025-12-01"
    assert yearly.timeline[-1].start == "2026-11-01" and len(yearly.timeline) == 12


def test_actions_not_tracked_until_the_kind_exists() -> None:
    assert health().actions.tracked is False
    rows = ({"title": "Prototype", "due": "2026-10-01", "status": "open"},
            {"title": "Paper", "due": "2026-10-01", "status": "done"},
            {"title": "Later", "due": "2027-01-01", "status": "open"})
    h = health(healthy_entries(), actions=rows)
    assert (h.actions.open, [a.title for a in h.actions.overdue]) == (2, ["Prototype"])
    assert ("actions", {"count": "1"}) in [(a.code, a.values) for a in h.alerts]


def test_the_period_ends_with_the_last_data_not_today() -> None:
    h = health(healthy_entries(), since="2026-10-01")
    assert (h.since, h.until, h.as_of) == ("2026-10-01", "2026-11-20", "2026-11-28")


# --- people -----------------------------------------------------------------------------------

@pytest.mark.parametrize("user, name, email", [
    ("Julie Roux", "", "julie.roux@corp.example"),
    ("Julie_roux", "", "julie.roux@corp.example"),
    ("JULIE.ROUX", "", "julie.roux@corp.example"),
    ("Lea Martin", "", "lea@corp.example"),  # accents aside
    ("Lea", "", "lea@corp.example"),  # the e-mail's local part
    ("712020:abc", "Karim Haddad", "karim@corp.example"),  # a display name (Confluence)
    ("Nobody", "", None),
])
def test_wiki_accounts_map_to_members(user: str, name: str, email: str | None) -> None:
    assert MemberFinder(PEOPLE, {}).email(user, name) == email


def test_configured_users_and_confluence_accounts_win() -> None:
    finder = MemberFinder(PEOPLE, {"JRoux": "Julie.Roux@corp.example"},
                          {"karim@corp.example": "557058:k"})
    assert finder.email("JRoux") == "julie.roux@corp.example"
    assert finder.email("557058:k") == "karim@corp.example"


def test_two_members_with_one_name_stay_unmapped() -> None:
    twins = (Member("a@x", "Sam Lee", ""), Member("b@x", "Sam Lee", ""))
    assert MemberFinder(twins, {}).email("Sam_Lee") is None


@pytest.mark.parametrize("profile, canonical", [
    ("ventes", "sales"), ("Commercial", "sales"), ("Recherche", "R&D"), ("r&d", "R&D"),
    ("Marketing", "marketing"), (" Production ", "production"), ("Logistics", "Logistics"),
    ("", "")])  # known profiles by the vocabulary's name (issue 6), others as written
def test_profiles_compare_through_their_aliases(profile: str, canonical: str) -> None:
    assert canonical_profile(profile, ("marketing", "R&D", "sales")) == canonical


@pytest.mark.parametrize("day, months, expected", [
    ("2026-08-31", 6, "2027-02-28"), ("2026-01-15", 12, "2027-01-15"),
    ("2026-03-31", -1, "2026-02-28"), ("2024-02-29", 12, "2025-02-28")])
def test_add_months_clamps_the_day(day: str, months: int, expected: str) -> None:
    assert add_months(date.fromisoformat(day), months).isoformat() == expected
