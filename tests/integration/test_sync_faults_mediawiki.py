"""Faults at the sync level on the real MediaWiki: what cop-sync and cop member add do when
the wiki lags, refuses writes, drops a write's answer, keeps changing under a write, or makes
every retry wait — and that the next run converges without a double write.

Faults the real server cannot make on demand go through tests/integration/wiki_proxy.py
(the requests really reach the wiki unless the fault says otherwise); ``$wgReadOnly`` and
edit conflicts are the real wiki's own.
"""

from __future__ import annotations

import email.utils
import json
import re
import time
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from cop_wiki import NS, CopDir, recorded_rows
from wiki_people import member
from wiki_proxy import api_error, is_edit, is_get, proxied

from connector.base import RemotePage, WrittenPage
from connector.mediawiki.backend import MediaWikiBackend
from page_templates import shipped
from sync.engine.members import record_member
from sync.engine.run import Syncer, SyncOptions

NEWS = "{{CoP watch|date=2026-02-01|title=Solid-state cells|url=https://example.com/ss}}"
ANN = ["ann@corp.example", "--name", "Ann Lee", "--profile", "marketing"]


def watermark(cop: CopDir) -> str | None:
    with cop.records() as records:
        return records.watermark("battery")


def pending(cop: CopDir) -> bool:
    status = json.loads(cop("status", "battery", "--json").output)
    return status["communities"][0]["pending_member_changes"]


def test_maxlag_is_waited_out_and_the_sync_goes_on(battery: CopDir) -> None:
    member(battery.wiki).append(f"{NS}:Watch", NEWS)
    lagged = (200, [("Content-Type", "application/json"), ("Retry-After", "0"),
                    ("X-Database-Lag", "6")], api_error("maxlag", "Waiting: 6 seconds lagged"))
    with proxied(battery.wiki.url) as proxy:
        proxy.fail(is_get, answer=lagged, times=2)
        result = battery.sync()
    assert result.exit_code == 0, result.output
    assert all(fault.times == 0 for fault in proxy.faults)  # both lagged answers were served
    assert "https://example.com/ss" in recorded_rows(battery)["watch"]


RETRY_LATER = {
    "maxlag": (200, [("Content-Type", "application/json"), ("Retry-After", "30"),
                     ("X-Database-Lag", "30")], api_error("maxlag", "Waiting: 30 s lagged")),
    "503": (503, [("Retry-After", "30")], b""),
    "429 with an HTTP date": (429, [("Retry-After", "")], b""),
}


@pytest.mark.parametrize("fault", sorted(RETRY_LATER))
def test_every_retry_counts_against_the_run_budget(battery: CopDir, fault: str) -> None:
    """A wiki that keeps asking to come back later: with budget_seconds = 2 the run stops
    at once instead of waiting, exits 1 and leaves the watermark; the next run syncs."""
    config = battery.config.read_text()
    battery.config.write_text(config.replace("budget_seconds = 600", "budget_seconds = 2"))
    member(battery.wiki).append(f"{NS}:Watch", NEWS)
    before = watermark(battery)
    status, headers, body = RETRY_LATER[fault]
    if fault.startswith("429"):
        headers = [("Retry-After", email.utils.formatdate(time.time() + 30, usegmt=True))]
    started = time.monotonic()
    with proxied(battery.wiki.url) as proxy:
        proxy.fail(is_get, answer=(status, headers, body), times=None)
        result = battery.sync()
    assert time.monotonic() - started < 5
    assert result.exit_code == 1 and "time budget" in result.output, result.output
    assert watermark(battery) == before
    assert battery.sync().exit_code == 0
    assert "https://example.com/ss" in recorded_rows(battery)["watch"]


def test_a_dropped_connection_on_reads_leaves_the_watermark(battery: CopDir) -> None:
    member(battery.wiki).append(f"{NS}:Watch", NEWS)
    before = watermark(battery)
    with proxied(battery.wiki.url) as proxy:
        proxy.fail(is_get, error=requests.ConnectionError("connection reset by peer"),
                   times=None)
        result = battery.sync()
    assert result.exit_code == 1 and "did not answer" in result.output
    assert watermark(battery) == before
    assert battery.sync().exit_code == 0
    assert "https://example.com/ss" in recorded_rows(battery)["watch"]


