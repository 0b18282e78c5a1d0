"""The watch's sources on the fake Confluence (Cloud and Data Center, every request checked
against Atlassian's specs), through the CLI, with a real feed publisher
(tests/feed_server.py): a source a member adds to the Sources table brings its entries to
the to-review table at the next cop-sync; a row deleted never comes back; a broken source
is reported and harms nothing; hostile feeds stay text; nothing new costs nothing."""

from __future__ import annotations

import json
import re

import pytest
from bs4 import BeautifulSoup
from fakes.confluence_fake import ConfluenceFake
from msgspec.structs import replace
from test_loop_confluence import KEY, Cli, cop, provisioned, site  # noqa: F401 - fixtures

from sync.records.store import Records

pytest_plugins = ["fakes.fixtures"]
PAGE_PUT = r"/api/v2/pages/\d+$|/rest/api/content/\d+$"  # a page's new version


@pytest.fixture
def relayed(provisioned: Cli, feeds, confluence_mock) -> Cli:  # noqa: F811
    """Battery provisioned on the fake, synced once; the feed publisher reachable (the
    fake answers everything else in process)."""
    confluence_mock.add_passthru(feeds.base)
    with provisioned.config.open("a", encoding="utf-8") as toml:
        toml.write("\n[sources]\ntimeout_seconds = 2\nmax_bytes = 1000000\n")
    assert provisioned.sync().exit_code == 0
    return provisioned


def rss(*items: tuple[str, str, str]) -> str:
    body = "".join(f"<item><guid>{n}</guid><title>{title}</title>"
                   f"<link>https://journal.example/{n}</link><pubDate>{day}</pubDate>"
                   f"<description>About {title}</description></item>"
                   for n, title, day in items)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>J</title>{body}' \
           "</channel></rss>"


ITEMS = [("a1", "Hard-carbon anodes", "Mon, 23 Nov 2026 08:00:00 GMT"),
         ("a2", "Layered oxide cathodes", "Tue, 24 Nov 2026 08:00:00 GMT")]


def tables(fake: ConfluenceFake) -> dict[str, BeautifulSoup]:
    """The Watch page's tables by the heading they follow (review, rows, source)."""
    soup = BeautifulSoup(fake.page(KEY, "Watch").body, "html.parser")
    sections = {"To review": "review", "Watch items": "rows", "Sources": "source"}
    found = {}
    for table in soup.find_all("table"):
        heading = table.find_previous(re.compile("^h[1-6]$")).get_text()
        found[sections[heading]] = table
    return found


def add_source(fake: ConfluenceFake, url: str, name: str, tags: str = "") -> None:
    """A member adds a row to the Sources table in the editor."""
    body = fake.page(KEY, "Watch").body
    row = (f'<tr><td><p><a href="{url}">{url}</a></p></td><td><p>{name}</p></td>'
           f"<td><p>{tags}</p></td></tr>")
    at = body.index("</tbody></table>", re.search(r"<h[1-6][^>]*>Sources</h", body).end())
    fake.clock.advance(1)
    fake.edit_page(KEY, "Watch", body[:at] + row + body[at:])


def titles(table) -> list[str]:
    return [tr.find_all("td")[1].get_text() for tr in table.find_all("tr")[1:]]


def due_now(cli: Cli) -> None:
    records = Records.open(cli.config.parent / "cop.db")
    try:
        for state in records.source_states("battery").values():
            records.save_source_state(replace(state, checked_at="2000-01-01T00:00:00Z"))
    finally:
        records.close()


