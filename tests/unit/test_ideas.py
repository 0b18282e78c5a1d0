"""The ideas funnel, pure (issue 16): the Ideas page's kind, names of entries resolved
against a space's rows, status changes, a subject's history and stays, the funnel's
figures, where pull meets push (across communities too) and why, what a seminar workshop
raised, the idle alert, and the tables every report shows."""

from __future__ import annotations

from msgspec.structs import replace

from connector.base import ParsedPage, RawRow
from page_templates import shipped
from page_templates.problems import problem_text
from page_templates.values import normalize, normalize_row, row_key
from sync.config.health import HealthConfig
from sync.engine.links import build_index, link_problems, nameable_kinds, resolve
from sync.engine.statuses import missing_reasons, status_changes, tracks_status
from sync.method.ideas import Subject, handover, history, subject_of, workshop_of
from sync.records.model import Community, Entry, Workshop
from sync.records.status_history import StatusChange
from sync.results.funnel.compute import FunnelInput, funnel, stays_of
from sync.results.funnel.matching import has_capability, has_need, matches, pull_push
from sync.results.health.compute import HealthInput, compute
from sync.results.report.document import portfolio_document, results_document
from sync.results.report.funnel_blocks import funnel_table, ideas_blocks, match_text
from sync.results.report.markdown import digest

T = shipped()
IDEAS = T["ideas"]
NOW = "2027-03-01T12:00:00Z"
ROWS = {
    "watch": {"https://news.example/ssb": {"title": "Solid-state batteries in 2027",
                                           "url": "https://news.example/ssb",
                                           "date": "2027-01-10", "tags": "solid-state, cells"}},
    "references": {"iec 62660-1": {"ref": "IEC 62660-1", "title": "Li-ion cell tests"}},
    "competition": {"acme|fastcharge 3": {"competitor": "Acme", "offer": "FastCharge 3"},
                    "acme|slowcharge": {"competitor": "Acme", "offer": "SlowCharge"}},
    "regulation": {"eu 2023/1542": {"ref": "EU 2023/1542", "title": "Batteries Regulation"}},
}
INDEX = build_index(T, ROWS)


# --- the kind -----------------------------------------------------------------------------------

def test_the_ideas_kind_is_the_contract_row_template_with_french_statuses() -> None:
    assert IDEAS.row_template == "CoP idea" and IDEAS.keys == (("title",),)
    assert IDEAS.two_way and IDEAS.title == {"en": "Ideas and subjects",
                                             "fr": "Idées et sujets"}
    for name in ("title", "need", "capability", "owner", "origin", "status", "project",
                 "reason", "links", "tags"):
        assert IDEAS.field(name) is not None, name
    status = IDEAS.field("status")
    assert status is not None and status.default == "idea"
    assert [c.value for c in status.choices] == ["idea", "studied", "proposed", "launched",
                                                 "dropped"]
    assert [c.labels["fr"] for c in status.choices] == ["idée", "étudiée", "proposée",
                                                        "lancée", "abandonnée"]
    assert normalize(status, "Abandonnée") == "dropped"
    assert normalize(status, "projet proposé") == "proposed"
    assert tracks_status(IDEAS) and not tracks_status(T["charter"])


def test_entries_are_separated_by_semicolons_only_and_each_kept_once() -> None:
    field = IDEAS.field("links")
    assert field is not None
    assert normalize(field, "Batteries, 2026 outlook ; IEC 62660-1;\nACME FastCharge 3;"
                            " iec 62660-1") == \
        "Batteries, 2026 outlook; IEC 62660-1; ACME FastCharge 3"


def test_a_subject_is_keyed_by_its_title_case_aside() -> None:
    values, problems = normalize_row(IDEAS, {"title": "  Fast  charging ", "status": "idée"})
    assert problems == [] and values["status"] == "idea"
    assert row_key(IDEAS, values) == "fast charging"


# --- names of entries ---------------------------------------------------------------------------

def test_names_find_entries_by_title_reference_address_or_competitor_and_offer() -> None:
    found, unknown = resolve(
        "solid-state batteries in 2027; IEC 62660-1; the review <https://NEWS.example/ssb/>; "
        "Acme FastCharge 3; EU 2023/1542; Nothing like it", INDEX)
    assert [(e.kind, e.key) for e in found] == [
        ("watch", "https://news.example/ssb"), ("references", "iec 62660-1"),
        ("competition", "acme|fastcharge 3"), ("regulation", "eu 2023/1542")]
    assert unknown == ("Nothing like it",)
    assert found[0].tags == ("solid-state", "cells") and found[0].label.startswith("Solid")


def test_a_competitor_alone_names_all_its_offers() -> None:
    found, unknown = resolve("ACME", INDEX)
    assert {e.key for e in found} == {"acme|fastcharge 3", "acme|slowcharge"} and not unknown


