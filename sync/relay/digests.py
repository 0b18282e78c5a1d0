"""A `cop digest` run: who gets what, then a preview, ``.eml`` files, or the messages sent.

Each recipient's digest of a community covers what is new from their mark (up to when
their last digest of it was sent; the records keep it per person and community) or, the
first time, from ``--since`` (default: 7 days before), up to the run's start: half-open
windows, so consecutive digests neither miss nor repeat a row. ``--since`` never reaches
back before a mark: what was sent is not sent again.

Sending: one message per person; right after the server accepts it, its marks and its
line in the log are committed (one transaction), so a run killed halfway and run again
sends only the rest. A refused recipient is reported and the others go on; a server that
fails stops the run; either way, what was not accepted is tried again next run. (The one
window left is between the server's acceptance and the commit, a few milliseconds: a
crash exactly there sends that message again, with the same Message-ID.)
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from pathlib import Path
from typing import Literal, Protocol

from msgspec import Struct, field
from msgspec.structs import asdict

from connector.errors import EXIT_OK, EXIT_PARTIAL, ConfigError, UsageError
from page_templates import TemplateSet
from sync.clock import format_time, parse_time, utc_now
from sync.config.loader import Config
from sync.records.model import Community
from sync.records.store import Records
from sync.relay.collect import NewsReader, Window
from sync.relay.digest import (
    Digest,
    Recipient,
    Section,
    frame_language,
    members_texts,
    recipients,
    render,
)
from sync.relay.mail import build_message
from sync.relay.news import NewsItem
from sync.relay.smtp import Refused, ServerFailed

FIRST_DAYS = 7  # a first digest covers this many days, unless --since says otherwise
PLACEHOLDER_SENDER = "cop-connector <cop-connector@localhost.invalid>"
Mode = Literal["preview", "dry-run", "send"]


class Server(Protocol):
    def send(self, message: EmailMessage, to: str) -> None: ...


Connect = Callable[[], AbstractContextManager[Server]]


class DigestOptions(Struct, frozen=True):
    communities: Sequence[str] | None = None  # slugs; None: every community not archived
    since: str | None = None  # YYYY-MM-DD or a time: the first digest's start
    mode: Mode = "preview"
    out_dir: Path | None = None  # --dry-run: where the .eml files go


class Delivery(Struct):
    """One recipient's digest and what became of it: ``would-send`` (preview),
    ``written`` (a file), ``sent``, ``refused``, or ``not-sent`` (the server failed
    first)."""

    email: str
    name: str
    communities: list[str]
    items: int
    subject: str
    status: str = "would-send"
    error: str = ""
    path: str = ""
    message_id: str = ""


class DigestReport(Struct):
    mode: Mode
    until: str
    deliveries: list[Delivery] = field(default_factory=list)
    error: str = ""  # the server failed: the run stopped there
    skipped: list[str] = field(default_factory=list)  # communities left out, and why

    @property
    def exit_code(self) -> int:
        failed = self.error or any(d.status in ("refused", "not-sent")
                                   for d in self.deliveries)
        return EXIT_PARTIAL if failed else EXIT_OK

    def to_dict(self) -> dict[str, object]:
        return {"mode": self.mode, "until": self.until, "error": self.error,
                "skipped": self.skipped, "exit_code": self.exit_code,
                "deliveries": [asdict(d) for d in self.deliveries]}


class DigestRun:
    """Plans the digests from the records, then previews, writes or sends them."""

    def __init__(self, records: Records, templates: TemplateSet, config: Config, *,
                 clock: Callable[[], str] = utc_now) -> None:
        self.records = records
        self.templates = templates
        self.config = config
        self.clock = clock
        self.reader = NewsReader(records, templates, config)
        self._cache: dict[tuple[str, str], tuple[NewsItem, ...]] = {}

    def communities(self, slugs: Sequence[str] | None) -> tuple[list[Community], list[str]]:
        """The communities asked for (archived ones left out, with a word why)."""
        chosen = self.records.communities() if slugs is None else [
            self._community(slug) for slug in slugs]
        skipped = [f"{c.slug}: archived, no digest" for c in chosen if c.archived]
        return [c for c in chosen if not c.archived], skipped

    def plan(self, communities: Sequence[Community], *, until: str,
             since: str | None = None) -> list[Digest]:
        """Each recipient's digest (those with something new), by e-mail address."""
        members = {c.slug: self.records.entries(c.slug, "members") for c in communities}
        by_slug = {c.slug: c for c in communities}
        floor = _floor(since, until)
        digests = []
        for recipient in recipients(members):
            marks = self.records.digest_marks(recipient.email)
            sections = [self._section(by_slug[slug], max(floor, marks.get(
                (recipient.email, slug), floor)), until) for slug in recipient.communities]
            with_news = tuple(s for s in sections if s.items)
            if with_news:
                digests.append(Digest(
                    recipient=recipient, lang=frame_language(with_news,
                                                             self.config.default_lang),
                    sections=with_news, until={s.slug: until for s in sections}))
        return digests

    def run(self, options: DigestOptions, connect: Connect | None = None) -> DigestReport:
        """Plan, then preview (nothing written), write ``.eml`` files (``dry-run``), or send
        through ``connect()`` (``send``). Raises ConfigError without [mail] for
        dry-run and send, UsageError for an unknown community, LoginRefused (exit 2)
        for a refused login."""
        until = self.clock()
        communities, skipped = self.communities(options.communities)
        report = DigestReport(mode=options.mode, until=until, skipped=skipped)
        digests = self.plan(communities, until=until, since=options.since)
        outgoing = _outgoing(digests, self._sender(options.mode), until)
        report.deliveries = [o.delivery for o in outgoing]
        ready = [o for o in outgoing if o.message is not None]
        if options.mode == "dry-run":
            _write_files(ready, options.out_dir or Path("digests"))
        elif options.mode == "send" and ready:
            if connect is None:
                raise ConfigError("no mail server to send through", setting="mail")
            self._send(ready, report, connect)
        return report

    def _send(self, outgoing: list[Outgoing], report: DigestReport, connect: Connect) -> None:
        try:
            with connect() as server:
                for one in outgoing:
                    self._send_one(server, one)
        except ServerFailed as error:
            if error.exit_code != EXIT_PARTIAL:
                raise  # a refused login, or [mail] wrong for this server: exit 2
            report.error = str(error)
            for one in outgoing:
                if one.delivery.status == "would-send":
                    one.delivery.status = "not-sent"

    def _send_one(self, server: Server, one: Outgoing) -> None:
        assert one.message is not None
        try:
            server.send(one.message, one.digest.recipient.email)
        except Refused as error:
            one.delivery.status, one.delivery.error = "refused", str(error)
            return
        self.records.record_digest(one.digest.recipient.email, one.digest.until,
                                   sent_at=self.clock(), message_id=one.delivery.message_id,
                                   items=one.digest.items)
        one.delivery.status = "sent"

    def _section(self, community: Community, since: str, until: str) -> Section:
        key = (community.slug, since)
        if key not in self._cache:
            self._cache[key] = tuple(self.reader.items(community, Window(since, until)))
        links = self.reader.links(community)
        return Section(slug=community.slug, name=community.name, lang=community.lang,
                       since=since, until=until, items=self._cache[key], home=links.home,
                       members_link=links.pages.get("members", ""),
                       **members_texts(self.templates.get("members"), community.lang))

    def _community(self, slug: str) -> Community:
        community = self.records.community(slug)
        if community is None:
            raise UsageError(f"no community {slug!r} (see `cop community list`)")
        return community

    def _sender(self, mode: Mode) -> Address:
        if self.config.mail is not None:
            return self.config.mail.sender_address
        if mode == "preview":
            return _address(PLACEHOLDER_SENDER)
        raise ConfigError("--dry-run writes the messages as the server would get them, From "
                          "included: add a [mail] section (host, from, ...; see "
                          "docs/relay.md or `cop init`'s starter file), or leave out "
                          "--dry-run for a preview that needs none", setting="mail",
                          path=str(self.config.path))


