"""The pure merge (sync/engine/merge.py): decision table, safety rules, problems with
page/row/field."""

from __future__ import annotations

from connector.base import ParsedPage, RawRow, RowChange
from connector.errors import RowProblem
from page_templates import shipped
from sync.engine.charter_plan import plan_charter
from sync.engine.merge import ROW, plan_page
from sync.engine.page_rows import read_rows

T = shipped()
MEMBERS, WATCH, CHARTER = T["members"], T["watch"], T["charter"]
PAGE = "CoP Battery:Members"


def member(email: str, name: str = "Ann", **more: str) -> dict[str, str]:
    row = {"email": email, "name": name, "profile": "", "role": "member", "site": "",
           "since": "", "digest": ""}
    row.update(more)
    return row


def page(*rows: dict[str, str]) -> ParsedPage:
    return ParsedPage(tuple(RawRow(i, i + 10, r) for i, r in enumerate(rows, 1)))


def test_rows_are_validated_and_keyed() -> None:
    rows, problems = read_rows(MEMBERS, PAGE, page(member("Ann@X.io"), {"name": "No mail"}))
    assert list(rows) == ["ann@x.io"]
    assert problems == [RowProblem(PAGE, 2, "email", "is required and empty", 12, None,
                                   code="required_empty")]


def test_bad_date_names_page_row_and_field() -> None:
    _, problems = read_rows(WATCH, "W", page({"date": "12/03/2024", "title": "T"}))
    assert (problems[0].page, problems[0].row, problems[0].field) == ("W", 1, "date")
    assert "YYYY-MM-DD" in problems[0].message


def test_unknown_parameter_hint_for_typos() -> None:
    parsed = ParsedPage((RawRow(1, 1, {"name": "A"}, unknown=("emial",)),))
    _, problems = read_rows(MEMBERS, PAGE, parsed)
    assert "'emial'" in problems[0].message


def test_duplicate_key_keeps_the_recorded_row_wherever_it_is() -> None:
    """A copy inserted above the established row is the duplicate, not the established
    row (first by position no longer wins)."""
    julie = member("julie@x.io", "Julie Roux", profile="marketing", site="Nice",
                   since="2026-11-28")
    copy = member("julie@x.io", "J. Roux (copy)")
    recorded = {"julie@x.io": julie}
    rows, problems = read_rows(MEMBERS, PAGE, page(copy, julie), base=recorded,
                               local=recorded)
    assert rows == {"julie@x.io": julie}
    [problem] = problems
    assert (problem.row, problem.line, problem.field, problem.key) == (
        1, 11, "email", "julie@x.io")
    assert "same key as row 2 (line 12), the row already recorded" in problem.message
    below, [again] = read_rows(MEMBERS, PAGE, page(julie, copy), base=recorded,
                               local=recorded)
    assert below == rows and again.row == 2 and "row 1 (line 11)" in again.message


def test_duplicate_key_matches_the_records_when_the_base_does_not() -> None:
    a = member("a@x.io", "Old")
    renamed = {**a, "name": "Renamed by command"}  # written to the wiki, base not yet
    rows, problems = read_rows(MEMBERS, PAGE, page(member("a@x.io", "Copy"), renamed),
                               base={"a@x.io": a}, local={"a@x.io": renamed})
    assert rows == {"a@x.io": renamed} and [p.row for p in problems] == [1]


def test_duplicate_key_without_the_recorded_row_keeps_the_records_and_names_both() -> None:
    a = member("a@x.io", "Ann", site="Lyon")
    recorded = {"a@x.io": a}
    parsed = page(member("a@x.io", "First"), member("A@x.io", "Second"))
    rows, problems = read_rows(MEMBERS, PAGE, parsed, base=recorded, local=recorded)
    assert rows == {}
    assert [(p.row, p.key) for p in problems] == [(1, "a@x.io"), (2, "a@x.io")]
    assert "same key as row 2" in problems[0].message
    assert "records keep what they have" in problems[1].message
    plan = plan_page(MEMBERS, PAGE, parsed, base=recorded, local=recorded)
    assert not plan.upserts and not plan.tombstones and not plan.wiki_changes
    assert plan.new_base == recorded
    fresh, both = read_rows(MEMBERS, PAGE, parsed)  # nothing recorded: neither is taken
    assert fresh == {} and len(both) == 2


