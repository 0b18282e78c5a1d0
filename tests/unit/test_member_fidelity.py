"""Nothing a member typed is lost, and nothing ignored goes unsaid (issue 11, items 6 and 7):
link targets in text fields, rows of another kind, misspelt row templates, unknown
parameters, rows pasted twice, a problem in one field holding back only its row's key,
governance values typed on the wiki; each problem with a stable code and parameters whose
sentence exists in every language."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from connector.base import OtherRows, PageContext, PageRef, ParsedPage, RawRow
from connector.confluence.storage import StorageCodec
from connector.mediawiki.wikitext_parse import parse_rows, parse_rows_tree
from connector.memory import MemoryBackend
from page_templates import LANGUAGES, shipped
from page_templates.problems import problem_text, problem_texts
from sync.engine.charter_plan import plan_charter
from sync.engine.merge import plan_page
from sync.engine.outcome import SyncReport
from sync.engine.page_rows import read_page
from sync.records.store import Records
from tests.unit.memory_world import memory_wiki, ready, sync

T = shipped()
WATCH, REFS, MEMBERS, CHARTER = T["watch"], T["references"], T["members"], T["charter"]
OTHERS = {"CoP watch": OtherRows("watch", "Veille"), "CoP member": OtherRows("members", "Membres")}
ROOT = Path(__file__).resolve().parents[2]


def refs(*lines: str) -> ParsedPage:
    return parse_rows("Intro\n" + "\n".join(lines) + "\n", REFS, "R", OTHERS)


# --- links keep their targets ----------------------------------------------------------------

@pytest.mark.parametrize(("written", "recorded"), [
    ("See [https://x.example/r the report].", "See the report <https://x.example/r>."),
    ("[[Main Page|home]] and [[Plain]]", "home <Main Page> and Plain"),
    ("[[main_Page|Main Page]]", "Main Page"),  # the label is the target: said once
    ("[https://x.example]", "https://x.example"),  # shown as [1]: the address is the text
    ("https://x.example/bare", "https://x.example/bare"),
    ("[[:Category:Cells|cells]]", "cells <Category:Cells>"),
])
def test_a_link_in_a_text_field_keeps_its_target(written: str, recorded: str) -> None:
    parsed = refs(f"{{{{CoP reference|ref=A|title={written}}}}}")
    assert parsed.problems == ()
    assert parsed.rows[0].values["title"] == recorded
    assert parsed == parse_rows_tree("Intro\n" + f"{{{{CoP reference|ref=A|title={written}}}}}"
                                     + "\n", REFS, "R", OTHERS)


def test_a_url_field_takes_the_target_and_an_email_what_it_shows() -> None:
    parsed = parse_rows("{{CoP member|email=[mailto:ann@x.io ann@x.io]|name=[[User:Ann|Ann]]}}\n"
                        "{{CoP watch|title=T|date=2026-01-02|url=[https://x.example/a the a]}}",
                        WATCH, "W")
    assert parsed.rows[0].values["url"] == "https://x.example/a"


def test_a_signature_is_recorded_as_the_page_shows_it_with_its_links() -> None:
    """What MediaWiki's pre-save transform makes of ~~~~ typed in a form (measured on the
    real wiki, see tests/integration/test_member_fidelity_mediawiki.py)."""
    signed = ("Signed [[User:Admin|Admin]] ([[User talk:Admin|talk]]) 01:04, 7 December 2026 "
              "(UTC)")
    parsed = refs(f"{{{{CoP reference|ref=A|title={signed}}}}}")
    assert parsed.rows[0].values["title"] == (
        "Signed Admin <User:Admin> (talk <User talk:Admin>) 01:04, 7 December 2026 (UTC)")


def test_confluence_links_keep_their_targets_in_text_cells_only() -> None:
    codec = StorageCodec()
    content = codec.render_page(WATCH, _context(), [])
    cells = ('<td><time datetime="2026-01-02" /></td>'
             '<td>See <a href="https://x.example/r">the report</a> and '
             '<ac:link><ri:page ri:content-title="Roadmap" /><ac:plain-text-link-body>'
             '<![CDATA[our roadmap]]></ac:plain-text-link-body></ac:link></td>'
             '<td><a href="https://x.example/a">the article</a></td>'
             '<td><a href="https://src.example">https://src.example</a></td><td></td><td></td>')
    # The items' table is the page's last (the Sources table comes before it, issue 15).
    head, _, tail = content.rpartition("</tbody>")
    content = f"{head}<tr>{cells}</tr></tbody>{tail}"
    parsed = codec.parse_rows(content, WATCH, "W")
    assert parsed.problems == ()
    values = parsed.rows[0].values
    assert values["title"] == "See the report <https://x.example/r> and our roadmap <Roadmap>"
    assert values["url"] == "https://x.example/a"  # a URL field: the target alone
    assert values["source"] == "https://src.example"  # the label is the target: once


# --- rows that are not the page's ------------------------------------------------------------

def test_a_row_of_another_kind_is_reported_where_it_stands_and_holds_nothing() -> None:
    parsed = refs("{{CoP reference|ref=A|title=Doc A}}",
                  "{{CoP watch|date=2026-01-01|title=W|url=https://w.example}}",
                  "{{CoP reference|ref=B|title=Doc B}}")
    assert [raw.index for raw in parsed.rows] == [1, 3]  # counted as a member counts rows
    (problem,) = parsed.problems
    assert (problem.row, problem.line, problem.code, problem.severity) == (
        2, 3, "wrong_kind", "error")
    assert problem.params == {"name": "CoP watch", "template": "CoP watch", "kind": "watch",
                              "page": "Veille"}
    recorded = {"z": {"ref": "Z", "title": "Gone"}}
    plan = plan_page(REFS, "R", parsed, base=recorded, local=recorded)
    assert plan.tombstones == ("z",) and not plan.held_deletions  # it is none of these rows


@pytest.mark.parametrize("name", ["cop reference", "CoP Reference", "CoP_referenec",
                                  "Template:cop reference", "CoP references"])
def test_a_misspelt_row_template_is_reported_and_its_key_waits(name: str) -> None:
    parsed = refs("{{CoP reference|ref=A|title=Doc A}}", f"{{{{{name}|ref=B|title=Doc B}}}}")
    assert [raw.index for raw in parsed.rows] == [1]
    (problem,) = parsed.problems
    assert (problem.row, problem.code) == (2, "misspelt_template")
    assert problem.params["template"] == "CoP reference"
    recorded = {"a": {"ref": "A", "title": "Doc A"}, "b": {"ref": "B", "title": "Doc B"}}
    plan = plan_page(REFS, "R", parsed, base=recorded, local=recorded)
    assert plan.tombstones == ()  # row B is there, misspelt: not taken as deleted
    assert [p.key for p in plan.problems] == ["b"]


def test_other_templates_and_a_near_miss_of_another_kind() -> None:
    parsed = refs("{{Note|careful}} {{CoP}} {{Copyright}} {{#if:x|y}}",
                  "{{cop member|email=a@x.io|name=A}}")
    (problem,) = parsed.problems
    assert problem.code == "wrong_kind" and problem.params["template"] == "CoP member"
    assert problem.params["name"] == "cop member"


def test_a_template_inside_a_row_is_that_rows_problem_only() -> None:
    parsed = refs("{{CoP reference|ref=A|title=Doc {{cop watch}}}}")
    assert [p.code for p in parsed.problems] == ["template_in_value"]


# --- unknown parameters ----------------------------------------------------------------------

def test_an_unknown_parameter_is_a_warning_with_its_value_and_the_row_is_taken() -> None:
    parsed = refs("{{CoP reference|ref=A|title=Doc A|summmary=Worth keeping|empty=}}",
                  "{{CoP reference|ref=B|title=Doc B|colour=blue}}")
    read = read_page(REFS, "R", parsed)
    assert set(read.rows) == {"a", "b"}
    assert [(p.row, p.code, p.severity, dict(p.params)) for p in read.problems] == [
        (1, "misspelt_param", "warning",
         {"name": "summmary", "value": "Worth keeping", "field": "summary"}),
        (2, "unknown_param", "warning", {"name": "colour", "value": "blue"})]


def test_a_french_label_as_parameter_suggests_the_field() -> None:
    parsed = parse_rows("{{CoP watch|url=https://x.example|title=T|date=2026-01-02|"
                        "résumé=Cellules}}", WATCH, "W")
    (problem,) = read_page(WATCH, "W", parsed).problems
    assert problem.params["field"] == "summary"


# --- duplicates ------------------------------------------------------------------------------

def test_a_row_pasted_twice_is_recorded_once_and_the_copy_reported() -> None:
    line = "{{CoP reference|ref=A|title=Doc A}}"
    parsed = refs(line, line)
    plan = plan_page(REFS, "R", parsed, base={}, local={})
    assert list(plan.upserts) == ["a"]
    assert [(p.row, p.code, p.severity, dict(p.params)) for p in plan.problems] == [
        (2, "duplicate_row", "warning", {"other": "1"})]


def test_two_different_rows_with_one_key_are_still_errors() -> None:
    parsed = refs("{{CoP reference|ref=A|title=Doc A}}", "{{CoP reference|ref=A|title=Other}}")
    plan = plan_page(REFS, "R", parsed, base={}, local={})
    assert plan.upserts == {}
    assert {p.code for p in plan.problems} == {"same_key_unresolved"}


def test_a_command_change_to_a_row_pasted_twice_waits() -> None:
    line = "{{CoP member|email=a@x.io|name=Ann}}"
    parsed = parse_rows(f"{line}\n{line}\n", MEMBERS, "M")
    base = {"a@x.io": _member("a@x.io", "Ann")}
    plan = plan_page(MEMBERS, "M", parsed, base=base, local={"a@x.io": _member("a@x.io", "Bo")})
    assert plan.wiki_changes == () and "a@x.io" in plan.held_changes


# --- a problem in one field holds back only its row's key ------------------------------------

def test_a_template_in_another_field_holds_back_only_that_key() -> None:
    """The issue's case: url readable, a template in another field."""
    content = ("{{CoP watch|date=2026-01-01|title=T|url=https://x.example/1|source=x{{y}}z}}\n"
               "{{CoP watch|date=2026-01-02|title=U|url=https://x.example/2}}\n")
    parsed = parse_rows(content, WATCH, "W")
    recorded = {url: {"url": url, "title": "T", "date": "2026-01-01"}
                for url in ("https://x.example/1", "https://x.example/gone")}
    plan = plan_page(WATCH, "W", parsed, base=recorded, local=recorded)
    assert plan.tombstones == ("https://x.example/gone",) and plan.held_deletions == ()
    assert "https://x.example/1" not in plan.upserts  # its own key waits
    assert [p.key for p in plan.problems] == ["https://x.example/1"]


