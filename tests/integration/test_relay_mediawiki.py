"""The watch's sources on the real MediaWiki, through the CLI, with a real feed publisher
(tests/feed_server.py): a source a member adds brings its new entries under "To review" at
the next cop-sync; an entry deleted never comes back; a broken source is reported and harms
nothing; hostile feeds stay text on the rendered page; nothing new costs the wiki nothing;
an existing space gets its Sources part from `cop provision --upgrade`."""

from __future__ import annotations

import json
import re

from bs4 import BeautifulSoup
from cop_wiki import NS, NS_ID, CopDir
from msgspec.structs import replace
from wiki_people import member

from connector.mediawiki.backend import MediaWikiBackend, MediaWikiSettings
from connector.mediawiki.wikitext import WikitextCodec
from page_templates import shipped
from sync.community.pages import host_refs, page_context, page_refs
from sync.config.sources import SourcesConfig
from sync.engine.run import Syncer, SyncOptions
from sync.records.relay_state import FEED_FIELD
from sync.relay.run import Relay

WATCH = f"{NS}:Watch"
T = shipped()


def rss(*items: tuple[str, str, str]) -> str:
    """An RSS 2.0 feed of (id, title, day) items."""
    body = "".join(f"<item><guid>{n}</guid><title>{title}</title>"
                   f"<link>https://journal.example/{n}</link><pubDate>{day}</pubDate>"
                   f"<description>&lt;p&gt;About {title}&lt;/p&gt;</description></item>"
                   for n, title, day in items)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>J</title>{body}' \
           "</channel></rss>"


ITEMS = [("a1", "Hard-carbon anodes", "Mon, 23 Nov 2026 08:00:00 GMT"),
         ("a2", "Layered oxide cathodes", "Tue, 24 Nov 2026 08:00:00 GMT"),
         ("a3", "Solid electrolytes", "Wed, 25 Nov 2026 08:00:00 GMT")]


def configure(cop: CopDir, **settings: object) -> None:
    lines = "".join(f"{k} = {json.dumps(v)}\n" for k, v in {"timeout_seconds": 2,
                                                           **settings}.items())
    with cop.config.open("a", encoding="utf-8") as toml:
        toml.write(f"\n[sources]\n{lines}")


def add_sources(wiki, *rows: tuple[str, str, str]) -> None:
    """A member lists sources on the Watch page, in the source editor."""
    member(wiki).append(WATCH, *(f"{{{{CoP source|url={url}|name={name}|tags={tags}}}}}"
                                 for url, name, tags in rows))


def to_review(content: str) -> str:
    """The page between the "To review" heading and the next heading."""
    after = re.split(r"^== *To review *== *$", content, flags=re.M)[1]
    return re.split(r"^==", after, maxsplit=1, flags=re.M)[0]


def due_now(cop: CopDir) -> None:
    """Let the interval pass for every source (as an hour of cron runs would)."""
    with cop.records() as records:
        for state in records.source_states("battery").values():
            records.save_source_state(replace(state, checked_at="2000-01-01T00:00:00Z"))


def test_a_source_brings_its_entries_and_a_deleted_one_never_comes_back(battery: CopDir,
                                                                        feeds) -> None:
    wiki = battery.wiki
    configure(battery)
    url = feeds.publish("journal", rss(*ITEMS))
    add_sources(wiki, (url, "Journal of Energy Storage", "sodium, cells"))
    result = battery.sync()
    assert result.exit_code == 0, result.output
    assert "got 3 new entries to review" in result.output
    assert "3 sources asked" not in result.output and "1 sources asked" in result.output
    people = member(wiki)
    waiting = to_review(people.read(WATCH))
    assert [t in waiting for t in ("Hard-carbon", "Layered oxide", "Solid electrolytes")] == \
        [True] * 3
    data = json.loads(battery("export", "battery").output)["communities"][0]
    assert {w["title"]: w["source"] for w in data["watch"]} == {
        "Hard-carbon anodes": "Journal of Energy Storage",
        "Layered oxide cathodes": "Journal of Energy Storage",
        "Solid electrolytes": "Journal of Energy Storage"}
    assert {w["tags"] for w in data["watch"]} == {"sodium, cells"}
    assert {w["summary"] for w in data["watch"]} >= {"About Hard-carbon anodes"}
    # a member keeps one (moves it under "Watch items"), drops another (deletes it)
    content = people.read(WATCH)
    kept = next(line for line in content.splitlines() if "Layered oxide" in line)
    dropped = next(line for line in content.splitlines() if "Hard-carbon" in line)
    content = content.replace(kept + "\n", "").replace(dropped + "\n", "")
    content = content.replace("== Watch items ==\n", "== Watch items ==\n" + kept + "\n")
    people.save(WATCH, content)
    assert battery.sync().exit_code == 0
    # the journal publishes a new issue; the feed still lists the dropped entry
    feeds.publish("journal", rss(*ITEMS, ("a4", "Separators", "Thu, 26 Nov 2026 08:00:00 GMT")))
    due_now(battery)
    result = battery.sync()
    assert result.exit_code == 0, result.output
    content = people.read(WATCH)
    assert "Hard-carbon" not in content  # never proposed again
    assert sum("Layered oxide" in line for line in content.splitlines()) == 1
    assert "Layered oxide" not in to_review(content)
    assert "Separators" in to_review(content) and "Solid electrolytes" in to_review(content)
    # the relay's requests carried the validators and the User-Agent
    sent = feeds.hits("/live/journal")
    assert sent[-1].headers["If-None-Match"] and sent[-1].headers["User-Agent"].startswith(
        "cop-connector/")


