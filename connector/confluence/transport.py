"""Every HTTP call of the Confluence adapter goes through ``ConfluenceHttp``.

It is atlassian-python-api's ``AtlassianRestAPI`` (URL building, basic auth with an API token
for Cloud, a bearer personal access token for Data Center) on the session that
connector/http.py makes (urllib3 retries within the run's budget, TLS verification, request
counting). The library's own retry loop (which sleeps on 429 outside any budget and replays
POSTs) is switched off, and none of its page methods is used (see backend.py).

Failures become product errors here: 401 AuthenticationFailed, 403 PermissionDenied, 410
V1Unavailable naming the operation that only REST v1 has (or, for the Data Center dialect, a
wrong ``deployment``), 429 after urllib3's retries RateLimited, 5xx Unreachable. A write
whose outcome is unknown (timeout or connection lost after it was sent, 5xx) raises
``WriteUncertain``: the caller re-reads it by id before anything else.

Lists are followed by their ``_links.next``, joined to the answer's ``_links.base`` (through
the API gateway, the link is relative to the site, not to the configured URL: see
``follow``); a list stops on an empty page or a link already followed, whatever it says.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from atlassian.rest_client import AtlassianRestAPI
from msgspec import Struct

from connector.errors import (
    AuthenticationFailed,
    BackendError,
    PermissionDenied,
    RateLimited,
    Unreachable,
)
from connector.http import (
    Budget,
    failed_url,
    failure_reason,
    make_client,
    maybe_sent,
    redact_secrets,
)

from .settings import BACKEND, LOGGERS, BackendStats, ConfluenceSettings, check_url

log = logging.getLogger(__name__)


class WriteUncertain(Unreachable):
    """A write was sent but its answer was lost (or was a 5xx): it may have been saved.
    Never replayed blindly: the caller re-reads the page to find out. ``retry_after``: the
    seconds a 5xx asked to wait (0 when it said nothing)."""

    retry_after: float = 0.0


class V1Unavailable(BackendError):
    """An operation only REST v1 has, answered 410 Gone (the API gateway, or Atlassian
    removed it). ``operation`` names it."""

    def __init__(self, message: str, *, operation: str, page: str | None = None) -> None:
        super().__init__(message, backend=BACKEND, page=page)
        self.operation = operation


class V1Only(Struct, frozen=True):
    """A Cloud operation that REST v2 lacks: ``what`` it is, and what the operator can do
    when the site refuses REST v1 (``remedy``)."""

    what: str
    remedy: str


class Answer(Struct, frozen=True):
    """A response: status, decoded JSON (None when empty) and headers."""

    status: int
    data: Any
    headers: Mapping[str, str]

    @property
    def server_time(self) -> datetime | None:
        """The server's clock from the ``Date`` header (None when absent or unreadable)."""
        text = self.headers.get("Date")
        try:
            moment = parsedate_to_datetime(text) if text else None
        except (TypeError, ValueError):
            return None
        if moment is not None and moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return moment

    def links(self) -> Mapping[str, Any]:
        links = self.data.get("_links") if isinstance(self.data, dict) else None
        return links if isinstance(links, dict) else {}

    def next_link(self) -> str:
        return str(self.links().get("next") or "")

    def results(self) -> list[Any]:
        items = self.data.get("results") if isinstance(self.data, dict) else None
        return items if isinstance(items, list) else []


