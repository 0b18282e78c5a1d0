"""The row templates' problem notes (ParserFunctions, connector/mediawiki/row_checks.py) and the
sync's reading of the same values (page_templates/values.py) give the same verdict, field by
field, on the real wiki: what a member sees flagged is what the sync refuses, and a value the
sync takes shows no note."""

from __future__ import annotations

from typing import Any

import pytest
from bs4 import BeautifulSoup
from wiki_people import Person

from connector.mediawiki.escape import escape_text
from connector.mediawiki.wikitext import WikitextCodec
from page_templates import shipped
from page_templates.profiles import shipped_profiles, with_profiles
from page_templates.values import normalize_row

TEMPLATES = with_profiles(shipped(), shipped_profiles())  # profile: a choice, as cop runs it
VALID = {
    "watch": {"date": "2026-01-02", "title": "T", "url": "https://example.com/a"},
    "regulation": {"ref": "R-1", "title": "T", "status": "draft", "effective": "2024-02-18"},
    "members": {"email": "a@corp.example", "name": "Ann", "role": "member",
                "since": "2026-01-02"},
}
# (kind, field, value): common mistakes and their correct spellings
CASES = [
    *(("watch", "date", v) for v in (
        "2026-01-02", "2024-02-29", "2023-02-29", "2026-02-30", "2026-13-01", "2026-1-2",
        "12/03/2024", "03.12.2024", "2024", "2024-03", "today", "20240301", "2024-03-01x",
        " 2024-03-01 ", "")),
    *(("watch", "url", v) for v in (
        "https://example.com/a", "http://example.com", "HTTPS://Example.com/A",
        "https://example.com/a?b=c&d=e", "www.example.com", "example.com", "ftp://x.org",
        "mailto:a@b.c", "https://", "http://", "https:/x.org", "//example.com", "")),
    *(("watch", "title", v) for v in ("A title", "", "  ")),
    *(("regulation", "status", v) for v in (
        "draft", "Draft", "DRAFT", "projet", "adopted", "adopté", "adopte", "Adopté",
        "in force", "In Force", "in  force", "in_force", "en vigueur", "En vigueur",
        "repealed", "abrogé", "abroge", "pending", "forced", "vigueur", "")),
    *(("members", "role", v) for v in (
        "member", "membre", "Pilot", "pilote", "expert", "Expert", "boss", "")),
    *(("members", "since", v) for v in ("2026-01-02", "02/01/2026", "")),
    *(("members", "profile", v) for v in (
        "R&D", "r&d", "marketing", "Sales", "R&D lab", "")),
]


def row(kind: str, field: str, value: str) -> str:
    values = {**VALID[kind], field: value}
    params = "".join(f"|{name}={text}" for name, text in values.items())
    return f"{{{{{TEMPLATES[kind].row_template}{params}}}}}"


def sync_refuses(kind: str, field: str, value: str) -> bool:
    raw = {**VALID[kind], field: value.strip()}  # MediaWiki trims named parameters too
    _, problems = normalize_row(TEMPLATES[kind], raw)
    return any(problem.field == field for problem in problems)


@pytest.fixture
def templates_on_wiki(wiki: Any) -> Person:
    admin = Person(wiki.url, wiki.credentials.admin_user, wiki.credentials.admin_password)
    for ref, source in WikitextCodec().support_pages(TEMPLATES):
        admin.save(str(ref), source)
    return admin


def test_the_wiki_flags_exactly_what_the_sync_refuses(templates_on_wiki: Person) -> None:
    text = "\n".join(row(*case) for case in CASES)
    html = templates_on_wiki.site.raw_api("parse", "POST", text=text, title="Verdicts",
                                          prop="text", formatversion=2,
                                          disablelimitreport=1)["parse"]["text"]
    cards = BeautifulSoup(html, "html.parser").select("div.cop-row")
    assert len(cards) == len(CASES)
    disagree = []
    for (kind, field, value), card in zip(CASES, cards, strict=True):
        flagged = card.select_one(f".cop-problem-{field}") is not None
        if flagged != sync_refuses(kind, field, value):
            disagree.append((kind, field, value, "wiki flags" if flagged else "sync refuses"))
    assert disagree == []


def test_notes_name_the_field_in_the_page_language(wiki: Any, templates_on_wiki: Person) -> None:
    wiki.add_namespace("CoP_Stockage", 3000)
    source = WikitextCodec().support_pages(TEMPLATES, {"CoP_Stockage": "fr"})
    for ref, text in source:
        templates_on_wiki.save(str(ref), text)
    html = templates_on_wiki.site.raw_api(
        "parse", "POST", text=row("watch", "date", "12/03/2024"), title="CoP Stockage:Veille",
        prop="text", formatversion=2)["parse"]["text"]
    note = BeautifulSoup(html, "html.parser").select_one(".cop-problem").get_text(" ")
    note = note.replace("\xa0", " ")  # French spacing before a colon
    assert "Non enregistré" in note and "Date : écrivez la date au format AAAA-MM-JJ" in note
    assert escape_text("<") not in note


def test_a_choice_with_markup_characters_as_cop_connector_writes_it(
        templates_on_wiki: Person) -> None:
    """``R&D`` written escaped (``R&#38;D``, as the Members page holds it after provisioning)
    shows no note: the wiki compares it decoded, as the sync reads it."""
    text = row("members", "profile", escape_text("R&D"))
    assert "R&#38;D" in text
    html = templates_on_wiki.site.raw_api("parse", "POST", text=text, title="Verdicts",
                                          prop="text", formatversion=2)["parse"]["text"]
    assert BeautifulSoup(html, "html.parser").select_one(".cop-problem") is None