def test_the_members_the_seminar_rows_and_the_ideas_themselves_cannot_be_named() -> None:
    assert [k.kind for k in nameable_kinds(T)] == ["watch", "references", "regulation",
                                                   "competition"]


def test_a_name_that_finds_nothing_is_a_warning_on_its_row_in_the_pages_language() -> None:
    parsed = ParsedPage(rows=(
        RawRow(1, 10, {"title": "Fast charging", "links": "IEC 62660-1"}),
        RawRow(2, 11, {"title": "Cold start", "links": "IEC 99999; Acme"})))
    problems = link_problems(IDEAS, "CoP Battery:Ideas and subjects", parsed, INDEX,
                             ["Watch", "References"], "fr")
    assert [(p.row, p.line, p.field, p.key, p.code, p.severity) for p in problems] == [
        (2, 11, "links", "cold start", "unknown_entry", "warning")]
    assert problems[0].params["value"] == "IEC 99999"
    assert problems[0].params["field"] == "Entrées liées"


def test_a_subject_dropped_without_a_reason_is_a_warning() -> None:
    parsed = ParsedPage(rows=(
        RawRow(1, 5, {"title": "Recycling", "status": "abandonnée"}),
        RawRow(2, 6, {"title": "Cold start", "status": "dropped", "reason": "No market"}),
        RawRow(3, 7, {"title": "Drones", "status": "idée"})))
    [problem] = missing_reasons(IDEAS, "page", parsed, "fr")
    assert (problem.row, problem.line, problem.field, problem.key, problem.code,
            problem.severity, problem.params) == (
        1, 5, "reason", "recycling", "dropped_no_reason", "warning",
        {"field": "Raison (abandon)"})
    assert problem_text(problem.code, "fr", problem.params) == \
        "Abandonné sans raison : dites pourquoi dans « Raison (abandon) »."
    assert missing_reasons(T["regulation"], "page", parsed, "en") == []


# --- status changes, history, stays -------------------------------------------------------------

def test_status_changes_are_what_the_upserts_change() -> None:
    before = {"a": "idea", "b": "studied"}
    upserts = {"a": {"status": "studied"}, "b": {"status": "studied", "owner": "x"},
               "c": {"status": "idea"}}
    assert status_changes(before, upserts) == [("a", "idea", "studied"), ("c", "", "idea")]


def entry(key: str, status: str, seen: str, **data: str) -> Entry:
    return Entry("battery", "ideas", key, {"title": key.title(), "status": status, **data},
                 "wiki", seen, seen)


def change(key: str, previous: str, status: str, at: str) -> StatusChange:
    return StatusChange("battery", "ideas", key, previous, status, at)


def test_history_from_the_recorded_changes_and_stays_up_to_now() -> None:
    row = entry("fast charging", "proposed", "2027-01-01T08:00:00Z")
    changes = [change("fast charging", "", "idea", "2027-01-01T08:00:00Z"),
               change("fast charging", "idea", "studied", "2027-01-11T08:00:00Z"),
               change("fast charging", "studied", "proposed", "2027-02-10T08:00:00Z")]
    subject = subject_of(row, changes, INDEX, [])
    assert subject.history == (("idea", "2027-01-01T08:00:00Z"),
                               ("studied", "2027-01-11T08:00:00Z"),
                               ("proposed", "2027-02-10T08:00:00Z"))
    assert subject.status_since == "2027-02-10T08:00:00Z" and subject.awaits_project
    assert stays_of(subject, NOW)[-1] == ("proposed", "2027-02-10T08:00:00Z", NOW)


def test_history_without_changes_or_missing_the_last_one() -> None:
    row = entry("cold start", "studied", "2027-01-01T08:00:00Z")
    assert history(row, []) == (("studied", "2027-01-01T08:00:00Z"),)
    later = change("cold start", "idea", "proposed", "2027-02-01T00:00:00Z")
    assert history(row, [later]) == (("idea", "2027-01-01T08:00:00Z"),
                                     ("proposed", "2027-02-01T00:00:00Z"),
                                     ("studied", "2027-01-01T08:00:00Z"))


def test_the_workshop_an_origin_names() -> None:
    workshops = [Workshop(2026, "battery", "Fast charging"),
                 Workshop(2027, "battery", "Fast charging"),
                 Workshop(2027, "battery", "Charging")]
    assert workshop_of("Seminar 2026, workshop « fast-charging »", workshops,
                       "2027-05-01") == (2026, "Fast charging")
    assert workshop_of("workshop Fast charging", workshops, "2027-05-01") == \
        (2027, "Fast charging")
    assert workshop_of("Fast charging", workshops, "2026-12-01") == (2026, "Fast charging")
    assert workshop_of("a customer visit", workshops, "2027-05-01") is None
    assert workshop_of("", workshops, "2027-05-01") is None


