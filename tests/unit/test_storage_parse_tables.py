"""Which table holds a kind's rows on a storage-format page, and how its rows are read: the
table under the rows section's heading wins over copies of it elsewhere on the page (for
reading, row edits, upgrades and extraction alike); rows above the header row are
read, not dropped; e-mail cells holding a mailto: link; unknown columns named as columns."""

from __future__ import annotations

import re

from bs4 import BeautifulSoup

from connector.base import PageContext, PageRef, RowChange
from connector.confluence.storage import StorageCodec
from connector.confluence.storage_columns import upgrade_columns
from connector.confluence.storage_parse import find_rows_table, rows_heading_tags
from connector.confluence.xml_escape import parse_storage, serialize
from page_templates import localize, shipped
from page_templates.values import normalize_row, row_key
from sync.engine.page_rows import read_rows

T = shipped()
MEMBERS, WATCH, SEMINAR, ATTENDANCE, ACTIONS = (
    T["members"], T["watch"], T["seminar"], T["attendance"], T["actions"])
CODEC = StorageCodec()
PAGE = "BAT:Members"
ROWS = [{"email": "claire@corp.example", "name": "Claire", "role": "pilot"},
        {"email": "karim@corp.example", "name": "Karim", "role": "expert"}]
TABLE = re.compile(r"<table>.*?</table>", re.S)


def context(lang: str = "en") -> PageContext:
    pages = {k.kind: PageRef("BAT", localize(k.title, lang)) for k in T.page_kinds
             if k.kind != "home" and not k.per}
    return PageContext(lang=lang, space="BAT", values={"name": "Battery", "slug": "battery"},
                       pages=pages)


def members_page(rows: list[dict[str, str]] | None = None) -> str:
    return CODEC.render_page(MEMBERS, context(), ROWS if rows is None else rows)


def emails(content: str, kind=MEMBERS) -> list[str]:
    parsed = CODEC.parse_rows(content, kind, PAGE)
    assert parsed.problems == ()
    return [normalize_row(kind, raw.values)[0]["email"] for raw in parsed.rows]


def soup_of(content: str) -> BeautifulSoup:
    soup = parse_storage(content)
    assert soup is not None
    return soup


def former_members(content: str) -> str:
    """A copy of the members table (other people) under a heading of its own."""
    copy = TABLE.search(content)
    assert copy is not None
    return ("<h2>Former members</h2>" + copy.group(0)
            .replace("claire@", "old@").replace("karim@", "old2@"))


# --- the placed table wins ------------------------------------------------------------------

def test_a_copy_of_the_table_above_the_list_is_not_the_rows_table() -> None:
    page = members_page()
    first = page.index("<h2>")
    copied = page[:first] + former_members(page) + page[first:]
    assert emails(copied) == ["claire@corp.example", "karim@corp.example"]
    below = page + former_members(page)  # and below the help, too
    assert emails(below) == ["claire@corp.example", "karim@corp.example"]


def test_row_edits_go_to_the_placed_table_not_the_copy() -> None:
    page = members_page()
    first = page.index("<h2>")
    copied = page[:first] + former_members(page) + page[first:]
    out = CODEC.apply_changes(copied, MEMBERS, [
        RowChange("add", "ann@corp.example", {"email": "ann@corp.example", "name": "Ann"}),
        RowChange("update", "karim@corp.example", {"name": "Karim B."}),
        RowChange("remove", "claire@corp.example")], "en")
    tables = TABLE.findall(out)
    assert tables[0] == TABLE.findall(copied)[0]  # the copy untouched
    assert emails(out) == ["karim@corp.example", "ann@corp.example"]
    assert "Karim B." in tables[1] and "claire@" not in tables[1]


def test_upgrades_and_extraction_use_the_placed_table() -> None:
    page = members_page()
    first = page.index("<h2>")
    real = TABLE.search(page)
    assert real is not None
    renamed = real.group(0).replace("<th>E-mail</th>", "<th>Courriel</th>") \
        .replace("</tr>", "<th>Notes</th></tr>", 1)
    copy = former_members(page).replace("</tr>", "<th>Remarks</th></tr>", 1)
    content = page[:first] + copy + page[first:].replace(real.group(0), renamed)
    soup = soup_of(content)
    assert upgrade_columns(soup, MEMBERS, "en") == ["column 'Courriel' renamed 'E-mail'"]
    tables = TABLE.findall(serialize(soup))
    assert tables[0] == TABLE.findall(content)[0]
    assert "<th>E-mail</th>" in tables[1]
    found = CODEC.extract_page(content, MEMBERS, context())
    assert [f.name for f in found.fields] == ["Notes"]


