"""Conflicts on the real MediaWiki, through the CLI: a member and the innovation manager change
the same field; cop-sync records the conflict and leaves both sides alone; cop conflicts
shows it; resolving it is applied by the next cop-sync."""

from __future__ import annotations

import json
import re

import pytest
from cop_wiki import NS, CopDir, recorded_rows
from wiki_people import admin, member

from page_templates import shipped
from sync.engine.members import record_member


def conflicting_site(cop: CopDir) -> int:
    """Karim's site: Paris on the wiki, Lyon in the records, empty at the last sync."""
    people = member(cop.wiki)
    text = people.read(f"{NS}:Members")
    line = next(x for x in text.splitlines() if "karim@corp.example" in x)
    people.save(f"{NS}:Members", text.replace(line, re.sub(r"\|site=[^|}]*", "|site=Paris",
                                                           line)))
    with cop.records() as records:  # changed by command while the wiki was away
        record_member(records, shipped(), records.community("battery"),
                      {"email": "karim@corp.example", "site": "Lyon"})
    synced = cop.sync()
    assert synced.exit_code == 1 and "conflict" in synced.output, synced.output
    [conflict] = json.loads(cop("conflicts", "battery", "--json").output)
    assert {k: conflict[k] for k in ("key", "field", "base", "wiki", "local")} == {
        "key": "karim@corp.example", "field": "site", "base": "", "wiki": "Paris",
        "local": "Lyon"}
    assert "Paris" in people.read(f"{NS}:Members")  # left as it is on both sides
    return conflict["id"]


@pytest.mark.parametrize(("keep", "site"), [("local", "Lyon"), ("wiki", "Paris")])
def test_a_settled_conflict_is_applied_by_the_next_sync(battery: CopDir, keep: str,
                                                        site: str) -> None:
    conflict_id = conflicting_site(battery)
    settled = battery("conflicts", "resolve", str(conflict_id), "--keep", keep)
    assert settled.exit_code == 0, settled.output
    synced = battery.sync("--json")
    assert synced.exit_code == 0, synced.output
    assert json.loads(synced.stdout)["counts"]["rows_pushed"] == (1 if keep == "local" else 0)
    assert recorded_rows(battery)["members"]["karim@corp.example"]["site"] == site
    line = next(x for x in member(battery.wiki).read(f"{NS}:Members").splitlines()
                if "karim@corp.example" in x)
    assert f"site={site}" in line
    assert json.loads(battery("conflicts", "--json").output) == []


def test_member_add_says_when_its_change_cannot_reach_the_wiki(battery: CopDir) -> None:
    """A member changed Karim's site on the wiki meanwhile: `cop member add` with another
    site records a conflict, leaves the page alone and exits 1 saying so."""
    people = member(battery.wiki)
    text = people.read(f"{NS}:Members")
    line = next(x for x in text.splitlines() if "karim@corp.example" in x)
    people.save(f"{NS}:Members", text.replace(line, re.sub(r"\|site=[^|}]*", "|site=Paris",
                                                           line)))
    added = battery("member", "add", "battery", "karim@corp.example", "--name", "Karim Haddad",
                    "--profile", "R&D", "--role", "expert", "--site", "Lyon")
    assert added.exit_code == 1, added.output
    assert "conflict on karim@corp.example site" in added.output
    assert "not on the wiki yet" in added.output
    assert "site=Paris" in people.read(f"{NS}:Members")


def test_member_add_right_after_a_move_says_so_and_the_next_sync_writes_it(
        battery: CopDir) -> None:
    admin(battery.wiki).move(f"{NS}:Members", f"{NS}:Current members")
    added = battery("member", "add", "battery", "mov@corp.example", "--name", "Mov",
                    "--profile", "sales")
    assert added.exit_code == 1
    assert "moved on the wiki" in added.output and "--force-delete" not in added.output
    battery.sync()
    assert "mov@corp.example" in member(battery.wiki).read(f"{NS}:Current members")
