"""A page holding two row sets (the seminar page: attendance and actions) on both page
formats: rendered with both, each read back and changed with its own kind, the other left
byte for byte; upgraded and extracted like any page."""

from __future__ import annotations

import pytest
from msgspec.structs import replace

from connector.base import PageCodec, PageContext, PageRef, RowChange
from connector.confluence.storage import StorageCodec
from connector.mediawiki.wikitext import WikitextCodec
from page_templates import shipped
from page_templates.values import normalize_row

T = shipped()
SEMINAR, ATTENDANCE, ACTIONS = T["seminar"], T["attendance"], T["actions"]
CODECS = [WikitextCodec(), StorageCodec()]
IDS = ["wikitext", "storage"]
PEOPLE = [{"email": "ann@corp.example", "name": "Ann", "hours": "7", "workshop": "Cells"},
          {"email": "bob@corp.example", "name": "Bob <b>", "hours": "3.5", "workshop": ""}]
TODO = [{"action": "Write the roadmap | }}", "owner": "Ann", "due": "2026-09-01",
         "status": "in progress"}]


def context(lang: str, workshops: tuple[str, ...] = ("Cells",)) -> PageContext:
    values = {"name": "Battery", "seminar_title": "CoP days", "seminar_place": "Lyon",
              "seminar_start": "2026-06-10", "seminar_end": "2026-06-11", "account": "CC-42"}
    return PageContext(lang=lang, space="S", values=values,
                       pages={"seminar@2026": PageRef("S", "Seminar 2026")},
                       lists={"days": ("Day 1: 2026-06-10", "Day 2: 2026-06-11"),
                              "workshops": workshops})


def read(codec: PageCodec, content: str, kind) -> list[dict[str, str]]:
    parsed = codec.parse_rows(content, kind, "S:Seminar 2026")
    assert parsed.problems == ()
    return [normalize_row(kind, raw.values)[0] for raw in parsed.rows]


def page(codec: PageCodec, lang: str = "en") -> str:
    return codec.render_page(SEMINAR, context(lang), [],
                             {"attendance": PEOPLE, "actions": TODO})


@pytest.mark.parametrize("lang", ["en", "fr"])
@pytest.mark.parametrize("codec", CODECS, ids=IDS)
def test_both_row_sets_are_rendered_and_read_back_apart(codec: PageCodec, lang: str) -> None:
    content = page(codec, lang)
    assert read(codec, content, ATTENDANCE) == PEOPLE
    assert read(codec, content, ACTIONS) == TODO
    assert "Lyon" in content and "Day 2: 2026-06-11" in content
    assert codec.parse_rows(content, SEMINAR, "S:Seminar 2026").rows == ()  # the host's own


@pytest.mark.parametrize("codec", CODECS, ids=IDS)
def test_a_change_to_one_row_set_leaves_the_other_as_it_was(codec: PageCodec) -> None:
    content = page(codec)
    added = {"action": "Visit the plant", "owner": "Bob", "due": "2026-10-01",
             "status": "open"}
    changed = codec.apply_changes(content, ACTIONS, [RowChange("add", "visit the plant",
                                                               added)], "en")
    assert read(codec, changed, ACTIONS) == [*TODO, added]
    assert read(codec, changed, ATTENDANCE) == PEOPLE
    removed = codec.apply_changes(changed, ATTENDANCE,
                                  [RowChange("remove", "bob@corp.example")], "en")
    assert read(codec, removed, ATTENDANCE) == PEOPLE[:1]
    assert read(codec, removed, ACTIONS) == [*TODO, added]


@pytest.mark.parametrize("codec", CODECS, ids=IDS)
def test_an_empty_seminar_page_takes_rows_of_each_set_in_its_place(codec: PageCodec) -> None:
    empty = codec.render_page(SEMINAR, context("fr"), [], {})
    content = codec.apply_changes(empty, ATTENDANCE, [RowChange("add", "x", PEOPLE[0])], "fr")
    content = codec.apply_changes(content, ACTIONS, [RowChange("add", "y", TODO[0])], "fr")
    assert read(codec, content, ATTENDANCE) == PEOPLE[:1]
    assert read(codec, content, ACTIONS) == TODO
    assert content.index("Ann") < content.index("Write the roadmap")  # each in its section


@pytest.mark.parametrize("codec", CODECS, ids=IDS)
def test_an_upgrade_brings_the_lists_and_keeps_both_row_sets(codec: PageCodec) -> None:
    content = page(codec)
    written = codec.page_regions(SEMINAR, context("en"))  # what the records keep
    outcome = codec.upgrade_page(content, SEMINAR, context("en", ("Cells", "Recycling")),
                                 written)
    assert outcome.changes == ("section 'workshops' updated",)
    assert "Recycling" in outcome.content
    assert read(codec, outcome.content, ATTENDANCE) == PEOPLE
    assert read(codec, outcome.content, ACTIONS) == TODO
    again = codec.upgrade_page(outcome.content, SEMINAR, context("en", ("Cells", "Recycling")),
                               outcome.regions)
    assert again.content == outcome.content and again.changes == ()


@pytest.mark.parametrize("codec", CODECS, ids=IDS)
def test_a_new_template_version_upgrades_the_page_and_extract_reads_it(
        codec: PageCodec) -> None:
    content = page(codec)
    posters = next(s for s in SEMINAR.sections if s.id == "posters")
    newer = replace(SEMINAR, version=2, sections=tuple(
        replace(s, paragraphs={"en": ("Posters go on the wall.",)}) if s is posters else s
        for s in SEMINAR.sections))
    outcome = codec.upgrade_page(content, newer, context("en"),
                                 codec.page_regions(SEMINAR, context("en")))
    assert "section 'posters' updated" in outcome.changes
    assert read(codec, outcome.content, ACTIONS) == TODO
    findings = codec.extract_page(outcome.content, newer, context("en"), outcome.regions)
    assert findings.sections == ()  # nothing members added
