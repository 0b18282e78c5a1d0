"""The e-mail digest (issue 15, item 3), without a network: who gets one, covering what,
in which language, as which message; sent through a fake server that refuses, fails or
is killed, and run again. tests/integration/test_relay_mail.py sends to a real one."""

from __future__ import annotations

from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from msgspec.structs import replace
from relay_out_world import T, World, config

from connector.errors import ConfigError, UsageError
from sync.records.model import Entry
from sync.relay.digest import recipients
from sync.relay.digests import DigestOptions, DigestRun
from sync.relay.smtp import Refused, ServerFailed

WATCH = ("{{CoP watch|date=2026-11-20|title=Sodium-ion cells|url=https://example.com/na"
         "|summary=Cheaper than lithium.}}")
VEILLE = ("{{CoP watch|date=2026-11-21|title=Cellules « sodium » <b>|url=https://exemple.fr/na"
          "|summary=Moins chères & plus sûres.}}")
ZOE = "{{CoP member|email=zoe@corp.example|name=Zoé Dupré-Ñúñez|profile=R&D}}"
MAIL = {"mail": {"host": "127.0.0.1", "security": "none",
                 "from": "Communautés de pratiques <cop@corp.example>"}}


class FakeServer:
    """What the digest run sees of an SMTP server: ``send`` or an error."""

    def __init__(self, *, refuse: tuple[str, ...] = (), fail_after: int | None = None,
                 killed_after: int | None = None) -> None:
        self.sent: list[tuple[str, EmailMessage]] = []
        self.refuse = refuse
        self.fail_after = fail_after
        self.killed_after = killed_after

    def __enter__(self) -> FakeServer:
        return self

    def __exit__(self, *exc: object) -> None:
        pass

    def send(self, message: EmailMessage, to: str) -> None:
        if self.killed_after is not None and len(self.sent) >= self.killed_after:
            raise KeyboardInterrupt  # the process is killed mid-run
        if self.fail_after is not None and len(self.sent) >= self.fail_after:
            raise ServerFailed("the mail server went away")
        if to in self.refuse:
            raise Refused(f"the mail server refused {to}: 550 mailbox unavailable")
        self.sent.append((to, message))

    def to(self) -> list[str]:
        return [to for to, _ in self.sent]


@pytest.fixture
def world() -> World:
    world = World.fresh()
    world.config = config(MAIL)
    world.append("battery", "members", ZOE)
    world.append("solar", "members", ZOE)
    world.sync()
    world.clock.advance(3600)  # a week's first digest would include all of it
    return world


def run(world: World, mode: str = "send", server: FakeServer | None = None,
        **options) -> tuple:
    world.clock.advance(60)
    digests = DigestRun(world.records, T, world.config, clock=world.clock)
    report = digests.run(DigestOptions(mode=mode, **options),
                         connect=(lambda: server) if server else None)
    return report, server


# --- who gets what ----------------------------------------------------------------------------

def member(email: str, **data: str) -> Entry:
    return Entry(community="x", kind="members", key=email,
                 data={"email": email, "name": email.split("@", maxsplit=1)[0].title(), **data})


def test_recipients_are_the_members_who_did_not_say_no() -> None:
    gone = Entry(community="x", kind="members", key="old@corp.example",
                 data={"email": "old@corp.example"}, deleted_at="2026-01-01T00:00:00Z")
    found = recipients({"a": [member("ann@corp.example"), member("bob@corp.example",
                                                                 digest="no"), gone,
                              member("not-an-address")],
                        "b": [member("Ann@Corp.example"), member("bob@corp.example")]})
    assert [(r.email, r.communities) for r in found] == [
        ("ann@corp.example", ("a", "b")), ("bob@corp.example", ("b",))]


def test_one_message_per_person_a_section_per_community_in_its_language(
        world: World) -> None:
    world.append("battery", "watch", WATCH)
    world.append("solar", "watch", VEILLE)
    world.sync()
    report, server = run(world, server=FakeServer())
    assert report.exit_code == 0
    assert sorted(server.to()) == ["eli@battery.example", "eli@solar.example",
                                   "pia@battery.example", "pia@solar.example",
                                   "zoe@corp.example"]
    zoe = dict(server.sent)["zoe@corp.example"]
    assert zoe["Subject"].startswith("What is new in your 2 communities of practice since")
    text = zoe.get_body(("plain",)).get_content()
    assert text.startswith("Hello Zoé Dupré-Ñúñez,")
    assert "== Battery storage, since" in text and "== Solaire, depuis le" in text
    assert "Veille (1)" in text and "Watch (1)" in text
    assert ("écrivez « non » dans le champ « Nouveautés par courriel » de votre ligne de la "
            "page Membres") in text
    assert "write “no” in the “Digest” field of your row on the Members page" in text
    french = dict(server.sent)["pia@solar.example"]
    assert french["Subject"].startswith("Les nouveautés de Solaire depuis le ")
    assert french["Content-Language"] == "fr"
    assert french.get_body(("plain",)).get_content().startswith("Bonjour Pia,")


