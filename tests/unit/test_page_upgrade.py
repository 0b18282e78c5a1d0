"""Upgrading a page to a changed template, on both page formats: only the managed regions
(and on Confluence the table header) change; rows and members' text stay byte for byte; a
region edited by hand is kept and reported; a second upgrade changes nothing; pages made
before markers existed are adopted (connector/regions.py and the codecs' regions modules)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from storage_editor import editor_save

from connector.base import PageCodec, PageContext, PageRef
from connector.confluence.storage import StorageCodec
from connector.mediawiki.wikitext import WikitextCodec
from page_templates import TemplateSet, load_templates, shipped, template_version

SHIPPED = shipped()
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
"""
MW_NOTE = "Our own notes: we meet in ''Lyon''."
CF_NOTE = "<p>Our own notes: we meet in <em>Lyon</em>.</p>"


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


def member_page(codec: PageCodec, lang: str = "en") -> str:
    """The members page as provisioned, then edited by members: a row and a note added."""
    page = codec.render_page(SHIPPED["members"], context(codec, lang), ROWS)
    if codec.format == "wikitext":
        bob = next(line for line in page.splitlines() if "bob@corp.example" in line)
        page = page.replace(bob, bob + "\n{{CoP member|email=cy@corp.example|name=Cy}}", 1)
        return page + "\n" + MW_NOTE + "\n"
    row = "<tr><td><p>cy@corp.example</p></td><td><p>Cy</p></td>" + "<td></td>" * 4 + "</tr>"
    page = page.replace("</tbody></table>", row + "</tbody></table>", 1)
    return page + CF_NOTE


def rows_of(codec: PageCodec, page: str) -> list[str]:
    """The rows as they are written on the page."""
    if codec.format == "wikitext":
        return re.findall(r"(?m)^\{\{CoP member\|email=[^|\n][^\n]*\}\}$", page)
    return re.findall(r"<tr><td>.*?</tr>", page)


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


def test_a_fresh_page_is_up_to_date(codec: PageCodec) -> None:
    page = codec.render_page(SHIPPED["members"], context(codec), ROWS)
    upgraded = codec.upgrade_page(page, SHIPPED["members"], context(codec))
    assert upgraded.content == page and not upgraded.changes and not upgraded.drift


def test_new_field_renamed_label_new_section(codec: PageCodec, changed: TemplateSet) -> None:
    page = member_page(codec)
    upgraded = codec.upgrade_page(page, changed["members"], context(codec), SHIPPED["members"])
    new = upgraded.content
    assert_members_text_kept(codec, page, new)
    assert "Meetings" in new and "We meet every month." in new
    assert "Team" in new and "Your team." in new and "Location" in new
    assert template_version(changed["members"]) in new
    assert not upgraded.drift
    assert any("new section 'meetings'" in c for c in upgraded.changes)
    # the help comes before the list (new entries go at the end), the new section after it
    assert new.index("Add yourself") < new.index("Cy") < new.index("Meetings")
    parsed = codec.parse_rows(new, changed["members"], "Members")
    assert [r.values["email"] for r in parsed.rows] == [
        "ann@corp.example", "bob@corp.example", "cy@corp.example"]
    assert parsed.rows[0].values["site"] == "Lyon"  # the renamed column still reads
    again = codec.upgrade_page(new, changed["members"], context(codec))
    assert again.content == new and not again.changes


def test_a_region_edited_by_hand_is_kept_and_the_rest_upgraded(
        codec: PageCodec, changed: TemplateSet) -> None:
    page = member_page(codec)
    intro = "Everyone from marketing"
    edited = page.replace(intro, "Anyone from marketing", 1)
    upgraded = codec.upgrade_page(edited, changed["members"], context(codec))
    assert "Anyone from marketing" in upgraded.content
    assert upgraded.drift == ("section 'intro' edited on the wiki: kept as it is",)
    assert "Meetings" in upgraded.content and "Your team." in upgraded.content
    again = codec.upgrade_page(upgraded.content, changed["members"], context(codec))
    assert again.content == upgraded.content and again.drift == upgraded.drift


