"""The charter's block removed or broken by a member: governance values changed by command
are never silently lost. A block that is gone is added again with the records' values (on
MediaWiki the ``{{CoP charter}}`` call, on Confluence the Page Properties macro); a block
that cannot be read and cannot be replaced without making two is reported as drift."""

from __future__ import annotations

import pytest
from memory_world import T, memory_wiki, ready, sync
from msgspec.structs import replace

from connector.base import PageRef, RemotePage
from connector.confluence.storage import StorageCodec
from connector.mediawiki.wikitext import WikitextCodec
from sync.engine.charter_plan import plan_charter
from sync.provision.plan import charter_line
from sync.provision.run import CharterUnwritable, Provisioner
from sync.records.model import Community, PageState
from sync.records.store import Records

CHARTER = T["charter"]
BATTERY = Community(slug="battery", name="Battery", theme="Energy storage",
                    pilot="pia@corp.example", expert="eli@corp.example", backend="mediawiki",
                    lang="en", space="CoP_Battery", sponsor="Anne", status="active",
                    objectives="Share what we learn")
REF = PageRef("CoP_Battery", "Charter")
STATE = PageState("battery", "charter", REF, "p1", "7")


def line(codec, content: str, community: Community = BATTERY):
    return charter_line(CHARTER, community, STATE, RemotePage(REF, "p1", "7", content), codec)


def values(codec, content: str) -> dict[str, str]:
    plan = plan_charter(CHARTER, str(REF), codec.parse_rows(content, CHARTER, str(REF)),
                        BATTERY.charter_values())
    assert plan.values is not None and not plan.problems, plan.problems
    return dict(plan.values)


@pytest.mark.parametrize("codec, page", [
    (WikitextCodec(), "Our charter, in our words.\n"),
    (StorageCodec(), "<p>Our charter, in our words.</p>"),
], ids=["mediawiki", "confluence"])
def test_a_removed_block_is_added_again_with_the_records_values(codec, page: str) -> None:
    action = line(codec, page)
    assert action.op == "update", action.reason
    assert "had no" in action.reason and "added again with the records' values" in \
        action.reason
    assert action.content.startswith(page.rstrip("\n"))  # the members' text kept
    written = values(codec, action.content)
    assert written["sponsor"] == "Anne" and written["theme"] == "Energy storage"
    assert written["objectives"] == "Share what we learn"  # members' fields as last synced
    assert line(codec, action.content).op == "skip"  # then nothing more to write


def test_confluence_gets_its_page_properties_macro_back() -> None:
    action = line(StorageCodec(), "<p>Our charter.</p>")
    assert 'ac:name="details"' in action.content
    assert "Page Properties (details) table" in action.reason


def test_a_block_left_open_is_drift_not_a_second_block() -> None:
    broken = "Intro\n{{CoP charter|slug=battery|name=Battery|sponsor=Bob\n"
    action = line(WikitextCodec(), broken)
    assert action.op == "drift" and action.content == ""
    assert "{{CoP charter}} block cannot be read" in action.reason
    assert "not closed" in action.reason and "sponsor" in action.reason


def test_a_block_with_an_unreadable_value_gets_the_records_owned_fields() -> None:
    page = ("{{CoP charter|slug=battery|name=Battery|theme=Energy storage|pilot=pia@corp.example"
            "|expert=eli@corp.example|sponsor=Bob|status=bogus|objectives=Ours}}\n")
    action = line(WikitextCodec(), page)
    assert action.op == "update"
    written = values(WikitextCodec(), action.content)
    assert (written["sponsor"], written["status"]) == ("Anne", "active")
    assert written["objectives"] == "Ours"  # a member's field: not taken from the records


# --- through provisioning and cop-sync (in-memory MediaWiki) --------------------------------

@pytest.fixture
def world() -> tuple[Records, dict]:
    records = Records.open(":memory:")
    wikis = {"mediawiki": memory_wiki()}
    ready(records, wikis, "battery")
    return records, wikis


def test_a_sponsor_set_after_the_block_was_removed_reaches_the_wiki(world) -> None:
    records, wikis = world
    wiki = wikis["mediawiki"]
    charter = wiki.page(REF)
    assert charter is not None
    wiki.edit(REF, "We removed the box.\n")
    assert sync(records, wikis).exit_code == 1  # the missing block is a row problem
    assert [p.kind for p in records.problems("battery")] == ["charter"]
    community = replace(records.community("battery"), sponsor="Anne Leroy")
    records.save_community(community)
    written = Provisioner(records, wiki, T).write_charter(community)
    assert written is not None and "added again" in written.reason
    page = wiki.page(REF)
    assert page is not None and "|sponsor=Anne Leroy" in page.content
    assert page.content.startswith("We removed the box.")
    assert records.problems("battery") == []  # the page as written reads cleanly
    assert sync(records, wikis).exit_code == 0
    assert records.community("battery").theme == "Energy"  # nothing lost


def test_provisioning_reports_a_block_it_cannot_replace(world) -> None:
    records, wikis = world
    wiki = wikis["mediawiki"]
    wiki.edit(REF, "{{CoP charter|slug=battery|name=Battery\n")
    sync(records, wikis)
    community = replace(records.community("battery"), sponsor="Anne Leroy")
    records.save_community(community)
    with pytest.raises(CharterUnwritable, match="cannot be read"):
        Provisioner(records, wiki, T).write_charter(community)
    report = Provisioner(records, wiki, T).run([community], dry_run=False)
    [charter] = [a for a in report.actions if a.kind == "charter"]
    assert charter.op == "drift" and "sponsor" in charter.reason
    assert report.exit_code == 0
