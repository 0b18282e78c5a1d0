"""Every HTTP call of the Confluence adapter goes through ``ConfluenceHttp``.

It is atlassian-python-api's ``AtlassianRestAPI`` (URL building, basic auth with an API token
for Cloud, a bearer personal access token for Data Center) on the session that
connector/http.py makes (urllib3 retries within the run's budget, TLS verification, request
counting). The library's own retry loop (which sleeps on 429 outside any budget and replays
POSTs) is switched off, and none of its page methods is used (see backend.py).

Failures become product errors here: 401 AuthenticationFailed, 403 PermissionDenied, 410 a
removed Cloud endpoint (a wrong ``deployment``), 429 and 5xx after urllib3's retries
Unreachable or BackendError. A write whose outcome is unknown (timeout or connection lost
after it was sent, 5xx) raises ``WriteUncertain``: the caller re-reads before anything else.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from atlassian.rest_client import AtlassianRestAPI

from connector.errors import (
    AuthenticationFailed,
    BackendError,
    PermissionDenied,
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
    Never replayed: the caller re-reads the page to find out."""


@dataclass(frozen=True)
class Answer:
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

    def next_link(self) -> str:
        links = self.data.get("_links") if isinstance(self.data, dict) else None
        return str((links or {}).get("next") or "")


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
                                   backend=BACKEND)
        self.stats = BackendStats(self._client.stats)
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
             page: str | None = None, allow: tuple[int, ...] = ()) -> Answer:
        """One request. ``path`` is relative to the site base (or an absolute URL);
        ``purpose`` names the counter (reads, writes, feeds, lookups); statuses in ``allow``
        are returned to the caller instead of raised. Raises BackendError subclasses."""
        write = method != "GET"
        setattr(self.stats, purpose, getattr(self.stats, purpose) + 1)
        try:
            response = self._api.request(method, path, params=dict(params or {}) or None,
                                         json=body, advanced_mode=True,
                                         absolute=path.startswith(("https://", "http://")))
        except requests.RequestException as error:
            raise _request_error(error, write=write, page=page) from None
        answer = Answer(response.status_code, _json(response), response.headers)
        if answer.status >= 400 and answer.status not in allow:
            raise _status_error(answer, write=write, page=page)
        return answer

    def pages(self, path: str, params: Mapping[str, Any], *, purpose: str
              ) -> Iterator[Answer]:
        """A list and its continuations, following ``_links.next`` (cursor or offset)."""
        answer = self.call("GET", path, params=params, purpose=purpose)
        yield answer
        while answer.next_link():
            answer = self.call("GET", self.follow(answer.next_link()), purpose=purpose)
            yield answer

    def follow(self, link: str) -> str:
        """An absolute URL for a ``_links.next``: v2 links start with the base path
        (``/wiki/api/v2/...``), v1 links are relative to the base (``/rest/api/...``)."""
        if link.startswith(("https://", "http://")):
            return link
        if self.base_path and link.startswith(self.base_path + "/"):
            return self.origin + link
        return self.base + link


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
        return BackendError(f"the site is rate limiting this account (429"
                            f"{', retry after ' + after if after else ''})",
                            backend=BACKEND, page=page)
    if status >= 500:
        if write:
            return WriteUncertain(f"the site answered {status} to a write; it was not "
                                  "replayed and may or may not have been saved",
                                  backend=BACKEND, page=page)
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
        return Unreachable(f"{site} kept answering with errors (retries exhausted)",
                           backend=BACKEND, page=page)
    if write and maybe_sent(error):
        return WriteUncertain(f"the connection to {site} failed after the write was sent "
                              f"({failure_reason(error)}); it was not replayed",
                              backend=BACKEND, page=page)
    return Unreachable(f"{site} did not answer ({failure_reason(error)})", backend=BACKEND,
                       page=page)
