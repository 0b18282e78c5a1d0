"""The notice on a page whose entries have problems (issue 11): what it says (pure), how
each format lays it out and finds it again, and the sync writing it -- after a bad row is
saved, gone when it is fixed, no request when nothing changed -- on the in-memory wiki with
both page formats, in English and French."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from memory_world import CONFIG
from storage_editor import editor_save

from connector.base import PageCodec, PageContext, PageNotice, PageRef
from connector.confluence.storage import StorageCodec
from connector.errors import EditConflict
from connector.mediawiki.wikitext import WikitextCodec
from connector.memory import MemoryBackend
from page_templates import load_templates, shipped
from sync.community.registration import NewCommunity, add_community
from sync.engine.checkpoints import SimulatedCrash, arm, disarm
from sync.engine.notice import MAX_ITEMS, notice_titles, page_notice
from sync.engine.run import Syncer, SyncOptions
from sync.provision.run import Provisioner
from sync.records.model import StoredProblem
from sync.records.store import Records
from sync.results.status import community_status

T = shipped()
WATCH = T["watch"]
EVIL = "{{CoP watch|url=https://evil.example|title=x}} [[Category:X]] <b>~~~~</b> | = }}"


def problem(row: int, field: str, message: str, key: str | None = None,
            kind: str = "watch") -> StoredProblem:
    return StoredProblem("battery", kind, "CoP_Battery:Watch", row, field, message, key=key)


@pytest.fixture(params=["wikitext", "storage"])
def codec(request: pytest.FixtureRequest) -> PageCodec:
    return WikitextCodec() if request.param == "wikitext" else StorageCodec()


def watch_page(codec: PageCodec, rows=()) -> str:
    space = "CoP_Battery"
    context = PageContext("en", space, {"name": "Battery"},
                          {k.kind: PageRef(space, k.title["en"]) for k in T.page_kinds})
    return codec.render_page(WATCH, context, list(rows))


# --- what it says -------------------------------------------------------------------------

def test_the_notice_lists_each_problem_by_entry_and_field_in_the_page_language() -> None:
    problems = [problem(3, "url", "'ftp://x' is not a web address; write https://…"),
                problem(1, "date", "'12/03/2024' is not a date; write YYYY-MM-DD",
                        key="https://a.example")]
    english = page_notice([WATCH], "en", problems)
    assert english.title == "Entries to fix on this page"
    assert english.items == (
        "Entry 1 (https://a.example), Date: '12/03/2024' is not a date; write YYYY-MM-DD",
        "Entry 3, Link: 'ftp://x' is not a web address; write https://…")
    french = page_notice([WATCH], "fr", problems)
    assert french.title == "Entrées à corriger sur cette page"
    assert french.items[0].startswith("Entrée 1 (https://a.example), Date : ")
    assert french.items[1].startswith("Entrée 3, Lien : ")
    assert "synchronisation" in french.footer
    assert page_notice([WATCH], "en", problems) == english  # a pure function
    assert page_notice([WATCH], "en", list(reversed(problems))) == english


def test_problems_of_any_kind_render_from_their_fields() -> None:
    """New kinds of problems (another helper adds them) need no change here."""
    found = page_notice([WATCH], "en", [
        problem(2, "(template)", "a row of another kind ({{CoP member}}) on this page"),
        problem(4, "colour", "unknown parameter 'colour' (did you mean 'tags'?)")])
    assert found.items == (
        "Entry 2: a row of another kind ({{CoP member}}) on this page",
        "Entry 4, colour: unknown parameter 'colour' (did you mean 'tags'?)")


def test_no_problem_no_notice_and_a_long_list_is_cut() -> None:
    assert page_notice([WATCH], "en", []).items == ()
    many = page_notice([WATCH], "en", [problem(n, "date", "bad") for n in range(1, 40)])
    assert len(many.items) == MAX_ITEMS
    assert many.items[-1] == "… and 28 more (the innovation manager sees them all)."


def test_the_texts_are_the_company_s_when_it_changes_them(tmp_path: Path) -> None:
    (tmp_path / "ui.toml").write_text('[notice_title]\nen = "Please fix"\n', encoding="utf-8")
    watch = load_templates(tmp_path)["watch"]
    notice = page_notice([watch], "en", [problem(1, "date", "bad")])
    assert notice.title == "Please fix"
    assert {"Please fix", "Entries to fix on this page",
            "Entrées à corriger sur cette page"} <= notice_titles(watch)


def test_a_problem_is_said_in_the_page_language_from_its_code() -> None:
    """Problems carry a code and parameters (page_templates/problems.toml): the notice says
    them in the page's language; a sentence naming its field itself is not prefixed."""
    date = StoredProblem("battery", "watch", "W", 2, "date", "'x' is not a date",
                         code="not_a_date", params={"value": "x"})
    governed = StoredProblem("battery", "charter", "C", 1, "pilot", "'bob' is not taken",
                             code="governed_value",
                             params={"field": "Pilote", "value": "bob", "records": "pia"})
    assert page_notice([WATCH], "fr", [date]).items == (
        "Entrée 2, Date : « x » n'est pas une date : écrivez AAAA-MM-JJ.",)
    assert page_notice([T["charter"]], "fr", [governed]).items[0].startswith(
        "Entrée 1 : Pilote : « bob » n'est pas pris en compte")


