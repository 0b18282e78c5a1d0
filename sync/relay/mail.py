"""A digest as an e-mail (pure): ``multipart/alternative`` with a plain-text and an HTML
part, built with the standard library's ``EmailMessage``, which encodes what needs it
(RFC 2047 for non-ASCII names and subjects, quoted-printable or base64 for the parts).

The Message-ID is derived from the recipient and what the message covers, so the same
digest, were it ever sent again, carries the same id (mail clients fold such copies).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from sync.relay.digest import Digest, Rendered


def build_message(digest: Digest, rendered: Rendered, sender: Address, *,
                  now: datetime) -> EmailMessage:
    """The message for ``digest``, from ``sender``, dated ``now`` (timezone-aware).
    Raises ValueError for an address the e-mail standards cannot carry."""
    recipient = digest.recipient
    user, _, domain = recipient.email.partition("@")
    message = EmailMessage()
    message["From"] = sender
    message["To"] = Address(display_name=recipient.name, username=user, domain=domain)
    message["Subject"] = rendered.subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = message_id(digest, sender.domain or "localhost")
    # RFC 3834: written by a program; out-of-office replies are not sent back to it
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(rendered.text)
    message.add_alternative(rendered.html, subtype="html")
    message["Content-Language"] = digest.lang  # after the parts: set_content drops it
    return message


def message_id(digest: Digest, domain: str) -> str:
    covered = "|".join(f"{slug}={until}" for slug, until in sorted(digest.until.items()))
    token = hashlib.sha256(f"{digest.recipient.email}|{covered}".encode()).hexdigest()[:32]
    return f"<cop-digest.{token}@{domain}>"
