"""A member writes a subject on the Ideas page in the real editors (issue 16): the page as
members read it (help first, the list last, an "Add a subject" button pointed at the visual
editor, no red link), the form in English and in French, cop-sync recording the subject field
by field, a bad status flagged in the row's card, and the innovation manager's hand-over
(`cop idea link`) showing on the page as the project code and the status *launched*."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

import pytest
from editors import (
    add_with_button,
    fill_form,
    insert_from_form,
    red_links,
    save_visual_editor,
    view,
)

from sync.records.store import Records

pytestmark = [pytest.mark.mediawiki, pytest.mark.slow]

IDEAS = {"battery": "CoP_Battery:Ideas_and_subjects", "stockage": "CoP_Stockage:Idées_et_sujets"}
ROW_CALL = re.compile(r"\{\{CoP idea\s*\|")


def subject(wiki: Any, slug: str, title: str) -> dict[str, str]:
    records = Records.open(wiki.cop_env["COP_CONFIG"].replace("cop.toml", "cop.db"))
    try:
        rows = records.live_rows(slug, "ideas").values()
    finally:
        records.close()
    return next(row for row in rows if row["title"] == title)


def idea_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if ROW_CALL.match(line)]


def test_the_ideas_page_as_a_member_reads_it(member_wiki: Any, member_page: Any) -> None:
    """Both languages: the help comes before the list, the button opens the visual editor
    with a CoP idea row, and nothing is a red link right after provisioning."""
    member_wiki.member_language("en")
    for slug, (help_title, list_title) in (("battery", ("Add a subject", "Subjects")),
                                           ("stockage", ("Ajouter un sujet", "Sujets"))):
        view(member_page, member_wiki.url, IDEAS[slug],
             member_wiki.shots / f"{slug}-ideas.png")
        headings = [h.strip() for h in member_page.locator(
            "#mw-content-text h2").all_inner_texts()]
        headings = [re.sub(r"\[.*\]$", "", h).strip() for h in headings]
        assert headings.index(help_title) < headings.index(list_title), headings
        add = member_page.locator(".cop-add a.cop-add-visual").first
        add.wait_for()
        href = unquote(add.get_attribute("href"))
        assert "veaction=edit" in href and "copadd=CoP idea" in href, href
        assert red_links(member_page) == [], red_links(member_page)


def test_a_subject_in_english_then_the_hand_over(member_wiki: Any, member_page: Any) -> None:
    """The Add button, the form's labels, cop-sync, the hand-over list, then `cop idea
    link` writes the project code and *launched* back, shown in the subject's card."""
    member_wiki.member_language("en")
    title = IDEAS["battery"]
    view(member_page, member_wiki.url, title)
    add_with_button(member_page)
    labels = fill_form(member_page, {
        "Subject": "Fast charging for forklifts",
        "Need (market pull)": "Logistics customers want a full charge in one hour",
        "Capability (techno push)": "Our cell test bench",
        "Keywords": "fast charging, logistics", "Carried by": "Léa Martin",
        "Origin": "customer visit", "Status": "proposed"})
    assert labels == ["Subject", "Need (market pull)", "Capability (techno push)",
                      "Related entries", "Keywords", "Carried by", "Origin", "Status",
                      "Reason (dropped)", "Project code"]
    member_page.screenshot(path=str(member_wiki.shots / "battery-ideas-add.png"))
    insert_from_form(member_page)
    save_visual_editor(member_page)
    lines = idea_lines(member_wiki.read(title))
    assert len(lines) == 1 and "title=Fast charging for forklifts" in lines[0], lines
    assert member_wiki.sync().exit_code == 0
    row = subject(member_wiki, "battery", "Fast charging for forklifts")
    assert (row["need"], row["capability"], row["tags"], row["owner"], row["status"]) == (
        "Logistics customers want a full charge in one hour", "Our cell test bench",
        "fast charging, logistics", "Léa Martin", "proposed")
    handover = member_wiki.cop("idea", "list", "--handover")
    assert "Fast charging for forklifts" in handover.output, handover.output
    linked = member_wiki.cop("idea", "link", "battery", "fast charging for forklifts",
                             "--project", "INNO-42")
    assert linked.exit_code == 0, linked.output
    line = idea_lines(member_wiki.read(title))[0]
    assert "|status=launched" in line and "|project=INNO-42" in line, line
    view(member_page, member_wiki.url, title, member_wiki.shots / "battery-ideas-linked.png")
    card = member_page.locator(".cop-row", has_text="Fast charging for forklifts").first
    shown = card.inner_text().replace("\xa0", " ")
    assert "INNO-42" in shown and "launched" in shown
    # the need and the capability say which is which
    assert "Need (market pull): Logistics customers" in shown, shown
    assert "Capability (techno push): Our cell test bench" in shown, shown
    assert member_wiki.sync().exit_code == 0
    assert "Fast charging" not in member_wiki.cop("idea", "list", "--handover").output


def test_a_subject_in_french_and_a_bad_status(member_wiki: Any, member_page: Any) -> None:
    """A French community's form in French (for a member whose interface is English), the
    status written in French recorded as its value; a status that is none of the funnel's
    is flagged in the card, in French."""
    member_wiki.member_language("en")
    title = IDEAS["stockage"]
    view(member_page, member_wiki.url, title)
    add_with_button(member_page)
    labels = fill_form(member_page, {"Sujet": "Stockage saisonnier",
                                     "Besoin (marché)": "Stocker l'été pour l'hiver",
                                     "Mots-clés": "hydrogène, saisonnier",
                                     "Statut": "étudiée"})
    assert labels[:3] == ["Sujet", "Besoin (marché)", "Capacité (techno)"], labels
    insert_from_form(member_page)
    save_visual_editor(member_page)
    assert member_wiki.sync().exit_code == 0
    row = subject(member_wiki, "stockage", "Stockage saisonnier")
    assert (row["need"], row["tags"], row["status"]) == (
        "Stocker l'été pour l'hiver", "hydrogène, saisonnier", "studied")
    view(member_page, member_wiki.url, title)
    card = member_page.locator(".cop-row", has_text="Stockage saisonnier").first
    assert "Besoin (marché) : Stocker" in card.inner_text().replace("\xa0", " ")
    with member_wiki.appended(title, "{{CoP idea|title=Réseau de chaleur|status=en cours}}"):
        view(member_page, member_wiki.url, title,
             member_wiki.shots / "stockage-ideas-problem.png")
        card = member_page.locator(".cop-row", has_text="Réseau de chaleur").first
        note = card.locator(".cop-problem").inner_text().replace("\xa0", " ")
        assert "Non enregistré" in note and "Statut" in note, note
    assert member_wiki.sync().exit_code == 0