def test_the_message_is_multipart_alternative_with_proper_encodings(world: World) -> None:
    run(world, server=FakeServer())  # the members' joining
    world.append("solar", "watch", VEILLE)
    world.sync()
    _, server = run(world, server=FakeServer())
    raw = dict(server.sent)["zoe@corp.example"].as_bytes()
    assert raw.isascii()  # every non-ASCII character encoded (RFC 2047, QP/base64)
    message = message_from_bytes(raw, policy=policy.default)
    assert message.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in message.iter_parts())
    assert str(message["To"]) == "Zoé Dupré-Ñúñez <zoe@corp.example>"
    assert message["To"].addresses[0].addr_spec == "zoe@corp.example"
    assert message["From"].addresses[0].display_name == "Communautés de pratiques"
    assert message["Subject"] == "Les nouveautés de Solaire depuis le 2026-12-01"
    assert parsedate_to_datetime(message["Date"]).tzinfo is not None
    assert message["Message-ID"].startswith("<cop-digest.")
    assert message["Message-ID"].endswith("@corp.example>")
    assert message["Auto-Submitted"] == "auto-generated"
    html = BeautifulSoup(message.get_body(("html",)).get_content(), "html.parser")
    links = {a.get_text(): a["href"] for a in html.find_all("a")}
    assert links["Cellules « sodium » <b>"] == "https://exemple.fr/na"  # "<b>" as text
    assert links["Veille (1)"] == "https://wiki.corp.example/w/index.php?title=CoP_Solar:Veille"
    assert links["Membres"].endswith("CoP_Solar:Membres")
    assert html.find("b") is None  # member text is text, never markup
    assert "Moins chères & plus sûres." in html.get_text()


def test_nothing_new_means_no_message(world: World) -> None:
    run(world, server=FakeServer())  # the members' joining
    report, server = run(world, server=FakeServer())
    assert report.deliveries == [] and server.sent == []


def test_nothing_is_sent_twice_and_the_next_digest_starts_where_the_last_ended(
        world: World) -> None:
    world.append("battery", "watch", WATCH)
    world.sync()
    first, _ = run(world, server=FakeServer())
    assert {d.status for d in first.deliveries} == {"sent"}
    _again, server = run(world, server=FakeServer())
    assert server.sent == []
    world.append("battery", "references", "{{CoP reference|ref=IEC 62660|title=Cells}}")
    world.sync()
    _third, server = run(world, server=FakeServer())
    assert sorted(server.to()) == ["eli@battery.example", "pia@battery.example",
                                   "zoe@corp.example"]
    text = dict(server.sent)["zoe@corp.example"].get_body(("plain",)).get_content()
    assert "IEC 62660 — Cells" in text and "Sodium-ion" not in text
    assert len(world.records.digests_sent("zoe@corp.example")) == 2


def test_a_refused_recipient_is_reported_and_retried_the_others_are_not_lost(
        world: World) -> None:
    report, server = run(world, server=FakeServer(refuse=("zoe@corp.example",)))
    assert report.exit_code == 1
    refused = [d for d in report.deliveries if d.status == "refused"]
    assert [(d.email, d.error) for d in refused] == [
        ("zoe@corp.example", "the mail server refused zoe@corp.example: 550 mailbox "
                             "unavailable")]
    assert len(server.sent) == 4
    retry, server = run(world, server=FakeServer())
    assert server.to() == ["zoe@corp.example"] and retry.exit_code == 0


def test_a_failing_server_stops_the_run_and_the_next_sends_only_the_rest(
        world: World) -> None:
    report, server = run(world, server=FakeServer(fail_after=2))
    assert report.exit_code == 1 and report.error == "the mail server went away"
    assert [d.status for d in report.deliveries].count("not-sent") == 3
    first = set(server.to())
    _rest, server = run(world, server=FakeServer())
    assert len(server.sent) == 3 and not first & set(server.to())


