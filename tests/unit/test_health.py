"""Community health computed from plain records data (sync/results/health/compute.py): the
alerts fire for a fading community and an overdue regulation review, and not for a healthy
community; profiles, contributors, activity over time, freshness and actions."""

from __future__ import annotations

from datetime import date

import pytest
from msgspec.structs import replace

from sync.config.health import HealthConfig
from sync.records.model import Community, Entry
from sync.results.health.compute import HealthInput, add_months, compute
from sync.results.health.model import UNKNOWN, Alert
from sync.results.history import StoredContribution
from sync.results.people import Member, MemberFinder, canonical_profile
from sync.results.report.document import alerts_block, freshness_table, portfolio_table
from sync.results.report.markdown import digest

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


# --- every edit and every row on a line of the activity table (seminar pages too) ------------

SEMINAR_PAGES = {**TITLES, "home": "Home", "charter": "Charter", "seminar@2026": "Seminar 2026"}
SEMINAR_ROWS = {"attendance@2026": "seminar@2026", "actions@2026": "seminar@2026"}


def seminar_health(edits: list[StoredContribution]):
    entries = [entry("watch", "w1", "2026-11-20T08:00:00Z"),
               entry("attendance@2026", "ann", "2026-11-02T08:00:00Z", name="Ann"),
               entry("attendance@2026", "bob", "2026-11-02T08:00:00Z", name="Bob"),
               entry("actions@2026", "roadmap", "2026-11-03T08:00:00Z", "2026-11-10T08:00:00Z",
                     action="Write the roadmap", owner="Ann")]
    data = HealthInput(community(), PEOPLE, tuple(entries), tuple(edits), TITLES,
                       {**FIELDS, "attendance": ("email", "name"), "actions": ("action",)},
                       pages=SEMINAR_PAGES, row_pages=SEMINAR_ROWS)
    return compute(data, HealthConfig(), "2026-10-01", NOW)


def test_seminar_rows_and_edits_are_on_its_page_line_and_the_lines_add_up() -> None:
    h = seminar_health([edit("watch", "Julie_roux", "2026-11-20T07:00:00Z"),
                        edit("seminar@2026", "Karim", "2026-11-02T07:00:00Z"),
                        edit("charter", "Karim", "2026-11-05T07:00:00Z"),
                        edit("", "Karim", "2026-11-06T07:00:00Z")])  # another page
    lines = {a.kind: a for a in h.activity}
    assert lines["seminar@2026"].title == "Seminar 2026"
    assert (lines["seminar@2026"].added, lines["seminar@2026"].updated,
            lines["seminar@2026"].edits) == (3, 1, 1)
    assert lines["charter"].edits == 1 and lines[""].edits == 1
    assert lines[""].title == "Other pages of the space"
    assert "home" not in lines  # nobody edited it: no line
    assert list(lines)[-1] == ""  # the space's other pages last
    assert h.edits == sum(a.edits for a in h.activity) == 4
    assert h.added == sum(a.added for a in h.activity) == 4
    assert h.updated == sum(a.updated for a in h.activity) == 1
    assert sum(b.rows.get("seminar@2026", 0) for b in h.timeline) == 4  # 3 added, 1 updated
    assert {(r.kind, r.label) for r in h.new_rows} >= {
        ("seminar@2026", "Ann"), ("seminar@2026", "Write the roadmap")}


def test_a_seminar_page_without_activity_still_has_its_line() -> None:
    h = seminar_health([])
    assert [a.kind for a in h.activity] == [*TITLES, "seminar@2026"]
    assert h.edits == 0


# --- an archived community: no activity alerts ------------------------------------------------

def test_an_archived_community_has_no_alert_and_says_it_is_archived() -> None:
    archived = replace(community("2025-01-05T09:00:00Z"), status="archived")
    data = HealthInput(archived, PEOPLE, (), (), TITLES, FIELDS)
    h = compute(data, HealthConfig(), "2026-10-01", NOW)
    assert h.archived and h.alerts == ()
    assert "Archived" in alerts_block(h).text  # type: ignore[union-attr]
    fading = health(created="2025-01-05T09:00:00Z")
    assert "fading_never" in [a.code for a in fading.alerts]  # the same, not archived
    [first, second] = portfolio_table([h, fading], "fr", {}).rows
    assert first[0] == "Battery (archivée)" and first[-1] == "0"
    assert second[0] == "Battery" and second[-1] == str(len(fading.alerts))


# --- sentences: singular and plural, profiles in the reader's language -------------------------

def test_alerts_agree_with_their_number() -> None:
    one, two = Alert("actions", {"count": "1"}), Alert("actions", {"count": "2"})
    assert one.message("en") == "1 seminar action past its due date."
    assert two.message("en") == "2 seminar actions past their due date."
    assert one.message("fr") == "1 action de séminaire a dépassé son échéance."
    assert two.message("fr") == "2 actions de séminaire ont dépassé leur échéance."
    weekly = Alert("fading", {"date": "2026-11-01", "weeks": "1"})
    assert weekly.message("en").endswith("(more than a week).")
    assert weekly.message("fr").endswith("(plus d'une semaine).")
    monthly = Alert("review", {"page": "Regulation", "date": "2026-01-01", "due": "2026-02-01",
                               "months": "1"})
    assert monthly.message("en").endswith("(every month).")
    assert monthly.message("fr").endswith("(tous les mois).")


def test_missing_profiles_are_named_in_the_readers_language() -> None:
    h = health(members=[PEOPLE[1]])  # only R&D
    [alert] = [a for a in h.alerts if a.code == "profiles"]
    assert alert.values["profiles"] == "marketing, sales"  # JSON: the profiles' names
    assert alert.message("en").endswith("no member with the profile marketing, sales.")
    assert alert.message("fr").endswith("aucun membre de profil marketing, ventes.")
    fr = compute(HealthInput(replace(community(), lang="fr"), (PEOPLE[1],), (), (), TITLES,
                             FIELDS), HealthConfig(), "2026-10-01", NOW)
    assert "ventes" in next(a["message"] for a in fr.as_json()["alerts"]
                            if a["code"] == "profiles")


def test_digest_and_tables_in_the_singular_where_french_and_english_want_it() -> None:
    fr = compute(HealthInput(replace(community(), lang="fr"), PEOPLE[:1],
                             (entry("watch", "w1", "2026-11-20T08:00:00Z"),),
                             (edit("watch", "Julie_roux", "2026-11-20T07:00:00Z"),), TITLES,
                             FIELDS), HealthConfig(), "2026-10-01", NOW)
    text = digest(fr)
    assert "1 membre, 1 contributeur actif, 1 modification du wiki, 1 ligne ajoutée, " \
           "0 modifiée." in text
    en = health(healthy_entries(), config=HealthConfig(review_months={"regulation": 1}))
    assert "| 1 month |" in "|".join(f"| {c} |" for row in freshness_table(en).rows
                                     for c in row)
    assert "3 members, 0 active contributors, 0 wiki edits, 2 rows added, 1 updated." \
        in digest(en)