def test_a_duplicate_never_erases_recorded_fields() -> None:
    julie = member("julie@x.io", "Julie Roux", profile="marketing", site="Nice",
                   since="2026-11-28")
    recorded = {"julie@x.io": julie, "b@x.io": member("b@x.io")}
    parsed = page(member("julie@x.io", "J. Roux (copy)"), julie, member("b@x.io"))
    plan = plan_page(MEMBERS, PAGE, parsed, base=recorded, local=recorded)
    assert not plan.upserts and not plan.tombstones and not plan.wiki_changes
    # a command changing her row now: the write would not know which row to change
    changed = {**recorded, "julie@x.io": {**julie, "site": "Annecy"}}
    held = plan_page(MEMBERS, PAGE, parsed, base=recorded, local=changed)
    assert not held.wiki_changes and not held.upserts
    assert held.new_base == recorded
    assert list(held.held_changes) == ["julie@x.io"]
    assert "1 member change(s) held back (julie@x.io: rows 1 and 2 have the same key)" in \
        held.notes[0]


def test_watch_key_falls_back_to_title_and_date() -> None:
    rows, _ = read_rows(WATCH, "W", page({"date": "2024-01-02", "title": "Solid state"}))
    assert list(rows) == ["solid state|2024-01-02"]


def test_one_way_kind_takes_the_wiki() -> None:
    old = {"date": "2024-01-02", "title": "Old", "url": "https://a.example/x"}
    new = {**old, "title": "New"}
    parsed = page(new, {"date": "2024-02-02", "title": "Added"})
    local = {"https://a.example/x": {**old, "source": "", "summary": "", "tags": ""},
             "gone|2020-01-01": {"date": "2020-01-01", "title": "Gone"}}
    plan = plan_page(WATCH, "W", parsed, base=local, local=local)
    assert set(plan.upserts) == {"https://a.example/x", "added|2024-02-02"}
    assert plan.tombstones == ("gone|2020-01-01",)
    assert not plan.wiki_changes


def test_a_row_whose_key_cannot_be_read_prevents_every_deletion() -> None:
    local = {"a@x.io": member("a@x.io"), "b@x.io": member("b@x.io")}
    parsed = page(member("a@x.io"), {"name": "b's row lost its email"})
    plan = plan_page(MEMBERS, PAGE, parsed, base=local, local=local)
    assert plan.tombstones == () and plan.wiki_changes == ()
    assert "b@x.io" in plan.new_base  # still the base: decided later, when readable
    assert plan.problems
    assert plan.held_deletions == ("b@x.io",) and plan.unkeyed_rows == (2,)
    assert plan.notes == ("1 deletion(s) held back: the page has rows whose key cannot be "
                          "read (row 2), and a row that looks deleted may be one of them; "
                          "fix or remove those rows and the next cop-sync takes the "
                          "deletions",)


def test_a_local_addition_is_written_despite_unreadable_rows() -> None:
    """Issue: any unreadable row on the Members page held back `cop member add`."""
    a, b = member("a@x.io"), member("b@x.io")
    new = member("n@x.io", "New")
    for bad in ({"name": "no e-mail"},  # key unknown
                {**b, "role": "boss"}):  # key known (b), value invalid
        parsed = page(a, bad)
        plan = plan_page(MEMBERS, PAGE, parsed, base={"a@x.io": a, "b@x.io": b},
                         local={"a@x.io": a, "b@x.io": b, "n@x.io": new})
        assert plan.wiki_changes == (RowChange("add", "n@x.io", new),), bad
        assert plan.new_base == {"a@x.io": a, "b@x.io": b, "n@x.io": new}
        assert not plan.tombstones and not plan.held_changes


def test_only_the_unreadable_rows_key_waits() -> None:
    """A row with a readable key but a bad value protects its own key only: the others
    are merged (deletions included) and a change to it made by command is held back."""
    a, b, c = member("a@x.io"), member("b@x.io"), member("c@x.io")
    base = {"a@x.io": a, "b@x.io": b, "c@x.io": c}
    parsed = page({**b, "role": "boss"}, c)  # a deleted on the wiki, b broken
    plan = plan_page(MEMBERS, PAGE, parsed, base=base,
                     local={**base, "b@x.io": {**b, "site": "Lyon"}})
    assert plan.tombstones == ("a@x.io",)
    assert [p.key for p in plan.problems] == ["b@x.io"]
    assert "is not one of: member, pilot, expert" in plan.problems[0].message
    assert not plan.wiki_changes and plan.new_base == {"b@x.io": b, "c@x.io": c}
    assert plan.held_changes == {"b@x.io": "row 1 (line 11) with this key cannot be read"}
    assert plan.notes[0].startswith("1 member change(s) held back (b@x.io: row 1 (line 11) "
                                    "with this key cannot be read)")