def test_a_broken_source_is_reported_and_harms_nothing(battery: CopDir, feeds) -> None:
    wiki = battery.wiki
    broken = [("/status/404", "source_http_status"), ("/html", "source_not_a_feed"),
              ("/feeds/malformed.rss", "source_malformed"), ("/drip", "source_too_slow"),
              ("/loop", "source_redirects"), ("/endless", "source_too_big")]
    configure(battery, max_bytes=1_000_000)
    add_sources(wiki, *((feeds.url(path), f"Broken {n}", "") for n, (path, _) in
                        enumerate(broken, start=1)),
                (feeds.url("/feeds/patent-alert.rss"), "Patents", "patents"))
    result = battery.sync()
    assert result.exit_code == 0, result.output
    assert "WO/2026/241587" in to_review(member(wiki).read(WATCH))
    status = battery("status", "battery")
    for n in range(1, len(broken) + 1):
        assert f"source 'Broken {n}'" in status.output, status.output
    data = json.loads(battery("status", "battery", "--json").output)["communities"][0]
    failing = {s["name"]: s["error_code"] for s in data["sources"]["listed"] if s["failing"]}
    assert failing == {f"Broken {n}": code for n, (_, code) in enumerate(broken, start=1)}
    feed_problems = sorted((p["row"], p["key"]) for p in data["problems"]
                           if p["field"] == FEED_FIELD)
    assert feed_problems == [(n, feeds.url(path)) for n, (path, _) in
                             enumerate(broken, start=1)]
    # a second run right after asks no failing source again (they wait), writes nothing
    edits = member(wiki).edit_count()
    hits = len(feeds.requests)
    assert battery.sync().exit_code == 0
    assert member(wiki).edit_count() == edits and len(feeds.requests) == hits


def test_a_hostile_feed_stays_text_on_the_rendered_page(battery: CopDir, feeds) -> None:
    wiki = battery.wiki
    configure(battery)
    add_sources(wiki, (feeds.url("/feeds/hostile.rss"), "Hostile", ""))
    assert battery.sync().exit_code == 0
    people = member(wiki)
    parsed = people.parse(WATCH)
    assert parsed["categories"] == []  # no [[Category:Hacked]]
    used = {t["title"] for t in parsed["templates"]}
    assert "Template:CoP member" not in used
    html = parsed["text"]
    shown = BeautifulSoup(html, "html.parser").get_text()  # what a reader sees
    assert "<script>alert(1)</script> in a plain title" in shown  # as text
    assert "<script" not in html.replace("&#60;script", "")
    assert "[[Category:Hacked]]" in shown and "Signature ~~~~" in shown
    assert "{{CoP member|email=eve@evil.example}}" in shown
    assert '<ac:structured-macro ac:name="html">' in shown and "<ac:" not in html
    assert not any(link.startswith("javascript:") for link in parsed["externallinks"])


def test_nothing_new_asks_the_wiki_nothing_more(battery: CopDir, feeds) -> None:
    wiki = battery.wiki
    configure(battery)
    url = feeds.publish("journal", rss(*ITEMS))
    add_sources(wiki, (url, "Journal", ""))
    assert battery.sync().exit_code == 0
    due_now(battery)  # asked again: a 304
    for _ in range(2):  # then: a run where no source is due
        with battery.records() as records:
            backend = MediaWikiBackend(MediaWikiSettings(
                url=wiki.url, user=wiki.credentials.bot_user,
                password=wiki.credentials.bot_password), WikitextCodec(),
                namespaces={NS: NS_ID})
            relay = Relay(records, {"mediawiki": backend}, T, SourcesConfig(timeout_seconds=2))
            Syncer(records, {"mediawiki": backend}, T, observer=relay.observe).run(
                SyncOptions())
            report = relay.run()
        assert (backend.stats.reads, backend.stats.writes, backend.stats.feeds) == (0, 0, 1)
        assert backend.stats.http.requests <= 3  # login (2) + the change feed (1)
    assert report.sources == []  # the second time: none due
    assert [h.path for h in feeds.requests] == ["/live/journal"] * 2  # the 304 once


