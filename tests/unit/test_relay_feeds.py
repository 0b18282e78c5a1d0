"""Feeds read into plain-text entries (sync/relay/feeds.py): every format the watch's
sources serve, and feeds that are broken, not feeds at all, or written to attack a page."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from sync.relay.feeds import (
    SUMMARY_LIMIT,
    TITLE_LIMIT,
    FeedError,
    html_text,
    plain,
    read_feed,
    web_address,
)

FEEDS = Path(__file__).parent.parent / "fixtures" / "feeds"
BASE = "https://feeds.example/"


def read(name: str, content_type: str = "application/xml"):
    return read_feed((FEEDS / name).read_bytes(), url=BASE + name, content_type=content_type)


def test_rss_1_0_a_journal_table_of_contents() -> None:
    entries = read("journal-toc.rdf")
    assert [e.date for e in entries] == ["2026-11-28", "2026-11-21", "2026-11-14"]
    first = entries[0]
    assert first.title == "Hard-carbon anodes for sodium-ion cells above 160 Wh/kg"
    assert first.link == first.entry_id == \
        "https://journals.example.org/jes/article/10.5555/jes.2026.0412"  # rdf:about
    assert first.summary.startswith("We report hard-carbon anodes from lignin precursors")
    assert "<i>" not in first.summary


def test_rss_2_0_a_patent_office_alert() -> None:
    entries = read("patent-alert.rss")
    assert [e.entry_id for e in entries] == ["WO2026241587", "EP4412377"]  # guid, no link
    assert entries[0].date == "2026-12-03"
    assert entries[0].summary.startswith("Applicants: ACME ENERGY SA IPC: H01M 4/505")


def test_atom_a_regulators_news_with_a_relative_link() -> None:
    entries = read("regulator-news.atom")
    assert entries[0].link == \
        "https://regulator.example.gov/government/news/battery-passport-guidance"
    assert entries[0].entry_id.startswith("tag:regulator.example.gov,2005:")
    assert entries[0].date == "2026-12-01"  # updated (no published)
    assert entries[1].title == \
        "Consultation: collection targets for portable batteries & accumulators"


def test_rss_2_0_a_wordpress_press_room_with_html_entities_and_a_bare_ampersand() -> None:
    entries = read("press-room.rss")  # not XML, but every reader takes it: so do we
    assert entries[1].title == \
        "Results for the third quarter of 2026 \u2013 storage up 40 % & margins steady"
    assert entries[0].summary.startswith("The line will supply city-car makers from 2027.")
    assert "<p>" not in entries[0].summary


def test_rss_0_91_without_dates_or_guids() -> None:
    (entry,) = read("netscape.rss")
    assert entry.title == "Cellules à électrolyte solide : premiers essais"
    assert entry.entry_id == entry.link  # no guid: the link identifies it
    assert entry.date == ""


def test_a_document_whose_structure_is_broken_is_refused_as_malformed() -> None:
    with pytest.raises(FeedError) as refused:
        read("malformed.rss")
    failure = refused.value.failure
    assert failure.code == "source_malformed"
    assert "mismatched tag" in failure.params["detail"]
    assert failure.params["url"] == BASE + "malformed.rss"


@pytest.mark.parametrize(("body", "content_type", "code"), [
    (b"<!DOCTYPE html><html><body><h1>Shop</h1></body></html>", "text/html", "source_not_a_feed"),
    (b'{"items": []}', "application/json", "source_not_a_feed"),
    (b"", "application/rss+xml", "source_not_a_feed"),
    (b"<?xml version='1.0'?><config><a>1</a></config>", "application/xml", "source_not_a_feed"),
    (b"<?xml version='1.0'?><<<>>>&&&", "application/xml", "source_malformed"),
    (b"<rss version='2.0'><channel><item><title>A</title></channel>", "", "source_malformed"),
])
def test_what_is_no_feed_says_why(body: bytes, content_type: str, code: str) -> None:
    with pytest.raises(FeedError) as refused:
        read_feed(body, url=BASE, content_type=content_type)
    assert refused.value.failure.code == code
    if code == "source_not_a_feed":
        shown = refused.value.failure.params["content_type"]
        assert shown in {content_type, "a document of no known type"}


def test_hostile_entries_become_plain_text_and_lose_their_bad_links() -> None:
    entries = {e.entry_id: e for e in read("hostile.rss")}
    assert entries["h1"].title == \
        "Template {{CoP member|email=eve@evil.example}} and {{#invoke:x}}"  # text, as is
    assert entries["h3"].title == "<script>alert(1)</script> in a plain title"  # plain text
    assert "alert" not in entries["h3"].summary and "display" not in entries["h3"].summary
    assert entries["h3"].summary == "bold visible text"
    assert entries["h5"].link == ""  # javascript:
    assert entries["h8"].link == ""  # credentials in the link
    assert entries["h6"].link == ""  # over-long
    assert len(entries["h6"].title) <= TITLE_LIMIT and entries["h6"].title.endswith("…")
    assert len(entries["h6"].summary) <= SUMMARY_LIMIT
    assert "\n" not in entries["h7"].title


def test_plain_text_keeps_a_literal_angle_bracket_unless_the_feed_says_html() -> None:
    assert plain("1 < 2", {"type": "text/plain"}) == "1 < 2"
    assert plain("<b>bold</b> &amp; more", {"type": "text/html"}) == "bold & more"
    assert html_text("<script>x()</script><style>p{}</style><p>seen</p>").strip() == "seen"


@pytest.mark.parametrize(("link", "kept"), [
    ("https://example.com/a?b=1#c", True), ("http://example.com/", True),
    ("javascript:alert(1)", False), ("data:text/html,<script>", False),
    ("//example.com/x", False), ("https://u:p@example.com/", False),
    ("https://example.com/a b", False), ("https://example.com/[x]", False),
    ("ftp://example.com/", False), ("https://example.com/\x00", False),
    ("https://" + "a" * 3000 + ".com/", False), ("https://bücher.example/é", True),
])
def test_only_web_addresses_are_kept(link: str, kept: bool) -> None:
    assert (web_address(link) == link) is kept


def test_feedparser_is_not_imported_until_a_feed_is_read() -> None:
    import subprocess  # noqa: PLC0415

    code = ("import sys, sync.relay.run, sync.cli.sync_command, sync.results.status; "
            "print('feedparser' in sys.modules, 'bs4' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).parent.parent.parent).stdout
    assert out.split()[0] == "False"