# --- the funnel ---------------------------------------------------------------------------------

def subject(community: str, key: str, status: str, steps: list[tuple[str, str]] | None = None,
            linked: str = "", **values: str) -> Subject:
    found, unknown = resolve(linked, INDEX)
    steps = steps or [(status, "2027-01-01T00:00:00Z")]
    return Subject(community, key, {"title": key.capitalize(), "status": status, **values},
                   steps[0][1], tuple(steps), found, unknown)


def battery() -> list[Subject]:
    return [
        subject("battery", "fast charging", "launched",
                [("idea", "2027-01-01T00:00:00Z"), ("studied", "2027-01-05T00:00:00Z"),
                 ("proposed", "2027-01-15T00:00:00Z"), ("launched", "2027-02-14T00:00:00Z")],
                need="Fleet operators", capability="Our cells", project="P-12"),
        subject("battery", "cold start", "proposed",
                [("idea", "2027-01-10T00:00:00Z"), ("proposed", "2027-02-01T00:00:00Z")],
                need="Northern customers", capability="Heating film", owner="Léa"),
        subject("battery", "recycling", "dropped",
                [("idea", "2026-12-01T00:00:00Z"), ("dropped", "2027-01-20T00:00:00Z")],
                reason="No market yet"),
        subject("battery", "forklift packs", "idea", [("idea", "2027-02-20T00:00:00Z")],
                linked="Acme FastCharge 3", tags="fast charging, logistics"),
        subject("battery", "solid electrolyte", "studied", [("studied", "2027-02-25T00:00:00Z")],
                linked="Solid-state batteries in 2027"),
    ]


def solar() -> list[Subject]:
    return [subject("solar", "fast dc chargers", "studied",
                    capability="Our DC-DC converters", tags="Fast-Charging"),
            subject("solar", "grid services", "idea", need="Utilities ask for it",
                    tags="grid")]


NAMES = {"battery": "Battery", "solar": "Solar"}


def figures(subjects: list[Subject], everyone: list[Subject] | None = None,
            workshops: tuple[Workshop, ...] = ()):
    data = FunnelInput(tuple(subjects), tuple(everyone or subjects), workshops, NAMES, "")
    return funnel(data, "2027-02-01T00:00:00Z", NOW)


def test_subjects_at_each_stage_reached_in_the_period_and_median_days_there() -> None:
    f = figures(battery())
    stages = {s.stage: (s.count, s.entered, s.median_days) for s in f.stages}
    assert stages == {"idea": (1, 1, 15.8), "studied": (1, 1, 7.2),
                      "proposed": (1, 1, 29.2), "launched": (1, 1, None),
                      "dropped": (1, 0, None)}
    # idea: stays of 4, 22, 50 (then dropped) and 9.5 days (running up to now); studied:
    # 10 and 4.5 (running); proposed: 30 and 28.5 (running)
    assert f.total == 5 and f.raised == 2 and f.last_raised == "2027-02-25"
    assert f.median_days_to_launch == 44.0
    assert [(s.title, s.project) for s in f.launched] == [("Fast charging", "P-12")]
    assert [(s.title, s.reason) for s in f.dropped] == [("Recycling", "No market yet")]
    assert [(s.title, s.since, s.owner) for s in f.handover] == [
        ("Cold start", "2027-02-01", "Léa")]


def test_the_hand_over_lists_the_proposed_subjects_without_a_project_code() -> None:
    subjects = [*battery(), subject("battery", "coded", "proposed", project="P-13")]
    assert [s.key for s in handover(subjects)] == ["cold start"]


def test_a_need_or_a_capability_is_written_or_named_through_an_entry() -> None:
    forklift, electrolyte = battery()[3], battery()[4]
    assert has_need(forklift) and not has_capability(forklift)  # a competitor offer
    assert has_capability(electrolyte) and not has_need(electrolyte)  # a watch item


def test_a_need_of_one_community_meets_anothers_capability_and_says_why() -> None:
    everyone = battery() + solar()
    found = matches(everyone, NAMES)
    assert [(m.need.title, m.capability.title, m.keywords, m.across) for m in found] == [
        ("Forklift packs", "Fast dc chargers", ("fast charging",), True)]
    text = match_text(found[0], "en")
    assert text == ("need “Forklift packs” (Battery) ← capability “Fast dc chargers” "
                    "(Solar): shared keywords fast charging; across communities")
    assert "mots-clés communs fast charging ; entre communautés" in match_text(found[0], "fr")