def test_an_existing_space_gets_its_sources_from_provision_upgrade(battery: CopDir,
                                                                   feeds) -> None:
    """A Watch page made before sources existed (rendered from the previous template, its
    sources' state unknown to the records), upgraded: the new sections, rows untouched."""
    wiki = battery.wiki
    configure(battery)
    people = member(wiki)
    people.append(WATCH, "{{CoP watch|date=2026-10-01|title=Kept|url=https://kept.example/}}")
    assert battery.sync().exit_code == 0
    old = replace(T["watch"], version=1, parts=(), sections=tuple(
        s for s in T["watch"].sections if s.id in ("intro", "rows", "howto")))
    with battery.records() as records:
        found = records.community("battery")
        refs = page_refs(found, NS, T)
        context = page_context(found, host_refs(refs, T))
        rows = list(records.live_rows("battery", "watch").values())
        records.db.execute("DELETE FROM pages WHERE community = 'battery' AND kind = 'source'")
        # the merge base as the previous template wrote it: its regions only (the new
        # sections were never written on this page)
        (regions,) = records.db.execute(
            "SELECT regions FROM pages WHERE community = 'battery' AND kind = 'watch'").fetchone()
        kept = {k: v for k, v in json.loads(regions).items()
                if k.split(":")[0] in {s.id for s in old.sections}}
        records.db.execute("UPDATE pages SET regions = ? WHERE community = 'battery' "
                           "AND kind = 'watch'", (json.dumps(kept),))
    before = WikitextCodec().render_page(old, context, rows)
    people.save(WATCH, before)
    assert battery.sync().exit_code == 0
    upgraded = battery("provision", "--upgrade", "battery")
    assert upgraded.exit_code == 0, upgraded.output
    content = people.read(WATCH)
    assert "== To review ==" in content and "== Sources ==" in content
    assert "{{CoP watch|date=2026-10-01|title=Kept|url=https://kept.example/" in content
    assert len(WikitextCodec().parse_rows(content, T["watch"], WATCH).rows) == 1
    add_sources(wiki, (feeds.publish("journal", rss(*ITEMS[:1])), "Journal", ""))
    result = battery.sync()
    assert result.exit_code == 0, result.output
    assert "Hard-carbon" in to_review(people.read(WATCH))
    with battery.records() as records:
        assert records.page_state("battery", "source") is not None
        assert set(records.live_rows("battery", "source")) == {feeds.url("/live/journal")}


def test_the_manager_adds_lists_and_removes_sources_by_command(battery: CopDir,
                                                                feeds) -> None:
    """`cop source add|list|remove` write the same row a member types; the page stays the
    sources' truth, and the next cop-sync reads nothing back."""
    wiki = battery.wiki
    configure(battery)
    people = member(wiki)
    atom = feeds.url("/feeds/regulator-news.atom")
    added = battery("source", "add", "battery", atom, "--name", "Regulator", "--tags",
                    "regulation")
    assert added.exit_code == 0, added.output
    assert "added on" in added.output
    rows = WikitextCodec().parse_rows(people.read(WATCH), T["source"], WATCH).rows
    assert [dict(r.values) for r in rows] == [{"url": atom, "name": "Regulator",
                                               "tags": "regulation"}]
    listed = battery("source", "list", "battery")
    assert "Regulator" in listed.output and "not read yet" in listed.output, listed.output
    edits = people.edit_count()
    again = battery("source", "add", "battery", atom, "--name", "Regulator")
    assert "nothing written" in again.output and people.edit_count() == edits
    result = battery.sync()
    assert result.exit_code == 0, result.output
    assert "new entries to review" in result.output
    listed = json.loads(battery("source", "list", "battery", "--json").output)
    (only,) = listed["battery"]["listed"]
    assert only["ok_at"] and not only["failing"] and listed["battery"]["proposed"] >= 1
    retagged = battery("source", "add", "battery", atom, "--tags", "regulation, EU")
    assert "updated on" in retagged.output
    assert "|name=Regulator|tags=regulation, EU}}" in people.read(WATCH)
    bad = battery("source", "add", "battery", "not a url", "--name", "X")
    assert bad.exit_code == 2 and "URL" in bad.output
    removed = battery("source", "remove", "battery", atom)
    assert removed.exit_code == 0 and "removed from" in removed.output, removed.output
    assert WikitextCodec().parse_rows(people.read(WATCH), T["source"], WATCH).rows == ()
    assert battery("source", "remove", "battery", atom).exit_code == 2
    assert "no source listed" in battery("source", "list", "battery").output
    edits = people.edit_count()
    assert battery.sync().exit_code == 0 and people.edit_count() == edits