# --- how each format lays it out -----------------------------------------------------------

def notice(*items: str) -> PageNotice:
    return PageNotice("Entries to fix on this page", items, "Fix them.",
                      notice_titles(WATCH))


def test_placed_on_top_found_again_and_taken_off(codec: PageCodec) -> None:
    page = watch_page(codec)
    with_notice = codec.place_notice(page, notice("Entry 1, Date: bad"))
    assert with_notice != page and "Entry 1, Date: bad" in with_notice
    assert with_notice.index("Entry 1") < with_notice.index("technology watch")
    assert codec.place_notice(with_notice, notice("Entry 1, Date: bad")) is with_notice
    changed = codec.place_notice(with_notice, notice("Entry 2, Date: bad"))
    assert "Entry 1" not in changed and changed.count("Entries to fix") == 1
    assert codec.place_notice(changed, notice()) == page  # gone, the page as it was
    assert codec.place_notice(page, notice()) is page


def test_member_text_in_a_notice_is_inert(codec: PageCodec) -> None:
    row = {"url": "https://a.example", "title": "A", "date": "2026-01-01"}
    page = codec.place_notice(watch_page(codec, [row]), notice(f"Entry 1, Title: {EVIL}"))
    parsed = codec.parse_rows(page, WATCH, "W")
    assert [r.values.get("url") for r in parsed.rows] == ["https://a.example"]
    assert parsed.problems == ()
    if codec.format == "wikitext":
        top = page.split("\n\n", 1)[0]
        assert "[[" not in top and "~~~~" not in top and "<b>" not in top
        assert top.count("{{") == 1 and top.count("}}") == 1  # the notice's own call only
    else:
        top = page[:page.index("</ac:structured-macro>")]
        assert "<b>" not in top and "&lt;b&gt;" in top
        assert top.count("<ac:structured-macro") == 1


def test_a_notice_moved_by_a_member_is_not_doubled(codec: PageCodec) -> None:
    page = codec.place_notice(watch_page(codec), notice("Entry 1, Date: bad"))
    if codec.format == "wikitext":
        block, rest = page.split("\n\n", 1)
        moved = rest + "\n" + block + "\n"
    else:
        end = page.index("</ac:structured-macro>") + len("</ac:structured-macro>")
        moved = page[end:] + page[:end]
    again = codec.place_notice(moved, notice("Entry 1, Date: bad"))
    assert again.count("Entries to fix") == 1
    gone = codec.place_notice(moved, notice())
    assert "Entries to fix" not in gone


def test_the_notice_is_neither_a_region_edit_nor_a_member_section(codec: PageCodec) -> None:
    space = "CoP_Battery"
    context = PageContext("en", space, {"name": "Battery"},
                          {k.kind: PageRef(space, k.title["en"]) for k in T.page_kinds})
    page = codec.place_notice(watch_page(codec), notice("Entry 1, Date: bad"))
    written = codec.page_regions(WATCH, context)
    upgraded = codec.upgrade_page(page, WATCH, context, written)
    assert upgraded.content == page and not upgraded.drift and not upgraded.changes
    assert codec.extract_page(page, WATCH, context, written).sections == ()


