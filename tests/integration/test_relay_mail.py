"""Digests through a real SMTP server (aiosmtpd, started here): messages parsed back,
a recipient the server refuses (550), a server gone mid-run, STARTTLS and TLS verified
against a throwaway authority given as [mail] ca_bundle, a login, a refused login."""

from __future__ import annotations

from email import message_from_bytes, policy
from pathlib import Path

import pytest
from mail_server import Authority, Inbox, MailServer
from relay_out_world import T, World, config

from sync.config.relay_out import MailConfig
from sync.relay.digests import DigestOptions, DigestReport, DigestRun
from sync.relay.smtp import LoginRefused, SettingsMismatch, SmtpSender

ZOE = "{{CoP member|email=zoe@corp.example|name=Zoé Dupré|profile=R&D}}"
VEILLE = ("{{CoP watch|date=2026-11-21|title=Cellules sodium|url=https://exemple.fr/na"
          "|summary=Moins chères.}}")
WATCH = "{{CoP watch|date=2026-11-20|title=Sodium-ion cells|url=https://example.com/na}}"
FROM = "Communautés de pratiques <cop@corp.example>"


@pytest.fixture(scope="module")
def authority(tmp_path_factory: pytest.TempPathFactory) -> Authority:
    return Authority(tmp_path_factory.mktemp("ca"))


@pytest.fixture
def world() -> World:
    world = World.fresh()
    world.append("battery", "members", ZOE)
    world.append("solar", "members", ZOE)
    world.append("battery", "watch", WATCH)
    world.append("solar", "watch", VEILLE)
    world.sync()
    return world


def mail(server: MailServer, **settings: object) -> MailConfig:
    return MailConfig(**{"host": "127.0.0.1", "port": server.port, "sender": FROM,
                         "security": server.security, **settings})


def send(world: World, settings: MailConfig, password: str = "", ca_file: str = ""
         ) -> DigestReport:
    world.clock.advance(60)
    run = DigestRun(world.records, T, config({"mail": {"host": "x", "from": FROM,
                                                       "security": "none"}}),
                    clock=world.clock)
    return run.run(DigestOptions(mode="send"),
                   connect=lambda: SmtpSender(settings, password, ca_file=ca_file))


def test_every_member_gets_one_message_once(world: World) -> None:
    with MailServer() as server:
        report = send(world, mail(server))
        assert report.exit_code == 0, report.to_dict()
        received = server.inbox.received
        assert sorted(r.recipients[0] for r in received) == [
            "eli@battery.example", "eli@solar.example", "pia@battery.example",
            "pia@solar.example", "zoe@corp.example"]
        assert all(len(r.recipients) == 1 and r.sender == "cop@corp.example"
                   for r in received)
        zoe = next(r.message for r in received if r.recipients == ["zoe@corp.example"])
        assert str(zoe["To"]) == "Zoé Dupré <zoe@corp.example>"
        assert str(zoe["From"]) == FROM
        assert zoe["Subject"].startswith("What is new in your 2 communities of practice")
        assert zoe["Message-ID"] == next(d.message_id for d in report.deliveries
                                         if d.email == "zoe@corp.example")
        assert zoe.get_content_type() == "multipart/alternative"
        text = zoe.get_body(("plain",)).get_content()
        html = zoe.get_body(("html",)).get_content()
        assert "== Solaire, depuis le" in text and "Cellules sodium" in text
        assert '<a href="https://exemple.fr/na">Cellules sodium</a>' in html
        assert 'href="https://wiki.corp.example/w/index.php?title=CoP_Solar:Veille"' in html
        french = next(r.message for r in received if r.recipients == ["pia@solar.example"])
        assert french["Subject"].startswith("Les nouveautés de Solaire depuis le")
        assert french.get_body(("plain",)).get_content().startswith("Bonjour Pia,")
        again = send(world, mail(server))
        assert again.deliveries == [] and len(server.inbox.received) == 5


def test_a_recipient_the_server_refuses_is_reported_and_retried(world: World) -> None:
    with MailServer(inbox=Inbox(refuse={"zoe@corp.example"})) as server:
        report = send(world, mail(server))
        assert report.exit_code == 1
        refused = [d for d in report.deliveries if d.status == "refused"]
        assert [d.email for d in refused] == ["zoe@corp.example"]
        assert "550 5.1.1 <zoe@corp.example>: mailbox unavailable" in refused[0].error
        assert len(server.inbox.received) == 4
        server.inbox.refuse.clear()
        retry = send(world, mail(server))
        assert [d.email for d in retry.deliveries] == ["zoe@corp.example"]
        assert retry.exit_code == 0 and len(server.inbox.received) == 5


