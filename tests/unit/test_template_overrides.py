"""Company overrides of the page templates: merge rules, languages, versions, and every
mistake refused on load with the file and the field named (page_templates/overrides.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from languages import german

from connector.errors import TemplateDefinitionError
from page_templates import LANGUAGES, load_templates, shipped, template_version
from page_templates.ui import ui_text

SHIPPED = shipped()


def write(directory: Path, name: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def refused(directory: Path) -> TemplateDefinitionError:
    with pytest.raises(TemplateDefinitionError) as caught:
        load_templates(directory)
    return caught.value


MEMBERS = """
version = 2

[[fields]]
name = "team"
after = "profile"
label = { en = "Team", fr = "Équipe" }
help = { en = "Your team.", fr = "Votre équipe." }

[[fields]]
name = "site"
label.en = "Location"
label.fr = "Lieu"

[[sections]]
id = "meetings"
after = "intro"
title = { en = "Meetings", fr = "Réunions" }
paragraphs.en = ["We meet every month in {name}."]
paragraphs.fr = ["Nous nous réunissons chaque mois."]

[[sections]]
id = "intro"
paragraphs.fr = ["Bienvenue chez {name}."]
"""


def test_no_directory_is_the_shipped_set() -> None:
    assert load_templates(None) is SHIPPED
    assert SHIPPED.languages == LANGUAGES and SHIPPED.source == "shipped"


def test_fields_and_sections_merge_by_name_and_id(tmp_path: Path) -> None:
    write(tmp_path, "members.toml", MEMBERS)
    templates = load_templates(tmp_path)
    members, shipped_members = templates["members"], SHIPPED["members"]
    assert members.field_names == ("email", "name", "profile", "team", "role", "site",
                                   "since", "digest")
    site = members.field("site")
    assert site is not None
    assert site.label == {"en": "Location", "fr": "Lieu"}
    assert site.aliases == ("Site",)  # the replaced label still reads old pages
    assert site.help == shipped_members.field("site").help  # not mentioned: shipped
    profile = members.field("profile")
    assert profile is not None and profile.label == shipped_members.field("profile").label
    assert [s.id for s in members.sections] == ["intro", "meetings", "howto", "rows"]
    intro = members.sections[0]
    assert intro.paragraphs["fr"] == ("Bienvenue chez {name}.",)
    assert intro.paragraphs["en"] == shipped_members.sections[0].paragraphs["en"]
    assert members.company_version == 2 and members.version == shipped_members.version
    assert templates["watch"] == SHIPPED["watch"]  # kinds without a file stay shipped


def test_a_field_can_be_removed_unless_it_is_a_key_or_filled_by_commands(
        tmp_path: Path) -> None:
    write(tmp_path, "watch.toml", '[[fields]]\nname = "source"\nremove = true\n')
    assert "source" not in load_templates(tmp_path)["watch"].field_names
    write(tmp_path, "watch.toml", '[[fields]]\nname = "url"\nremove = true\n')
    error = refused(tmp_path)
    assert "watch.toml" in str(error) and error.field == "url" and "key field" in str(error)
    (tmp_path / "watch.toml").unlink()
    write(tmp_path, "members.toml", '[[fields]]\nname = "site"\nremove = true\n')
    assert refused(tmp_path).field == "site"


@pytest.mark.parametrize(("text", "field", "words"), [
    ('[[fields]]\nname = "budget"\ntype = "money"\nlabel = { en = "B", fr = "B" }\n',
     "budget", "unknown field type"),
    ('[[fields]]\nname = "email"\nremove = true\n', "email", "key field"),
    ('[[fields]]\nname = "team"\nlabel = { en = "T", fr = "T" }\n'
     '[[fields]]\nname = "team"\nlabel = { en = "T", fr = "T" }\n', "team", "duplicate field"),
    ('[[fields]]\nname = "site"\nlable = { en = "Location" }\n', "site", "unknown key"),
    ('titel = { en = "People" }\n', "titel", "unknown key"),
    ('[[fields]]\nname = "team"\nafter = "profil"\nlabel = { en = "T", fr = "T" }\n',
     "team", "names no other field"),
    ('[[sections]]\nid = "x"\ntitle = { en = "X", fr = "X" }\n'
     '[[sections]]\nid = "x"\ntitle = { en = "Y", fr = "Y" }\n', "x", "duplicate section"),
    ('[[sections]]\nid = "rows"\nremove = true\n', "rows", "rows section"),
    ('[[fields]]\nname = "site"\nowner = "records"\n', "site", "cannot be overridden"),
    ('row_template = "CoP person"\n', "row_template", "cannot be overridden"),
    ('[[fields]]\nname = "team"\n', "team", "needs a label"),
    ('[[fields]]\nname = "email"\ntype = "text"\n', "email", "type of a key field"),
    ('version = 0\n', "version", "positive integer"),
    ('[[sections]]\nid = "x"\nafter = "nowhere"\ntitle = { en = "X", fr = "X" }\n', "x",
     "names no other section"),
    ('[[fields]]\nname = "team"\nlabel = { en = "Team" }\n', "team", "no 'fr' text"),
    ('[[fields]]\nname = "Team"\nlabel = { en = "T", fr = "T" }\n', "Team", "lower-case"),
])
def test_mistakes_are_refused_naming_file_and_field(tmp_path: Path, text: str, field: str,
                                                    words: str) -> None:
    path = write(tmp_path, "members.toml", text)
    error = refused(tmp_path)
    assert error.path == str(path) and error.field == field
    assert words in str(error) and str(path) in str(error)


def test_an_unknown_file_and_a_missing_directory_are_refused(tmp_path: Path) -> None:
    write(tmp_path, "member.toml", "version = 2\n")
    error = refused(tmp_path)
    assert "member.toml" in str(error) and "members.toml" in str(error)
    assert "no such directory" in str(refused(tmp_path / "nowhere"))
    (tmp_path / "member.toml").unlink()
    write(tmp_path, "README.md", "notes are fine")
    assert load_templates(tmp_path)["members"] == SHIPPED["members"]


def test_ui_sentences_are_overridden_per_key_and_language(tmp_path: Path) -> None:
    write(tmp_path, "ui.toml", '[required]\nfr = "requis"\n[fields]\nen = "Columns:"\n')
    members = load_templates(tmp_path)["members"]
    assert ui_text("required", "fr", members.ui) == "requis"
    assert ui_text("required", "en", members.ui) == "required"
    assert ui_text("fields", "en", members.ui) == "Columns:"
    assert template_version(members) != template_version(SHIPPED["members"])
    write(tmp_path, "ui.toml", '[requried]\nfr = "requis"\n')
    assert refused(tmp_path).field == "requried"
    write(tmp_path, "ui.toml", '[source_editor]\nen = "One line per {rows}:"\n')
    error = refused(tmp_path)
    assert error.field == "source_editor" and "{rows}" in str(error) and "{row}" in str(error)


def test_a_complete_new_language_is_offered(tmp_path: Path) -> None:
    german(tmp_path, complete=True)
    templates = load_templates(tmp_path)
    assert templates.languages == ("en", "fr", "de")
    assert templates["watch"].field("url").label["de"] == "Link (de)"


def test_an_incomplete_new_language_names_the_missing_text(tmp_path: Path) -> None:
    german(tmp_path, complete=False)
    error = refused(tmp_path)
    assert error.path == str(tmp_path / "watch.toml") and error.field == "url"
    assert "'de'" in str(error)


def test_a_text_missing_from_a_shipped_kind_names_the_company_file_to_create(
        tmp_path: Path) -> None:
    write(tmp_path, "watch.toml", '[[fields]]\nname = "trl"\n'
          'label = { en = "TRL", fr = "TRL", de = "TRL" }\n')
    error = refused(tmp_path)
    assert error.path is not None and Path(error.path).parent == tmp_path
    assert "'de'" in str(error) and "not in your templates directory yet" in str(error)


def test_section_prose_may_only_use_known_placeholders(tmp_path: Path) -> None:
    write(tmp_path, "charter.toml", '[[sections]]\nid = "more"\n'
          'paragraphs = { en = ["See {nosuch}."], fr = ["Voir {nosuch}."] }\n')
    error = refused(tmp_path)
    assert error.field == "sections.more" and "{nosuch}" in str(error)
    assert "{theme}" in str(error)
    write(tmp_path, "charter.toml", '[[sections]]\nid = "more"\n'
          'paragraphs = { en = ["On {theme}."], fr = ["Sur {theme}."] }\n')
    assert "more" in [s.id for s in load_templates(tmp_path)["charter"].sections]


def test_the_version_changes_with_any_edit_even_without_a_bump(tmp_path: Path) -> None:
    before = template_version(SHIPPED["watch"])
    assert before.startswith("2.0-")  # version 2: its sources and to-review (issue 15)
    write(tmp_path, "watch.toml", '[[fields]]\nname = "source"\nhelp.en = "Where from."\n')
    edited = template_version(load_templates(tmp_path)["watch"])
    assert edited.startswith("2.0-") and edited != before
    write(tmp_path, "watch.toml", 'version = 3\n[[fields]]\nname = "source"\n'
                                  'help.en = "Where from."\n')
    bumped = template_version(load_templates(tmp_path)["watch"])
    assert bumped.startswith("2.3-") and bumped.split("-")[1] != before.split("-")[1]