@pytest.mark.parametrize("landed", [True, False])
def test_a_write_timeout_is_re_read_never_replayed_blindly(battery: CopDir,
                                                          landed: bool) -> None:
    with proxied(battery.wiki.url) as proxy:
        proxy.fail(is_edit, error=requests.ReadTimeout("read timed out"), landed=landed)
        result = battery("member", "add", "battery", *ANN)
    assert result.exit_code == 0, result.output
    # landed: found saved on the re-read, not sent again; lost: sent once more. Either way
    # exactly one edit reached the wiki.
    assert proxy.edits() == 1 and proxy.edits(attempted=True) == (1 if landed else 2)
    assert member(battery.wiki).read(f"{NS}:Members").count("ann@corp.example") == 1
    assert not pending(battery)
    edits = member(battery.wiki).edit_count()
    assert battery.sync().exit_code == 0 and member(battery.wiki).edit_count() == edits


def test_a_read_only_wiki_keeps_the_change_pending_until_it_is_writable(
        battery: CopDir) -> None:
    battery.wiki.add_php("readonly", "$wgReadOnly = 'Upgrade in progress';")
    result = battery("member", "add", "battery", *ANN)
    assert result.exit_code == 1 and "read-only" in result.output
    assert "cop-sync writes it" in result.output
    assert "ann@corp.example" in recorded_rows(battery)["members"]
    before = watermark(battery)
    synced = battery.sync()
    assert synced.exit_code == 1 and "read-only" in synced.output
    assert watermark(battery) == before and pending(battery)
    for extra in (battery.wiki.directory / "extra").glob("readonly-*.php"):
        extra.unlink()
    assert battery.sync().exit_code == 0 and not pending(battery)
    assert member(battery.wiki).read(f"{NS}:Members").count("ann@corp.example") == 1


@dataclass
class RacingMember:
    """The real adapter, with a member saving the page just before each of its writes:
    on the last member's line (where a new row goes, so MediaWiki cannot merge the two
    edits: a real editconflict), or near the page's start, far from the list that ends the
    page (MediaWiki merges them silently)."""

    inner: MediaWikiBackend
    wiki: Any
    same_lines: bool
    races: int = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def update_page(self, base: RemotePage, content: str, *, summary: str,
                    minor: bool = False) -> WrittenPage:
        self.races += 1
        people = member(self.wiki)
        text = people.read(str(base.ref))
        if self.same_lines:
            last = [line for line in text.splitlines() if line.startswith("{{CoP member")][-1]
            text = text.replace(last, re.sub(r"\|site=[^|}]*", f"|site=Site {self.races}",
                                             last))
        else:
            first, rest = text.split("\n", 1)
            text = f"{first}\n<!-- a member was here ({self.races}) -->\n{rest}"
        people.save(str(base.ref), text)
        return self.inner.update_page(base, content, summary=summary)


def sync_with(battery: CopDir, racing: RacingMember) -> Any:
    with battery.records() as records:
        record_member(records, shipped(), records.community("battery"),
                      {"email": "ann@corp.example", "name": "Ann Lee"})
        return Syncer(records, {"mediawiki": racing}, shipped()).run(SyncOptions())


def test_edit_conflict_twice_is_a_page_error_and_the_change_stays_pending(
        battery: CopDir) -> None:
    before = watermark(battery)
    racing = RacingMember(battery.backend(), battery.wiki, same_lines=True)
    report = sync_with(battery, racing)
    assert report.exit_code == 1 and racing.races == 2  # re-read, re-applied once
    [page] = report.pages
    assert "changed on the wiki" in page.error and "pending" in page.error
    assert watermark(battery) == before and pending(battery)
    text = member(battery.wiki).read(f"{NS}:Members")
    assert "ann@corp.example" not in text and "Site 2" in text
    assert battery.sync().exit_code == 0 and not pending(battery)
    text = member(battery.wiki).read(f"{NS}:Members")
    assert text.count("ann@corp.example") == 1 and "Site 2" in text
    assert recorded_rows(battery)["members"]["karim@corp.example"]["site"] == "Site 2"


def test_a_stale_write_mediawiki_merged_is_re_read_and_found_saved(battery: CopDir) -> None:
    racing = RacingMember(battery.backend(), battery.wiki, same_lines=False)
    report = sync_with(battery, racing)
    assert report.exit_code == 0 and racing.races == 1  # reported as a conflict, re-read:
    text = member(battery.wiki).read(f"{NS}:Members")  # saved already, nothing rewritten
    assert text.count("ann@corp.example") == 1 and "a member was here (1)" in text
    assert not pending(battery)


def test_the_members_page_is_read_at_most_twice_per_write(battery: CopDir) -> None:
    """No blind loop: one read, one write (plus one re-read and one write on a conflict)."""
    with proxied(battery.wiki.url) as proxy:
        assert battery("member", "add", "battery", *ANN).exit_code == 0
    reads = [p for p in proxy.forwarded if p.get("prop") == "revisions"]
    assert len(reads) == 1 and proxy.edits() == 1
