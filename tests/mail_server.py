"""A real SMTP server for the tests (aiosmtpd, in a thread): it receives the digests, can
refuse a recipient (550), vanish in the middle of a run, speak STARTTLS or TLS with a
certificate from a throwaway authority (trustme), and ask for a login."""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Received:
    sender: str
    recipients: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.data, policy=policy.default)  # type: ignore[return-value]


@dataclass
class Inbox:
    """The handler: what arrived, whom to refuse, when to vanish."""

    received: list[Received] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)
    vanish_after: int | None = None  # accept this many messages, then drop the connection
    closing_after: int | None = None  # accept this many messages, then answer 421

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        if address.lower() in self.refuse:
            return f"550 5.1.1 <{address}>: mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.vanish_after is not None and len(self.received) >= self.vanish_after:
            server.transport.abort()  # gone without a word: nothing was accepted
            return "421 4.3.2 going away"
        if self.closing_after is not None and len(self.received) >= self.closing_after:
            return "421 4.3.2 shutting down, closing the channel"
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                      envelope.original_content or envelope.content))
        return "250 2.0.0 accepted"

    def messages(self) -> list[EmailMessage]:
        return [r.message for r in self.received]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Authority:
    """A throwaway certificate authority and a certificate for 127.0.0.1 / localhost."""

    def __init__(self, directory: Path) -> None:
        self.ca = trustme.CA()
        self.certificate = self.ca.issue_cert("127.0.0.1", "localhost")
        self.bundle = directory / "test-ca.pem"
        self.ca.cert_pem.write_to_path(str(self.bundle))

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.certificate.configure_cert(context)
        return context


class MailServer:
    """``with MailServer(security=...) as server:`` listens on 127.0.0.1:``server.port``.

    ``security``: "none", "starttls" (required before MAIL) or "tls"; ``login``: a
    (user, password) the server demands (over TLS only, as aiosmtpd does by default)."""

    def __init__(self, *, security: str = "none", authority: Authority | None = None,
                 login: tuple[str, str] | None = None, inbox: Inbox | None = None) -> None:
        self.security = security
        self.authority = authority
        self.login = login
        self.inbox = inbox or Inbox()
        self.port = free_port()
        self._controller: Controller | None = None

    def __enter__(self) -> MailServer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        options: dict[str, Any] = {}
        if self.security in ("starttls", "tls"):
            assert self.authority is not None
            context = self.authority.server_context()
            if self.security == "starttls":
                options.update(tls_context=context, require_starttls=True)
            else:
                options.update(ssl_context=context)
        if self.login is not None:
            options.update(authenticator=self._authenticate, auth_required=True)
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port,
                                      **options)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def _authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str,
                      data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and self.login is not None and (
            data.login.decode(), data.password.decode()) == self.login
        return AuthResult(success=ok, handled=False)
