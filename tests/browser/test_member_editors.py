"""Members in the real editors: VisualEditor's template form (English and French) and the
page's "Add" button (source editor), then cop-sync and the records, field by field; and
every page kind as a member sees it, in screenshots."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

import pytest
from editors import (
    delete_row,
    edit_row,
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
           "competition": "CoP_Battery:Competition"}
STOCKAGE = {"home": "CoP_Stockage:Accueil", "members": "CoP_Stockage:Membres",
            "watch": "CoP_Stockage:Veille"}
ROW_CALL = re.compile(r"\{\{CoP [a-z]+\s*\|")


def records_rows(wiki: Any, slug: str, kind: str) -> dict[str, dict[str, str]]:
    records = Records.open(wiki.cop_env["COP_CONFIG"].replace("cop.toml", "cop.db"))
    try:
        return records.live_rows(slug, kind)
    finally:
        records.close()


def assert_rows_on_their_own_lines(text: str) -> None:
    """No row call shares its line with another row (markers are another matter)."""
    for line in text.splitlines():
        assert len(ROW_CALL.findall(line)) <= 1, line


def test_every_page_kind_as_a_member_sees_it(member_wiki: Any, member_page: Any) -> None:
    """Reading view of every page (no red link right after provisioning, an "Add" button
    on each list page) and a few pages in the visual editor; screenshots for people."""
    member_wiki.member_language("en")
    for community, pages in (("battery", BATTERY), ("stockage", STOCKAGE)):
        for kind, title in pages.items():
            view(member_page, member_wiki.url, title,
                 member_wiki.shots / f"{community}-{kind}.png")
            assert red_links(member_page) == [], (title, red_links(member_page))
            if kind not in ("home", "charter"):
                add = member_page.locator(".cop-add a").first
                href = unquote(add.get_attribute("href"))
                assert "section=new" in href and "preloadparams[]={{CoP " in href
    for kind in ("watch", "members"):
        open_visual_editor(member_page, member_wiki.url, BATTERY[kind])
        member_page.screenshot(path=str(member_wiki.shots / f"battery-{kind}-visual.png"),
                               full_page=True)


def test_visual_editor_rows_in_english_then_sync(member_wiki: Any, member_page: Any) -> None:
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
    text = member_wiki.person().read(title)
    assert_rows_on_their_own_lines(text)

    open_visual_editor(member_page, url, title)
    edit_row(member_page, "Pipes", {"Source": "Battery News"})
    delete_row(member_page, "To be deleted")
    save_visual_editor(member_page)
    view(member_page, url, title, member_wiki.shots / "battery-watch-after-visual.png")
    text = member_wiki.person().read(title)
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
    # the link's text is kept
    assert row["summary"].startswith("Signed Member") and "Main Page" in row["summary"]
    assert "https://example.com/del" not in rows


def test_visual_editor_form_in_french_then_sync(member_wiki: Any, member_page: Any) -> None:
    member_wiki.member_language("fr")
    title = STOCKAGE["members"]
    open_visual_editor(member_page, member_wiki.url, title)
    labels = insert_row_under_heading(member_page, "Liste des membres", "CoP member", {
        "Courriel": "julie.roux@corp.example", "Nom": "Julie Roux",
        "Profil": "marketing", "Rôle": "membre", "Site": "Lyon", "Membre depuis": "2026-11-28"})
    assert labels == ["Courriel", "Nom", "Profil", "Rôle", "Site", "Membre depuis"]
    save_visual_editor(member_page)
    view(member_page, member_wiki.url, title, member_wiki.shots / "stockage-members-after.png")
    assert_rows_on_their_own_lines(member_wiki.person().read(title))
    assert member_wiki.sync().exit_code == 0
    row = records_rows(member_wiki, "stockage", "members")["julie.roux@corp.example"]
    assert row == {**row, "name": "Julie Roux", "profile": "marketing", "role": "member",
                   "site": "Lyon", "since": "2026-11-28"}


def test_add_button_opens_the_source_editor_with_an_empty_row(member_wiki: Any,
                                                              member_page: Any) -> None:
    member_wiki.member_language("en")
    title = BATTERY["references"]
    view(member_page, member_wiki.url, title)
    member_page.locator(".cop-add a").first.click()
    box = member_page.locator("#wpTextbox1")
    box.wait_for()
    empty = "{{CoP reference|ref=|title=|version=|url=|owner=|summary=}}"
    assert box.input_value().strip() == empty
    assert member_page.locator("#wpSummary").count() == 0  # no subject line to fill
    box.fill(empty.replace("ref=", "ref=IEC 62660-1").replace("title=", "title=Cells = tests")
             .replace("url=", "url=https://webstore.iec.ch/62660")
             .replace("owner=", "owner=Karim {{!}} R&D"))
    member_page.screenshot(path=str(member_wiki.shots / "battery-references-add.png"))
    member_page.click("#wpSave")
    member_page.wait_for_selector("#mw-content-text .cop-references")
    text = member_wiki.person().read(title)
    assert text.rstrip().endswith("owner=Karim {{!}} R&D|summary=}}")
    assert_rows_on_their_own_lines(text)
    assert member_wiki.sync().exit_code == 0
    row = records_rows(member_wiki, "battery", "references")["iec 62660-1"]
    assert (row["ref"], row["title"], row["url"], row["owner"]) == (
        "IEC 62660-1", "Cells = tests", "https://webstore.iec.ch/62660", "Karim | R&D")


def test_a_bad_row_shows_its_problem_where_it_is(member_wiki: Any, member_page: Any) -> None:
    member_wiki.member_language("fr")
    title = STOCKAGE["watch"]
    member_wiki.person().append(title, "{{CoP watch|date=12/03/2024|title=|url=www.x.fr}}")
    view(member_page, member_wiki.url, title, member_wiki.shots / "stockage-watch-problem.png")
    note = member_page.locator(".cop-row .cop-problem").first.inner_text().replace("\xa0", " ")
    assert "Non enregistré" in note and "AAAA-MM-JJ" in note and "https://" in note
    assert "Titre : obligatoire" in note