@pytest.mark.parametrize("row", [
    "{{CoP watch|date=2026-01-01|title=T|url=not a url|source=x{{y}}z}}",  # key may be T+date
    "{{CoP watch|date=2026-01-01|title=T|https://x.example/1}}",  # a nameless value
    "{{CoP watch|date=2026-01-01|title=T|url=https://x.example/1|summary={{CoP watch|",
])
def test_a_row_whose_key_may_be_another_still_holds_every_deletion(row: str) -> None:
    parsed = parse_rows(row + "\n", WATCH, "W")
    recorded = {"https://x.example/gone": {"url": "https://x.example/gone", "title": "G"}}
    plan = plan_page(WATCH, "W", parsed, base=recorded, local=recorded)
    assert plan.tombstones == () and plan.held_deletions == ("https://x.example/gone",)


def test_confluence_a_macro_in_another_cell_holds_back_only_that_key() -> None:
    codec = StorageCodec()
    content = codec.render_page(WATCH, _context(), [
        {"date": "2026-01-01", "title": "T", "url": "https://x.example/1"}])
    content = content.replace("<td>T</td>", '<td>T <ac:structured-macro ac:name="jira" />'
                              "</td>", 1)
    parsed = codec.parse_rows(content, WATCH, "W")
    assert [p.code for p in parsed.problems] == ["macro_in_cell"]
    assert parsed.problems[0].params == {"macro": "jira"}
    recorded = {url: {"url": url, "title": "T"}
                for url in ("https://x.example/1", "https://x.example/gone")}
    plan = plan_page(WATCH, "W", parsed, base=recorded, local=recorded)
    assert plan.tombstones == ("https://x.example/gone",)


