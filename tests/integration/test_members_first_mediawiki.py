"""Issue 11 on the real MediaWiki, through the CLI: pages carry no marker (nothing VisualEditor
would show as a chip), spaces provisioned with markers lose them at the next `cop provision`
(one minor edit per page, nothing else changed, then nothing), and the notice of entries to
fix appears after a bad row is saved and synced, renders as a box with member text inert,
goes when the row is fixed, and costs nothing when nothing changed."""

from __future__ import annotations

import html as html_module
import json
import re

from cop_wiki import NS, CopDir, recorded_rows
from legacy_pages import with_markers
from msgspec.structs import replace
from wiki_people import member

from connector.base import PageNotice, PageRef
from connector.errors import EditConflict
from page_templates import shipped

T = shipped()
BAD = "{{CoP watch|date=12/03/2024|title=Sodium-ion cells|url=https://example.com/na}}"
# A value whose text (character references decoded) is markup: quoted by the notice, it must
# stay text there -- no template, row, category, link, tag or signature.
EVIL = ("{{CoP watch|date=2026-01-02|title=Odd|url=ftp://x.example/&#123;&#123;CoP watch"
        "&#124;url=https://z.example&#124;title=Z&#124;date=2026-01-01&#125;&#125;"
        "&#91;&#91;Category:Hacked&#93;&#93;&lt;b&gt;bold&lt;/b&gt;&#126;&#126;&#126;&#126;}}")


def counts(result) -> dict[str, int]:
    return json.loads(result.stdout)["counts"]


def recent(cop: CopDir, limit: int = 5) -> list[dict]:
    """The wiki's last changes, newest first, with their flags."""
    people = member(cop.wiki)
    result = people.site.get("query", list="recentchanges", rclimit=limit,
                              rcprop="title|user|flags|comment", formatversion=2)
    return result["query"]["recentchanges"]


def test_a_new_space_has_no_marker_on_any_page(battery: CopDir) -> None:
    people = member(battery.wiki)
    for title in ("Home", "Charter", "Members", "Watch", "References", "Regulation",
                  "Competition"):
        text = people.read(f"{NS}:{title}")
        assert "<!--" not in text, title  # a comment is a "!" chip in VisualEditor


def test_the_notice_comes_with_a_bad_row_and_goes_when_it_is_fixed(battery: CopDir) -> None:
    people = member(battery.wiki)
    people.append(f"{NS}:Watch", BAD, EVIL)
    first = battery.sync("--json")
    assert first.exit_code == 1 and counts(first)["notices_changed"] == 1
    text = people.read(f"{NS}:Watch")
    assert text.startswith("{{CoP notice\n")
    [change] = [c for c in recent(battery) if c["title"] == f"{NS}:Watch".replace("_", " ")][:1]
    assert change["user"] == "CopBot" and change["minor"] and change["bot"]
    html = people.parse(f"{NS}:Watch")
    assert "Entries to fix on this page" in html["text"]
    assert "12/03/2024" in html["text"] and "cop-notice" in html["text"]
    # the notice alone, as the wiki renders it: the member's text it quotes is inert
    block = text.split("\n}}\n", 1)[0] + "\n}}"
    alone = people.site.get("parse", text=block, title=f"{NS}:Watch", contentmodel="wikitext",
                            prop="text|categories|templates|links", formatversion=2)["parse"]
    assert alone["categories"] == [] and alone["links"] == []
    assert [t["title"] for t in alone["templates"]] == ["Template:CoP notice"]
    shown = html_module.unescape(alone["text"])  # what a reader sees: the text as typed
    assert "<b>bold</b>" not in alone["text"] and "<b>bold</b>" in shown
    assert "~~~~" in shown and "[[Category:Hacked]]" in shown
    assert "https://z.example" not in recorded_rows(battery)["watch"]  # no row from it

    edits = people.edit_count()
    again = battery.sync("--json")  # nothing new: no read, no write
    assert people.edit_count() == edits
    assert counts(again)["pages_read"] == 0 and counts(again)["notices_changed"] == 0

    text = people.read(f"{NS}:Watch")
    people.save(f"{NS}:Watch", text.replace("date=12/03/2024", "date=2024-03-12")
                .replace(EVIL + "\n", "").replace(EVIL, ""))
    fixed = battery.sync("--json")
    assert fixed.exit_code == 0 and counts(fixed)["notices_changed"] == 1
    assert "CoP notice" not in people.read(f"{NS}:Watch")
    assert "https://example.com/na" in recorded_rows(battery)["watch"]
    edits = people.edit_count()
    assert battery.sync().exit_code == 0 and people.edit_count() == edits


def test_a_notice_waits_for_a_member_saving_meanwhile(battery: CopDir) -> None:
    """The notice is written over the revision just read: a member's save in between wins
    (MediaWiki's baserevid), nothing is lost, and the next run writes it."""
    people = member(battery.wiki)
    people.append(f"{NS}:Watch", BAD)
    backend = battery.backend()
    ref = next(iter(backend.read_pages([PageRef(NS, "Watch")]).values()))
    people.append(f"{NS}:Watch", "Our notes.")  # saved after the page was read
    content = backend.codec.place_notice(ref.content, PageNotice("t", ("x",), "f"))
    try:
        backend.update_page(ref, content, summary="notice", minor=True)
        raise AssertionError("the stale write went through")
    except EditConflict:
        pass
    assert battery.sync().exit_code == 1
    text = people.read(f"{NS}:Watch")
    assert text.startswith("{{CoP notice") and "Our notes." in text


