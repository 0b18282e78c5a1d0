"""What is new, and the Atom feeds cop-sync writes from it (issue 15, item 2): items from
the records, stable entry ids, RFC 4287 documents read back by feedparser, files rewritten
only when their content changes, member text that never breaks the XML."""

from __future__ import annotations

import os
from pathlib import Path
from xml.etree import ElementTree as ET

import feedparser
import pytest
from relay_out_world import ATOM, T, World, config, rfc4287_problems

from sync.community.registration import NewCommunity, add_community
from sync.relay.collect import NewsReader, Window
from sync.relay.feed_files import feeds, write_feeds
from sync.relay.news import safe_link

WATCH = ("{{CoP watch|date=2026-11-20|title=Sodium-ion cells|url=https://example.com/na"
         "|source=Lab|summary=Cheaper than lithium.|tags=na, ion}}")
VEILLE = ("{{CoP watch|date=2026-11-21|title=Cellules sodium|url=https://exemple.fr/na"
          "|summary=Moins chères.|tags=na}}")
HOSTILE = ("{{CoP watch|date=2026-11-22|title=<script>alert(1)</script> ]]> & \x07bell\x1b"
           "|url=https://example.com/?a=1&b=%3Cx%3E&c=%22d%22|summary=<![CDATA[x]]> &lt;b&gt; "
           "\u202eevil}}")


@pytest.fixture
def world() -> World:
    return World.fresh()


def feed_config(tmp_path: Path, **feeds_section):
    return config({"feeds": {"dir": "feeds", **feeds_section}}, tmp_path / "cop.toml")


def items(world: World, slug: str, **window):
    community = world.records.community(slug)
    return NewsReader(world.records, T, world.config).items(community, Window(**window))


# --- what is new -------------------------------------------------------------------------

def test_a_new_watch_row_is_an_item_with_its_link_summary_and_page(world: World) -> None:
    world.append("battery", "watch", WATCH)
    world.sync()
    [item] = [i for i in items(world, "battery") if i.kind == "watch"]
    assert (item.title, item.link, item.page) == ("Sodium-ion cells", "https://example.com/na",
                                                  "Watch")
    assert item.summary == "Cheaper than lithium. · Date: 2026-11-20 · Source: Lab · " \
                           "Tags: na, ion"
    assert item.page_link == "https://wiki.corp.example/w/index.php?title=CoP_Battery:Watch"
    assert item.published == item.updated == world.clock() and not item.changed


def test_a_french_community_speaks_french(world: World) -> None:
    world.append("solar", "watch", VEILLE)
    world.append("solar", "regulation", "{{CoP regulation|ref=UE 2023/1542|title=Batteries|"
                                        "status=in force|impact=Passeport batterie}}")
    world.sync()
    found = {i.kind: i for i in items(world, "solar")}
    assert found["watch"].page == "Veille"
    assert "Mots-clés : na" in found["watch"].summary
    assert found["regulation"].title == "UE 2023/1542 — Batteries"
    assert found["regulation"].summary.startswith("Passeport batterie · ")
    assert "Statut : en vigueur" in found["regulation"].summary  # the choice's French label
    joined = sorted(i.title for i in items(world, "solar") if i.joined)
    assert joined == ["Eli a rejoint la communauté", "Pia a rejoint la communauté"]


def test_edits_keep_the_entry_id_and_move_updated(world: World) -> None:
    world.append("battery", "watch", WATCH)
    world.sync()
    [before] = [i for i in items(world, "battery") if i.kind == "watch"]
    world.replace("battery", "watch", "Cheaper than lithium.", "Cheaper, and safer.")
    world.sync()
    [after] = [i for i in items(world, "battery") if i.kind == "watch"]
    assert after.id == before.id and after.id.startswith("tag:wiki.corp.example,2026-12-01:")
    assert after.updated > before.updated and after.published == before.published
    assert after.changed and after.summary.startswith("Cheaper, and safer.")


def test_a_window_holds_what_changed_in_it_only(world: World) -> None:
    start = world.clock.advance(1)
    world.append("battery", "watch", WATCH)
    world.sync()
    assert [i.kind for i in items(world, "battery", since=start)] == ["watch"]
    assert items(world, "battery", since=world.clock.advance(1)) == []
    # half-open: a row recorded at the very second a window ends is the next window's
    assert items(world, "battery", since=start, until=world.records.entries(
        "battery", "watch")[0].updated_at) == []


def test_deleted_rows_are_no_news(world: World) -> None:
    world.append("battery", "watch", WATCH, VEILLE)
    world.sync()
    world.replace("battery", "watch", WATCH, "")
    world.sync()
    assert [i.title for i in items(world, "battery") if i.kind == "watch"] == [
        "Cellules sodium"]


