"""Upgrading a page to a changed template, on both page formats, with no marker on the page:
regions are found by what was last written there (the merge base the records keep). Only
the managed regions (and on Confluence the table header) change; rows and members' text
stay byte for byte; a region edited by hand is kept and reported; a region a member
deleted is reported and never added back silently; a second upgrade changes nothing;
pages from earlier versions lose their markers and upgrade like the others
(connector/regions.py and the codecs' regions modules)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import pytest
from legacy_pages import marked
from storage_editor import editor_save

from connector.base import PageCodec, PageContext, PageRef
from connector.confluence.storage import StorageCodec
from connector.mediawiki.wikitext import WikitextCodec
from page_templates import PageKind, TemplateSet, load_templates, shipped

SHIPPED = shipped()
MEMBERS = SHIPPED["members"]
ROWS = [{"email": "ann@corp.example", "name": "Ann", "profile": "R&D", "site": "Lyon"},
        {"email": "bob@corp.example", "name": "Bob", "role": "expert"}]
OVERRIDE = """
version = 2

[[fields]]
name = "team"
label = { en = "Team", fr = "Équipe" }
help = { en = "Your team.", fr = "Votre équipe." }

[[fields]]
name = "site"
label = { en = "Location", fr = "Lieu" }

[[sections]]
id = "meetings"
after = "rows"
title = { en = "Meetings", fr = "Réunions" }
paragraphs = { en = ["We meet every month."], fr = ["Nous nous réunissons chaque mois."] }

[[sections]]
id = "intro"
paragraphs.en = ["The people of the {name} community."]
"""
MW_NOTE = "Our own notes: we meet in ''Lyon''."
CF_NOTE = "<p>Our own notes: we meet in <em>Lyon</em>.</p>"
HELP = {"wikitext": "== Add yourself ==", "storage": "<h2>Add yourself</h2>"}


def context(codec: PageCodec, lang: str = "en") -> PageContext:
    space = "CoP_Battery" if codec.format == "wikitext" else "BATTERY"
    kinds = [k for k in SHIPPED.kinds if codec.format == "wikitext" or k.kind != "home"]
    return PageContext(lang, space, {"name": "Battery", "theme": "Energy"},
                       {k.kind: PageRef(space, k.title[lang]) for k in kinds})


@pytest.fixture(params=["wikitext", "storage"])
def codec(request: pytest.FixtureRequest) -> PageCodec:
    return WikitextCodec() if request.param == "wikitext" else StorageCodec()


@pytest.fixture
def changed(tmp_path: Path) -> TemplateSet:
    (tmp_path / "members.toml").write_text(OVERRIDE, encoding="utf-8")
    return load_templates(tmp_path)


def edited_by_members(codec: PageCodec, page: str) -> str:
    """A row and a note of the members' own added to a members page."""
    if codec.format == "wikitext":
        bob = next(line for line in page.splitlines() if "bob@corp.example" in line)
        page = page.replace(bob, bob + "\n{{CoP member|email=cy@corp.example|name=Cy}}", 1)
        return page + "\n" + MW_NOTE + "\n"
    row = "<tr><td><p>cy@corp.example</p></td><td><p>Cy</p></td>" + "<td></td>" * 5 + "</tr>"
    page = page.replace("</tbody></table>", row + "</tbody></table>", 1)
    return page + CF_NOTE


def member_page(codec: PageCodec) -> str:
    return edited_by_members(codec, codec.render_page(MEMBERS, context(codec), ROWS))


def base(codec: PageCodec, kind: PageKind = MEMBERS) -> Mapping[str, str]:
    """The regions' merge base the records keep for a page written from ``kind``."""
    return codec.page_regions(kind, context(codec))


def rows_of(codec: PageCodec, page: str) -> list[str]:
    """The rows as they are written on the page."""
    if codec.format == "wikitext":
        return re.findall(r"(?m)^\{\{CoP member\|email=[^|\n][^\n]*\}\}$", page)
    return re.findall(r"<tr><td>.*?</tr>", page)


def emails(codec: PageCodec, page: str, kind: PageKind = MEMBERS) -> list[str]:
    return [r.values["email"] for r in codec.parse_rows(page, kind, "Members").rows]


