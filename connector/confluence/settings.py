"""The Confluence adapter's settings, its request counters and the site URL check."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from connector.errors import ConfigError
from connector.http import HttpStats, check_site_url

BACKEND = "confluence"
DEFAULT_USER_AGENT = "cop-connector/0.1 (communities of practice sync)"
Deployment = Literal["cloud", "datacenter"]
# Loggers that may see request data: atlassian-python-api logs every request (as curl) and
# every answer at DEBUG; the adapter's own.
LOGGERS = ("atlassian.rest_client", "atlassian", "connector.confluence")


@dataclass(frozen=True)
class ConfluenceSettings:
    """How to reach the site and who to be there.

    ``url`` is the site base: Cloud ``https://SITE.atlassian.net/wiki``, Data Center
    ``https://HOST[/CONTEXT]``. Cloud signs in with ``user`` (the account's e-mail) and an API
    token; Data Center with a personal access token as a bearer token when ``user`` is empty,
    else with ``user`` and ``token`` as a password. ``accounts`` maps people's e-mails to the
    identifier space permissions take: the Cloud accountId, the Data Center user key.
    ``timeout`` is seconds (read; connect at most 10 s) or a (connect, read) pair.
    """

    url: str
    user: str = ""
    token: str = field(default="", repr=False)
    deployment: Deployment = "cloud"
    timeout: float | tuple[float, float] = 30.0
    allow_http: bool = False
    ca_bundle: str = ""
    max_retries: int = 3
    retry_wait: float = 1.0
    user_agent: str = DEFAULT_USER_AGENT
    accounts: Mapping[str, str] = field(default_factory=dict)

    @property
    def cloud(self) -> bool:
        return self.deployment == "cloud"


@dataclass
class BackendStats:
    """Requests by purpose (like the other adapters') plus HTTP round trips.

    ``reads``: page reads (batched searches, direct lookups); ``feeds``: change-feed searches
    (the feed and the check of known pages); ``writes``: every request that changes the
    site; ``lookups``: spaces, properties and permissions read before a write.
    """

    http: HttpStats
    reads: int = 0
    writes: int = 0
    feeds: int = 0
    lookups: int = 0

    @property
    def requests(self) -> int:
        return self.http.requests

    @property
    def total(self) -> int:
        return self.reads + self.writes + self.feeds + self.lookups


def check_url(url: str, *, deployment: str, allow_http: bool = False) -> str:
    """The site base URL without a trailing slash.

    A Cloud URL without a path gets ``/wiki`` (where Confluence lives on Atlassian's sites).
    Raises ConfigError for anything but https (or http to a loopback host, or with
    ``allow_http``), for credentials in the URL and for a REST path given instead of the base.
    """
    parts = check_site_url(url, backend="confluence", allow_http=allow_http, exposed="token",
                           expected="the Confluence site (Cloud: "
                                    "https://SITE.atlassian.net/wiki; Data Center: "
                                    "https://HOST[/CONTEXT])")
    path = parts.path.rstrip("/")
    for marker in ("/rest/api", "/api/v2"):
        if marker in path:
            raise ConfigError(f"give the site base, not a REST path ({url!r}): e.g. "
                              "https://SITE.atlassian.net/wiki", setting="confluence.url")
    if deployment == "cloud" and not path and parts.hostname.endswith(".atlassian.net"):
        path = "/wiki"
    return f"{parts.scheme}://{parts.netloc}{path}"
