"""The MediaWiki adapter's settings, request counters and mwclient's budget-aware wait."""

from __future__ import annotations

from typing import Any

import mwclient.sleep
from msgspec import Struct

from connector.http import Budget, HttpStats, repr_without_secret

DEFAULT_USER_AGENT = "cop-connector/0.1 (communities of practice sync)"


class MediaWikiSettings(Struct, frozen=True):
    """How to reach the wiki. ``url`` is the script path (where api.php lives) or api.php.

    ``timeout`` is seconds (read; connect takes at most 10 s) or a (connect, read) pair.
    ``retry_wait`` is the back-off base in seconds for HTTP retries and the maxlag wait.
    """

    url: str
    user: str = ""
    password: str = ""
    # where the password comes from, for the message of a refused login
    password_origin: str = "the variable named by mediawiki.password_env"  # noqa: S105 - a place
    # the file these settings come from, for a message that says where to fix them
    settings_file: str = "cop.toml"
    timeout: float | tuple[float, float] = 30.0
    allow_http: bool = False
    ca_bundle: str = ""
    max_retries: int = 3
    retry_wait: float = 1.0
    user_agent: str = DEFAULT_USER_AGENT

    def __repr__(self) -> str:
        return repr_without_secret(self, "password")


class BackendStats(Struct):
    """Requests by purpose (like MemoryBackend's) plus HTTP round trips."""

    http: HttpStats
    reads: int = 0
    writes: int = 0
    feeds: int = 0
    logins: int = 0
    tokens: int = 0

    @property
    def requests(self) -> int:
        return self.http.requests

    @property
    def total(self) -> int:
        return self.reads + self.writes + self.feeds


class BudgetSleeper(mwclient.sleep.Sleeper):
    """mwclient's wait (maxlag, database errors), refused when the run's budget is spent."""

    def __init__(self, max_retries: int, retry_timeout: float, budget: Budget) -> None:
        # args=None: mwclient would otherwise keep the POST data (the password on login)
        # in the MaximumRetriesExceeded it raises.
        super().__init__(None, max_retries, retry_timeout, lambda *_: None)
        self.budget = budget

    def sleep(self, min_time: float = 0) -> None:
        if self.retries < self.max_retries:
            wait = max(self.retry_timeout * self.retries, min_time)
            self.budget.check(wait, "waiting for the wiki's database (maxlag)", "mediawiki")
        super().sleep(min_time)


class BudgetSleepers(mwclient.sleep.Sleepers):
    def __init__(self, max_retries: int, retry_timeout: float, budget: Budget) -> None:
        super().__init__(max_retries, retry_timeout)
        self.budget = budget

    def make(self, args: Any = None) -> BudgetSleeper:
        return BudgetSleeper(self.max_retries, self.retry_timeout, self.budget)
