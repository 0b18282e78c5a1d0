"""The HTTP shell of the relay: one polite request per source.

* conditional: the source's last ``ETag`` and ``Last-Modified`` are sent back
  (``If-None-Match``, ``If-Modified-Since``); a 304 costs no body and changes nothing;
* a User-Agent naming cop-connector and its version (and the operator's contact when
  ``[sources] contact`` gives one), an ``Accept`` asking for feeds;
* HTTPS verified (``ca_bundle`` adds a private CA), at most ``MAX_REDIRECTS`` redirects;
* one deadline for the whole exchange (``timeout_seconds``, and never past the run's
  budget): connecting, waiting for the answer and reading the body all count, so a server
  sending a byte a second fails as surely as one sending nothing;
* the body is read as it streams and abandoned past ``max_bytes`` (after decompression),
  so a huge or endless answer costs no more than the cap.

No retry here: the session is the project's (connector/http.py) with retries off, and a
source that fails is simply asked again at its next turn (sync/relay/sources.py).
Failures are ``FetchFailed`` with a problem code (page_templates/problems.toml); URLs in
messages lose their query string (a private feed's token stays out of logs and pages).
"""

from __future__ import annotations

import logging
import time
from http import HTTPStatus
from importlib import metadata
from typing import Literal

import requests
from msgspec import Struct
from urllib3.exceptions import HTTPError
from urllib3.exceptions import TimeoutError as Urllib3Timeout

from connector.errors import BudgetExceeded
from connector.http import Budget, HttpStats, failure_reason, make_client, safe_url
from sync.config.sources import SourcesConfig

from .feeds import Failure

log = logging.getLogger(__name__)

MAX_REDIRECTS = 5
CHUNK = 64 * 1024
ACCEPT = ("application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
          "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.1")
VALIDATOR_LIMIT = 200  # characters of an ETag or Last-Modified kept and sent back
WAITED = "timed out waiting for the answer"  # connector.http.failure_reason's words


class Fetched(Struct, frozen=True):
    """A source's answer: ``"new"`` with its body, or ``"unchanged"`` (304). ``url`` is
    where the feed was read (after redirects: its relative links resolve against it);
    ``etag`` and ``last_modified`` the validators to send next time."""

    status: Literal["new", "unchanged"]
    url: str
    body: bytes = b""
    content_type: str = ""
    etag: str = ""
    last_modified: str = ""


