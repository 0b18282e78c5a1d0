"""Feeds and digests from real syncs (issue 15's "done when"): on the real MediaWiki and on
the fake Confluence, cop-sync writes Atom files that validate and update after a member's
edit (and are left alone otherwise, at no extra wiki request); `cop digest --send`
reaches every member once, in the community's language, through a real SMTP server, and
a re-run sends nothing more."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest
import requests
from click.testing import CliRunner, Result
from cop_wiki import NS, CopDir
from fakes.confluence_fake import ConfluenceFake
from mail_server import MailServer
from relay_out_world import rfc4287_problems
from storage_editor import add_table_row
from wiki_people import member
from wiki_proxy import proxied

from sync.cli import _cop
from sync.cli.sync_command import cop_sync

pytest_plugins = ["fakes.fixtures"]
FROM = "Communities of practice <cop@corp.example>"
FEEDS = '\n[feeds]\ndir = "feeds"\nurl = "https://intranet.corp.example/cop/"\n'


def mail(server: MailServer) -> str:
    return (f'\n[mail]\nhost = "127.0.0.1"\nport = {server.port}\nsecurity = "none"\n'
            f'from = "{FROM}"\n')


def feed(directory: Path, name: str) -> feedparser.FeedParserDict:
    document = (directory / "feeds" / name).read_bytes()
    assert rfc4287_problems(document) == [], name
    parsed = feedparser.parse(document)
    assert not parsed.bozo and parsed.version == "atom10", parsed.get("bozo_exception")
    return parsed


def stamps(directory: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in (directory / "feeds").iterdir()}


# --- the real MediaWiki -------------------------------------------------------------------------

@pytest.mark.mediawiki
def test_mediawiki_feeds_validate_update_and_stay_put(battery: CopDir) -> None:
    with battery.config.open("a", encoding="utf-8") as toml:
        toml.write(FEEDS)
    first = battery.sync("--json")
    assert first.exit_code == 0, first.output
    assert sorted(json.loads(first.stdout)["feeds"]["written"]) == ["all.atom", "battery.atom"]
    parsed = feed(battery.path, "battery.atom")
    assert parsed.feed.title == "Battery storage: what is new"
    reference = next(e for e in parsed.entries if "IEC 62660" in e.title)
    assert reference.link == f"{battery.wiki.url}index.php?title={NS}:References"
    page = requests.get(reference.link, timeout=30)  # the link opens the page on the wiki
    assert page.status_code == 200 and "IEC 62660" in page.text
    assert feed(battery.path, "all.atom").entries[0].id in {e.id for e in parsed.entries}

    before = stamps(battery.path)
    quiet = battery.sync("--json")
    assert json.loads(quiet.stdout)["feeds"]["written"] == []
    assert stamps(battery.path) == before  # no new modification time

    member(battery.wiki).save(f"{NS}:References", member(battery.wiki).read(
        f"{NS}:References").replace("title=Li-ion cells", "title=Li-ion cells|version=2"))
    member(battery.wiki).append(f"{NS}:Watch", "{{CoP watch|date=2026-11-20|title=Na-ion"
                                               "|url=https://example.com/na}}")
    assert battery.sync().exit_code == 0
    after = feed(battery.path, "battery.atom")
    edited = next(e for e in after.entries if "IEC 62660" in e.title)
    assert edited.id == reference.id and edited.updated > reference.updated
    assert "Version: 2" in edited.summary
    assert next(e for e in after.entries if e.title == "Na-ion").link == \
        "https://example.com/na"
    assert stamps(battery.path) != before


@pytest.mark.mediawiki
def test_mediawiki_feeds_cost_no_wiki_request(battery: CopDir) -> None:
    assert battery.sync().exit_code == 0
    with proxied(battery.wiki.url) as without:
        assert battery.sync().exit_code == 0
    with battery.config.open("a", encoding="utf-8") as toml:
        toml.write(FEEDS)
    with proxied(battery.wiki.url) as with_feeds:
        assert battery.sync().exit_code == 0
    assert (battery.path / "feeds" / "battery.atom").exists()
    assert len(with_feeds.seen) == len(without.seen)


@pytest.mark.mediawiki
def test_a_feeds_directory_that_cannot_be_written_fails_the_run_not_the_sync(
        battery: CopDir) -> None:
    with battery.config.open("a", encoding="utf-8") as toml:
        toml.write(FEEDS)
    (battery.path / "feeds").write_text("a file where the directory should be")
    member(battery.wiki).append(f"{NS}:Watch", "{{CoP watch|date=2026-11-20|title=Na-ion}}")
    result = battery.sync()
    assert result.exit_code == 1
    assert f"feeds: cannot write {battery.path / 'feeds'}" in result.output
    assert result.output.rstrip().endswith("; exit 1")
    with battery.records() as records:  # the sync itself is recorded
        assert [e.data["title"] for e in records.entries("battery", "watch")] == ["Na-ion"]


@pytest.mark.mediawiki
def test_mediawiki_digest_reaches_every_member_once_and_names_who_added(
        battery: CopDir) -> None:
    person = member(battery.wiki)
    person.append(f"{NS}:Members",
                  "{{CoP member|email=zoe@corp.example|name=Zoé Dupré|profile=R&D}}",
                  "{{CoP member|email=quiet@corp.example|name=Quiet|profile=sales|digest=no}}")
    person.append(f"{NS}:Watch", "{{CoP watch|date=2026-11-20|title=Na-ion"
                                 "|url=https://example.com/na}}")
    assert battery.sync().exit_code == 0
    time.sleep(1.1)  # a digest covers up to the second it starts, that second excluded
    with MailServer() as server:
        with battery.config.open("a", encoding="utf-8") as toml:
            toml.write(mail(server))
        sent = battery("digest", "battery", "--send")  # reads the wiki's history first
        assert sent.exit_code == 0, sent.output
        to = sorted(r.recipients[0] for r in server.inbox.received)
        assert to == ["claire@corp.example", "karim@corp.example", "zoe@corp.example"]
        zoe = next(r.message for r in server.inbox.received
                   if r.recipients == ["zoe@corp.example"])
        text = zoe.get_body(("plain",)).get_content()
        assert zoe["Subject"].startswith("What is new in Battery storage since ")
        assert "Na-ion" in text and "https://example.com/na" in text
        assert f"added by {battery.wiki.credentials.member_user}" in text
        assert f"{battery.wiki.url}index.php?title={NS}:Members" in text
        again = battery("digest", "battery", "--send", "--no-wiki")
        assert again.exit_code == 0 and len(server.inbox.received) == 3


# --- the fake Confluence ------------------------------------------------------------------------

class Cli:
    def __init__(self, directory: Path, fake: ConfluenceFake) -> None:
        self.fake = fake
        self.path = directory
        self.config = directory / "cop.toml"
        self.env = {"COP_CONFIG": str(self.config), "COP_CONFLUENCE_TOKEN": fake.token}

    def __call__(self, *args: str, command=_cop) -> Result:
        return CliRunner().invoke(command, list(args), env=self.env, catch_exceptions=False)

    def sync(self, *args: str) -> Result:
        return self(*args, command=cop_sync)


@pytest.fixture
def confluence(confluence_cloud: ConfluenceFake, tmp_path: Path) -> Cli:
    fake = confluence_cloud
    fake.clock.set(datetime.now(UTC))
    cli = Cli(tmp_path, fake)
    assert cli("init", "--confluence-url", fake.base_url, "--confluence-user",
               "copbot@example.com", "--confluence-cloud").exit_code == 0
    added = cli("community", "add", "solaire", "--name", "Solaire", "--theme", "Énergie",
                "--pilot", "claire@corp.example", "--expert", "karim@corp.example",
                "--backend", "confluence", "--lang", "fr")
    assert added.exit_code == 0, added.output
    assert cli("provision", "solaire").exit_code == 0
    with cli.config.open("a", encoding="utf-8") as toml:
        toml.write(FEEDS)
    assert cli.sync().exit_code == 0
    return cli


def add_row(fake: ConfluenceFake, title: str, cells: list[str]) -> None:
    """A member adds a row to the page's list (its table found by its column headers)."""
    page = fake.page("SOLAIRE", title)
    fake.edit_page("SOLAIRE", title, add_table_row(page.body, cells))


