"""Crash safety, proved with real processes killed by SIGKILL at named checkpoints
(sync/engine/checkpoints.py) against the real MediaWiki.

After each kill: the SQLite database is intact, no committed row is lost, the watermark has
not moved past a change that is not in the records; the next run converges to the same
records as a run that was never killed, with no row twice on the wiki and no page twice.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from cop_process import KILLED, run
from cop_wiki import (
    NS,
    NS_ID,
    CopDir,
    create,
    recorded_rows,
    records_digest,
    restore,
    wiki_rows,
)
from wiki_people import Person, member

from page_templates import shipped
from sync.engine.members import record_member

ANN = {"email": "ann@corp.example", "name": "Ann Lee", "profile": "marketing", "site": "Lyon",
       "role": "member"}
BOB = "{{CoP member|email=bob@corp.example|name=Bob|profile=R&D}}"
NEWS = "{{CoP watch|date=2026-02-01|title=Solid-state cells|url=https://example.com/ss}}"
PAGES = ["Charter", "Competition", "Home", "Ideas and subjects", "Members", "References",
         "Regulation", "Watch"]


@pytest.fixture(scope="module")
def saved(battery_snapshot: Path, _wiki_server: Any,
          tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The scenario on the saved community, never killed: the records every crashed run
    must converge to."""
    reference = restore(_wiki_server, battery_snapshot, tmp_path_factory.mktemp("reference"))
    scenario(reference)
    assert reference.sync().exit_code == 0
    return {"records": records_digest(reference), "rows": recorded_rows(reference)}


@pytest.fixture
def cop(saved: dict[str, Any], battery: CopDir) -> CopDir:
    return battery


def scenario(cop: CopDir) -> None:
    """Members edit two pages on the wiki; Ann is added by command while the wiki was away
    (recorded, not written yet): a sync reads two pages and writes one."""
    people = member(cop.wiki)
    people.append(f"{NS}:Members", BOB)
    people.append(f"{NS}:Watch", NEWS)
    with cop.records() as records:
        record_member(records, shipped(), records.community("battery"), ANN)


def state(cop: CopDir) -> dict[str, Any]:
    with cop.records() as records:
        return {"watermark": records.watermark("battery"), "rows": recorded_rows(cop)}


def lost(before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]]) -> list[str]:
    return [f"{kind} {key}" for kind, rows in before.items() for key in rows
            if key not in after[kind]]


def pages_in_namespace(people: Person) -> list[str]:
    answer = people.site.get("query", list="allpages", apnamespace=NS_ID, aplimit=500,
                             formatversion=2)
    return sorted(page["title"].split(":", 1)[1] for page in answer["query"]["allpages"])


def assert_converged(cop: CopDir, saved: dict[str, Any]) -> None:
    """The next run, then: the records of an uncrashed run, equal to the wiki, nothing
    twice on the wiki; and the run after that has nothing left to do."""
    recovery = cop.sync()
    assert recovery.exit_code == 0, recovery.output
    assert records_digest(cop) == saved["records"]
    assert recorded_rows(cop) == wiki_rows(cop) == saved["rows"]  # wiki_rows: no duplicate
    people = member(cop.wiki)
    assert people.read(f"{NS}:Members").count("ann@corp.example") == 1
    assert pages_in_namespace(people) == PAGES
    quiet = json.loads(cop.sync("--json").stdout)
    assert quiet["exit_code"] == 0 and quiet["counts"]["rows_pushed"] == 0
    assert quiet["counts"]["rows_upserted"] == 0


@pytest.mark.parametrize("where", ["locked", "after-wiki-write", "before-page-commit",
                                   "after-page-commit", "after-page-commit:2",
                                   "after-watermark"])
def test_cop_sync_killed_at_a_checkpoint(cop: CopDir, saved: dict[str, Any],
                                         where: str) -> None:
    scenario(cop)
    before = state(cop)
    killed = run("cop-sync", config=cop.config, COP_CRASH_AT=where,
                 COP_MEDIAWIKI_PASSWORD=cop.env["COP_MEDIAWIKI_PASSWORD"])
    assert killed.returncode == KILLED, (killed.stdout, killed.stderr)
    assert cop.integrity() == "ok"
    after = state(cop)
    assert lost(before["rows"], after["rows"]) == []
    if after["watermark"] != before["watermark"]:  # moved: then nothing before it is missing
        assert where == "after-watermark"
        assert "bob@corp.example" in after["rows"]["members"]
        assert "https://example.com/ss" in after["rows"]["watch"]
    assert_converged(cop, saved)


@pytest.mark.parametrize("where", ["after-wiki-write", "before-page-commit"])
def test_cop_member_add_killed_between_the_wiki_and_the_records(cop: CopDir, saved: dict,
                                                                where: str) -> None:
    people = member(cop.wiki)
    people.append(f"{NS}:Members", BOB)
    people.append(f"{NS}:Watch", NEWS)
    killed = run("cop", "member", "add", "battery", ANN["email"], "--name", ANN["name"],
                 "--profile", ANN["profile"], "--site", ANN["site"], config=cop.config,
                 COP_CRASH_AT=where, COP_MEDIAWIKI_PASSWORD=cop.env["COP_MEDIAWIKI_PASSWORD"])
    assert killed.returncode == KILLED, (killed.stdout, killed.stderr)
    assert cop.integrity() == "ok"
    assert "ann@corp.example" in recorded_rows(cop)["members"]  # committed before the write
    assert people.read(f"{NS}:Members").count("ann@corp.example") == 1  # and written once
    edits = people.edit_count()
    assert_converged(cop, saved)
    assert people.edit_count() == edits  # the recovery wrote nothing: it was there already


@pytest.mark.parametrize(("where", "k"), [("after-page-saved", 3), ("after-page-saved", 12),
                                         ("after-page-create", 13)])
def test_provisioning_killed_after_k_pages_creates_only_the_rest(wiki: Any, tmp_path: Path,
                                                                 where: str, k: int) -> None:
    """20 pages: the ten row templates (six, the seminar page's two since issue 6, the
    Ideas page's since issue 16, the Watch page's sources since issue 15), the "Add"
    buttons' preload template and the notice's template (issue 11), then the community's
    eight pages. Killed after the last shared template (12) and after creating Home, the
    first community page (13)."""
    cop = create(tmp_path / "cop", wiki, provision=False)
    people = member(wiki)
    start = people.edit_count()  # the wiki's own main page
    killed = run("cop", "provision", "battery", config=cop.config, COP_CRASH_AT=f"{where}:{k}",
                 COP_MEDIAWIKI_PASSWORD=cop.env["COP_MEDIAWIKI_PASSWORD"])
    assert killed.returncode == KILLED, (killed.stdout, killed.stderr)
    assert cop.integrity() == "ok"
    assert people.edit_count() - start == k
    again = cop("provision", "battery")
    assert again.exit_code == 0, again.output
    lines = again.output.splitlines()
    assert sum(line.startswith("+ create") for line in lines) == 20 - k
    adopted = [line for line in lines if line.startswith("? adopt")]
    assert len(adopted) == (1 if where == "after-page-create" else 0)
    assert people.edit_count() - start == 20  # every page written exactly once
    assert pages_in_namespace(people) == PAGES
    assert cop.sync().exit_code == 0
    assert set(recorded_rows(cop)["members"]) == {"claire@corp.example", "karim@corp.example"}
    assert "wrote 0 page(s)" in cop("provision", "battery").output