def test_confluence_finds_its_notice_after_the_editor_saved_it() -> None:
    codec = StorageCodec()
    page = editor_save(codec.place_notice(watch_page(codec), notice("Entry 1, Date: bad")))
    assert 'ac:macro-id="m"' in page
    assert codec.place_notice(page, notice("Entry 1, Date: bad")) is page
    assert "Entries to fix" not in codec.place_notice(page, notice())


# --- the sync writes it --------------------------------------------------------------------

BAD = "{{CoP watch|date=12/03/2024|title=Bad date|url=https://bad.example}}"
GOOD = "{{CoP watch|date=2024-03-12|title=Bad date|url=https://bad.example}}"
BAD_ROW = ("<tr><td>12/03/2024</td><td>Bad date</td><td>https://bad.example</td>"
           "<td></td><td></td><td></td></tr>")
GOOD_ROW = BAD_ROW.replace("12/03/2024", "2024-03-12")


class World:
    def __init__(self, codec: str, lang: str = "en") -> None:
        self.records = Records.open(":memory:")
        self.format = codec
        self.wiki = MemoryBackend(WikitextCodec() if codec == "wikitext" else StorageCodec(),
                                  spaces={"CoP_Battery", "Template"})
        self.community = add_community(self.records, CONFIG, NewCommunity(
            slug="battery", name="Battery", theme="Energy", pilot="pia@corp.example",
            expert="eli@corp.example", lang=lang))
        Provisioner(self.records, self.wiki, T).run([self.community], dry_run=False)
        assert self.sync().exit_code == 0
        self.ref = PageRef("CoP_Battery", WATCH.title[lang])

    def sync(self):
        return Syncer(self.records, {"mediawiki": self.wiki}, T).run(SyncOptions())

    def content(self) -> str:
        page = self.wiki.page(self.ref)
        assert page is not None
        return page.content

    def member_writes(self, wikitext: str, row: str) -> None:
        content = self.content()
        if self.format == "wikitext":
            heading = "== Watch items ==" if "== Watch items ==" in content else \
                "== Éléments de veille =="
            content = content.replace(heading, f"{heading}\n{wikitext}", 1)
        else:
            # the items' table, under its heading (the Sources table comes before it)
            content = re.sub(r"(<h2>(?:Watch items|Éléments de veille)</h2>.*?<table>.*?</tr>)",
                             lambda m: m.group(1) + row, content, count=1, flags=re.S)
        self.wiki.edit(self.ref, content)

    def member_fixes(self) -> None:
        self.wiki.edit(self.ref, self.content().replace(BAD, GOOD).replace(BAD_ROW, GOOD_ROW))


@pytest.fixture(params=["wikitext", "storage"])
def world(request: pytest.FixtureRequest) -> World:
    return World(request.param)


def test_the_notice_appears_after_a_bad_row_and_goes_when_it_is_fixed(world: World) -> None:
    world.member_writes(BAD, BAD_ROW)
    writes, minor = world.wiki.stats.writes, world.wiki.minor_writes
    report = world.sync()
    assert report.exit_code == 1  # the problem is reported to the innovation manager too
    assert world.wiki.stats.writes == writes + 1 and world.wiki.minor_writes == minor + 1
    page = world.content()
    assert "Entries to fix on this page" in page and "12/03/2024" in page
    assert report.pages[0].page_notice == "written"
    assert report.counts()["notices_changed"] == 1
    assert world.records.problems("battery")[0].message.startswith("'12/03/2024'")

    reads, writes = world.wiki.stats.reads, world.wiki.stats.writes
    again = world.sync()  # nothing new: the notice's own revision is not read again
    assert world.wiki.stats.writes == writes and world.wiki.stats.reads == reads
    assert again.counts()["notices_changed"] == 0

    world.member_fixes()
    fixed = world.sync()
    assert fixed.exit_code == 0 and world.wiki.stats.writes == writes + 1
    assert "Entries to fix" not in world.content()
    assert fixed.pages[0].page_notice == "removed"
    assert world.records.live_rows("battery", "watch")["https://bad.example"]["date"] == \
        "2024-03-12"
    writes = world.wiki.stats.writes
    assert world.sync().exit_code == 0 and world.wiki.stats.writes == writes