def test_who_added_a_row_comes_from_the_wiki_history_when_it_is_sure(world: World) -> None:
    world.append("battery", "watch", WATCH)
    world.edited_by("battery", "watch", "Julie Roux", at=world.clock.advance(30))
    world.sync()
    [item] = [i for i in items(world, "battery") if i.kind == "watch"]
    assert item.author == "Julie Roux"
    world.replace("battery", "watch", "Lab", "Lab notes")
    world.edited_by("battery", "watch", "Julie Roux", at=world.clock.advance(10))
    world.edited_by("battery", "watch", "Marc", at=world.clock.advance(10))
    world.sync()
    [item] = [i for i in items(world, "battery") if i.kind == "watch"]
    assert item.author == ""  # two people edited the page in that hour: nobody is named


def test_a_wiki_account_is_named_as_the_member_it_is(world: World) -> None:
    world.append("battery", "members", "{{CoP member|email=julie.roux@corp.example|"
                                       "name=Julie Roux|profile=R&D}}")
    world.append("battery", "watch", WATCH)
    world.edited_by("battery", "watch", "Julie.roux", at=world.clock.advance(30))
    world.sync()
    [item] = [i for i in items(world, "battery") if i.kind == "watch"]
    assert item.author == "Julie Roux"


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,x", "ftp://x",
                                 "//example.com", "https://exa mple.com", ""])
def test_only_web_addresses_become_links(url: str) -> None:
    assert safe_link(url) == ""


def test_a_row_without_a_web_address_links_to_its_page(world: World) -> None:
    world.append("battery", "references", "{{CoP reference|ref=IEC 62660|title=Li-ion cells}}")
    world.sync()
    [item] = [i for i in items(world, "battery") if i.kind == "references"]
    assert item.link == item.page_link == \
        "https://wiki.corp.example/w/index.php?title=CoP_Battery:References"


# --- the feeds ------------------------------------------------------------------------------

def test_each_feed_is_valid_atom_with_what_rfc_4287_requires(world: World,
                                                             tmp_path: Path) -> None:
    world.append("battery", "watch", WATCH)
    world.append("solar", "watch", VEILLE)
    world.sync()
    found = feeds(world.records, T, feed_config(tmp_path), feed_config(tmp_path).feeds)
    assert sorted(found) == ["all.atom", "battery.atom", "solar.atom"]
    for name, document in found.items():
        assert rfc4287_problems(document) == [], name
        parsed = feedparser.parse(document)
        assert not parsed.bozo, (name, parsed.bozo_exception)
        assert parsed.version == "atom10"
    battery = feedparser.parse(found["battery.atom"])
    assert battery.feed.title == "Battery storage: what is new"
    assert battery.feed.language == "en"
    entry = battery.entries[0]
    assert (entry.title, entry.link) == ("Sodium-ion cells", "https://example.com/na")
    assert entry.summary.startswith("Watch — Cheaper than lithium.")
    assert [t.term for t in entry.tags] == ["watch"]
    solar = feedparser.parse(found["solar.atom"])
    assert solar.feed.title == "Solaire : les nouveautés" and solar.feed.language == "fr"
    everything = feedparser.parse(found["all.atom"])
    ids = {e.id for e in everything.entries}
    assert {e.id for e in battery.entries} <= ids and {e.id for e in solar.entries} <= ids
    assert {"Battery storage: Sodium-ion cells", "Solaire: Cellules sodium"} <= {
        e.title for e in everything.entries}


def test_the_self_link_is_absolute_when_the_address_is_configured(world: World,
                                                                  tmp_path: Path) -> None:
    served = feed_config(tmp_path, url="https://intranet.corp.example/cop")
    document = feeds(world.records, T, served, served.feeds)["battery.atom"]
    links = feedparser.parse(document).feed.links
    assert {"rel": "self", "href": "https://intranet.corp.example/cop/battery.atom"} in [
        {"rel": link.rel, "href": link.href} for link in links]
    relative = feeds(world.records, T, feed_config(tmp_path),
                     feed_config(tmp_path).feeds)["battery.atom"]
    assert b'rel="self" type="application/atom+xml" href="battery.atom"' in relative