def test_one_way_deletion_is_taken_beside_a_row_with_a_known_key() -> None:
    """A bad date in a row whose url is fine, or a duplicate, no longer blocks every
    deletion on the page; only rows whose key cannot be read do (said in a note)."""
    one = {"date": "2026-01-01", "title": "One", "url": "https://ex.com/1"}
    two = {"date": "2026-01-02", "title": "Two", "url": "https://ex.com/2"}
    local = {"https://ex.com/1": full_watch(one), "https://ex.com/2": full_watch(two)}
    bad_date = page({**two, "date": "22/01/2026"})
    new = {"date": "2026-03-01", "title": "New", "url": "https://ex.com/9"}
    duplicate = page(two, new, {**new, "title": "Again"})
    for parsed in (bad_date, duplicate):
        plan = plan_page(WATCH, "W", parsed, base=local, local=local)
        assert plan.tombstones == ("https://ex.com/1",), parsed
        assert not plan.held_deletions and plan.problems and not plan.upserts
        assert plan.new_base["https://ex.com/2"] == local["https://ex.com/2"]
    unkeyed = page(two, {"date": "bad", "title": "What was it?"})
    plan = plan_page(WATCH, "W", unkeyed, base=local, local=local)
    assert not plan.tombstones and plan.held_deletions == ("https://ex.com/1",)
    assert plan.new_base["https://ex.com/1"] == local["https://ex.com/1"]
    assert "1 deletion(s) held back" in plan.notes[0]


def full_watch(row: dict[str, str]) -> dict[str, str]:
    return {"date": "", "title": "", "url": "", "source": "", "summary": "", "tags": "",
            **row}


def test_codec_problems_hold_their_key_only_when_it_is_sure() -> None:
    a, b = member("a@x.io"), member("b@x.io")
    base = {"a@x.io": a, "b@x.io": b}
    trouble = RowProblem(PAGE, 2, "site", "contains a template", 12, "b@x.io")
    parsed = ParsedPage((RawRow(1, 11, a),), (trouble,))
    plan = plan_page(MEMBERS, PAGE, parsed, base=base, local=base)
    assert not plan.tombstones and not plan.held_deletions and plan.new_base == base
    in_key = RowProblem(PAGE, 2, "email", "contains a template", 12, None)
    plan = plan_page(MEMBERS, PAGE, ParsedPage((RawRow(1, 11, a),), (in_key,)),
                     base=base, local=base)
    assert plan.held_deletions == ("b@x.io",)
    # a watch row's url may have been emptied by an invalid value: its title+date key
    # is not sure
    watch = RowProblem("W", 1, "summary", "contains a template", 1, "t|2026-01-01")
    local = {"t|2026-01-01": full_watch({"title": "T", "date": "2026-01-01"}),
             "https://ex.com/1": full_watch({"url": "https://ex.com/1", "title": "One"})}
    plan = plan_page(WATCH, "W", ParsedPage((), (watch,)), base=local, local=local)
    assert plan.held_deletions == tuple(sorted(local))


def test_empty_page_is_refused_unless_forced() -> None:
    local = {"a@x.io": member("a@x.io")}
    refused = plan_page(MEMBERS, PAGE, page(), base=local, local=local)
    assert refused.refused_empty and not refused.tombstones and not refused.wiki_changes
    forced = plan_page(MEMBERS, PAGE, page(), base=local, local=local, force_delete=True)
    assert forced.tombstones == ("a@x.io",)


def test_local_additions_to_an_empty_page_are_pushed_not_refused() -> None:
    new = member("n@x.io", "New")
    plan = plan_page(MEMBERS, PAGE, page(), base={}, local={"n@x.io": new})
    assert not plan.refused_empty and plan.wiki_changes == (RowChange("add", "n@x.io", new),)


def test_two_way_local_add_is_pushed() -> None:
    a = member("a@x.io")
    new = member("n@x.io", "New")
    plan = plan_page(MEMBERS, PAGE, page(a), base={"a@x.io": a},
                     local={"a@x.io": a, "n@x.io": new})
    assert plan.wiki_changes == (RowChange("add", "n@x.io", new),)
    assert plan.new_base == {"a@x.io": a, "n@x.io": new}


def test_two_way_local_removal_is_pushed() -> None:
    a, b = member("a@x.io"), member("b@x.io")
    plan = plan_page(MEMBERS, PAGE, page(a, b), base={"a@x.io": a, "b@x.io": b},
                     local={"a@x.io": a}, local_deleted=frozenset({"b@x.io"}))
    assert plan.wiki_changes == (RowChange("remove", "b@x.io"),)
    assert "b@x.io" not in plan.new_base


