"""The Ideas page on the real MediaWiki (issue 16), through the CLI: a plain member writes a
subject with `{{CoP idea}}`, naming a reference of the space; cop-sync records it, the
hand-over lists it; `cop idea link` writes the project code back to the row (the member's
other parameters untouched), the next sync and a second link write nothing. A name that
finds nothing is a warning the page's row shows. And `cop provision --upgrade` adding the
Ideas page to a space made before it: the page, its row template and the home page's list of
pages, nothing else, nothing on a second run."""

from __future__ import annotations

import json
from typing import Any

from cop_wiki import NS, CopDir, create
from wiki_people import Person, member

from page_templates import TemplateSet, shipped
from page_templates.profiles import shipped_profiles, with_profiles
from sync.provision.run import Provisioner

IDEAS = f"{NS}:Ideas and subjects"
ROW = ("{{CoP idea|title=Fast charging|need=Fleet operators want 1 h charging|"
       "capability=Our cell tests|links=IEC 62660|tags=fast charging|owner=Léa Martin|"
       "origin=a customer visit|status=proposed}}")


def ok(cop: CopDir, *args: str) -> Any:
    result = cop(*args)
    assert result.exit_code == 0, result.output
    return result


def add_row(person: Person, row: str) -> None:
    """The member adds a row at the end of the page, under the list, as the page's help
    says to with the source editor (pages carry no markers)."""
    source = person.read(IDEAS)
    assert "<!--" not in source, source
    person.save(IDEAS, f"{source.rstrip()}\n{row}\n")


def test_the_hand_over_round_trip_on_mediawiki(battery: CopDir) -> None:
    person = member(battery.wiki)
    assert person.exists(IDEAS) and person.exists("Template:CoP idea")
    add_row(person, ROW)
    synced = battery.sync()
    assert synced.exit_code == 0, synced.output
    with battery.records() as records:
        assert records.problems("battery") == []  # "IEC 62660" names the space's reference
    waiting = json.loads(ok(battery, "idea", "list", "--handover", "--json").output)
    [subject] = waiting["subjects"]
    assert (subject["key"], subject["linked"][0]["kind"]) == ("fast charging", "references")

    edits = person.edit_count()
    linked = ok(battery, "idea", "link", "battery", "Fast charging", "--project", "INNO-42")
    assert "1 change(s) written" in linked.output
    assert person.edit_count() == edits + 1
    source = person.read(IDEAS)
    [row] = [line for line in source.splitlines() if line.startswith("{{CoP idea|")]
    assert row == ROW.replace("status=proposed", "status=launched")[:-2] + "|project=INNO-42}}"
    shown = person.parse(IDEAS)["text"]
    assert "INNO-42" in shown and "Fast charging" in shown

    synced = battery.sync()
    assert synced.exit_code == 0 and person.edit_count() == edits + 1  # clean: no write
    again = ok(battery, "idea", "link", "battery", "fast charging", "--project", "INNO-42")
    assert "already linked" in again.output and person.edit_count() == edits + 1
    assert ok(battery, "idea", "list", "--handover").output.strip() == \
        "no subject waits for a project code"
    with battery.records() as records:
        changes = [(c.previous, c.status, c.by) for c in records.status_changes("battery")]
    assert changes == [("", "proposed", "wiki"), ("proposed", "launched", "cop idea link")]


def test_a_name_that_finds_nothing_is_a_warning_on_the_row(battery: CopDir) -> None:
    person = member(battery.wiki)
    add_row(person, "{{CoP idea|title=Cold start|links=IEC 99999|status=idée}}")
    synced = battery.sync()
    assert synced.exit_code == 0, synced.output  # a warning: recorded all the same
    with battery.records() as records:
        [problem] = records.problems("battery")
        assert (problem.code, problem.severity, problem.field, problem.key) == (
            "unknown_entry", "warning", "links", "cold start")
        assert "cold start" in records.live_rows("battery", "ideas")
    status = ok(battery, "status", "battery").output
    assert "IEC 99999" in status


def test_upgrade_adds_the_ideas_page_to_a_space_made_before_it(wiki: Any, tmp_path) -> None:
    cop = create(tmp_path / "cop", wiki, provision=False)
    old = with_profiles(TemplateSet(tuple(k for k in shipped().kinds if k.kind != "ideas"),
                                    shipped().languages, "old"), shipped_profiles())
    with cop.records() as records:  # as a cop-connector without the Ideas page made it
        report = Provisioner(records, cop.backend(), old).run(records.communities(),
                                                              dry_run=False)
        assert report.exit_code == 0, report.failed
    assert cop.sync().exit_code == 0
    person = member(wiki)
    assert not person.exists(IDEAS)
    before = {title: person.read(title) for title in (
        f"{NS}:Charter", f"{NS}:Members", f"{NS}:Watch", f"{NS}:References",
        f"{NS}:Regulation", f"{NS}:Competition", "Template:CoP member")}
    edits = person.edit_count()

    planned = ok(cop, "provision", "--upgrade", "battery", "--dry-run").output
    assert person.edit_count() == edits and "Ideas and subjects" in planned
    done = ok(cop, "provision", "--upgrade", "battery").output
    assert person.edit_count() == edits + 3, done  # the page, its template, the home page
    assert person.exists(IDEAS) and person.exists("Template:CoP idea")
    assert "[[CoP Battery:Ideas and subjects|Ideas and subjects]]" in person.read(
        f"{NS}:Home")
    assert {title: person.read(title) for title in before} == before

    ok(cop, "provision", "--upgrade", "battery")
    assert cop.sync().exit_code == 0
    assert person.edit_count() == edits + 3  # a second run, and the sync, write nothing