def assert_members_text_kept(codec: PageCodec, before: str, after: str, *,
                             new_column: bool = True) -> None:
    """Every row as it was (on Confluence: with an empty cell for a new column), and the
    members' note."""
    rows = rows_of(codec, before)
    assert len(rows) == 3
    for row in rows:
        kept = row if codec.format == "wikitext" or not new_column else \
            row[:-5] + "<td></td></tr>"
        assert kept in after, row
    assert (MW_NOTE if codec.format == "wikitext" else CF_NOTE) in after


def test_a_new_page_carries_no_marker(codec: PageCodec) -> None:
    for kind in SHIPPED.kinds:
        if kind.host or (kind.kind == "home" and codec.format == "storage"):
            continue
        page = codec.render_page(kind, context(codec), ROWS if kind.kind == "members" else [])
        # (the "Add" button's data-cop-template attribute is no marker: it names the template)
        assert "<!--" not in page
        assert not re.search(r"cop:(section|template)|cop-(section|end|template)-", page)
        assert 'ac:name="anchor"' not in page, kind.kind


def test_a_fresh_page_is_up_to_date(codec: PageCodec) -> None:
    page = codec.render_page(MEMBERS, context(codec), ROWS)
    upgraded = codec.upgrade_page(page, MEMBERS, context(codec), base(codec))
    assert upgraded.content == page and not upgraded.changes and not upgraded.drift
    assert dict(upgraded.regions) == dict(base(codec))


def test_new_field_renamed_label_new_section(codec: PageCodec, changed: TemplateSet) -> None:
    page = member_page(codec)
    new_kind = changed["members"]
    upgraded = codec.upgrade_page(page, new_kind, context(codec), base(codec))
    new = upgraded.content
    assert_members_text_kept(codec, page, new)
    assert "Meetings" in new and "We meet every month." in new
    assert "The people of the Battery community." in new  # the intro rewritten in place
    assert "Team" in new and "Your team." in new and "Location" in new
    assert not upgraded.drift
    assert any("new section 'meetings'" in c for c in upgraded.changes)
    assert any("section 'intro' updated" in c for c in upgraded.changes)
    # the help comes before the list (new entries go at the end), the new section after it
    assert new.index("Add yourself") < new.index("Cy") < new.index("Meetings")
    assert emails(codec, new) == ["ann@corp.example", "bob@corp.example", "cy@corp.example"]
    assert codec.parse_rows(new, new_kind, "M").rows[0].values["site"] == "Lyon"
    assert dict(upgraded.regions) == dict(base(codec, new_kind))
    again = codec.upgrade_page(new, new_kind, context(codec), upgraded.regions)
    assert again.content == new and not again.changes and not again.drift


def test_a_region_edited_by_hand_is_kept_and_the_rest_upgraded(
        codec: PageCodec, changed: TemplateSet) -> None:
    page = member_page(codec).replace("the mix of profiles", "the mix of people", 1)
    upgraded = codec.upgrade_page(page, changed["members"], context(codec), base(codec))
    assert "the mix of people" in upgraded.content
    assert "The people of the Battery community." not in upgraded.content
    assert upgraded.drift == ("section 'intro' is not on the page as written (edited or "
                              "deleted on the wiki): kept as it is",)
    assert "Meetings" in upgraded.content and "Your team." in upgraded.content
    again = codec.upgrade_page(upgraded.content, changed["members"], context(codec),
                               upgraded.regions)
    assert again.content == upgraded.content and again.drift == upgraded.drift


def test_a_titled_section_edited_is_kept_and_reported(codec: PageCodec,
                                                     changed: TemplateSet) -> None:
    page = member_page(codec).replace("To add a member:", "To add someone:", 1) \
        .replace("Or by hand in the visual editor", "By hand in the visual editor", 1)
    upgraded = codec.upgrade_page(page, changed["members"], context(codec), base(codec))
    assert upgraded.drift == ("section 'howto' edited on the wiki: kept as it is",)
    assert ("By hand in the visual editor" in upgraded.content or
            "To add someone:" in upgraded.content)
    assert upgraded.content.count(HELP[codec.format]) == 1  # never added a second time
    assert "Meetings" in upgraded.content
    assert_members_text_kept(codec, page, upgraded.content)