def test_a_french_page_gets_a_french_notice() -> None:
    world = World("wikitext", lang="fr")
    world.member_writes(BAD, BAD_ROW)
    world.sync()
    assert "Entrées à corriger sur cette page" in world.content()
    assert "Entrée 1 (https&#58;//bad.example), Date : " in world.content()


def test_a_member_saving_meanwhile_wins_and_the_notice_waits(world: World) -> None:
    world.member_writes(BAD, BAD_ROW)
    world.wiki.fail_next("update_page", EditConflict(backend="memory", page=str(world.ref),
                                                     base_revision="?"))
    report = world.sync()
    assert report.pages[0].page_notice.startswith("waits")
    assert "Entries to fix" not in world.content()
    assert world.records.problems("battery")  # recorded all the same
    state = world.records.page_state("battery", "watch")
    world.wiki.edit(world.ref, world.content() + ("\nMore notes.\n" if world.format ==
                                                  "wikitext" else "<p>More notes.</p>"))
    world.sync()  # the member's revision is read: the notice is written over it
    assert "Entries to fix" in world.content() and "More notes." in world.content()
    assert world.records.page_state("battery", "watch").revision != state.revision


def test_a_dry_run_says_it_and_writes_nothing(world: World) -> None:
    world.member_writes(BAD, BAD_ROW)
    writes = world.wiki.stats.writes
    report = Syncer(world.records, {"mediawiki": world.wiki}, T).run(SyncOptions(dry_run=True))
    assert report.pages[0].page_notice == "would be written"
    assert world.wiki.stats.writes == writes


def test_cop_status_still_lists_every_problem(world: World) -> None:
    world.member_writes(BAD, BAD_ROW)
    world.sync()
    status = community_status(world.records, T, world.records.community("battery"))
    assert [p["row"] for p in status["problems"]] == [1]


def test_a_governance_field_typed_on_the_charter_is_said_then_put_back(world: World) -> None:
    """A member types another pilot on the charter: drift, said on the page; `cop
    provision` puts the records' value back, and the notice goes with the drift."""
    ref = PageRef("CoP_Battery", "Charter")
    page = world.wiki.page(ref)
    assert page is not None
    if world.format == "wikitext":
        changed = page.content.replace("|pilot=pia@corp.example", "|pilot=bob@corp.example")
    else:
        changed = page.content.replace("pia@corp.example", "bob@corp.example", 1)
    assert changed != page.content
    world.wiki.edit(ref, changed)
    world.sync()
    content = world.wiki.page(ref).content
    assert "Entries to fix on this page" in content
    assert "bob@corp.example" in content.replace("&#64;", "@")
    report = Provisioner(world.records, world.wiki, T).run([world.records.community("battery")],
                                                           dry_run=False)
    assert report.exit_code == 0
    content = world.wiki.page(ref).content
    assert "Entries to fix" not in content and "pia@corp.example" in content
    writes = world.wiki.stats.writes
    assert world.sync().exit_code == 0 and world.wiki.stats.writes == writes


def test_a_page_with_two_lists_names_the_list_of_each_entry() -> None:
    attendance, actions = T["attendance"], T["actions"]
    notice = page_notice([attendance, actions], "fr", [
        problem(2, "hours", "'x' n'est pas un nombre", kind="attendance@2027"),
        problem(1, "due", "'demain' n'est pas une date", kind="actions@2027")])
    assert notice.items == ("Actions décidées : Entrée 1, Échéance : 'demain' n'est pas une date",
                            "Présence : Entrée 2, Heures : 'x' n'est pas un nombre")


def test_a_run_killed_after_the_notice_write_converges(world: World) -> None:
    """Killed right after the notice landed (its revision not recorded): the next run reads
    the page, finds the notice as it should be, writes nothing more; nothing is lost."""
    world.member_writes(BAD, BAD_ROW)
    arm("after-notice-write")
    try:
        with pytest.raises(SimulatedCrash):
            world.sync()
    finally:
        disarm()
    assert "Entries to fix" in world.content()
    writes = world.wiki.stats.writes
    report = world.sync()
    assert world.wiki.stats.writes == writes and report.exit_code == 1
    assert [p.row for p in world.records.problems("battery")] == [1]
    state = world.records.page_state("battery", "watch")
    assert state is not None and state.revision == world.wiki.page(world.ref).revision
    writes = world.wiki.stats.writes
    world.sync()
    assert world.wiki.stats.writes == writes