def test_two_way_wiki_edit_flows_back() -> None:
    a = member("a@x.io")
    edited = {**a, "site": "Lyon"}
    plan = plan_page(MEMBERS, PAGE, page(edited), base={"a@x.io": a}, local={"a@x.io": a})
    assert plan.upserts == {"a@x.io": edited} and not plan.wiki_changes


def test_two_way_wiki_removal_tombstones() -> None:
    a, b = member("a@x.io"), member("b@x.io")
    plan = plan_page(MEMBERS, PAGE, page(a), base={"a@x.io": a, "b@x.io": b},
                     local={"a@x.io": a, "b@x.io": b})
    assert plan.tombstones == ("b@x.io",)


def test_fields_changed_on_different_sides_merge() -> None:
    a = member("a@x.io")
    plan = plan_page(MEMBERS, PAGE, page({**a, "site": "Lyon"}), base={"a@x.io": a},
                     local={"a@x.io": {**a, "profile": "R&D"}})
    assert plan.upserts == {"a@x.io": {**a, "site": "Lyon", "profile": "R&D"}}
    assert plan.wiki_changes == (RowChange("update", "a@x.io", {"profile": "R&D"}),)
    assert not plan.conflicts


def test_same_field_changed_differently_is_a_conflict_left_alone() -> None:
    a = member("a@x.io", site="Paris")
    plan = plan_page(MEMBERS, PAGE, page({**a, "site": "Lyon"}), base={"a@x.io": a},
                     local={"a@x.io": {**a, "site": "Nantes"}})
    assert [(c.field, c.base, c.wiki, c.local) for c in plan.conflicts] == [
        ("site", "Paris", "Lyon", "Nantes")]
    assert not plan.upserts and not plan.wiki_changes
    assert plan.new_base["a@x.io"]["site"] == "Paris"  # stays a conflict until resolved


def test_deleted_on_wiki_but_changed_locally_is_a_row_conflict() -> None:
    a = member("a@x.io")
    plan = plan_page(MEMBERS, PAGE, page(member("b@x.io")),
                     base={"a@x.io": a, "b@x.io": member("b@x.io")},
                     local={"a@x.io": {**a, "name": "Renamed"}, "b@x.io": member("b@x.io")})
    assert [c.field for c in plan.conflicts] == [ROW]
    assert not plan.tombstones


def test_same_change_on_both_sides_is_no_conflict() -> None:
    a = member("a@x.io")
    same = {**a, "site": "Lyon"}
    plan = plan_page(MEMBERS, PAGE, page(same), base={"a@x.io": a}, local={"a@x.io": same})
    assert not plan.conflicts and not plan.upserts and not plan.wiki_changes
    assert plan.new_base == {"a@x.io": same}


def test_charter_governance_edit_is_drift_and_prose_flows_back() -> None:
    records = {"slug": "bat", "name": "Battery", "theme": "", "axes": "", "pilot": "p@x.io",
               "expert": "e@x.io", "sponsor": "", "status": "active", "account": "",
               "objectives": "", "scope": ""}
    wiki = {**records, "pilot": "intruder@x.io", "objectives": "Faster charging"}
    plan = plan_charter(CHARTER, "C", page(wiki), records)
    assert plan.drift == {"pilot": ("intruder@x.io", "p@x.io")}
    assert plan.accepted == {"objectives": "Faster charging"}


def test_an_e_mail_address_in_another_case_is_no_drift() -> None:
    records = {"slug": "bat", "name": "Battery", "theme": "", "axes": "", "pilot": "p@x.io",
               "expert": "karim@corp.example", "sponsor": "", "status": "active",
               "account": "", "objectives": "", "scope": ""}
    wiki = {**records, "expert": "Karim@Corp.example"}
    assert plan_charter(CHARTER, "C", page(wiki), records).drift == {}