def test_a_section_deleted_by_a_member_is_not_added_back(codec: PageCodec,
                                                        changed: TemplateSet) -> None:
    page = member_page(codec)
    help_text = base(codec)["howto"]
    without = page.replace(help_text, "", 1)
    assert HELP[codec.format] not in without
    upgraded = codec.upgrade_page(without, changed["members"], context(codec), base(codec))
    assert HELP[codec.format] not in upgraded.content
    assert any("'howto' is not on the page" in d for d in upgraded.drift)
    assert "Meetings" in upgraded.content
    assert emails(codec, upgraded.content)[-1] == "cy@corp.example"
    restored = codec.upgrade_page(without, changed["members"], context(codec), base(codec),
                                  restore=True)
    assert HELP[codec.format] in restored.content
    assert "section 'howto' added back" in restored.changes
    # back where the template places it: help first, the list, then the new section
    assert restored.content.index("Add yourself") < restored.content.index("Meetings")
    assert emails(codec, restored.content)[-1] == "cy@corp.example"


def test_a_member_moving_a_section_keeps_it_managed(codec: PageCodec,
                                                   changed: TemplateSet) -> None:
    """The help moved above the list: still found as written, upgraded where it stands."""
    page = member_page(codec)
    help_text = base(codec)["howto"]
    rows_heading = base(codec)["rows"]
    moved = page.replace(help_text, "", 1).replace(rows_heading, help_text + (
        "\n\n" if codec.format == "wikitext" else "") + rows_heading, 1)
    upgraded = codec.upgrade_page(moved, changed["members"], context(codec), base(codec))
    assert not upgraded.drift, upgraded.drift
    new = upgraded.content
    assert new.index("Your team.") < new.index("ann@corp.example")  # upgraded in place
    assert new.count("Add yourself") == 1
    assert_members_text_kept(codec, moved, new)


def test_removed_sections_go_when_untouched_and_stay_when_edited(
        codec: PageCodec, tmp_path: Path) -> None:
    (tmp_path / "members.toml").write_text('[[sections]]\nid = "howto"\nremove = true\n'
                                           '[[sections]]\nid = "rows"\ntitle.en = "List"\n')
    fewer = load_templates(tmp_path)["members"]
    page = member_page(codec)
    upgraded = codec.upgrade_page(page, fewer, context(codec), base(codec))
    assert "Add yourself" not in upgraded.content  # untouched: removed
    assert "section 'howto' removed (no longer in the template)" in upgraded.changes
    assert_members_text_kept(codec, page, upgraded.content, new_column=False)
    edited = page.replace("The fields:", "Our fields:", 1)
    kept = codec.upgrade_page(edited, fewer, context(codec), base(codec))
    assert "Our fields:" in kept.content and "Add yourself" in kept.content
    assert any("'howto' is no longer in the template but was edited" in d
               for d in kept.drift)


def test_without_a_merge_base_the_current_template_decides(codec: PageCodec,
                                                          changed: TemplateSet) -> None:
    """Records lost, or a page adopted: a region equal to the template's rendering is
    intact, anything else is kept; nothing is overwritten."""
    page = member_page(codec)
    same = codec.upgrade_page(page, MEMBERS, context(codec), None, MEMBERS)
    assert same.content == page and not same.drift
    assert dict(same.regions) == dict(base(codec))
    upgraded = codec.upgrade_page(page.replace("the mix of profiles", "our mix", 1),
                                  changed["members"], context(codec), None, MEMBERS)
    assert "our mix" in upgraded.content
    assert any("'intro' is not on the page" in d for d in upgraded.drift)
    assert "Meetings" in upgraded.content and "Your team." in upgraded.content


# --- pages from earlier versions, with markers ---------------------------------------------

def marked_page(codec: PageCodec) -> str:
    return edited_by_members(codec, marked(codec.format, MEMBERS, context(codec), ROWS))


def test_a_marked_page_loses_its_markers_and_nothing_else(codec: PageCodec) -> None:
    page = marked_page(codec)
    assert "cop:section" in page or "cop-section" in page
    unmarked = codec.remove_markers(page, MEMBERS, context(codec), MEMBERS)
    assert unmarked.content == member_page(codec)  # exactly a page written today
    assert unmarked.changes == ("markers taken off the page",)
    assert dict(unmarked.regions) == dict(base(codec))
    again = codec.remove_markers(unmarked.content, MEMBERS, context(codec), MEMBERS)
    assert again.content == unmarked.content and not again.changes


def test_a_marked_page_upgrades(codec: PageCodec, changed: TemplateSet) -> None:
    page = marked_page(codec)
    upgraded = codec.upgrade_page(page, changed["members"], context(codec), None, MEMBERS)
    assert upgraded.changes[0] == "markers taken off the page"
    assert not upgraded.drift and "Meetings" in upgraded.content
    assert "cop:" not in upgraded.content and "cop-section" not in upgraded.content
    assert_members_text_kept(codec, page, upgraded.content)


