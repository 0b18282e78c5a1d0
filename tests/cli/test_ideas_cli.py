"""`cop idea list|link`, `cop export --kind ideas` and the funnel in `cop health` and
`cop report`, without a wiki (issue 16): the subjects are in the records as a sync would
have left them; the round trip with a wiki is in tests/integration."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from sync.records.store import Records

SUBJECTS = {
    "fast charging": {"title": "Fast charging", "status": "proposed", "owner": "Léa",
                      "need": "Fleets", "tags": "charging"},
    "cold start": {"title": "Cold start", "status": "idea", "need": "Northern customers"},
    "recycling": {"title": "Recycling", "status": "dropped", "reason": "No market"},
}


@pytest.fixture
def ready(run, tmp_path: Path):
    assert run("init", "--mediawiki-url", "http://127.0.0.1:9/").exit_code == 0
    result = run("community", "add", "battery", "--name", "Battery storage", "--theme",
                 "Energy", "--pilot", "pia@corp.example", "--expert", "eli@corp.example",
                 "--lang", "en")
    assert result.exit_code == 0, result.output
    records = Records.open(tmp_path / "cop.db", create=False)
    try:
        for key, values in SUBJECTS.items():
            records.upsert_entry("battery", "ideas", key, values, origin="wiki",
                                 now="2026-11-02T08:00:00Z")
            records.record_status_changes("battery", "ideas", [(key, "", values["status"])],
                                          at="2026-11-02T08:00:00Z", by="wiki")
    finally:
        records.close()
    return run


def test_idea_list_and_the_hand_over(ready) -> None:
    listed = ready("idea", "list", "battery")
    assert listed.exit_code == 0, listed.output
    # titles as written, not the keys
    assert "Fast charging" in listed.output and "Recycling" in listed.output
    waiting = ready("idea", "list", "--handover")
    assert waiting.exit_code == 0
    assert "Fast charging" in waiting.output and "Cold start" not in waiting.output
    data = json.loads(ready("idea", "list", "--handover", "--json").output)
    assert [(s["key"], s["status_since"], s["owner"]) for s in data["subjects"]] == [
        ("fast charging", "2026-11-02T08:00:00Z", "Léa")]


def test_idea_link_records_the_code_once_and_says_where_the_page_stands(
        ready, tmp_path: Path) -> None:
    linked = ready("idea", "link", "battery", "Fast Charging", "--project", "INNO-7")
    assert linked.exit_code == 0, linked.output
    assert "'Fast charging' of battery: project INNO-7, launched (was proposed)" in \
        linked.output
    assert "the Ideas page is not on the wiki" in linked.output  # not provisioned yet
    again = ready("idea", "link", "battery", "fast charging", "--project", "INNO-7")
    assert again.exit_code == 0 and "already linked to project INNO-7" in again.output
    records = Records.open(tmp_path / "cop.db", create=False)
    try:
        row = records.live_rows("battery", "ideas")["fast charging"]
        assert (row["project"], row["status"]) == ("INNO-7", "launched")
        assert [(c.previous, c.status, c.by) for c in
                records.status_changes("battery", "ideas") if c.key == "fast charging"] == [
            ("", "proposed", "wiki"), ("proposed", "launched", "cop idea link")]
    finally:
        records.close()
    assert ready("idea", "list", "--handover").output.strip() == \
        "no subject waits for a project code"


@pytest.mark.parametrize(("args", "message"), [
    (("battery", "Nothing", "--project", "X"), "no subject 'Nothing'"),
    (("battery", "Recycling", "--project", "X"), "is dropped"),
    (("battery", "Cold start", "--project", "  "), "--project: is required"),
    (("nowhere", "Cold start", "--project", "X"), "no community 'nowhere'"),
])
def test_idea_link_refuses_with_exit_2(ready, args: tuple[str, ...], message: str) -> None:
    refused = ready("idea", "link", *args)
    assert refused.exit_code == 2 and message in refused.output, refused.output


def test_export_kind_ideas_as_csv_and_json(ready) -> None:
    text = ready("export", "--kind", "ideas", "--format", "csv").output
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["key"], r["status"], r["community_name"]) for r in rows] == [
        ("cold start", "idea", "Battery storage"), ("fast charging", "proposed",
                                                    "Battery storage"),
        ("recycling", "dropped", "Battery storage")]
    assert rows[2]["reason"] == "No market" and rows[0]["status_since"]
    data = json.loads(ready("export", "battery", "--kind", "ideas").output)
    assert [s["key"] for s in data["subjects"]] == ["cold start", "fast charging",
                                                    "recycling"]
    assert data["subjects"][1]["history"] == [{"status": "proposed",
                                               "since": "2026-11-02T08:00:00Z"}]


def test_the_funnel_in_health_and_the_report(ready) -> None:
    shown = ready("health", "battery", "--no-wiki", "--since", "2026-10-01")
    assert shown.exit_code == 0, shown.output
    assert "ideas: idea 1, studied 0, proposed 1, launched 0, dropped 1; raised in the " \
        "period 3, waiting for a project code 1" in shown.output
    data = json.loads(ready("report", "battery", "--no-wiki", "--since", "2026-10-01",
                            "--format", "json").output)
    funnel = data["communities"][0]["funnel"]
    assert [s["count"] for s in funnel["stages"]] == [1, 0, 1, 0, 1]
    assert funnel["handover"][0]["title"] == "Fast charging"
    digest = ready("report", "battery", "--no-wiki", "--since", "2026-10-01").output
    assert "## Ideas and subjects" in digest and "Recycling — No market" in digest
