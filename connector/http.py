"""The HTTP session every wiki adapter talks through: retries, timeouts, TLS, counting, logs.

Retries are urllib3's (``Retry`` on the session's adapter), one layer for each failure kind:

* 429 is retried for every method, writes included: the site refused the request without
  running it ("Too Many Requests"), so sending it again cannot apply it twice;
* 500/502/503/504 are retried for GET only (reads are idempotent): a write answered 5xx
  may have been applied, so the caller re-reads it by id before anything else;
* ``Retry-After`` is honoured (seconds or an HTTP date) up to ``max_retry_wait`` (a site
  may ask for hours: the wait is capped, then the retry tells whether it still refuses);
* a refused or timed-out *connection* is retried for every method: nothing was sent;
* a failure after the request went out (read timeout, reset) is retried for GET only: a
  write may have been applied, and replaying it blindly could save it twice.

Why urllib3's ``Retry`` and no loop of our own: it already parses both ``Retry-After``
forms, counts each failure kind separately, backs off exponentially and re-sends the body;
what the product adds is small and lives in one subclass (``BudgetRetry``): which statuses
may be retried for a write, the cap, and the budget.

Every wait is checked against the run's ``Budget`` first: a wait the budget cannot afford
raises ``BudgetExceeded`` instead of sleeping. ``Pacer`` slows requests down while a site
says it is near its limit (``X-RateLimit-NearLimit: true``, Atlassian Cloud), before it
starts refusing them.
"""

from __future__ import annotations

import ipaddress
import logging
import os
import socket
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import SplitResult, urlsplit

import requests
from msgspec import Struct
from requests.adapters import HTTPAdapter
from urllib3.exceptions import (
    ConnectTimeoutError,
    InvalidHeader,
    NameResolutionError,
    NewConnectionError,
)
from urllib3.exceptions import TimeoutError as Urllib3Timeout
from urllib3.util.retry import Retry

from connector.budget import Budget  # re-exported: adapters and tests import it from here
from connector.errors import ConfigError

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REFUSED_UNRUN = 429  # "Too Many Requests": refused before running, safe to send again
IDEMPOTENT = frozenset({"GET", "HEAD"})
MAX_BACKOFF = 30.0  # seconds; a longer wait is the budget's business, not a backoff's
MAX_RETRY_WAIT = 60.0  # seconds: the longest Retry-After honoured before retrying anyway
NEAR_LIMIT = "X-RateLimit-NearLimit"  # Atlassian Cloud: "true" when under 20% of budget
REDACTED = "***"
NOISY_LOGGERS = ("urllib3.connectionpool", "urllib3.util.retry")


class HttpStats(Struct):
    """Round trips, for tests and benchmarks.

    ``requests`` counts responses handed to the caller (one per API call); ``retries`` the
    extra attempts urllib3 made; ``waited`` the seconds of back-off and Retry-After granted.
    """

    requests: int = 0
    retries: int = 0
    waited: float = 0.0

    @property
    def round_trips(self) -> int:
        return self.requests + self.retries