def test_each_part_of_the_seminar_page_reads_its_own_placed_table() -> None:
    people = [{"email": "ann@corp.example", "name": "Ann", "hours": "7", "workshop": "Cells"}]
    todo = [{"action": "Roadmap", "owner": "Ann", "due": "2026-09-01", "status": "open"}]
    values = {"name": "B", "seminar_title": "Days", "seminar_place": "Lyon",
              "seminar_start": "2026-06-10", "seminar_end": "2026-06-11", "account": "CC"}
    ctx = PageContext(lang="en", space="S", values=values,
                      pages={"seminar@2026": PageRef("S", "Seminar 2026")},
                      lists={"days": ("Day 1",), "workshops": ("Cells",)})
    page = CODEC.render_page(SEMINAR, ctx, [], {"attendance": people, "actions": todo})
    soup = soup_of(page)
    for kind, title in ((ATTENDANCE, "Attendance"), (ACTIONS, "Actions decided")):
        assert [h.get_text() for h in rows_heading_tags(soup, kind)] == [title]
    attendance = TABLE.findall(page)[0]
    copy = "<h2>Last year</h2>" + attendance.replace("ann@", "old@")
    content = page.replace("<h2>Posters</h2>", copy + "<h2>Posters</h2>", 1)
    assert emails(content, ATTENDANCE) == ["ann@corp.example"]
    bob = {"email": "bob@corp.example", "name": "Bob"}
    out = CODEC.apply_changes(content, ATTENDANCE,
                              [RowChange("add", row_key(ATTENDANCE, bob) or "", bob)], "en")
    assert TABLE.findall(out)[0] == copy.split("</h2>")[1]  # the copy untouched
    assert emails(out, ATTENDANCE) == ["ann@corp.example", "bob@corp.example"]
    assert [normalize_row(ACTIONS, r.values)[0]["action"]
            for r in CODEC.parse_rows(out, ACTIONS, "S:Seminar 2026").rows] == ["Roadmap"]


def test_a_copied_heading_and_table_do_not_take_over() -> None:
    """A member copies the list's heading and table above it (what a selection from the
    heading takes): the first table under a rows heading is the copy's... unless its rows
    are not the list's. The copy above takes over only as a table under that heading;
    below the list, or under another heading, it never does."""
    page = members_page()
    table = TABLE.search(page)
    assert table is not None
    start = page.index("<h2>Member list</h2>")
    copy = page[start:table.end()].replace("claire@", "old@").replace("karim@", "old2@")
    renamed = copy.replace("<h2>Member list</h2>", "<h2>Former members</h2>")
    assert emails(page[:start] + renamed + page[start:]) == \
        ["claire@corp.example", "karim@corp.example"]
    assert emails(page + copy) == ["claire@corp.example", "karim@corp.example"]


def test_without_the_rows_heading_the_table_naming_the_most_fields_wins() -> None:
    page = members_page().replace("<h2>Member list</h2>", "<h2>Who we are</h2>")
    fewer = "<table><tbody><tr><th>E-mail</th></tr><tr><td>x@corp.example</td></tr>" \
            "</tbody></table>"
    assert emails(fewer + page) == ["claire@corp.example", "karim@corp.example"]
    table, any_table = find_rows_table(soup_of(fewer + page), MEMBERS)
    assert table is not None and any_table and table.mapped == len(MEMBERS.fields)


def test_the_rows_heading_in_the_other_language_still_places_the_table() -> None:
    page = members_page().replace("<h2>Member list</h2>", "<h2>Liste des membres</h2>")
    fewer = "<table><tbody><tr><th>E-mail</th><th>Name</th></tr>" \
            "<tr><td>x@corp.example</td><td>X</td></tr></tbody></table>"
    content = page.replace("<h2>Liste des membres</h2>", "<h2>Liste des membres</h2>" + fewer)
    assert emails(content) == ["x@corp.example"]  # the first table under the heading