def test_a_source_brings_its_entries_to_the_to_review_table(relayed: Cli, feeds) -> None:
    fake = relayed.fake
    add_source(fake, feeds.publish("journal", rss(*ITEMS)), "Journal", "sodium")
    before = len(fake.writes())
    result = relayed.sync()
    assert result.exit_code == 0, result.output
    assert "got 2 new entries to review" in result.output
    edits = [w for w in fake.writes()[before:] if re.search(PAGE_PUT, w.path)]
    assert len(edits) == 1  # one edit of the Watch page (and the adapter's own mark on it)
    found = tables(fake)
    assert titles(found["review"]) == ["Hard-carbon anodes", "Layered oxide cathodes"]
    assert titles(found["rows"]) == []
    data = relayed.export()
    assert {w["title"]: (w["source"], w["tags"]) for w in data["watch"]} == {
        "Hard-carbon anodes": ("Journal", "sodium"),
        "Layered oxide cathodes": ("Journal", "sodium")}
    # a member deletes one row of the to-review table (the other stays to be reviewed)
    body = fake.page(KEY, "Watch").body
    row = re.search(r"<tr>(?:(?!</tr>).)*Hard-carbon anodes.*?</tr>", body, flags=re.S)
    assert row is not None
    fake.clock.advance(1)
    fake.edit_page(KEY, "Watch", body.replace(row.group(), ""))
    assert relayed.sync().exit_code == 0
    feeds.publish("journal", rss(*ITEMS, ("a3", "Solid electrolytes",
                                          "Wed, 25 Nov 2026 08:00:00 GMT")))
    due_now(relayed)
    assert relayed.sync().exit_code == 0
    assert titles(tables(fake)["review"]) == ["Layered oxide cathodes", "Solid electrolytes"]
    assert "Hard-carbon" not in fake.page(KEY, "Watch").body
    # nothing new: the next run writes nothing and reads no page
    log = len(fake.log)
    quiet = relayed.sync("--json")
    assert quiet.exit_code == 0
    report = json.loads(quiet.stdout)
    assert report["counts"]["pages_read"] == 0 and report["sources"]["counts"][
        "sources_asked"] == 0
    assert not [r for r in fake.log[log:] if r.method != "GET"]
    assert len(fake.log[log:]) <= 2  # the sync's own: the known pages' check, the feed


def test_a_broken_source_is_reported_and_harms_nothing(relayed: Cli, feeds) -> None:
    fake = relayed.fake
    add_source(fake, feeds.url("/status/404"), "Gone")
    add_source(fake, feeds.url("/html"), "A home page")
    add_source(fake, feeds.url("/feeds/regulator-news.atom"), "Regulator")
    result = relayed.sync()
    assert result.exit_code == 0, result.output
    assert titles(tables(fake)["review"]) == [
        "Consultation: collection targets for portable batteries & accumulators",
        "Guidance published: the battery passport for industrial batteries"]
    status = relayed("status", "battery", "--json")
    sources = json.loads(status.output)["communities"][0]["sources"]
    assert {s["name"]: s["error_code"] for s in sources["listed"]} == {
        "Gone": "source_http_status", "A home page": "source_not_a_feed", "Regulator": None}
    shown = relayed("status", "battery").output
    assert "source 'Gone'" in shown and "404" in shown and "not an RSS or Atom feed" in shown


def test_a_hostile_feed_stays_text_in_storage_format(relayed: Cli, feeds) -> None:
    fake = relayed.fake
    add_source(fake, feeds.url("/feeds/hostile.rss"), "Hostile")
    assert relayed.sync().exit_code == 0
    body = fake.page(KEY, "Watch").body
    soup = BeautifulSoup(body, "html.parser")
    assert soup.find("ac:structured-macro") is None  # the page has none: no html macro
    assert soup.find("script") is None and "<![CDATA[" not in body
    review = tables(fake)["review"].get_text()
    assert '<ac:structured-macro ac:name="html">' in review  # shown as text
    assert "<script>alert(1)</script> in a plain title" in review
    assert "[[Category:Hacked]]" in review and "javascript:" not in body


def test_the_manager_adds_and_removes_a_source_by_command(relayed: Cli, feeds) -> None:
    """`cop source add|remove` write a row of the Sources table (one page write each, over
    the version read); the next cop-sync reads them as a member's rows."""
    fake = relayed.fake
    url = feeds.url("/feeds/press-room.rss")
    before = len(fake.writes())
    added = relayed("source", "add", "battery", url, "--name", "Press room", "--tags", "rivals")
    assert added.exit_code == 0, added.output
    assert len([w for w in fake.writes()[before:] if re.search(PAGE_PUT, w.path)]) == 1
    assert titles(tables(fake)["source"]) == ["Press room"]
    result = relayed.sync()
    assert result.exit_code == 0, result.output
    assert "new entries to review" in result.output and titles(tables(fake)["review"])
    removed = relayed("source", "remove", "battery", url)
    assert removed.exit_code == 0, removed.output
    assert titles(tables(fake)["source"]) == []
    assert "no source listed" in relayed("source", "list", "battery").output
    assert relayed.sync().exit_code == 0