def test_member_text_never_breaks_the_xml(world: World, tmp_path: Path) -> None:
    world.append("battery", "watch", HOSTILE)
    world.sync()
    document = feeds(world.records, T, feed_config(tmp_path),
                     feed_config(tmp_path).feeds)["battery.atom"]
    assert rfc4287_problems(document) == []
    assert b"<script>" not in document and b"\x07" not in document
    parsed = feedparser.parse(document)
    assert not parsed.bozo
    entry = next(e for e in parsed.entries if "alert" in e.title)
    assert "bell" in entry.title and "\x07" not in entry.title
    assert "<![CDATA[x]]> <b>" in entry.summary  # text, shown as typed, never markup
    assert b"&lt;![CDATA[x]]&gt; &lt;b&gt;" in document
    assert entry.link.startswith("https://example.com/?a=")


def test_files_are_written_once_and_left_alone_while_nothing_changes(
        world: World, tmp_path: Path) -> None:
    settings = feed_config(tmp_path)
    first = write_feeds(world.records, T, settings)
    assert sorted(first.written) == ["all.atom", "battery.atom", "solar.atom"]
    directory = tmp_path / "feeds"
    stamps = {p.name: p.stat().st_mtime_ns for p in directory.iterdir()}
    assert all(oct(p.stat().st_mode)[-3:] == "644" for p in directory.iterdir())
    world.sync()  # nothing new
    again = write_feeds(world.records, T, settings)
    assert again.written == [] and len(again.unchanged) == 3
    assert {p.name: p.stat().st_mtime_ns for p in directory.iterdir()} == stamps
    world.append("solar", "watch", VEILLE)
    world.sync()
    third = write_feeds(world.records, T, settings)
    assert sorted(third.written) == ["all.atom", "solar.atom"]
    assert (directory / "battery.atom").stat().st_mtime_ns == stamps["battery.atom"]
    assert not [p for p in directory.iterdir() if p.name.startswith(".")]  # no temporary


def test_a_directory_that_cannot_be_written_is_reported(world: World,
                                                        tmp_path: Path) -> None:
    (tmp_path / "feeds").write_text("a file, not a directory")
    outcome = write_feeds(world.records, T, feed_config(tmp_path))
    assert outcome.written == [] and list(outcome.errors) == [str(tmp_path / "feeds")]


def test_a_failed_write_leaves_the_old_file_whole(world: World, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    settings = feed_config(tmp_path)
    write_feeds(world.records, T, settings)
    before = (tmp_path / "feeds" / "battery.atom").read_bytes()
    world.append("battery", "watch", WATCH)
    world.sync()

    def full_disk(*_args: object) -> None:
        raise OSError(28, "No space left on device")
    monkeypatch.setattr(os, "replace", full_disk)
    outcome = write_feeds(world.records, T, settings)
    assert outcome.errors == {str(tmp_path / "feeds" / name): "No space left on device"
                              for name in ("battery.atom", "all.atom")}
    assert (tmp_path / "feeds" / "battery.atom").read_bytes() == before
    assert not [p for p in (tmp_path / "feeds").iterdir() if p.name.startswith(".")]


def test_entries_are_capped_newest_first(world: World, tmp_path: Path) -> None:
    for number in range(5):
        world.append("battery", "watch", WATCH.replace("na|", f"na{number}|"))
        world.sync()
    capped = feed_config(tmp_path, entries=3)
    parsed = feedparser.parse(feeds(world.records, T, capped, capped.feeds)["battery.atom"])
    assert [e.link for e in parsed.entries] == [f"https://example.com/na{n}" for n in (4, 3, 2)]


def test_a_community_called_all_does_not_take_the_feed_of_all(tmp_path: Path) -> None:
    world = World.fresh()
    add_community(world.records, world.config, NewCommunity(
        slug="all", name="All of it", theme="x", pilot="p@x.example", expert="e@x.example",
        lang="en", backend="mediawiki"), clock=world.clock)
    found = feeds(world.records, T, feed_config(tmp_path), feed_config(tmp_path).feeds)
    assert "all.community.atom" in found
    assert feedparser.parse(found["all.atom"]).feed.title.startswith("Communities of practice")


def test_the_entries_say_their_page_and_the_feed_its_home(
        world: World, tmp_path: Path) -> None:
    world.append("battery", "watch", WATCH)
    world.sync()
    settings = feed_config(tmp_path)
    document = feeds(world.records, T, settings, settings.feeds)["battery.atom"]
    root = ET.fromstring(document)  # noqa: S314 - our own document
    entry = root.find(f"{ATOM}entry")
    related = [link.attrib for link in entry.findall(f"{ATOM}link")
               if link.get("rel") == "related"]
    assert related == [{"rel": "related", "type": "text/html", "title": "Watch",
                        "href": "https://wiki.corp.example/w/index.php?title=CoP_Battery:Watch"}]
    assert root.find(f"{ATOM}link[@rel='alternate']").get("href").endswith("CoP_Battery:Home")