# --- governance values typed by members ------------------------------------------------------

def _member(email: str, name: str = "Ann", role: str = "member") -> dict[str, str]:
    return {"email": email, "name": name, "profile": "", "role": role, "site": "", "since": "",
            "digest": ""}


def _members_page(*rows: dict[str, str]) -> ParsedPage:
    return ParsedPage(tuple(RawRow(i, i, r) for i, r in enumerate(rows, 1)))


@pytest.mark.parametrize("typed", ["pilot", "expert"])
def test_role_pilot_typed_by_a_member_is_not_taken(typed: str) -> None:
    base = {"a@x.io": _member("a@x.io")}
    parsed = _members_page(_member("a@x.io", role=typed))
    plan = plan_page(MEMBERS, "M", parsed, base=base, local=base, lang="fr")
    assert plan.upserts == {} and plan.wiki_changes == () and plan.conflicts == ()
    (problem,) = plan.problems
    assert (problem.code, problem.severity, problem.key, problem.row) == (
        "governed_value", "warning", "a@x.io", 1)
    assert problem.params == {"field": "Rôle", "value": typed.replace("pilot", "pilote"),
                              "records": "membre"}
    assert plan.new_base["a@x.io"]["role"] == "member"  # the next sync decides the same


def test_a_new_member_row_with_role_pilot_is_taken_as_a_member() -> None:
    plan = plan_page(MEMBERS, "M", _members_page(_member("new@x.io", role="pilot")),
                     base={}, local={})
    assert plan.upserts["new@x.io"]["role"] == "member"
    assert [p.code for p in plan.problems] == ["governed_value"]