class ConfluenceHttp:
    """The one door to the site. Construction makes no request."""

    def __init__(self, settings: ConfluenceSettings, budget: Budget | None = None) -> None:
        self.settings = settings
        self.base = check_url(settings.url, deployment=settings.deployment,
                              allow_http=settings.allow_http)
        parts = urlsplit(self.base)
        self.origin = f"{parts.scheme}://{parts.netloc}"
        self.base_path = parts.path
        self._client = make_client(timeout=settings.timeout, ca_bundle=settings.ca_bundle,
                                   max_retries=settings.max_retries,
                                   retry_wait=settings.retry_wait,
                                   user_agent=settings.user_agent, budget=budget,
                                   backend=BACKEND, max_retry_wait=settings.max_retry_wait)
        self.stats = BackendStats(self._client.stats)
        self.pacer = self._client.pacer
        self.gateway = settings.gateway
        self._api = self._rest_api(settings)

    def _rest_api(self, settings: ConfluenceSettings) -> AtlassianRestAPI:
        secrets = [settings.token]
        if settings.user and settings.token:
            pair = f"{settings.user}:{settings.token}".encode()
            secrets.append(base64.b64encode(pair).decode())
        redact_secrets(secrets, LOGGERS)
        basic = bool(settings.user)  # Cloud always; Data Center when a user is named
        api = AtlassianRestAPI(
            url=self.base, username=settings.user if basic else None,
            password=settings.token if basic else None,
            token=None if basic else settings.token, session=self._client.session,
            cloud=settings.cloud, advanced_mode=True,
            backoff_and_retry=False, retry_with_header=False)  # urllib3 retries, budgeted
        api.timeout = self._client.timeout  # (connect, read); the library keeps one int
        return api

    def close(self) -> None:
        self._client.session.close()

    # --- calls --------------------------------------------------------------------------

    def call(self, method: str, path: str, *, purpose: str,
             params: Mapping[str, Any] | None = None, body: Any = None,
             page: str | None = None, allow: tuple[int, ...] = (),
             v1_only: V1Only | None = None) -> Answer:
        """One request. ``path`` is relative to the site base (or an absolute URL);
        ``purpose`` names the counter (reads, writes, feeds, lookups); statuses in ``allow``
        are returned to the caller instead of raised; ``v1_only`` names a Cloud operation
        that only REST v1 has (its 410 then says which and what to do). Waits first while
        the site says it is near its rate limit. Raises BackendError subclasses."""
        write = method != "GET"
        setattr(self.stats, purpose, getattr(self.stats, purpose) + 1)
        if self.pacer is not None:
            self.pacer.before()
        try:
            response = self._api.request(method, path, params=dict(params or {}) or None,
                                         json=body, advanced_mode=True,
                                         absolute=path.startswith(("https://", "http://")))
        except requests.RequestException as error:
            raise _request_error(error, write=write, page=page) from None
        answer = Answer(response.status_code, _json(response), response.headers)
        if answer.status >= 400 and answer.status not in allow:
            raise self._status_error(answer, method, path, write=write, page=page,
                                     v1_only=v1_only)
        return answer

    def pages(self, path: str, params: Mapping[str, Any], *, purpose: str,
              v1_only: V1Only | None = None, allow: tuple[int, ...] = ()
              ) -> Iterator[Answer]:
        """A list and its continuations, following ``_links.next`` (cursor or offset).
        Stops on a page without results (Data Center may link past the end) and on a link
        already followed (a cursor that does not move would loop forever)."""
        answer = self.call("GET", path, params=params, purpose=purpose, v1_only=v1_only,
                           allow=allow)
        yield answer
        followed: set[str] = set()
        while answer.next_link() and answer.results():
            url = self.follow(answer.next_link(), str(answer.links().get("base") or ""))
            if url in followed:
                log.warning("Confluence gave the same continuation twice (%s): the list "
                            "is taken as complete", safe_path(url))
                return
            followed.add(url)
            answer = self.call("GET", url, purpose=purpose, v1_only=v1_only)
            yield answer

    def follow(self, link: str, base: str = "") -> str:
        """An absolute URL for a ``_links.next``, joined to the answer's ``_links.base``.

        Links are relative to the site, not to the configured URL: v2's start with the
        context path (``/wiki/api/v2/...``), v1's do not (``/rest/api/...``), and through
        the API gateway the configured URL (``.../ex/confluence/ID/wiki``) is not the
        site's. The link is put after the base, less the path segments the two share
        (the base's tail, the link's head: ``/wiki``). A base on another host than the
        configured URL (the site itself, seen through the gateway) is not followed there:
        the link goes to the configured URL instead, where the token is valid.
        """
        if link.startswith(("https://", "http://")):
            return link
        anchor = base.rstrip("/") if base else self.base
        if urlsplit(anchor).netloc != urlsplit(self.base).netloc:
            anchor = self.base
        return _join(anchor, link)

    def refused(self, answer: Answer, method: str, path: str) -> BackendError:
        """The error a caller that allowed a status would have got."""
        return self._status_error(answer, method, path, write=method != "GET", page=None,
                                  v1_only=None)

    def _status_error(self, answer: Answer, method: str, path: str, *, write: bool,
                      page: str | None, v1_only: V1Only | None) -> BackendError:
        if answer.status == 410 and self.settings.cloud:
            return self._gone(method, path, page, v1_only)
        if answer.status == 401 and self.gateway:
            return AuthenticationFailed(
                f"the API gateway refused this request (401 to {method} "
                f"{safe_path(path)}): the credentials are wrong, or the scoped token lacks "
                "the scope it needs; check confluence.user (the account's e-mail), the "
                f"token in {self.settings.token_origin}, and the token's "
                "scopes (README, Confluence: token types and scopes)", backend=BACKEND,
                page=page)
        return _status_error(answer, write=write, page=page)

    def _gone(self, method: str, path: str, page: str | None,
              v1_only: V1Only | None) -> BackendError:
        where = "the API gateway (api.atlassian.com), which scoped tokens must use," \
            if self.gateway else "Confluence Cloud"
        what = v1_only.what if v1_only else f"{method} {safe_path(path)}"
        message = (f"{what}: Confluence Cloud's REST v2 has no such operation, only REST "
                   f"v1 ({method} {safe_path(path)}), and {where} answered it 410 Gone")
        if v1_only:
            message += f". {v1_only.remedy}"
        else:
            message += (" (Atlassian removed it); this version of cop-connector still "
                        "needs it: please report it")
        return V1Unavailable(message, operation=what, page=page)