def test_a_space_with_markers_loses_them_at_the_next_provisioning(battery: CopDir) -> None:
    """A space provisioned by a version that wrote markers: the next plain `cop provision`
    takes them off every page (one minor edit each), keeps rows and members' text, records
    each region's merge base; a second run writes nothing; an upgrade then works."""
    people = member(battery.wiki)
    with battery.records() as records:
        # a page once, with its own kind's markers (a part's rows, the Watch page's
        # sources, are on their host's page and never had markers of their own)
        states = [s for s in records.page_states("battery")
                  if s.kind != "home" and not T.kind_for(s.kind).host]
        for state in records.page_states("battery"):
            kind = T.kind_for(state.kind)
            title = f"{NS}:{state.ref.title}"
            if state in states:
                assert state.regions is not None
                people.save(title, with_markers("wikitext", kind, people.read(title),
                                                state.regions))
            if state.kind != "home":
                records.save_page_state(replace(state, regions=None))
    people.append(f"{NS}:Members", "{{CoP member|email=glued@corp.example|name=Glued}}"
                  "<!-- /cop:section rows -->")  # the visual editor glued a row to a marker
    assert battery.sync().exit_code == 0
    marked = people.read(f"{NS}:Members")
    assert marked.count("<!-- ") >= 6
    edits = people.edit_count()
    result = battery("provision", "battery")
    assert result.exit_code == 0, result.output
    assert result.output.count("markers taken off the page") == len(states)
    assert people.edit_count() - edits == len(states)
    for change in recent(battery, len(states)):
        assert change["minor"], change
    for state in states:
        assert "<!--" not in people.read(f"{NS}:{state.ref.title}"), state.kind
    members = people.read(f"{NS}:Members")
    assert "{{CoP member|email=glued@corp.example|name=Glued}}" in members
    assert "glued@corp.example" in recorded_rows(battery)["members"]
    edits = people.edit_count()
    again = battery("provision", "battery")
    assert "wrote 0 page(s)" in again.output and people.edit_count() == edits
    assert battery.sync().exit_code == 0 and people.edit_count() == edits
    upgraded = battery("provision", "--upgrade", "battery")
    assert upgraded.exit_code == 0 and "    ! " not in upgraded.output, upgraded.output


def test_a_deleted_section_is_reported_not_restored_and_rows_stay(battery: CopDir) -> None:
    people = member(battery.wiki)
    text = people.read(f"{NS}:Members")
    help_start = text.index("== Add yourself ==")  # the help, before the list (mw-editor)
    list_start = text.index("== Member list ==")
    people.save(f"{NS}:Members", text[:help_start] + text[list_start:])  # help deleted
    assert battery.sync().exit_code == 0
    upgraded = battery("provision", "--upgrade", "battery")
    assert upgraded.exit_code == 0
    assert "section 'howto' is not on the page (deleted on the wiki?)" in upgraded.output
    assert "Add yourself" not in people.read(f"{NS}:Members")
    assert set(recorded_rows(battery)["members"]) >= {"claire@corp.example",
                                                       "karim@corp.example"}
    restored = battery("provision", "--upgrade", "--restore-sections", "battery")
    assert restored.exit_code == 0 and "section 'howto' added back" in restored.output
    assert re.search(r"== Add yourself ==", people.read(f"{NS}:Members"))


def test_a_moved_section_and_a_deleted_heading_never_cost_a_row(battery: CopDir,
                                                                tmp_path) -> None:
    """A member deletes the list's heading and moves the introduction to the end: every row
    still reads, an upgrade rewrites the introduction where it now stands and reports the
    heading as deleted, never adding it back unasked."""
    people = member(battery.wiki)
    text = people.read(f"{NS}:Members")
    intro = text.split("\n\n", 1)[0]
    moved = text.replace(intro + "\n\n", "", 1).replace("== Member list ==\n", "", 1)
    people.save(f"{NS}:Members", moved.rstrip("\n") + "\n\n" + intro + "\n")
    assert battery.sync().exit_code == 0
    before = set(recorded_rows(battery)["members"])
    assert {"claire@corp.example", "karim@corp.example"} <= before
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "members.toml").write_text(
        '[[sections]]\nid = "intro"\nparagraphs.en = ["The people of {name}."]\n',
        encoding="utf-8")
    with battery.config.open("a", encoding="utf-8") as toml:
        toml.write(f'\n[templates]\ndir = "{tmp_path / "templates"}"\n')
    upgraded = battery("provision", "--upgrade", "battery")
    assert upgraded.exit_code == 0, upgraded.output
    assert "section 'intro' updated" in upgraded.output
    assert "section 'rows' is not on the page (deleted on the wiki?)" in upgraded.output
    page = people.read(f"{NS}:Members")
    assert page.rstrip().endswith("The people of Battery storage.")
    assert "== Member list ==" not in page
    assert battery.sync().exit_code == 0
    assert set(recorded_rows(battery)["members"]) == before