def test_the_pilot_demoted_on_the_wiki_stays_pilot() -> None:
    base = {"p@x.io": _member("p@x.io", role="pilot")}
    plan = plan_page(MEMBERS, "M", _members_page(_member("p@x.io", role="member")),
                     base=base, local=base)
    assert plan.upserts == {} and [p.code for p in plan.problems] == ["governed_value"]


def test_a_role_named_by_command_is_still_written_to_the_wiki() -> None:
    base = {"p@x.io": _member("p@x.io")}
    local = {"p@x.io": _member("p@x.io", role="pilot")}  # cop community set --pilot
    plan = plan_page(MEMBERS, "M", _members_page(_member("p@x.io")), base=base, local=local)
    assert [(c.op, dict(c.values)) for c in plan.wiki_changes] == [("update", {"role": "pilot"})]
    assert plan.problems == ()


def test_other_member_edits_on_the_same_row_are_still_taken() -> None:
    base = {"a@x.io": _member("a@x.io")}
    parsed = _members_page(_member("a@x.io", name="Ann B", role="pilot"))
    plan = plan_page(MEMBERS, "M", parsed, base=base, local=base)
    assert plan.upserts == {"a@x.io": _member("a@x.io", name="Ann B")}


def test_a_charter_field_changed_on_the_wiki_is_a_warning_too() -> None:
    records = {"slug": "bat", "name": "Battery", "pilot": "p@x.io"}
    raw = RawRow(1, 3, {**records, "pilot": "me@x.io"})
    plan = plan_charter(CHARTER, "C", ParsedPage((raw,)), records, lang="en")
    assert plan.drift == {"pilot": ("me@x.io", "p@x.io")}
    assert [(p.code, p.severity, p.line) for p in plan.problems] == [
        ("governed_value", "warning", 3)]


# --- the texts -------------------------------------------------------------------------------

def test_every_problem_code_the_code_emits_has_a_sentence_in_every_language() -> None:
    emitted = set()
    for path in [*ROOT.glob("connector/**/*.py"), *ROOT.glob("sync/**/*.py"),
                 *ROOT.glob("page_templates/*.py")]:
        for first, other in re.findall(r'code="([a-z_]+)"(?: if [\w.]+ else "([a-z_]+)")?',
                                       path.read_text()):
            emitted |= {first, other} - {""}
    emitted |= {"wrong_kind", "governed_value", "macro_in_cell", "table_in_cell"}
    emitted.discard("invalid")
    texts = problem_texts()
    assert emitted - set(texts) == set()
    for code, by_lang in texts.items():
        assert set(LANGUAGES) <= set(by_lang), code


def test_a_problem_says_itself_in_the_community_language() -> None:
    parsed = refs("{{CoP reference|ref=A|title=Doc A}}",
                  "{{CoP watch|date=2026-01-01|title=W|url=https://w.example}}")
    (problem,) = parsed.problems
    assert problem_text(problem.code, "fr", problem.params) == (
        "Une ligne d'une autre page ({{CoP watch}}) n'est pas enregistrée ici : "
        "déplacez-la sur la page Veille.")
    assert problem_text("no_such_code", "fr", {}, "as recorded") == "as recorded"


