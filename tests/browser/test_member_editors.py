"""Members in the real editors: the pages' "Add" buttons (the visual editor with a new entry's
form open, in English and French; the source editor where JavaScript is off), VisualEditor's
Insert → Template, editing and deleting a row, then cop-sync and the records, field by field;
and every page kind as a member sees it, in screenshots."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

import pytest
from editors import (
    add_with_button,
    chips,
    delete_row,
    edit_row,
    fill_form,
    insert_from_form,
    insert_row_under_heading,
    open_visual_editor,
    red_links,
    save_visual_editor,
    view,
)

from sync.records.store import Records

pytestmark = [pytest.mark.mediawiki, pytest.mark.slow]

BATTERY = {"home": "CoP_Battery:Home", "charter": "CoP_Battery:Charter",
           "members": "CoP_Battery:Members", "watch": "CoP_Battery:Watch",
           "references": "CoP_Battery:References", "regulation": "CoP_Battery:Regulation",
           "competition": "CoP_Battery:Competition", "seminar": "CoP_Battery:Seminar_2027"}
STOCKAGE = {"home": "CoP_Stockage:Accueil", "members": "CoP_Stockage:Membres",
            "watch": "CoP_Stockage:Veille", "competition": "CoP_Stockage:Concurrence",
            "seminar": "CoP_Stockage:Séminaire_2027"}
LISTS = ("members", "watch", "references", "regulation", "competition", "seminar")
ROW_CALL = re.compile(r"\{\{CoP [a-z]+\s*\|")


def records_rows(wiki: Any, slug: str, kind: str) -> dict[str, dict[str, str]]:
    records = Records.open(wiki.cop_env["COP_CONFIG"].replace("cop.toml", "cop.db"))
    try:
        return records.live_rows(slug, kind)
    finally:
        records.close()


def assert_rows_on_their_own_lines(text: str) -> None:
    """Every row call starts its line and no line holds two (the help's example, in
    <nowiki>, is not a row)."""
    for line in text.splitlines():
        assert len(ROW_CALL.findall(line)) <= 1, line
        if ROW_CALL.search(line) and "<nowiki>" not in line:
            assert line.startswith("{{CoP "), line


def lines_with(text: str, template: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("{{" + template + "|")]


def test_every_page_kind_as_a_member_sees_it(member_wiki: Any, member_page: Any) -> None:
    """Reading view of every page (no red link right after provisioning, an "Add" button
    on each list page, pointed at the visual editor by the wiki's script) and a few pages
    in the visual editor; screenshots for people."""
    member_wiki.member_language("en")
    for community, pages in (("battery", BATTERY), ("stockage", STOCKAGE)):
        for kind, title in pages.items():
            view(member_page, member_wiki.url, title)
            if kind in LISTS:
                add = member_page.locator(".cop-add a.cop-add-visual").first
                add.wait_for()
                href = unquote(add.get_attribute("href"))
                assert "veaction=edit" in href and "copadd=CoP " in href, href
            member_page.screenshot(path=str(member_wiki.shots / f"{community}-{kind}.png"),
                                   full_page=True)
            assert red_links(member_page) == [], (title, red_links(member_page))
    for kind in ("watch", "members"):
        open_visual_editor(member_page, member_wiki.url, BATTERY[kind])
        member_page.screenshot(path=str(member_wiki.shots / f"battery-{kind}-visual.png"),
                               full_page=True)


def test_add_button_opens_the_visual_editor_with_a_new_entry(member_wiki: Any,
                                                             member_page: Any) -> None:
    """The button of an empty list, twice: each time the visual editor opens with the
    entry's form, the entry lands at the end of the list on a line of its own; then
    cop-sync records both, field by field."""
    member_wiki.member_language("en")
    url, title = member_wiki.url, BATTERY["competition"]
    for number in (1, 2):
        view(member_page, url, title)
        add_with_button(member_page)
        labels = fill_form(member_page, {
            "Competitor": f"Acme {number}", "Offer": "Cell | X", "Positioning": "premium",
            "Updated": f"2026-11-0{number}", "Link": f"https://acme.example/{number}"})
        assert labels == ["Competitor", "Offer", "Positioning", "Strengths", "Weaknesses",
                          "Updated", "Link"]
        member_page.screenshot(path=str(member_wiki.shots / "battery-competition-add.png"))
        insert_from_form(member_page)
        save_visual_editor(member_page)
        text = member_wiki.read(title)
        assert_rows_on_their_own_lines(text)
        assert text.rstrip().splitlines()[-1].startswith(f"{{{{CoP competitor|competitor=Acme "
                                                         f"{number}|")
    assert len(lines_with(member_wiki.read(title), "CoP competitor")) == 2
    view(member_page, url, title, member_wiki.shots / "battery-competition-after-add.png")
    assert member_wiki.sync().exit_code == 0
    rows = records_rows(member_wiki, "battery", "competition")
    for number in (1, 2):
        row = next(r for r in rows.values() if r["competitor"] == f"Acme {number}")
        assert (row["offer"], row["positioning"], row["updated"], row["url"]) == (
            "Cell | X", "premium", f"2026-11-0{number}", f"https://acme.example/{number}")


def test_add_button_shows_the_form_in_the_community_language(member_wiki: Any,
                                                             member_page: Any) -> None:
    """A French community's button opens the form with French labels even for a member
    whose interface is in English (the button asks for the page's language)."""
    member_wiki.member_language("en")
    title = STOCKAGE["competition"]
    view(member_page, member_wiki.url, title)
    add_with_button(member_page)
    labels = fill_form(member_page, {"Concurrent": "Voltix", "Offre": "Pack Ω",
                                     "Mis à jour le": "2026-12-03"})
    assert labels[:2] == ["Concurrent", "Offre"] and "Mis à jour le" in labels
    member_page.screenshot(path=str(member_wiki.shots / "stockage-competition-add.png"))
    insert_from_form(member_page)
    save_visual_editor(member_page)
    text = member_wiki.read(title)
    assert_rows_on_their_own_lines(text)
    assert text.rstrip().endswith("}}") and "Voltix" in text.rstrip().splitlines()[-1]
    assert member_wiki.sync().exit_code == 0
    row = next(iter(records_rows(member_wiki, "stockage", "competition").values()))
    assert (row["competitor"], row["offer"], row["updated"]) == ("Voltix", "Pack Ω",
                                                                 "2026-12-03")


def test_add_buttons_of_a_page_with_two_lists(member_wiki: Any, member_page: Any) -> None:
    """A seminar page holds the attendance, then the actions: each button's entry goes at
    the end of its own list (not into the next section, nor at the end of the page)."""
    member_wiki.member_language("en")
    url, title = member_wiki.url, BATTERY["seminar"]
    view(member_page, url, title)
    add_with_button(member_page, index=0)  # attendance
    fill_form(member_page, {"Participant's e-mail": "ana@corp.example",
                            "Participant": "Ana", "Hours": "3"})
    insert_from_form(member_page)
    save_visual_editor(member_page)
    view(member_page, url, title)
    add_with_button(member_page, index=1)  # actions
    fill_form(member_page, {"Action": "Build a test bench", "Owner": "Karim",
                            "Due": "2027-06-30"})
    insert_from_form(member_page)
    save_visual_editor(member_page)
    text = member_wiki.read(title)
    assert_rows_on_their_own_lines(text)
    attendance = text.index("{{CoP attendance|email=ana@corp.example")
    assert text.index("== Attendance ==") < attendance < text.index("== Add an action ==")
    assert text.rstrip().splitlines()[-1].startswith("{{CoP action|action=Build a test bench")
    provision = member_wiki.cop("provision", "--all", "--dry-run").output
    assert "! drift" not in provision, provision  # no managed section was touched
    assert member_wiki.sync().exit_code == 0


def test_a_newcomer_gets_the_form_after_the_welcome_dialog(member_wiki: Any,
                                                           newcomer_page: Any) -> None:
    """VisualEditor greets a first-time user with a dialog: the entry's form opens once it
    is closed, instead of being pushed aside by it."""
    view(newcomer_page, member_wiki.url, BATTERY["references"])
    newcomer_page.locator(".cop-add a.cop-add-visual").first.click()
    welcome = newcomer_page.locator(".oo-ui-window-active.ve-init-mw-welcomeDialog")
    welcome.wait_for()
    newcomer_page.screenshot(path=str(member_wiki.shots / "newcomer-welcome.png"))
    welcome.locator(".oo-ui-messageDialog-actions .oo-ui-buttonElement-button").last.click()
    assert fill_form(newcomer_page, {})[:2] == ["Reference", "Title"]


def test_visual_editor_rows_in_english_then_sync(member_wiki: Any, member_page: Any) -> None:
    """By hand: Insert → Template under the list's title, as the help says; then a field
    edited in the row's form and a row deleted."""
    member_wiki.member_language("en")
    url, title = member_wiki.url, BATTERY["watch"]
    open_visual_editor(member_page, url, title)
    labels = insert_row_under_heading(member_page, "Watch items", "CoP watch", {
        "Date": "2026-12-01", "Title": "Pipes | and }} braces",
        "Link": "https://example.com/a?b=c&d=e", "Source": "x = y",
        "Summary": "Signed ~~~~ and see [[Main Page]]", "Tags": "cells, sodium"})
    assert labels == ["Date", "Title", "Link", "Source", "Summary", "Tags"]
    insert_row_under_heading(member_page, "Watch items", "CoP watch", {
        "Date": "2026-12-02", "Title": "To be deleted", "Link": "https://example.com/del"})
    member_page.screenshot(path=str(member_wiki.shots / "battery-watch-visual-rows.png"),
                           full_page=True)
    save_visual_editor(member_page)
    assert_rows_on_their_own_lines(member_wiki.read(title))

    open_visual_editor(member_page, url, title)
    # deleted first: the form's context menu of an edited row would cover the next card
    delete_row(member_page, "To be deleted")
    edit_row(member_page, "Pipes", {"Source": "Battery News"})
    save_visual_editor(member_page)
    view(member_page, url, title, member_wiki.shots / "battery-watch-after-visual.png")
    text = member_wiki.read(title)
    assert "To be deleted" not in text and "x = y" not in text
    assert_rows_on_their_own_lines(text)

    assert member_wiki.sync().exit_code == 0
    rows = records_rows(member_wiki, "battery", "watch")
    row = rows["https://example.com/a?b=c&d=e"]
    assert row["date"] == "2026-12-01"
    assert row["title"] == "Pipes | and }} braces"
    assert row["url"] == "https://example.com/a?b=c&d=e"
    assert row["source"] == "Battery News"
    assert row["tags"] == "cells, sodium"
    # ~~~~ became the member's signature when the page was saved (the pre-save transform);
    # a link whose label is its target is recorded once, as it shows
    assert row["summary"].startswith("Signed Member") and "Main Page" in row["summary"]
    assert "https://example.com/del" not in rows


def test_visual_editor_form_in_french_then_sync(member_wiki: Any, member_page: Any) -> None:
    member_wiki.member_language("fr")
    title = STOCKAGE["members"]
    open_visual_editor(member_page, member_wiki.url, title)
    labels = insert_row_under_heading(member_page, "Liste des membres", "CoP member", {
        "Courriel": "julie.roux@corp.example", "Nom": "Julie Roux",
        "Profil": "marketing", "Rôle": "membre", "Site": "Lyon", "Membre depuis": "2026-11-28",
        "Nouveautés par courriel": "non"})  # she stops the e-mail digest from her own row
    assert labels == ["Courriel", "Nom", "Profil", "Rôle", "Site", "Membre depuis",
                      "Nouveautés par courriel"]
    save_visual_editor(member_page)
    view(member_page, member_wiki.url, title, member_wiki.shots / "stockage-members-after.png")
    assert_rows_on_their_own_lines(member_wiki.read(title))
    assert member_wiki.sync().exit_code == 0
    row = records_rows(member_wiki, "stockage", "members")["julie.roux@corp.example"]
    assert row == {**row, "name": "Julie Roux", "profile": "marketing", "role": "member",
                   "site": "Lyon", "since": "2026-11-28", "digest": "no"}


def test_without_javascript_the_add_button_opens_the_source_editor(
        member_wiki: Any, member_page_without_js: Any) -> None:
    """Where the script cannot run, the button's own link: the source editor with an empty
    row preloaded and no subject line; the row lands at the end of the page."""
    page = member_page_without_js
    title = BATTERY["references"]
    view(page, member_wiki.url, title)
    page.locator(".cop-add a").first.click()
    box = page.locator("#wpTextbox1")
    box.wait_for()
    empty = "{{CoP reference|ref=|title=|version=|url=|owner=|summary=}}"
    assert box.input_value().strip() == empty
    assert page.locator("#wpSummary").count() == 0  # no subject line to fill
    box.fill(empty.replace("ref=", "ref=IEC 62660-1").replace("title=", "title=Cells = tests")
             .replace("url=", "url=https://webstore.iec.ch/62660")
             .replace("owner=", "owner=Karim {{!}} R&D"))
    page.screenshot(path=str(member_wiki.shots / "battery-references-add-source.png"))
    page.click("#wpSave")
    page.wait_for_selector("#mw-content-text .cop-references")
    text = member_wiki.read(title)
    assert text.rstrip().endswith("owner=Karim {{!}} R&D|summary=}}")
    assert_rows_on_their_own_lines(text)
    assert member_wiki.sync().exit_code == 0
    row = records_rows(member_wiki, "battery", "references")["iec 62660-1"]
    assert (row["ref"], row["title"], row["url"], row["owner"]) == (
        "IEC 62660-1", "Cells = tests", "https://webstore.iec.ch/62660", "Karim | R&D")


def test_a_bad_row_shows_its_problem_where_it_is(member_wiki: Any, member_page: Any) -> None:
    member_wiki.member_language("fr")
    title = STOCKAGE["watch"]
    with member_wiki.appended(title, "{{CoP watch|date=12/03/2024|title=|url=www.x.fr}}"):
        view(member_page, member_wiki.url, title,
             member_wiki.shots / "stockage-watch-problem.png")
        note = member_page.locator(".cop-row .cop-problem").first.inner_text()
        note = note.replace("\xa0", " ")
        assert "Non enregistré" in note and "AAAA-MM-JJ" in note and "https://" in note
        assert "Titre : obligatoire" in note
        card = member_page.locator(".cop-row", has_text="Non enregistré").first
        # the empty title leaves no stray quote, and turns nothing bold or italic
        assert "'" not in card.inner_text().split("Non enregistré")[0]
        assert card.locator("i").count() == 0


# VisualEditor shows an HTML comment as a "!" chip a member can select and delete: the
# markers earlier versions wrote (<!-- cop:section … -->) showed 7 to 8 per page. Pages carry
# none now (the records keep what each managed region last held); the notice is a template call.
def test_no_marker_shows_as_a_chip_in_the_visual_editor(member_wiki: Any,
                                                       member_page: Any) -> None:
    member_wiki.member_language("en")
    for title in (BATTERY["members"], STOCKAGE["watch"], BATTERY["seminar"]):
        open_visual_editor(member_page, member_wiki.url, title)
        assert chips(member_page) == 0, title


# By hand, under the list's title as the help says: Parsoid ends the new row's line only if
# the text after it starts a line; with markers (HTML comments) after the title, the row was
# written on the line of the `<!-- /cop:section rows -->` marker. Pages carry none now.
def test_a_row_added_by_hand_is_glued_to_no_marker(member_wiki: Any, member_page: Any) -> None:
    member_wiki.member_language("en")
    title = BATTERY["regulation"]
    open_visual_editor(member_page, member_wiki.url, title)
    insert_row_under_heading(member_page, "Texts", "CoP regulation", {
        "Reference": "EU 2023/1542", "Title": "Batteries Regulation"})
    save_visual_editor(member_page)
    [line] = [line for line in member_wiki.read(title).splitlines() if "EU 2023/1542" in line]
    assert line.startswith("{{CoP regulation|") and line.endswith("}}"), line