def test_a_marked_region_edited_by_hand_stays_edited(codec: PageCodec,
                                                    changed: TemplateSet) -> None:
    page = marked_page(codec).replace("The fields:", "Our fields:", 1)
    upgraded = codec.upgrade_page(page, changed["members"], context(codec), None, MEMBERS)
    assert upgraded.drift == ("section 'howto' edited on the wiki: kept as it is",)
    assert "Our fields:" in upgraded.content
    assert upgraded.regions["howto"] == base(codec)["howto"]  # recovered from the hash
    assert "cop:section" not in upgraded.content and "cop-end" not in upgraded.content


def test_damaged_markers_are_taken_off_and_the_page_still_upgrades(
        codec: PageCodec, changed: TemplateSet) -> None:
    page = marked_page(codec)
    if codec.format == "wikitext":
        end = "<!-- /cop:section intro -->"
        page = page.replace(end, end + "\n" + end, 1)  # a marker copied by hand
        page = page.replace("<!-- /cop:section howto -->", "", 1)  # and one deleted
    else:
        page = re.sub(r'<p><ac:structured-macro ac:name="anchor" ac:schema-version="1">'
                      r'<ac:parameter ac:name="">cop-end-intro</ac:parameter>'
                      r"</ac:structured-macro></p>", "", page)  # an anchor deleted
    upgraded = codec.upgrade_page(page, changed["members"], context(codec), None, MEMBERS)
    assert "cop:section" not in upgraded.content and "cop-section" not in upgraded.content
    assert upgraded.content.count("Everyone from marketing") == 0  # intact: upgraded
    assert upgraded.content.count("The people of the Battery community.") == 1
    assert "Meetings" in upgraded.content and not upgraded.drift
    assert emails(codec, upgraded.content) == emails(codec, page)


def test_rows_glued_to_a_marker_are_kept(changed: TemplateSet) -> None:
    """The visual editor wrote rows on the line of the closing marker (issue 11)."""
    codec = WikitextCodec()
    page = marked_page(codec).replace(
        "<!-- cop:section howto",
        "{{CoP member|email=dee@corp.example|name=Dee}}<!-- /cop:section rows -->\n"
        "<!-- cop:section howto", 1)
    upgraded = codec.upgrade_page(page, changed["members"], context(codec), None, MEMBERS)
    assert "{{CoP member|email=dee@corp.example|name=Dee}}" in upgraded.content
    assert "dee@corp.example" in emails(codec, upgraded.content)
    assert "<!--" not in upgraded.content


# --- what the editors do ------------------------------------------------------------------

def test_confluence_regions_survive_the_editor(changed: TemplateSet) -> None:
    codec = StorageCodec()
    saved = editor_save(member_page(codec))
    assert "local-id" in saved
    same = codec.upgrade_page(saved, MEMBERS, context(codec), base(codec))
    assert same.content == saved and not same.drift  # intact, up to date: nothing to do
    upgraded = codec.upgrade_page(saved, changed["members"], context(codec), base(codec))
    assert not upgraded.drift and "Meetings" in upgraded.content
    assert "<p>Our own notes: we meet in <em>Lyon</em>.</p>" in re.sub(
        r' local-id="[^"]*"', "", upgraded.content)


def test_mediawiki_regions_survive_trailing_spaces_and_blank_lines(
        changed: TemplateSet) -> None:
    codec = WikitextCodec()
    page = member_page(codec).replace("== Add yourself ==\n", "== Add yourself ==  \n\n\n", 1)
    upgraded = codec.upgrade_page(page, changed["members"], context(codec), base(codec))
    assert not upgraded.drift and "Your team." in upgraded.content


def test_the_rows_heading_deleted_never_loses_a_row(codec: PageCodec,
                                                   changed: TemplateSet) -> None:
    page = member_page(codec).replace(base(codec)["rows"], "", 1)
    assert emails(codec, page) == ["ann@corp.example", "bob@corp.example", "cy@corp.example"]
    upgraded = codec.upgrade_page(page, changed["members"], context(codec), base(codec))
    assert emails(codec, upgraded.content) == emails(codec, page)
    assert any("'rows' is not on the page" in d for d in upgraded.drift)