def _context() -> PageContext:
    return PageContext(lang="en", space="BAT", values={"name": "Battery"},
                       pages={"watch": PageRef("BAT", "Watch")})


# --- through the whole sync: recorded per page, gone when fixed, exit code -----------------

@pytest.fixture
def world() -> tuple[Records, MemoryBackend]:
    records = Records.open(":memory:")
    wiki = memory_wiki()
    ready(records, {"mediawiki": wiki}, "battery")
    return records, wiki


def _edit(wiki: MemoryBackend, title: str, add: str = "", drop: str = "") -> None:
    ref = PageRef("CoP_Battery", title)
    page = wiki.page(ref)
    assert page is not None
    content = page.content.replace(drop, "") if drop else page.content
    wiki.edit(ref, content.rstrip("\n") + ("\n" + add if add else "") + "\n")


def _sync(records: Records, wiki: MemoryBackend) -> SyncReport:
    return sync(records, {"mediawiki": wiki})


def test_warnings_are_recorded_and_reported_but_exit_0(world) -> None:
    records, wiki = world
    line = "{{CoP reference|ref=A|title=Doc A|summmary=kept here}}"
    _edit(wiki, "References", f"{line}\n{line}")
    report = _sync(records, wiki)
    assert report.exit_code == 0
    assert report.counts()["row_warnings"] == 3 and report.counts()["row_problems"] == 0
    assert "3 row warnings" in report.summary_line()
    stored = records.problems("battery")
    assert sorted(p.code for p in stored) == ["duplicate_row", "misspelt_param",
                                              "misspelt_param"]
    assert {p.severity for p in stored} == {"warning"} and not records.problems(
        "battery", blocking=True)
    assert list(records.live_rows("battery", "references")) == ["a"]
    assert stored[0].params["value"] == "kept here" or stored[-1].params["value"] == "kept here"


def test_an_ignored_row_is_an_error_until_fixed_then_it_is_gone(world) -> None:
    records, wiki = world
    wrong = "{{cop reference|ref=B|title=Doc B}}"
    _edit(wiki, "References", wrong)
    first = _sync(records, wiki)
    assert first.exit_code == 1
    (problem,) = records.problems("battery")
    assert (problem.code, problem.kind, problem.params["template"]) == (
        "misspelt_template", "references", "CoP reference")
    detected = problem.detected_at
    assert _sync(records, wiki).exit_code == 1  # still open: still exit 1, first date kept
    assert records.problems("battery")[0].detected_at == detected
    _edit(wiki, "References", "{{CoP reference|ref=B|title=Doc B}}", drop=wrong)
    assert _sync(records, wiki).exit_code == 0
    assert records.problems("battery") == [] and "b" in records.live_rows("battery",
                                                                          "references")


def test_a_watch_item_on_the_references_page_names_the_watch_page(world) -> None:
    records, wiki = world
    _edit(wiki, "References", "{{CoP watch|date=2026-01-01|title=W|url=https://w.example}}")
    assert _sync(records, wiki).exit_code == 1
    (problem,) = records.problems("battery")
    assert (problem.code, problem.params["page"], problem.params["kind"]) == (
        "wrong_kind", "Watch", "watch")


def test_role_pilot_typed_on_the_members_page_is_drift_not_taken(world) -> None:
    records, wiki = world
    _edit(wiki, "Members", "{{CoP member|email=ann@x.io|name=Ann|role=pilot}}")
    report = _sync(records, wiki)
    assert report.exit_code == 0
    assert records.live_rows("battery", "members")["ann@x.io"]["role"] == "member"
    (problem,) = records.problems("battery")
    assert (problem.code, problem.key, problem.severity) == ("governed_value", "ann@x.io",
                                                             "warning")
    community = records.community("battery")
    assert community.pilot == "pia@battery.example"  # the charter is untouched
    writes = wiki.stats.writes
    _edit(wiki, "Members", "<!-- a member's comment: the page is read again -->")
    assert _sync(records, wiki).exit_code == 0  # stable: nothing taken, nothing written
    assert wiki.stats.writes == writes and len(records.problems("battery")) == 1
    assert records.live_rows("battery", "members")["ann@x.io"]["role"] == "member"