def test_a_server_gone_mid_run_the_next_run_sends_only_the_rest(world: World) -> None:
    with MailServer(inbox=Inbox(vanish_after=2)) as server:
        report = send(world, mail(server))
        assert report.exit_code == 1
        assert "went away" in report.error, report.error
        assert [d.status for d in report.deliveries] == ["sent", "sent", "not-sent",
                                                         "not-sent", "not-sent"]
        first = {r.recipients[0] for r in server.inbox.received}
        server.inbox.vanish_after = None
        rest = send(world, mail(server))
        assert rest.exit_code == 0 and [d.status for d in rest.deliveries] == ["sent"] * 3
        later = {r.recipients[0] for r in server.inbox.received} - first
        assert len(later) == 3 and len(server.inbox.received) == 5


def test_a_server_closing_the_channel_stops_the_run_as_gone(world: World) -> None:
    with MailServer(inbox=Inbox(closing_after=1)) as server:
        report = send(world, mail(server))
        assert "421 4.3.2 shutting down" in report.error
        assert [d.status for d in report.deliveries].count("sent") == 1
        assert not [d for d in report.deliveries if d.status == "refused"]


def test_an_unreachable_server_loses_nothing(world: World) -> None:
    server = MailServer()  # never started: nobody listens on its port
    report = send(world, mail(server, timeout=2.0))
    assert report.exit_code == 1 and "cannot reach the mail server" in report.error
    assert {d.status for d in report.deliveries} == {"not-sent"}
    assert world.records.digest_marks() == {}


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_tls_is_verified_against_the_configured_authority(
        world: World, authority: Authority, security: str) -> None:
    with MailServer(security=security, authority=authority) as server:
        report = send(world, mail(server), ca_file=str(authority.bundle))
        assert report.exit_code == 0, report.to_dict()
        assert len(server.inbox.received) == 5


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_an_unknown_authority_is_refused_never_trusted(
        world: World, authority: Authority, security: str) -> None:
    with MailServer(security=security, authority=authority) as server:
        report = send(world, mail(server))  # the system's authorities only
        assert report.exit_code == 1
        assert "TLS verification failed" in report.error
        assert "mail.ca_bundle" in report.error
        assert server.inbox.received == []


def test_a_login_over_starttls(world: World, authority: Authority) -> None:
    with MailServer(security="starttls", authority=authority,
                    login=("cop-bot", "s3cret-pass")) as server:
        report = send(world, mail(server, user="cop-bot"), password="s3cret-pass",
                      ca_file=str(authority.bundle))
        assert report.exit_code == 0 and len(server.inbox.received) == 5


def test_a_refused_login_is_a_configuration_error(world: World, authority: Authority) -> None:
    with MailServer(security="starttls", authority=authority,
                    login=("cop-bot", "s3cret-pass")) as server:
        with pytest.raises(LoginRefused) as refused:
            send(world, mail(server, user="cop-bot"), password="wrong",
                 ca_file=str(authority.bundle))
        assert refused.value.exit_code == 2
        assert "wrong" not in str(refused.value)
        assert "refused the login of 'cop-bot'" in str(refused.value)


def test_starttls_asked_of_a_server_without_it_is_a_configuration_error(world: World) -> None:
    with MailServer() as server:
        with pytest.raises(SettingsMismatch) as mismatch:
            send(world, mail(server, security="starttls"))
        assert mismatch.value.exit_code == 2
        assert "does not offer STARTTLS" in str(mismatch.value)
        assert not server.inbox.received


def test_the_dry_run_files_are_what_the_server_would_get(world: World,
                                                         tmp_path: Path) -> None:
    run = DigestRun(world.records, T, config({"mail": {"host": "x", "from": FROM,
                                                       "security": "none"}}),
                    clock=world.clock)
    world.clock.advance(60)
    report = run.run(DigestOptions(mode="dry-run", out_dir=tmp_path))
    for delivery in report.deliveries:
        message = message_from_bytes(Path(delivery.path).read_bytes(), policy=policy.default)
        assert message["To"].addresses[0].addr_spec == delivery.email
        assert message.get_content_type() == "multipart/alternative"
