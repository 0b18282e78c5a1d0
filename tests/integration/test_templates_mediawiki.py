"""Company templates on the real MediaWiki, through the CLI (issue 4's acceptance criteria):
pages entirely in their language, a changed template upgrading three communities without
touching what members wrote, a broken override refused before anything is written, and the
pilot's pages extracted into a template set another community is provisioned from."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import pytest
from bs4 import BeautifulSoup
from click.testing import CliRunner, Result
from languages import foreign_in, shown_wikitext
from wiki_people import Person, member

from page_templates import load_templates, shipped
from sync.cli import _cop
from sync.cli.sync_command import cop_sync

COMMUNITIES = (("battery", "Battery storage", "en"), ("hydrogen", "Hydrogène", "fr"),
               ("solar", "Solar power", "en"))
MEMBERS = {"battery": "CoP Battery:Members", "hydrogen": "CoP Hydrogen:Membres",
           "solar": "CoP Solar:Members"}
CHANGE = """
version = 2

[[fields]]
name = "team"
after = "profile"
label = { en = "Team", fr = "Équipe" }
help = { en = "Your team or department.", fr = "Votre équipe ou service." }

[[fields]]
name = "site"
label = { en = "Location", fr = "Lieu" }

[[sections]]
id = "meetings"
after = "rows"
title = { en = "Meetings", fr = "Réunions" }
paragraphs.en = ["We meet on the first Monday of the month."]
paragraphs.fr = ["Nous nous réunissons le premier lundi du mois."]
"""
NOTE = "Notes of the pilot: the ''seminar'' is in May."


class Cli:
    def __init__(self, directory: Path, password: str) -> None:
        self.config = directory / "cop.toml"
        self.env = {"COP_CONFIG": str(self.config), "COP_MEDIAWIKI_PASSWORD": password}
        self.runner = CliRunner()

    def __call__(self, *args: str, command: click.Command = _cop) -> Result:
        return self.runner.invoke(command, list(args), env=self.env, catch_exceptions=False)

    def sync(self) -> Result:
        return self(command=cop_sync)

    def use_templates(self, directory: str) -> None:
        with self.config.open("a", encoding="utf-8") as toml:
            toml.write(f'\n[templates]\ndir = "{directory}"\n')


def add(cop: Cli, wiki, slug: str, name: str, lang: str) -> None:
    result = cop("community", "add", slug, "--name", name, "--theme", "Energy storage",
                 "--pilot", f"pia@{slug}.example", "--expert", f"eli@{slug}.example",
                 "--lang", lang)
    assert result.exit_code == 0, result.output
    wiki.add_php("namespaces", cop("mediawiki", "namespaces").output)


@pytest.fixture
def three(wiki, tmp_path: Path) -> Cli:
    """Three communities provisioned from the shipped templates; on each members page a
    member added a row and a note of their own; synced."""
    cop = Cli(tmp_path, wiki.credentials.bot_password)
    assert cop("init", "--mediawiki-url", wiki.url, "--mediawiki-user",
               wiki.credentials.bot_user).exit_code == 0
    for slug, name, lang in COMMUNITIES:
        add(cop, wiki, slug, name, lang)
    result = cop("provision", "--all")
    assert result.exit_code == 0, result.output
    people = member(wiki)
    for slug, title in MEMBERS.items():
        text = people.read(title)
        last = [line for line in text.splitlines() if line.startswith("{{CoP member|")][-1]
        row = f"{{{{CoP member|email=zoe@{slug}.example|name=Zoé|profile=R&D|site=Lyon}}}}"
        people.save(title, text.replace(last, last + "\n" + row, 1) + "\n" + NOTE)
    assert cop.sync().exit_code == 0
    return cop


def rows(text: str) -> list[str]:
    return re.findall(r"(?m)^\{\{CoP member\|email=[^|\n][^\n]*\}\}$", text)


def test_pages_are_entirely_in_their_language(wiki, three: Cli) -> None:
    people = member(wiki)
    for namespace, lang in (("CoP Battery", "en"), ("CoP Hydrogen", "fr")):
        for kind in shipped().page_kinds:
            if kind.per:  # no seminar here: no seminar page
                continue
            title = f"{namespace}:{kind.title[lang]}"
            source = people.read(title)
            assert foreign_in(shown_wikitext(source), shipped(), lang) == [], title
            html = BeautifulSoup(people.parse(title)["text"], "html.parser")
            tooltips = " ".join(str(node["title"]) for node in html.select(".cop-row [title]"))
            assert foreign_in(tooltips, shipped(), lang) == [], title  # the rows' labels
            if kind.kind == "members":
                assert tooltips, title
            for node in html.select(".mw-editsection, .cop-row, .cop-box td, code"):
                node.decompose()
            assert foreign_in(html.get_text(" "), shipped(), lang) == [], title


def test_a_changed_template_upgrades_three_communities(wiki, three: Cli,
                                                      tmp_path: Path) -> None:
    people = member(wiki)
    before = {slug: people.read(title) for slug, title in MEMBERS.items()}
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "members.toml").write_text(CHANGE, encoding="utf-8")
    three.use_templates("templates")
    edits = people.edit_count()
    plan = three("provision", "--upgrade", "--all", "--dry-run")
    assert plan.exit_code == 0, plan.output
    assert people.edit_count() == edits
    upgrades = [line for line in plan.output.splitlines() if line.startswith("^ upgrade")]
    assert sorted(re.match(r"\^ upgrade +(.+?)  \(", line).group(1) for line in upgrades) \
        == sorted(MEMBERS.values())
    assert all("new section 'meetings'" in line for line in upgrades)
    assert "~ update  Template:CoP member" in plan.output  # TemplateData: the new field

    done = three("provision", "--upgrade", "--all")
    assert done.exit_code == 0, done.output
    assert "    ! " not in done.output  # no region reads as edited by hand
    for slug, title in MEMBERS.items():
        text = people.read(title)
        assert rows(before[slug]) and all(row in text for row in rows(before[slug]))
        assert NOTE in text  # members' rows and prose byte for byte
        lang = "fr" if slug == "hydrogen" else "en"
        assert ("Réunions" if lang == "fr" else "Meetings") in text
        assert ("Votre équipe ou service." if lang == "fr" else "Your team or department.") \
            in text
        assert ("Lieu" if lang == "fr" else "Location") in text
        assert foreign_in(shown_wikitext(text), load_templates(tmp_path / "templates"),
                          lang) == []
    template = people.read("Template:CoP member")
    data = json.loads(template.split("<templatedata>")[1].split("</templatedata>")[0])
    assert data["params"]["team"]["label"]["fr"] == "Équipe"
    assert data["params"]["site"]["label"]["en"] == "Location"

    edits = people.edit_count()
    again = three("provision", "--upgrade", "--all")
    assert again.exit_code == 0 and "wrote 0 page(s)" in again.output
    assert people.edit_count() == edits
    synced = three.sync()
    assert synced.exit_code == 0 and people.edit_count() == edits
    export = json.loads(three("export", "battery").output)["communities"][0]
    zoe = next(m for m in export["members"] if m["email"] == "zoe@battery.example")
    assert zoe["site"] == "Lyon"


def test_a_broken_override_is_refused_before_anything_is_written(wiki, three: Cli,
                                                                tmp_path: Path) -> None:
    people = member(wiki)
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "watch.toml").write_text('[[fields]]\nname = "budget"\ntype = "money"\n'
                                    'label = { en = "Budget", fr = "Budget" }\n')
    three.use_templates("bad")
    edits = people.edit_count()
    for args in (("provision", "--all"), ("provision", "--upgrade", "--all", "--dry-run"),
                 ("member", "add", "battery", "ann@corp.example", "--name", "Ann",
                  "--profile", "sales")):
        result = three(*args)
        assert result.exit_code == 2, result.output
        assert str(bad / "watch.toml") in result.output and "'budget'" in result.output
        assert "unknown field type 'money'" in result.output
    assert three.sync().exit_code == 2
    assert people.edit_count() == edits


def test_the_pilot_becomes_the_model_of_a_new_community(wiki, three: Cli,
                                                       tmp_path: Path) -> None:
    people = Person(wiki.url, wiki.credentials.member_user, wiki.credentials.member_password)
    text = people.read(MEMBERS["battery"])
    row = next(line for line in rows(text) if "zoe@" in line)
    text = text.replace(row, row[:-2] + "|badge=B-17}}", 1)
    text = text.replace(NOTE, "== Onboarding ==\n\nEvery newcomer of Battery storage meets "
                              "the pilot.\n\n* Read the charter\n* Add yourself\n")
    people.save(MEMBERS["battery"], text)
    result = three("template", "extract", "battery", "--to", str(tmp_path / "model"))
    assert result.exit_code == 0, result.output
    assert "field 'badge' (text)" in result.output and "new section 'onboarding'" in result.output
    templates = load_templates(tmp_path / "model")  # valid by construction
    members = templates["members"]
    assert members.field_names[-1] == "badge" and members.company_version == 1
    onboarding = next(s for s in members.sections if s.id == "onboarding")
    assert onboarding.paragraphs["fr"] == ("Every newcomer of {name} meets the pilot.",)
    assert onboarding.bullets["en"] == ("Read the charter", "Add yourself")
    assert [s.id for s in members.sections].index("onboarding") > 1  # after the rows

    three.use_templates("model")
    add(three, wiki, "wind", "Wind power", "en")
    assert three("provision", "wind").exit_code == 0
    wind = people.read("CoP Wind:Members")
    assert "== Onboarding ==" in wind and "Every newcomer of Wind power meets" in wind
    assert '"badge"' in people.read("Template:CoP member")  # TemplateData has the field
    assert "'''Badge'''" in wind  # the help lists it