def test_a_run_killed_halfway_sends_only_the_rest_when_run_again(world: World) -> None:
    killed = FakeServer(killed_after=2)
    with pytest.raises(KeyboardInterrupt):
        run(world, server=killed)
    _rest, server = run(world, server=FakeServer())
    assert len(killed.sent) + len(server.sent) == 5
    assert not set(killed.to()) & set(server.to())


def test_a_member_who_says_no_on_the_wiki_gets_nothing_and_yes_brings_it_back(
        world: World) -> None:
    world.replace("solar", "members", "profile=R&D}}", "profile=R&D|digest=non}}")
    world.sync()
    assert world.records.live_rows("solar", "members")["zoe@corp.example"]["digest"] == "no"
    world.append("solar", "watch", VEILLE)
    world.sync()
    _, server = run(world, server=FakeServer())
    zoe = dict(server.sent)["zoe@corp.example"]
    assert zoe["Subject"].startswith("What is new in Battery storage")  # not Solaire
    world.replace("battery", "members", "profile=R&D}}", "profile=R&D|digest=no}}")
    world.append("battery", "watch", WATCH)
    world.sync()
    _, server = run(world, server=FakeServer())
    assert "zoe@corp.example" not in server.to()


def test_someone_who_left_gets_nothing(world: World) -> None:
    world.replace("battery", "members", ZOE, "")
    world.replace("solar", "members", ZOE, "")
    world.sync()
    world.append("battery", "watch", WATCH)
    world.sync()
    _, server = run(world, server=FakeServer())
    assert "zoe@corp.example" not in server.to()


def test_one_community_only(world: World) -> None:
    _, server = run(world, server=FakeServer(), communities=["solar"])
    assert sorted(server.to()) == ["eli@solar.example", "pia@solar.example",
                                   "zoe@corp.example"]
    with pytest.raises(UsageError, match="no community 'nope'"):
        run(world, server=FakeServer(), communities=["nope"])


def test_since_sets_where_a_first_digest_starts_never_before_the_last(world: World) -> None:
    assert run(world, "preview", since="2099-01-01")[0].deliveries == []
    assert len(run(world, "preview", since="2020-01-01")[0].deliveries) == 5
    run(world, server=FakeServer())
    assert run(world, "preview", since="2020-01-01")[0].deliveries == []


def test_preview_and_dry_run_send_nothing_and_record_nothing(world: World,
                                                            tmp_path: Path) -> None:
    preview, _ = run(world, "preview")
    assert {d.status for d in preview.deliveries} == {"would-send"}
    _dry, _ = run(world, "dry-run", out_dir=tmp_path / "eml")
    files = sorted((tmp_path / "eml").glob("*.eml"))
    assert [p.name for p in files][:1] == ["001-eli@battery.example.eml"] and len(files) == 5
    parsed = message_from_bytes(files[-1].read_bytes(), policy=policy.default)
    assert parsed["To"].addresses[0].addr_spec == "zoe@corp.example"
    assert world.records.digest_marks() == {}
    assert len(run(world, "preview")[0].deliveries) == 5


def test_without_a_mail_section_only_the_preview_works(world: World,
                                                      tmp_path: Path) -> None:
    world.config = config()
    assert len(run(world, "preview")[0].deliveries) == 5
    with pytest.raises(ConfigError, match=r"\[mail\]"):
        run(world, "dry-run", out_dir=tmp_path)


def test_archived_communities_get_no_digest(world: World) -> None:
    solar = world.records.community("solar")
    world.records.save_community(replace(solar, status="archived"))
    report, server = run(world, server=FakeServer())
    assert report.skipped == ["solar: archived, no digest"]
    assert sorted(server.to()) == ["eli@battery.example", "pia@battery.example",
                                   "zoe@corp.example"]


def test_the_members_page_says_how_to_stop_the_digest(world: World) -> None:
    french = world.wiki.page(world.page("solar", "members")).content
    assert ("* '''Nouveautés par courriel''' (<code>digest=</code>) : Le courriel qui liste "
            "les nouveautés de la communauté") in french
    assert "écrivez non pour l'arrêter, oui pour le retrouver." in french
    english = world.wiki.page(world.page("battery", "members")).content
    assert "write no to stop it, yes to get it back." in english
