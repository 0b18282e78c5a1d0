"""Regressions found by the members' acceptance test (qa1), on the real MediaWiki through the
CLI, the tester's steps: a page deleted then recreated, a duplicate row inserted above an
established one, `cop member add` beside an unreadable row, a row deleted beside a problem
row. (The engine's side of each: tests/unit/test_sync_regressions.py.)"""

from __future__ import annotations

import json

from cop_wiki import NS, CopDir, recorded_rows
from wiki_people import admin, member

MARKER = "== Member list =="  # the rows heading: a row added right under it comes first
JULIE = ("{{CoP member|email=julie.roux@corp.example|name=Julie Roux|profile=marketing"
         "|role=member|site=Nice|since=2026-11-28}}")


def counts(result) -> dict[str, int]:
    return json.loads(result.stdout)["counts"]


def status(cop: CopDir) -> dict:
    return json.loads(cop("status", "battery", "--json").output)["communities"][0]


def rows_text(cop: CopDir, title: str) -> str:
    """The page's rows (its notice of entries to fix left out: it quotes their keys)."""
    text = member(cop.wiki).read(f"{NS}:{title}")
    return text.split("\n}}\n\n", 1)[1] if text.startswith("{{CoP notice") else text


def line_of(cop: CopDir, title: str, needle: str) -> str:
    return next(x for x in rows_text(cop, title).splitlines() if needle in x)


def test_a_page_deleted_then_recreated_by_provision_stays_alive(battery: CopDir) -> None:
    """qa1 #1: the deletion still in the overlap window no longer wins over the page
    `cop provision` recreated, nor over a member's later row."""
    people = member(battery.wiki)
    people.append(f"{NS}:Competition",
                  "{{CoP competitor|competitor=Acme|offer=X|updated=2026-10-01}}")
    assert battery.sync().exit_code == 0
    admin(battery.wiki).delete(f"{NS}:Competition")
    deleted = battery.sync()
    assert deleted.exit_code == 0 and "Competition: deleted on the wiki" in deleted.output
    assert recorded_rows(battery)["competition"] == {}
    recreated = battery("provision", "battery")
    assert recreated.exit_code == 0 and "+ create  CoP Battery:Competition" in recreated.output

    after = battery.sync()  # within overlap_seconds of the deletion
    assert after.exit_code == 0, after.output
    assert "deleted" not in after.output, after.output
    assert list(recorded_rows(battery)["competition"]) == ["acme|x"]
    pages = {p["kind"]: p["state"] for p in status(battery)["pages"]}
    assert pages["competition"] == "ok"

    people.append(f"{NS}:Competition",
                  "{{CoP competitor|competitor=Beta|offer=Y|updated=2026-10-05}}")
    assert counts(battery.sync("--json"))["rows_upserted"] == 1
    admin(battery.wiki).delete(f"{NS}:Regulation")  # another page: a run in the window
    for _ in range(2):
        again = battery.sync()
        assert "Competition" not in again.output, again.output
        assert sorted(recorded_rows(battery)["competition"]) == ["acme|x", "beta|y"]
    assert status(battery)["rows"]["competition"] == 2
    full = battery.sync("--full", "--json")
    assert full.exit_code == 0 and counts(full)["rows_tombstoned"] == 0
    assert sorted(recorded_rows(battery)["competition"]) == ["acme|x", "beta|y"]