def test_removed_sections_go_when_untouched_and_stay_when_edited(
        codec: PageCodec, tmp_path: Path) -> None:
    (tmp_path / "members.toml").write_text('[[sections]]\nid = "howto"\nremove = true\n'
                                           '[[sections]]\nid = "intro"\nremove = true\n')
    fewer = load_templates(tmp_path)["members"]
    page = member_page(codec).replace("Everyone from marketing", "All of marketing", 1)
    upgraded = codec.upgrade_page(page, fewer, context(codec))
    assert "Add yourself" not in upgraded.content  # untouched: removed
    assert "All of marketing" in upgraded.content  # edited: kept, reported
    assert any("'intro' is no longer in the template" in d for d in upgraded.drift)
    assert_members_text_kept(codec, page, upgraded.content, new_column=False)


def test_a_page_from_before_markers_is_adopted(codec: PageCodec,
                                              changed: TemplateSet) -> None:
    page = strip_markers(codec, member_page(codec))
    assert "cop:section" not in page and "cop-section" not in page
    upgraded = codec.upgrade_page(page, changed["members"], context(codec), SHIPPED["members"])
    assert upgraded.changes[0] == "markers added around the sections as provisioned"
    assert not upgraded.drift and "Meetings" in upgraded.content
    assert_members_text_kept(codec, page, upgraded.content)
    fresh = codec.upgrade_page(page, SHIPPED["members"], context(codec), SHIPPED["members"])
    assert fresh.content == member_page(codec)  # the same markers a new page has


def test_a_page_from_before_markers_with_an_edited_section_keeps_it(
        codec: PageCodec, changed: TemplateSet) -> None:
    page = strip_markers(codec, member_page(codec)).replace("Add yourself", "Join us", 1)
    upgraded = codec.upgrade_page(page, changed["members"], context(codec), SHIPPED["members"])
    assert "Join us" in upgraded.content and upgraded.content.count("Add yourself") == 0
    assert upgraded.drift == ("section 'howto' differs from what cop-connector provisioned "
                              "(edited on the wiki?): kept as it is",)
    assert "Meetings" in upgraded.content  # the rest still upgrades


def strip_markers(codec: PageCodec, page: str) -> str:
    if codec.format == "wikitext":
        return "".join(line for line in page.splitlines(keepends=True)
                       if not re.match(r"<!-- /?cop:", line))
    return re.sub(r'<p><ac:structured-macro ac:name="anchor".*?</ac:structured-macro></p>',
                  "", page)


def test_confluence_markers_survive_the_editor(changed: TemplateSet) -> None:
    codec = StorageCodec()
    saved = editor_save(member_page(codec))
    assert "local-id" in saved and "cop-section-intro-" in saved
    same = codec.upgrade_page(saved, SHIPPED["members"], context(codec))
    assert same.content == saved and not same.drift  # intact, up to date: nothing to do
    upgraded = codec.upgrade_page(saved, changed["members"], context(codec))
    assert not upgraded.drift and "Meetings" in upgraded.content
    assert "<p>Our own notes: we meet in <em>Lyon</em>.</p>" in re.sub(
        r' local-id="[^"]*"', "", upgraded.content)


def test_mediawiki_markers_are_invisible_comment_lines() -> None:
    page = WikitextCodec().render_page(SHIPPED["members"], context(WikitextCodec()), ROWS)
    markers = [line for line in page.splitlines() if "cop:" in line]
    assert markers and all(re.fullmatch(r"<!-- /?cop:(section|template) [^>]* -->", line)
                           for line in markers)
    assert markers[0] == f"<!-- cop:template members {template_version(SHIPPED['members'])} -->"


def test_damaged_markers_are_reported_and_nothing_added_twice(codec: PageCodec,
                                                             changed: TemplateSet) -> None:
    page = member_page(codec)
    if codec.format == "wikitext":
        end = "<!-- /cop:section intro -->"
        page = page.replace(end, end + "\n" + end, 1)  # a marker copied by hand
    else:
        page = re.sub(r'<p><ac:structured-macro ac:name="anchor" ac:schema-version="1">'
                      r'<ac:parameter ac:name="">cop-end-intro</ac:parameter>'
                      r"</ac:structured-macro></p>", "", page)  # an anchor deleted
    upgraded = codec.upgrade_page(page, changed["members"], context(codec))
    assert any("'intro' has lost" in d for d in upgraded.drift)
    assert upgraded.content.count("Everyone from marketing") == 1
    assert "Meetings" in upgraded.content  # the rest still upgrades