def test_an_entry_both_name_is_a_match_too() -> None:
    need = subject("battery", "abuse tests", "idea", need="OEM audits",
                   linked="EU 2023/1542")
    offer = subject("solar", "test bench", "studied", capability="Our bench",
                    linked="IEC 62660-1; Batteries Regulation")
    (found,) = matches([need, offer], NAMES)
    assert found.entries == ("Batteries Regulation",) and found.keywords == ()


def test_unanswered_needs_and_unasked_capabilities() -> None:
    everyone = battery() + solar()
    unanswered, unasked, mine = pull_push(battery(), everyone, NAMES)
    assert [s.title for s in unanswered] == []  # forklift packs: answered by solar
    assert [s.title for s in unasked] == ["Solid electrolyte"]
    assert len(mine) == 1
    unanswered, unasked, mine = pull_push(solar(), everyone, NAMES)
    assert [s.title for s in unanswered] == ["Grid services"]
    assert [s.title for s in unasked] == []  # asked for by battery's forklift packs
    alone, _, _ = pull_push(battery(), battery(), NAMES)
    assert [s.title for s in alone] == ["Forklift packs"]


def test_what_each_workshop_raised() -> None:
    subjects = [s if s.key != "cold start" else Subject(
        s.community, s.key, s.values, s.first_seen, s.history, (), (), (2027, "Winter"))
        for s in battery()]
    f = figures(subjects, workshops=(Workshop(2027, "battery", "Winter"),
                                     Workshop(2026, "battery", "Empty one")))
    assert [(w.year, w.workshop, [s.title for s in w.subjects]) for w in f.workshops] == [
        (2026, "Empty one", []), (2027, "Winter", ["Cold start"])]


# --- health: the idle alert, and the report's blocks --------------------------------------------

def community(created: str = "2026-01-05T09:00:00Z") -> Community:
    return Community(slug="battery", name="Battery", theme="Energy", pilot="p@x", expert="e@x",
                     backend="mediawiki", lang="en", space="CoP_Battery", created_at=created)


def health(subjects: list[Subject], opened: str | None, weeks: int = 26, lang: str = "en"):
    data = HealthInput(
        replace_lang(community(), lang), (), (), (), {"ideas": "Ideas and subjects"},
        {"ideas": IDEAS.field_names},
        funnel=FunnelInput(tuple(subjects), tuple(subjects), (), NAMES, opened))
    return compute(data, HealthConfig(ideas_weeks=weeks, required_profiles=()),
                   "2027-01-01", NOW)


def replace_lang(found: Community, lang: str) -> Community:
    return replace(found, lang=lang)


def test_a_community_raising_nothing_for_the_configured_weeks_is_alerted_on() -> None:
    old = [subject("battery", "old", "idea", [("idea", "2026-06-01T00:00:00Z")])]
    codes = [a.code for a in health(old, "2026-01-10T00:00:00Z").alerts]
    assert "ideas_idle" in codes
    alert = next(a for a in health(old, "2026-01-10T00:00:00Z").alerts
                 if a.code == "ideas_idle")
    assert alert.message("en") == ("No new subject on the Ideas page since 2026-06-01 (more "
                                   "than 26 weeks).")
    assert "ideas_idle" not in [a.code for a in health(old, "", weeks=40).alerts]


def test_the_idle_clock_starts_when_the_ideas_page_was_opened() -> None:
    assert "ideas_never" not in [a.code for a in health([], "2027-01-20T00:00:00Z").alerts]
    never = [a for a in health([], "2026-06-20T00:00:00Z").alerts if a.code == "ideas_never"]
    assert never and "since it was opened (2026-06-20" in never[0].message("en")
    assert [a for a in health([], None).alerts if a.code.startswith("ideas")] == []


def test_the_funnel_in_the_digest_and_the_published_pages() -> None:
    h = health(battery(), "2026-12-01T00:00:00Z")
    table = funnel_table(h)
    assert table.headers == ("Stage", "Subjects", "Reached in the period",  # type: ignore
                             "Days at this stage (median)")
    assert table.rows[0] == ("Idea", "1", "3", "16")  # type: ignore[union-attr]
    texts = [getattr(b, "text", "") for b in ideas_blocks(h)]
    assert "Proposed to the portfolio, waiting for a project code:" in texts
    markdown = digest(h)
    assert "## Ideas and subjects" in markdown and "Cold start (proposed on 2027-02-01; " \
        "carried by Léa)" in markdown
    page = results_document(h)
    assert any(getattr(b, "text", "") == "Ideas and subjects" for b in page)
    fr = health(battery(), "2026-12-01T00:00:00Z", lang="fr")
    assert funnel_table(fr).rows[3][0] == "Lancée"  # type: ignore[union-attr]
    portfolio = portfolio_document([h, fr], "fr", {})
    assert any(getattr(b, "text", "") == "Transmission au portefeuille" for b in portfolio)