def test_confluence_feeds_link_the_pages_and_update(confluence: Cli) -> None:
    fake = confluence.fake
    before = stamps(confluence.path)
    fake.clock.advance(1)
    add_row(fake, "Veille", ['<time datetime="2026-11-02" />', "Cellules sodium",
                             '<a href="https://exemple.fr/na">article</a>', "Labo",
                             "Moins chères", "na"])
    assert confluence.sync().exit_code == 0
    parsed = feed(confluence.path, "solaire.atom")
    assert parsed.feed.title == "Solaire : les nouveautés" and parsed.feed.language == "fr"
    entry = next(e for e in parsed.entries if e.title == "Cellules sodium")
    assert entry.link == "https://exemple.fr/na"
    veille = fake.page("SOLAIRE", "Veille")
    related = [link.href for link in entry.links if link.rel == "related"]
    assert related == [f"{fake.base_url}/spaces/SOLAIRE/pages/{veille.id}"]
    assert entry.summary.startswith("Veille — Moins chères")
    assert stamps(confluence.path)["solaire.atom"] != before["solaire.atom"]
    quiet = stamps(confluence.path)
    assert confluence.sync().exit_code == 0
    assert stamps(confluence.path) == quiet


def test_confluence_digest_in_french_once(confluence: Cli) -> None:
    fake = confluence.fake
    fake.clock.advance(1)
    add_row(fake, "Membres", ['<a href="mailto:zoe@corp.example">zoe@corp.example</a>',
                              "Zoé Dupré", "R&amp;D", "membre", "Lyon", "", ""])
    add_row(fake, "Membres", ["pas@corp.example", "Pas Moi", "ventes", "membre", "", "",
                              "non"])
    assert confluence.sync().exit_code == 0
    time.sleep(1.1)  # a digest covers up to the second it starts, that second excluded
    with MailServer() as server:
        with confluence.config.open("a", encoding="utf-8") as toml:
            toml.write(mail(server))
        sent = confluence("digest", "--all", "--send", "--no-wiki")
        assert sent.exit_code == 0, sent.output
        to = sorted(r.recipients[0] for r in server.inbox.received)
        assert to == ["claire@corp.example", "karim@corp.example", "zoe@corp.example"]
        zoe = next(r.message for r in server.inbox.received
                   if r.recipients == ["zoe@corp.example"])
        assert zoe["Subject"].startswith("Les nouveautés de Solaire depuis le ")
        assert zoe["Content-Language"] == "fr"
        text = zoe.get_body(("plain",)).get_content()
        assert text.startswith("Bonjour Zoé Dupré,")
        assert re.search(r"Zoé Dupré a rejoint la communauté", text)
        assert ("écrivez « non » dans le champ « Nouveautés par courriel » de votre ligne "
                "de la page Membres") \
            in text
        membres = fake.page("SOLAIRE", "Membres")
        assert f"{fake.base_url}/spaces/SOLAIRE/pages/{membres.id}" in text
        again = confluence("digest", "--all", "--send", "--no-wiki")
        assert again.exit_code == 0 and len(server.inbox.received) == 3