class Outgoing(Struct):
    """A digest, its message (None when its address cannot be written in a message), and
    what became of it."""

    digest: Digest
    message: EmailMessage | None
    delivery: Delivery


def _outgoing(digests: Sequence[Digest], sender: Address, until: str) -> list[Outgoing]:
    found = []
    for digest in digests:
        rendered = render(digest)
        delivery = Delivery(email=digest.recipient.email, name=digest.recipient.name,
                            communities=[s.slug for s in digest.sections],
                            items=digest.items, subject=rendered.subject)
        try:
            message: EmailMessage | None = build_message(digest, rendered, sender,
                                                         now=parse_time(until))
            delivery.message_id = str(message["Message-ID"])
        except ValueError as error:  # an address no e-mail header can carry
            message = None
            delivery.status, delivery.error = "refused", f"cannot write to this address: {error}"
        found.append(Outgoing(digest, message, delivery))
    return found


def _floor(since: str | None, until: str) -> str:
    """Where a first digest starts: ``since`` (a date or a time), else FIRST_DAYS before
    ``until``."""
    if since is None:
        return format_time(parse_time(until) - timedelta(days=FIRST_DAYS))
    return since if "T" in since else f"{since}T00:00:00Z"


def _address(text: str) -> Address:
    name, _, rest = text.partition(" <")
    user, _, domain = rest.rstrip(">").partition("@")
    return Address(display_name=name, username=user, domain=domain)


def _write_files(outgoing: list[Outgoing], directory: Path) -> None:
    """Each message as ``NNN-address.eml`` (what a mail client opens). Raises UsageError
    for a directory that cannot be written."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        for number, one in enumerate(outgoing, start=1):
            assert one.message is not None
            path = directory / f"{number:03d}-{_file_part(one.digest.recipient.email)}.eml"
            path.write_bytes(one.message.as_bytes())
            one.delivery.status, one.delivery.path = "written", str(path)
    except OSError as error:
        raise UsageError(f"cannot write the messages in {directory}: "
                         f"{error.strerror or error}") from error


def _file_part(email: str) -> str:
    return re.sub(r"[^a-z0-9@._-]+", "_", email.lower())[:80]


__all__ = ["DigestOptions", "DigestReport", "DigestRun", "Recipient"]