class BudgetRetry(Retry):
    """urllib3's Retry, checking each wait against a Budget and counting retries.

    The check lives in ``increment`` (which urllib3 calls right before ``sleep``), so a wait
    the budget cannot afford is refused before any sleeping starts.
    """

    def __init__(self, *args: Any, budget: Budget | None = None,
                 stats: HttpStats | None = None, backend: str = "wiki",
                 max_wait: float = MAX_RETRY_WAIT, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.budget = budget or Budget()
        self.stats = stats or HttpStats()
        self.backend = backend
        self.max_wait = max_wait

    def new(self, **kw: Any) -> BudgetRetry:
        retry = super().new(**kw)
        retry.budget, retry.stats, retry.backend = self.budget, self.stats, self.backend
        retry.max_wait = self.max_wait
        return retry

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        """urllib3's rule, plus: a 429 is retried whatever the method (the request was
        refused, not run), while the status retries last."""
        if status_code == REFUSED_UNRUN and self.status_forcelist \
                and REFUSED_UNRUN in self.status_forcelist:
            return bool(self.total) and self.status is not False
        return super().is_retry(method, status_code, has_retry_after)

    def parse_retry_after(self, retry_after: str) -> float:
        """Seconds to wait, capped at ``max_wait`` (a site may ask for hours)."""
        return min(super().parse_retry_after(retry_after), self.max_wait)

    def increment(self, method: str | None = None, url: str | None = None,
                  response: Any = None, error: Exception | None = None,
                  _pool: Any = None, _stacktrace: Any = None) -> BudgetRetry:
        retry = super().increment(method, url, response, error, _pool, _stacktrace)
        wait = retry.next_wait(response)
        self.budget.check(wait, f"retrying {method} after {_cause(response, error)}",
                          self.backend)
        self.stats.retries += 1
        self.stats.waited += wait
        return retry

    def next_wait(self, response: Any) -> float:
        """What ``sleep`` will wait: Retry-After when given, else the back-off."""
        if self.respect_retry_after_header and response is not None:
            after = self.get_retry_after(response)
            if after:
                return after
        return self.get_backoff_time()

    def get_retry_after(self, response: Any) -> float | None:
        try:
            return super().get_retry_after(response)
        except InvalidHeader:  # a malformed header is no reason to fail: back off instead
            return None


def _cause(response: Any, error: Exception | None) -> str:
    if response is not None and getattr(response, "status", None):
        return f"HTTP {response.status}"
    return type(error).__name__ if error else "an error"


class Pacer:
    """Slows requests down while the site says it is near its rate limit.

    Atlassian Cloud adds ``X-RateLimit-NearLimit: true`` to answers once less than a fifth
    of the account's budget is left (https://developer.atlassian.com/cloud/confluence/
    rate-limiting/): a client that keeps its pace is then refused (429). Each warning
    doubles the pause taken before the next requests (from ``pause`` up to ``max_pause``
    seconds); each answer without it halves the pause, down to none. Pauses are budgeted.
    """

    def __init__(self, budget: Budget, stats: HttpStats, *, backend: str = "wiki",
                 pause: float = 1.0, max_pause: float = 8.0) -> None:
        self.budget = budget
        self.stats = stats
        self.backend = backend
        self.base = pause
        self.max_pause = max_pause
        self.current = 0.0
        self.warnings = 0  # answers that carried the warning, for reports and tests

    def before(self) -> None:
        """Wait the current pause (none while the site is not near its limit)."""
        if self.current > 0:
            self.budget.wait(self.current, "slowing down: the site is near its rate limit",
                             self.backend)
            self.stats.waited += self.current

    def seen(self, headers: Any) -> None:
        if str(headers.get(NEAR_LIMIT, "")).strip().lower() == "true":
            self.warnings += 1
            self.current = min(self.max_pause, max(self.base, self.current * 2))
        elif self.current:
            self.current = 0.0 if self.current / 2 < self.base else self.current / 2


class HttpClient(Struct):
    """A configured session plus what callers pass to each request."""

    session: requests.Session
    stats: HttpStats
    timeout: tuple[float, float]  # (connect, read) seconds
    pacer: Pacer | None = None


def make_client(*, timeout: float | tuple[float, float], ca_bundle: str = "",
                max_retries: int = 3, retry_wait: float = 1.0,
                user_agent: str = "cop-connector", budget: Budget | None = None,
                backend: str = "wiki", max_retry_wait: float = MAX_RETRY_WAIT,
                retry_statuses: frozenset[int] = RETRY_STATUSES) -> HttpClient:
    """A requests session with bounded urllib3 retries, TLS verification, a counter and a
    pacer (``HttpClient.pacer``: call its ``before()`` before each request; the session
    feeds it every answer).

    ``retry_wait`` is the back-off factor (seconds; urllib3 doubles it per retry, first retry
    immediate); ``max_retry_wait`` caps a ``Retry-After``; ``retry_statuses`` are the answers
    retried (empty: every answer is handed to the caller, as a feed reader wants: a 503 is
    the feed's state, tried again at its next turn). Makes no request. Raises ConfigError
    when ``ca_bundle`` names no file.
    """
    if ca_bundle and not os.path.exists(ca_bundle):
        raise ConfigError(f"no CA bundle at {ca_bundle}", setting=f"{backend}.ca_bundle")
    stats = HttpStats()
    budget = budget or Budget()
    retry = BudgetRetry(
        total=max_retries, connect=max_retries, read=max_retries, status=max_retries,
        other=0, allowed_methods=IDEMPOTENT, status_forcelist=retry_statuses,
        backoff_factor=retry_wait, backoff_max=MAX_BACKOFF,
        respect_retry_after_header=True, raise_on_status=True,
        budget=budget, stats=stats, backend=backend, max_wait=max_retry_wait)
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.verify = ca_bundle or True  # never False: an unverified wiki could steal the login
    session.headers["User-Agent"] = user_agent
    pacer = Pacer(budget, stats, backend=backend)
    session.hooks["response"].append(_counter(stats, pacer))
    return HttpClient(session, stats, _timeouts(timeout), pacer)


def _counter(stats: HttpStats, pacer: Pacer) -> Callable[..., None]:
    def count(response: requests.Response, *args: Any, **kwargs: Any) -> None:
        stats.requests += 1
        pacer.seen(response.headers)
    return count


def _timeouts(timeout: float | tuple[float, float]) -> tuple[float, float]:
    if isinstance(timeout, tuple):
        return timeout
    return (min(timeout, 10.0), timeout)  # a connection that takes 10 s will not come


def is_loopback(host: str) -> bool:
    """localhost, 127.0.0.0/8 or ::1: plain http is acceptable there."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class SecretFilter(logging.Filter):
    """Replaces secret strings in every record it sees (message, arguments, traceback)."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets: set[str] = set()
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        self.secrets.update(secret for secret in secrets if secret)

    def redact(self, text: str) -> str:
        for secret in sorted(self.secrets, key=len, reverse=True):
            text = text.replace(secret, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.secrets:
            return True
        message = record.getMessage()
        record.msg, record.args = self.redact(message), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


_FILTER = SecretFilter()


def repr_without_secret(settings: Struct, secret: str) -> str:
    """``settings`` as its default repr would show it, but for the field ``secret`` (a
    password or token: a settings object may end up in a log or a traceback)."""
    shown = ", ".join(f"{name}={getattr(settings, name)!r}"
                      for name in settings.__struct_fields__ if name != secret)
    return f"{type(settings).__name__}({shown})"


def redact_secrets(secrets: Iterable[str], loggers: Iterable[str] = ()) -> SecretFilter:
    """Keep ``secrets`` out of the logs: filter the root handlers, the HTTP loggers and
    ``loggers`` (logger filters are not inherited, so each one that emits gets it).

    Idempotent; handlers added to the root logger later get the filter on the next call
    (the CLI may also add the returned filter to its own handlers).
    """
    _FILTER.add(secrets)
    names = (*NOISY_LOGGERS, *loggers)
    targets: list[logging.Filterer] = [logging.getLogger(name) for name in names]
    targets.extend(logging.getLogger().handlers)
    for target in targets:
        if _FILTER not in target.filters:
            target.addFilter(_FILTER)
    return _FILTER


def check_site_url(url: str, *, backend: str, expected: str, exposed: str,
                   allow_http: bool = False) -> SplitResult:
    """The parts of a wiki's URL, after the checks every adapter needs.

    Raises ConfigError naming ``<backend>.url`` for anything but an http(s) URL (``expected``
    says what was wanted) or for credentials in it, and ``<backend>.allow_http`` for plain
    http to a host other than loopback (``exposed`` names what would cross in clear).
    """
    parts = urlsplit(url.strip())
    if "@" in parts.netloc:
        raise ConfigError(f"the URL must not hold credentials; use {backend}.user and the "
                          f"{exposed} environment variable", setting=f"{backend}.url")
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConfigError(f"{url!r} is not an http(s) URL of {expected}",
                          setting=f"{backend}.url")
    if parts.scheme == "http" and not allow_http and not is_loopback(parts.hostname):
        raise ConfigError(
            f"refusing plain http:// to {parts.hostname}: the {exposed} would cross the "
            f"network in clear; use https, or set {backend}.allow_http = true if the "
            "network is trusted", setting=f"{backend}.allow_http")
    return parts


def safe_url(url: str | None) -> str:
    """``url`` fit for a message: scheme, host, port and path only; never user info, query
    string or fragment (where a token could be). Empty when there is none."""
    if not url:
        return ""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    return f"{parts.scheme}://{host}{port}{parts.path}" if host else ""


def failed_url(error: BaseException) -> str:
    """The (safe) URL of the request that failed, when requests recorded it."""
    response = getattr(error, "response", None)
    request = getattr(error, "request", None) or getattr(response, "request", None)
    return safe_url(getattr(request, "url", None) or getattr(response, "url", None))


def failure_reason(error: BaseException) -> str:
    """Why a request got no answer, in a few words ("connection refused", "host name not
    found", "timed out"...), from the chain requests and urllib3 wrap it in; else the
    exception's type name."""
    seen: set[int] = set()
    pending: list[BaseException] = [error]
    fallback = type(error).__name__
    while pending:
        current = pending.pop(0)
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, (NameResolutionError, socket.gaierror)):
            return "host name not found"
        if isinstance(current, ConnectionRefusedError):
            return "connection refused"
        if isinstance(current, ConnectionResetError):
            return "connection reset"
        if isinstance(current, NewConnectionError):  # (urllib3 makes it a ConnectTimeoutError)
            fallback = "could not connect"  # its cause says why
        elif isinstance(current, (ConnectTimeoutError, requests.exceptions.ConnectTimeout)):
            return "connection timed out"
        elif isinstance(current, (TimeoutError, Urllib3Timeout,
                                  requests.exceptions.ReadTimeout)):
            return "timed out waiting for the answer"
        pending.extend(link for link in (getattr(current, "reason", None), current.__cause__,
                                         current.__context__, *current.args)
                       if isinstance(link, BaseException))
    return fallback


def maybe_sent(error: requests.RequestException) -> bool:
    """False only when the request surely never left: no connection was made (a write that
    may have been received is never replayed)."""
    if isinstance(error, requests.exceptions.ConnectTimeout):
        return False
    # requests wraps urllib3's MaxRetryError, whose ``reason`` tells connect from read.
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return not isinstance(reason, ConnectTimeoutError)  # NewConnectionError is one
