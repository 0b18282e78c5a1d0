"""cop conflicts [SLUG] [--json] and cop conflicts resolve ID --keep wiki|local (no wiki:
the conflict is recorded the way a sync records it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from connector.base import PageRef
from sync.cli import _cop
from sync.records.model import Conflict, PageState
from sync.records.store import Records

ANN = {"email": "ann@corp.example", "name": "Ann", "profile": "marketing", "role": "member",
       "site": "Lyon", "since": "2026-01-01"}


@pytest.fixture
def cop(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("COP_CONFIG", raising=False)
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(_cop, list(args), catch_exceptions=False)
    assert invoke("init", "--mediawiki-url", "http://127.0.0.1:9/").exit_code == 0
    assert invoke("community", "add", "battery", "--name", "Battery", "--theme", "Energy",
                  "--pilot", "pia@corp.example", "--expert", "eli@corp.example").exit_code == 0
    return invoke


@pytest.fixture
def conflict_id(cop, tmp_path: Path) -> int:
    """Ann's site: Paris on the wiki, Lyon in the records, Nice at the last sync."""
    records = Records.open(tmp_path / "cop.db")
    records.upsert_entry("battery", "members", "ann@corp.example", ANN, origin="command",
                         now="2026-01-02T00:00:00Z")
    records.save_page_state(PageState("battery", "members", PageRef("CoP_Battery", "Members"),
                                      revision="7", base={"ann@corp.example":
                                                          {**ANN, "site": "Nice"}}))
    records.record_conflicts([Conflict("battery", "members", "ann@corp.example", "site",
                                       "Nice", "Paris", "Lyon")], "2026-01-03T00:00:00Z")
    [conflict] = records.conflicts()
    records.close()
    assert conflict.id is not None
    return conflict.id


def test_no_conflicts(cop) -> None:
    result = cop("conflicts")
    assert result.exit_code == 0 and "no open conflicts" in result.output
    assert json.loads(cop("conflicts", "--json").output) == []


def test_list_shows_both_values_and_the_base(cop, conflict_id: int) -> None:
    text = cop("conflicts").output
    assert "Paris" in text and "Lyon" in text and "Nice" in text and "site" in text
    assert "cop conflicts resolve ID --keep wiki|local" in text
    [shown] = json.loads(cop("conflicts", "battery", "--json").output)
    assert shown == {"id": conflict_id, "community": "battery", "kind": "members",
                     "key": "ann@corp.example", "field": "site", "base": "Nice",
                     "wiki": "Paris", "local": "Lyon", "detected_at": "2026-01-03T00:00:00Z"}
    assert f"conflict {conflict_id}:" in cop("status", "battery").output


def test_unknown_community_is_exit_2(cop) -> None:
    result = cop("conflicts", "nope")
    assert result.exit_code == 2 and "nope" in result.output


def test_resolve_keep_wiki(cop, conflict_id: int, tmp_path: Path) -> None:
    result = cop("conflicts", "resolve", str(conflict_id), "--keep", "wiki")
    assert result.exit_code == 0, result.output
    assert "'Paris'" in result.output
    records = Records.open(tmp_path / "cop.db")
    assert records.live_rows("battery", "members")["ann@corp.example"]["site"] == "Paris"
    assert records.conflicts() == []
    [settled] = records.conflicts(include_resolved=True)
    assert settled.resolution == "kept wiki" and settled.resolved_at
    assert json.loads(cop("conflicts", "--json").output) == []


def test_resolve_keep_local(cop, conflict_id: int, tmp_path: Path) -> None:
    result = cop("conflicts", "resolve", str(conflict_id), "--keep", "local")
    assert result.exit_code == 0 and "next cop-sync writes 'Lyon'" in result.output
    records = Records.open(tmp_path / "cop.db")
    assert records.live_rows("battery", "members")["ann@corp.example"]["site"] == "Lyon"
    assert records.page_state("battery", "members").base["ann@corp.example"]["site"] == "Paris"
    status = json.loads(cop("status", "battery", "--json").output)["communities"][0]
    assert status["pending_member_changes"] is True


def test_resolve_errors(cop, conflict_id: int) -> None:
    assert cop("conflicts", "resolve", "999", "--keep", "wiki").exit_code == 2
    assert cop("conflicts", "resolve", str(conflict_id)).exit_code == 2  # --keep required
    assert cop("conflicts", "resolve", str(conflict_id), "--keep", "both").exit_code == 2
    assert cop("conflicts", "resolve", str(conflict_id), "--keep", "wiki").exit_code == 0
    again = cop("conflicts", "resolve", str(conflict_id), "--keep", "local")
    assert again.exit_code == 2 and "already settled" in again.output