def _join(base: str, link: str) -> str:
    """``base`` + ``link``, less the path segments they share (see ConfluenceHttp.follow)."""
    parts = urlsplit(base)
    base_segments = [s for s in parts.path.split("/") if s]
    link_path, _, query = link.partition("?")
    link_segments = [s for s in link_path.split("/") if s]
    for size in range(min(len(base_segments), len(link_segments)), 0, -1):
        if base_segments[-size:] == link_segments[:size]:
            base_segments = base_segments[:-size]
            break
    path = "/" + "/".join([*base_segments, *link_segments])
    return f"{parts.scheme}://{parts.netloc}{path}" + (f"?{query}" if query else "")


def safe_path(url: str) -> str:
    """A URL or path fit for a message: its path only (no query, where a token or a CQL
    query could be)."""
    return urlsplit(url).path or url.split("?", 1)[0]


def retry_after(answer: Answer) -> float:
    """The seconds ``Retry-After`` asks for (0 when absent or unreadable)."""
    text = str(answer.headers.get("Retry-After") or "").strip()
    if text.isdigit():
        return float(text)
    try:
        moment = parsedate_to_datetime(text) if text else None
    except (TypeError, ValueError):
        return 0.0
    if moment is None:
        return 0.0
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - datetime.now(UTC)).total_seconds())


def _json(response: requests.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return None


def detail(answer: Answer) -> str:
    """The site's own error message (v2 ``errors[].title``, v1 ``message``), shortened."""
    data = answer.data if isinstance(answer.data, dict) else {}
    errors = data.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        text = str(errors[0].get("title") or errors[0].get("detail") or "")
    else:
        text = str(data.get("message") or "")
    text = text.split("Exception: ", 1)[-1]  # v1 prefixes the Java exception's name
    return text[:300]


_FIXED: dict[int, tuple[type[BackendError], str]] = {
    401: (AuthenticationFailed, "the site refused the credentials (401); check "
          "confluence.user (Cloud: the account's e-mail) and the token in the environment "
          "variable named by confluence.token_env"),
    410: (BackendError, "this endpoint was removed from Confluence Cloud (410): is "
          "confluence.deployment right?"),
}


def _status_error(answer: Answer, *, write: bool, page: str | None) -> BackendError:
    status, said = answer.status, detail(answer)
    said_part = f": {said}" if said else ""
    if status in _FIXED:
        kind, message = _FIXED[status]
        return kind(message, backend=BACKEND, page=page)
    if status == 403:
        return PermissionDenied(f"the account may not do this (403){said_part}",
                                backend=BACKEND, page=page)
    if status == 429:
        after = answer.headers.get("Retry-After", "")
        return RateLimited(f"the site is rate limiting this account (429"
                           f"{', retry after ' + after if after else ''})",
                           backend=BACKEND, page=page)
    if status >= 500:
        if write:
            uncertain = WriteUncertain(f"the site answered {status} to a write; it was not "
                                       "replayed and may or may not have been saved",
                                       backend=BACKEND, page=page)
            uncertain.retry_after = retry_after(answer)
            return uncertain
        return Unreachable(f"the site answered HTTP {status}", backend=BACKEND, page=page)
    return BackendError(f"the site answered HTTP {status}{said_part}", backend=BACKEND,
                        page=page)


def _request_error(error: requests.RequestException, *, write: bool,
                   page: str | None) -> BackendError:
    """The product error for a requests failure, naming the URL that failed (scheme, host
    and path: never credentials or a query string) and why."""
    url = failed_url(error)
    site = f"the site at {url}" if url else "the site"
    if isinstance(error, requests.exceptions.SSLError):
        return Unreachable(f"TLS verification failed for {url or 'the site'}; if the site's "
                           "certificate comes from a private authority, set "
                           "confluence.ca_bundle to its CA file", backend=BACKEND, page=page)
    if isinstance(error, requests.exceptions.RetryError):
        if "429" in str(error):
            return RateLimited(f"{site} kept refusing requests with 429 (rate limited) "
                               "after every retry, each after the wait it asked for; "
                               "nothing of the refused request was applied", backend=BACKEND,
                               page=page)
        return Unreachable(f"{site} kept answering with errors (retries exhausted)",
                           backend=BACKEND, page=page)
    if write and maybe_sent(error):
        return WriteUncertain(f"the connection to {site} failed after the write was sent "
                              f"({failure_reason(error)}); it was not replayed",
                              backend=BACKEND, page=page)
    return Unreachable(f"{site} did not answer ({failure_reason(error)})", backend=BACKEND,
                       page=page)
