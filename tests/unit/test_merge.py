"""The pure merge (sync/merge.py): decision table, safety rules, problems with page/row/field."""

from __future__ import annotations

from connector.base import ParsedPage, RawRow, RowChange
from connector.errors import RowProblem
from page_templates import shipped
from sync.merge import ROW, plan_charter, plan_page, read_rows

T = shipped()
MEMBERS, WATCH, CHARTER = T["members"], T["watch"], T["charter"]
PAGE = "CoP Battery:Members"


def member(email: str, name: str = "Ann", **more: str) -> dict[str, str]:
    row = {"email": email, "name": name, "profile": "", "role": "member", "site": "",
           "since": ""}
    row.update(more)
    return row


def page(*rows: dict[str, str]) -> ParsedPage:
    return ParsedPage(tuple(RawRow(i, i + 10, r) for i, r in enumerate(rows, 1)))


def test_rows_are_validated_and_keyed() -> None:
    rows, problems = read_rows(MEMBERS, PAGE, page(member("Ann@X.io"), {"name": "No mail"}))
    assert list(rows) == ["ann@x.io"]
    assert problems == [RowProblem(PAGE, 2, "email", "is required and empty", 12, None)]


def test_bad_date_names_page_row_and_field() -> None:
    _, problems = read_rows(WATCH, "W", page({"date": "12/03/2024", "title": "T"}))
    assert (problems[0].page, problems[0].row, problems[0].field) == ("W", 1, "date")
    assert "YYYY-MM-DD" in problems[0].message


def test_unknown_parameter_hint_for_typos() -> None:
    parsed = ParsedPage((RawRow(1, 1, {"name": "A"}, unknown=("emial",)),))
    _, problems = read_rows(MEMBERS, PAGE, parsed)
    assert "'emial'" in problems[0].message


def test_duplicate_key_keeps_the_first_row() -> None:
    rows, problems = read_rows(MEMBERS, PAGE, page(member("a@x.io", "First"),
                                                   member("A@x.io", "Second")))
    assert rows["a@x.io"]["name"] == "First"
    assert problems[0].row == 2 and "row 1" in problems[0].message


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


def test_unreadable_row_prevents_every_deletion() -> None:
    local = {"a@x.io": member("a@x.io"), "b@x.io": member("b@x.io")}
    parsed = page(member("a@x.io"), {"name": "b's row lost its email"})
    plan = plan_page(MEMBERS, PAGE, parsed, base=local, local=local)
    assert plan.tombstones == () and plan.wiki_changes == ()
    assert "b@x.io" in plan.new_base  # still the base: decided later, when readable
    assert plan.problems


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


def test_charter_without_block_is_a_problem() -> None:
    plan = plan_charter(CHARTER, "C", page(), {"slug": "bat"})
    assert plan.problems[0].field == "(template)"
