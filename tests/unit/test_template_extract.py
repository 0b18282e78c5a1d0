"""The pilot as model, without a wiki: what the codecs find on a page beyond its template,
and the override files made of it (valid by construction: loaded back)."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
import tomli_w
from msgspec.structs import replace

from connector.base import PageCodec, PageContext, PageRef
from connector.confluence.storage import StorageCodec
from connector.extract import FoundField, FoundSection, PageFindings
from connector.mediawiki.wikitext import WikitextCodec
from page_templates import load_templates, shipped
from page_templates.model import Section
from sync.provision.extract import apply_findings, guess_type
from sync.records.model import Community

T = shipped()
NEWCOMERS = "Chaque nouveau de Battery storage voit le pilote."
PILOT = Community(slug="battery", name="Battery storage", theme="Energy", pilot="p@x.y",
                  expert="e@x.y", backend="mediawiki", lang="fr", space="CoP_Battery")


def context(codec: PageCodec) -> PageContext:
    space = "CoP_Battery" if codec.format == "wikitext" else "BATTERY"
    return PageContext("fr", space, {"name": "Battery storage", "theme": "Energy"},
                       {k.kind: PageRef(space, k.title["fr"]) for k in T.kinds})


@pytest.mark.parametrize("codec", [WikitextCodec(), StorageCodec()], ids=["wikitext", "storage"])
def test_the_codecs_find_added_fields_and_sections_and_edited_ones(codec: PageCodec) -> None:
    page = codec.render_page(T["members"], context(codec), [
        {"email": "a@x.y", "name": "Ann"}])
    page = page.replace("Les membres de la communauté", "Tous les membres de la communauté", 1)
    if codec.format == "wikitext":
        head, _, tail = page.rpartition("|digest=}}")  # the row, not the help's example
        page = head + "|digest=|badge=B-1}}" + tail
        page += f"\n== Accueil des nouveaux ==\n\n{NEWCOMERS}\n"
    else:
        page = page.replace("</th></tr>", "</th><th>Badge</th></tr>", 1).replace(
            "</td></tr>", "</td><td>B-1</td></tr>", 1)
        page += f"<h2>Accueil des nouveaux</h2><p>{NEWCOMERS}</p>"
    found = codec.extract_page(page, T["members"], context(codec), legacy=T["members"])
    assert [(f.label, f.values) for f in found.fields] == [("Badge", ("B-1",))]
    intro, added = found.sections
    assert (intro.id, intro.new, intro.paragraphs[0][:10]) == ("intro", False, "Tous les m")
    assert (added.id, added.new, added.title) == ("accueil_des_nouveaux", True,
                                                  "Accueil des nouveaux")
    assert added.paragraphs == ("Chaque nouveau de Battery storage voit le pilote.",)
    assert added.after == "rows"


def test_findings_become_a_valid_override(tmp_path: Path) -> None:
    findings = PageFindings(
        fields=(FoundField("Budget (k€)", "Budget (k€)", ("12", "30")),
                FoundField("since", "Since", ("2024-01-01",))),
        sections=(FoundSection("intro", False, "", ("Tous les membres de Battery storage.",)),
                  FoundSection("suivi", True, "Suivi", (), ("Un point par mois",), "rows")))
    data: dict = {}
    notes = apply_findings(data, T["members"], findings, PILOT, T.languages)
    assert notes == ["field 'budget_k' (text)", "field 'since_2' (date)",
                     "edited section 'intro'", "new section 'suivi'"]
    (tmp_path / "members.toml").write_text(tomli_w.dumps(data), encoding="utf-8")
    members = load_templates(tmp_path)["members"]
    assert members.field_names[-2:] == ("budget_k", "since_2")
    intro = members.sections[0]
    assert intro.paragraphs["fr"] == ("Tous les membres de {name}.",)
    assert intro.paragraphs["en"] == T["members"].sections[0].paragraphs["en"]
    assert [s.id for s in members.sections] == ["intro", "howto", "rows", "suivi"]
    assert tomllib.loads((tmp_path / "members.toml").read_text())["fields"][0]["label"] == {
        "en": "Budget (k€)", "fr": "Budget (k€)"}


@pytest.mark.parametrize(("values", "expected"), [
    (("2024-01-02",), "date"), (("https://x.example/a",), "url"), (("a@b.example",), "email"),
    (("one\ntwo",), "longtext"), (("12", "x"), "text"), ((), "text")])
def test_the_type_is_guessed_from_the_values(values: tuple[str, ...], expected: str) -> None:
    assert guess_type(values) == expected


STORY = "Créée en 2026 après le séminaire de Lyon."


def charter_with_story(codec: PageCodec) -> str:
    """The French charter where a member wrote "Notre histoire" at the top of the rules."""
    page = codec.render_page(T["charter"], context(codec), [{}])
    if codec.format == "wikitext":
        return page.replace("== Fonctionnement ==",
                            f"== Notre histoire ==\n{STORY}\n\n== Fonctionnement ==", 1)
    return page.replace("<h2>Fonctionnement</h2>",
                        f"<h2>Notre histoire</h2><p>{STORY}</p><h2>Fonctionnement</h2>", 1)


@pytest.mark.parametrize("codec", [WikitextCodec(), StorageCodec()], ids=["wikitext", "storage"])
def test_a_heading_written_inside_a_template_section_is_a_section_of_its_own(
        codec: PageCodec) -> None:
    """A member writes "Notre histoire" at the top of the rules section: that is a new
    section before it, and the rules keep their title (not renamed)."""
    page = charter_with_story(codec)
    found = codec.extract_page(page, T["charter"], context(codec), legacy=T["charter"])
    story = next(s for s in found.sections if s.new)
    assert (story.title, story.paragraphs, story.after) == ("Notre histoire", (STORY,), "rows")
    rules = next((s for s in found.sections if s.id == "rules"), None)
    assert rules is None or rules.title == ""  # not renamed to the member's heading


def test_paragraphs_and_bullets_of_one_block_are_told_apart() -> None:
    codec = WikitextCodec()
    page = codec.render_page(T["members"], context(codec), [])
    page += "\n== Partenaires ==\nNos partenaires sur Energy.\n* Labo LEPMI\n* CEA\n"
    found = codec.extract_page(page, T["members"], context(codec), legacy=T["members"])
    partners = next(s for s in found.sections if s.new)
    assert partners.paragraphs == ("Nos partenaires sur Energy.",)
    assert partners.bullets == ("Labo LEPMI", "CEA")


def test_a_copied_help_section_is_not_taken_as_the_members_prose() -> None:
    codec = WikitextCodec()
    page = codec.render_page(T["members"], context(codec), [])
    howto = localize_title(T["members"], "howto")
    page += f"\n== {howto} ==\nUne copie de l'aide.\n"
    found = codec.extract_page(page, T["members"], context(codec), legacy=T["members"])
    assert all(s.id != "howto" for s in found.sections)


def localize_title(kind, section_id: str) -> str:
    return next(s for s in kind.sections if s.id == section_id).title["fr"]


def test_an_edited_section_without_text_in_other_languages_stays_loadable(
        tmp_path: Path) -> None:
    """The rules section ships bullets only: a paragraph a member added in French is copied
    into English (to translate), so the set loads."""
    findings = PageFindings(sections=(FoundSection("rules", False, "", (STORY,)),))
    data: dict = {}
    apply_findings(data, T["charter"], findings, PILOT, T.languages)
    (tmp_path / "charter.toml").write_text(tomli_w.dumps(data), encoding="utf-8")
    rules = next(s for s in load_templates(tmp_path)["charter"].sections if s.id == "rules")
    assert rules.paragraphs == {"fr": (STORY,), "en": (STORY,)}
    assert rules.bullets == next(s for s in T["charter"].sections if s.id == "rules").bullets


@pytest.mark.parametrize("codec", [WikitextCodec(), StorageCodec()], ids=["wikitext", "storage"])
def test_the_pilot_upgraded_with_its_own_extract_gets_no_second_copy(codec: PageCodec) -> None:
    """The section a member wrote inside the rules section becomes a template section;
    upgrading the pilot itself with it must not add it again next to the member's text."""
    page = charter_with_story(codec)
    story = Section(id="notre_histoire", title={"fr": "Notre histoire", "en": "Our story"},
                    paragraphs={"fr": (STORY,), "en": (STORY,)})
    sections = list(T["charter"].sections)
    sections.insert([s.id for s in sections].index("rules"), story)
    upgraded = codec.upgrade_page(page, replace(T["charter"], sections=tuple(sections)),
                                  context(codec))
    assert upgraded.content.count("Notre histoire") == 1
    assert upgraded.content.count(STORY) == 1
    # the member's text is the template's now: found as the section, written nowhere else
    assert "notre_histoire" in upgraded.regions and not upgraded.changes