class FetchFailed(Exception):
    """The source could not be read (``failure`` says why)."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.message)
        self.failure = failure


def user_agent(contact: str = "") -> str:
    """``cop-connector/<version> (+<contact>)``: who asks, and whom to tell."""
    try:
        version = metadata.version("cop-connector")
    except metadata.PackageNotFoundError:
        version = "dev"
    return f"cop-connector/{version}" + (f" (+{contact})" if contact else "")


class FeedFetcher:
    """Fetches feeds for one run (one session: connections are reused between sources of
    one host). ``stats`` counts the requests."""

    def __init__(self, config: SourcesConfig, *, budget: Budget | None = None) -> None:
        self.config = config
        self.client = make_client(timeout=config.timeout_seconds, ca_bundle=config.ca_bundle,
                                  max_retries=0, retry_statuses=frozenset(),
                                  user_agent=user_agent(config.contact), budget=budget,
                                  backend="source")
        self.client.session.max_redirects = MAX_REDIRECTS
        self.client.session.headers["Accept"] = ACCEPT

    @property
    def stats(self) -> HttpStats:
        return self.client.stats

    def fetch(self, url: str, *, etag: str = "", last_modified: str = "",
              seconds: float | None = None) -> Fetched:
        """The feed at ``url``, asked conditionally, within ``seconds`` (default: the
        configured timeout). Raises FetchFailed."""
        limit = min(seconds or self.config.timeout_seconds, self.config.timeout_seconds)
        deadline = time.monotonic() + limit
        headers = {name: value for name, value in (("If-None-Match", etag),
                                                   ("If-Modified-Since", last_modified))
                   if value}
        shown = safe_url(url)
        try:
            response = self.client.session.get(
                url, headers=headers, stream=True,
                timeout=(min(limit, self.client.timeout[0]), limit))
        except requests.TooManyRedirects as error:
            raise _failed("source_redirects", shown, "redirects again and again") from error
        except (requests.RequestException, BudgetExceeded) as error:
            reason = "its certificate is not trusted" if isinstance(
                error, requests.exceptions.SSLError) else failure_reason(error)
            if reason == WAITED:  # connected, but the answer did not come in time
                raise _slow(shown, limit) from error
            raise _failed("source_unreachable", shown, f"cannot be reached ({reason})",
                          reason=reason) from error
        with response:
            return self._answer(response, url, deadline, limit)

    def _answer(self, response: requests.Response, url: str, deadline: float,
                limit: float) -> Fetched:
        shown = safe_url(url)
        final = response.url or url
        etag = _validator(response.headers.get("ETag"))
        modified = _validator(response.headers.get("Last-Modified"))
        if response.status_code == HTTPStatus.NOT_MODIFIED:
            return Fetched("unchanged", final, etag=etag, last_modified=modified)
        if not HTTPStatus.OK <= response.status_code < HTTPStatus.MULTIPLE_CHOICES:
            raise _status(shown, response.status_code)
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > self.config.max_bytes:
            raise _big(shown, self.config.max_bytes)
        body = self._body(response, shown, deadline, limit)
        return Fetched("new", final, body, response.headers.get("Content-Type", ""), etag,
                       modified)

    def _body(self, response: requests.Response, shown: str, deadline: float,
              limit: float) -> bytes:
        """The body, decompressed, read as it comes (``read1``: what has arrived, never
        waiting for a whole chunk), checked against the cap and the deadline after each
        piece."""
        cap = self.config.max_bytes
        pieces: list[bytes] = []
        size = 0
        try:
            while True:
                if time.monotonic() > deadline:
                    raise _slow(shown, limit)
                piece = response.raw.read1(CHUNK, decode_content=True)
                if not piece:
                    return b"".join(pieces)
                size += len(piece)
                if size > cap:
                    raise _big(shown, cap)
                pieces.append(piece)
        except FetchFailed:
            raise
        except (HTTPError, requests.RequestException, OSError) as error:
            if isinstance(error, (TimeoutError, Urllib3Timeout)) or \
                    time.monotonic() > deadline:
                raise _slow(shown, limit) from error
            reason = failure_reason(error)
            raise _failed("source_unreachable", shown, f"the answer broke off ({reason})",
                          reason=reason) from error


def _validator(value: str | None) -> str:
    """A validator fit to be sent back: printable ASCII, not too long ('' otherwise)."""
    text = (value or "").strip()
    ok = text.isascii() and text.isprintable() and len(text) <= VALIDATOR_LIMIT
    return text if ok else ""


def _failed(code: str, url: str, what: str, **params: str) -> FetchFailed:
    return FetchFailed(Failure(code, {"url": url, **params}, f"{url}: {what}"))


def _slow(url: str, seconds: float) -> FetchFailed:
    shown = f"{seconds:g}"
    return _failed("source_too_slow", url, f"took more than {shown} s", seconds=shown)


def _big(url: str, limit: int) -> FetchFailed:
    shown = _size(limit)
    return _failed("source_too_big", url, f"larger than {shown}", limit=shown)


def _status(url: str, status: int) -> FetchFailed:
    try:
        phrase = HTTPStatus(status).phrase  # the standard words, not the server's own text
    except ValueError:
        phrase = "unknown status"
    return _failed("source_http_status", url, f"answers {status} {phrase}",
                   status=str(status), reason=phrase)


def _size(count: int) -> str:
    for unit, scale in (("MB", 1_000_000), ("kB", 1_000)):
        if count >= scale:
            return f"{count / scale:g} {unit}"
    return f"{count} bytes"