def test_a_deleted_table_is_made_again_where_the_template_puts_it() -> None:
    page = members_page()
    table = TABLE.search(page)
    assert table is not None
    bare = page.replace(table.group(0), "")
    out = CODEC.apply_changes(bare, MEMBERS, [RowChange(
        "add", "ann@corp.example", {"email": "ann@corp.example", "name": "Ann"})], "en")
    assert out.index("<table>") == table.start()  # under the rows heading, before the help
    assert emails(out + former_members(page)) == ["ann@corp.example"]


# --- rows above the header row ------------------------------------------------------------

HEADER_TH = "<tr><th>E-mail</th><th>Name</th><th>Profile</th></tr>"
HEADER_STRONG = ("<tr><td><p><strong>E-mail</strong></p></td><td><p><strong>Name</strong></p>"
                 "</td><td><p><strong>Profile</strong></p></td></tr>")


def table_page(*rows: str) -> str:
    return f"<p>intro</p><table><tbody>{''.join(rows)}</tbody></table>"


def test_a_row_inserted_above_the_header_is_read() -> None:
    cloud = table_page(  # Cloud: the new first row takes <th> cells, the header turns <td>
        "<tr><th><p>top@corp.example</p></th><th><p>Top</p></th><th><p>sales</p></th></tr>",
        HEADER_STRONG, "<tr><td>a@corp.example</td><td>A</td><td></td></tr>")
    dc = table_page("<tr><td>top@corp.example</td><td>Top</td><td>sales</td></tr>", HEADER_TH,
                    "<tr><td>a@corp.example</td><td>A</td><td></td></tr>")
    for content in (cloud, dc):
        parsed = CODEC.parse_rows(content, MEMBERS, PAGE)
        assert [(raw.index, raw.values["email"]) for raw in parsed.rows] == \
            [(1, "top@corp.example"), (2, "a@corp.example")]
        assert parsed.rows[0].values["profile"] == "sales"


def test_captions_above_the_header_are_not_rows_and_bad_rows_there_are_reported() -> None:
    content = table_page('<tr><td colspan="3">Our members</td></tr>',
                         "<tr><td></td><td></td><td></td></tr>", HEADER_TH,
                         "<tr><td>a@corp.example</td><td>A</td><td></td></tr>")
    assert emails(content) == ["a@corp.example"]
    wrong = table_page("<tr><td>Members of</td><td>the community</td><td></td></tr>",
                       HEADER_TH, "<tr><td>a@corp.example</td><td>A</td><td></td></tr>")
    _, problems = read_rows(MEMBERS, PAGE, CODEC.parse_rows(wrong, MEMBERS, PAGE))
    assert [(p.row, p.field) for p in problems] == [(1, "email")]


def test_new_rows_go_below_the_header_and_rows_above_it_can_change() -> None:
    content = table_page("<tr><td>top@corp.example</td><td>Top</td><td></td></tr>", HEADER_TH)
    out = CODEC.apply_changes(content, MEMBERS, [
        RowChange("add", "ann@corp.example", {"email": "ann@corp.example", "name": "Ann"}),
        RowChange("update", "top@corp.example", {"name": "Topper"})], "en")
    assert out == table_page("<tr><td>top@corp.example</td><td>Topper</td><td></td></tr>",
                             HEADER_TH,
                             "<tr><td>ann@corp.example</td><td>Ann</td><td></td></tr>")
    gone = CODEC.apply_changes(out, MEMBERS, [RowChange("remove", "top@corp.example")], "en")
    assert emails(gone) == ["ann@corp.example"]


# --- cells and messages -------------------------------------------------------------------

def test_an_email_cell_reads_the_address_of_its_mailto_link() -> None:
    content = table_page(
        HEADER_TH,
        '<tr><td><p><a href="mailto:bob@corp.example">Bob</a></p></td><td>B</td><td/></tr>',
        "<tr><td>mailto:cy@corp.example</td><td>C</td><td/></tr>",
        '<tr><td><a href="MAILTO:Dee%40corp.example?subject=Hi">Dee</a></td><td>D</td>'
        "<td/></tr>",
        '<tr><td><a href="mailto:old@corp.example">eve@corp.example</a></td><td>E</td>'
        "<td/></tr>")
    assert emails(content) == ["bob@corp.example", "cy@corp.example", "dee@corp.example",
                               "eve@corp.example"]
    same = CODEC.apply_changes(content, MEMBERS, [RowChange(
        "update", "bob@corp.example", {"email": "bob@corp.example", "name": "B"})], "en")
    assert same is content  # the link is the address already: left as the member wrote it