def test_a_duplicate_inserted_above_never_replaces_the_established_row(
        battery: CopDir) -> None:
    """qa1 #2: a copy of Julie's row inserted above her row is the duplicate; her recorded
    fields stay; a command's change to her waits until the copy is removed."""
    people = member(battery.wiki)
    people.append(f"{NS}:Members", JULIE)
    assert battery.sync().exit_code == 0
    julie = recorded_rows(battery)["members"]["julie.roux@corp.example"]
    assert (julie["site"], julie["since"]) == ("Nice", "2026-11-28")

    copy = "{{CoP member|email=julie.roux@corp.example|name=J. Roux (copy)}}"
    text = people.read(f"{NS}:Members")
    people.save(f"{NS}:Members", text.replace(MARKER, MARKER + "\n" + copy))
    synced = battery.sync()
    assert synced.exit_code == 1
    [problem] = status(battery)["problems"]
    assert (problem["row"], problem["field"]) == (1, "email")
    assert "same key as row 4" in problem["message"]
    assert "the row already recorded; this row is ignored" in problem["message"]
    assert recorded_rows(battery)["members"]["julie.roux@corp.example"] == julie

    added = battery("member", "add", "battery", "julie.roux@corp.example", "--name",
                    "Julie Roux", "--profile", "marketing", "--site", "Annecy")
    assert "julie.roux@corp.example updated" in added.output, added.output
    assert rows_text(battery, "Members").count("julie.roux@corp.example") == 2
    assert line_of(battery, "Members", "site=Nice") == JULIE  # neither row rewritten
    assert line_of(battery, "Members", "(copy)") == copy
    recorded = recorded_rows(battery)["members"]["julie.roux@corp.example"]
    assert recorded == {**julie, "site": "Annecy"}  # since and the rest kept
    held = battery.sync()
    assert "1 member change(s) held back (julie.roux@corp.example: rows 1 and 4 have the " \
           "same key)" in held.output, held.output

    people.save(f"{NS}:Members", people.read(f"{NS}:Members").replace(copy + "\n", ""))
    written = battery.sync("--json")
    assert written.exit_code == 0 and counts(written)["rows_pushed"] == 1
    line = line_of(battery, "Members", "julie.roux@corp.example")
    assert "site=Annecy" in line and "since=2026-11-28" in line
    assert not status(battery)["pending_member_changes"]


def test_member_add_is_written_beside_an_unreadable_row(battery: CopDir) -> None:
    """qa1 #3: a profile typo in Bob's row no longer keeps `cop member add` off the page;
    a change to Bob himself waits, and cop-sync says why."""
    people = member(battery.wiki)
    people.append(f"{NS}:Members", "{{CoP member|email=bob@corp.example|name=Bob"
                                   "|profile=rnd|role=member}}")
    assert battery.sync().exit_code == 1
    added = battery("member", "add", "battery", "inj@corp.example", "--name", "Inès J",
                    "--profile", "marketing")
    assert "1 change(s) written" in added.output, added.output
    assert "inj@corp.example" in people.read(f"{NS}:Members")
    assert not status(battery)["pending_member_changes"]

    battery("member", "add", "battery", "bob@corp.example", "--name", "Bob",
            "--profile", "R&D")  # Bob's own row cannot be read: this one waits
    assert status(battery)["pending_member_changes"]
    held = battery.sync()
    assert "1 member change(s) held back (bob@corp.example: row" in held.output, held.output
    assert "profile=rnd" in line_of(battery, "Members", "bob@corp.example")


def test_a_row_deleted_beside_a_problem_row_is_tombstoned(battery: CopDir) -> None:
    """qa1 #4: a bad date (the url still identifies the row) or a duplicate no longer
    block every deletion on the page; a row whose key cannot be read does, and says so."""
    people = member(battery.wiki)
    people.append(f"{NS}:Watch",
                  "{{CoP watch|date=2026-01-01|title=Reordered params|url=https://ex.com/1}}",
                  "{{CoP watch|date=2026-01-02|title=Stays|url=https://ex.com/2}}")
    assert battery.sync().exit_code == 0
    text = people.read(f"{NS}:Watch").replace(
        "{{CoP watch|date=2026-01-01|title=Reordered params|url=https://ex.com/1}}",
        "{{CoP watch|date=22/01/2026|title=Bad date slash|url=https://ex.com/22}}\n"
        "{{CoP watch|date=2026-01-02|title=Stays again|url=https://ex.com/2}}")
    people.save(f"{NS}:Watch", text)
    result = battery.sync("--json")
    assert result.exit_code == 1 and counts(result)["rows_tombstoned"] == 1
    assert sorted(recorded_rows(battery)["watch"]) == ["https://ex.com/2"]
    exported = json.loads(battery("export", "battery", "--kind", "watch").output)
    assert [w["url"] for w in exported["communities"][0]["watch"]] == ["https://ex.com/2"]

    people.append(f"{NS}:Watch", "{{CoP watch|title=Neither url nor date}}")
    people.save(f"{NS}:Watch", people.read(f"{NS}:Watch").replace(
        "{{CoP watch|date=2026-01-02|title=Stays|url=https://ex.com/2}}\n", "").replace(
        "{{CoP watch|date=2026-01-02|title=Stays again|url=https://ex.com/2}}\n", ""))
    held = battery.sync()
    assert "1 deletion(s) held back: the page has rows whose key cannot be read" in \
        held.output, held.output
    assert "https://ex.com/2" in recorded_rows(battery)["watch"]