def test_charter_governance_values_are_drift_even_when_invalid() -> None:
    """A bad status (a French 'actif') or a removed pilot is drift, not a row problem:
    the members' own edits on the charter are still read."""
    records = {"slug": "hydro", "name": "Hydro", "theme": "", "axes": "", "pilot": "p@x.io",
               "expert": "e@x.io", "sponsor": "", "status": "active", "account": "",
               "objectives": "", "scope": ""}
    wiki = {**records, "status": "actif", "objectives": "Produire H2 vert"}
    del wiki["pilot"]
    plan = plan_charter(CHARTER, "C", page(wiki), records, lang="fr")
    assert not any(problem.blocking for problem in plan.problems)
    # each drifted field is also a warning, for the notice on the page (in French here)
    assert [(p.code, p.field, dict(p.params)) for p in plan.problems] == [
        ("governed_value", "pilot", {"field": "Pilote", "value": "", "records": "p@x.io"}),
        ("governed_value", "status", {"field": "Statut", "value": "actif",
                                      "records": "active"})]
    assert plan.drift == {"status": ("actif", "active"), "pilot": ("", "p@x.io")}
    assert plan.accepted == {"objectives": "Produire H2 vert"}
    assert plan.values is not None and plan.values["objectives"] == "Produire H2 vert"


def test_charter_member_field_problem_reads_nothing_but_reports_drift() -> None:
    records = {"slug": "bat", "name": "Battery", "status": "active", "pilot": "p@x.io"}
    wiki = {**records, "name": "", "status": "gone", "objectives": "New"}
    plan = plan_charter(CHARTER, "C", page(wiki), records)
    assert [(p.field, p.message) for p in plan.problems if p.blocking] == [
        ("name", "is required and empty")]
    assert plan.accepted == {} and plan.values is None
    assert plan.drift["status"] == ("gone", "active")


def test_charter_second_block_is_named() -> None:
    records = {"slug": "bat", "name": "Battery"}
    plan = plan_charter(CHARTER, "C", page(records, {**records, "name": "Other"}), records)
    assert [(p.row, p.field) for p in plan.problems] == [(2, "(template)")]
    assert plan.accepted == {}


def test_choice_problem_is_said_in_the_pages_language() -> None:
    regulation = T["regulation"]
    parsed = page({"ref": "R1", "title": "T", "status": "en cours"})
    _, [problem] = read_rows(regulation, "Réglementation", parsed, lang="fr")
    assert problem.message == "'en cours' is not one of: projet, adopté, en vigueur, abrogé"
    assert problem.key == "r1"  # the key is readable: only that row waits


def test_url_keys_recorded_case_folded_are_renamed_not_duplicated() -> None:
    """Records made before url keys kept their case: the next sync renames them."""
    upper = full_watch({"date": "2026-03-20", "title": "Upper", "url": "https://ex.com/Upper"})
    lower = full_watch({"date": "2026-03-21", "title": "Lower", "url": "https://ex.com/lower"})
    old = {"https://ex.com/upper": upper, "https://ex.com/lower": lower}
    plan = plan_page(WATCH, "W", page(upper, lower), base=old, local=old)
    assert plan.renames == {"https://ex.com/upper": "https://ex.com/Upper"}
    assert not plan.upserts and not plan.tombstones
    assert set(plan.new_base) == {"https://ex.com/Upper", "https://ex.com/lower"}
    # now both spellings on the page: the recorded one is the row equal to the record
    other = {**upper, "url": "https://ex.com/UPPER", "title": "Another"}
    plan = plan_page(WATCH, "W", page(other, upper, lower), base=old, local=old)
    assert plan.renames == {"https://ex.com/upper": "https://ex.com/Upper"}
    assert set(plan.upserts) == {"https://ex.com/UPPER"} and not plan.tombstones
    # the merge base already in the new spelling (a page `cop provision` recreated), the
    # records not yet: the records are renamed; and the other way round
    plan = plan_page(WATCH, "W", page(upper), base={"https://ex.com/Upper": upper},
                     local={"https://ex.com/upper": upper})
    assert plan.renames == {"https://ex.com/upper": "https://ex.com/Upper"}
    assert not plan.upserts and not plan.tombstones
    plan = plan_page(WATCH, "W", page(upper), base={"https://ex.com/upper": upper},
                     local={"https://ex.com/Upper": upper})
    assert not plan.renames and not plan.upserts and not plan.tombstones
    assert plan.new_base == {"https://ex.com/Upper": upper}
    # a page holding the case-folded spelling itself keeps it; the other is new
    same = {**upper, "url": "https://ex.com/upper"}
    plan = plan_page(WATCH, "W", page(same, upper, lower), base=old, local=old)
    assert not plan.renames and set(plan.upserts) == {"https://ex.com/upper",
                                                      "https://ex.com/Upper"}


def test_charter_without_block_is_a_problem() -> None:
    plan = plan_charter(CHARTER, "C", page(), {"slug": "bat"})
    assert plan.problems[0].field == "(template)"
