"""The Confluence adapter's settings, its request counters and the site URL check.

Two URL forms reach a Cloud site: the site's own (``https://SITE.atlassian.net/wiki``, for a
classic API token) and Atlassian's API gateway (``https://api.atlassian.com/ex/confluence/
CLOUD_ID/wiki``), the only one that takes a scoped API token
(https://support.atlassian.com/atlassian-account/docs/manage-api-tokens-for-your-atlassian-
account/). Through the gateway, what is left of REST v1 answers 410 Gone.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Literal
from urllib.parse import urlsplit

from msgspec import Struct, field

from connector.errors import ConfigError
from connector.http import MAX_RETRY_WAIT, HttpStats, check_site_url, repr_without_secret

BACKEND = "confluence"
DEFAULT_USER_AGENT = "cop-connector/0.1 (communities of practice sync)"
Deployment = Literal["cloud", "datacenter"]
# Loggers that may see request data: atlassian-python-api logs every request (as curl) and
# every answer at DEBUG; the adapter's own.
LOGGERS = ("atlassian.rest_client", "atlassian", "connector.confluence")
GATEWAY_HOST = "api.atlassian.com"
_GATEWAY_PATH = re.compile(r"^/ex/confluence/(?P<cloud>[0-9A-Za-z-]+)(?:/wiki)?/?$")
# How far back the change feed looks before the last run, beyond the sync's own overlap:
# the search index Data Center's feed reads may lag minutes behind a save (hours while it
# is rebuilt); the feed lists versions only, so a wide window costs no page read.
FEED_OVERLAP = 3600.0


class ConfluenceSettings(Struct, frozen=True):
    """How to reach the site and who to be there.

    ``url`` is the site base: Cloud ``https://SITE.atlassian.net/wiki``, Data Center
    ``https://HOST[/CONTEXT]``. Cloud signs in with ``user`` (the account's e-mail) and an API
    token; Data Center with a personal access token as a bearer token when ``user`` is empty,
    else with ``user`` and ``token`` as a password. ``accounts`` maps people's e-mails to the
    identifier space permissions take: the Cloud accountId, the Data Center user key.
    ``timeout`` is seconds (read; connect at most 10 s) or a (connect, read) pair.

    ``labels``: add the labels ``cop`` and ``cop-<kind>`` to the pages (REST v1 only on Cloud:
    false skips them, e.g. with a scoped token, whose gateway answers v1 with 410).
    ``feed_overlap``: seconds the change feed reaches back beyond what it is asked (index
    lag). ``max_retry_wait``: the longest ``Retry-After`` honoured (then retried anyway).
    ``admin_role``/``editor_role``: the space roles given to pilot and expert, and to
    members, on Cloud sites with role-based space permissions.
    """

    url: str
    user: str = ""
    token: str = ""
    # where the token comes from, for the message of a refused request
    token_origin: str = "the variable named by confluence.token_env"  # noqa: S105 - a place
    deployment: Deployment = "cloud"
    timeout: float | tuple[float, float] = 30.0
    allow_http: bool = False
    ca_bundle: str = ""
    max_retries: int = 3
    retry_wait: float = 1.0
    user_agent: str = DEFAULT_USER_AGENT
    accounts: Mapping[str, str] = field(default_factory=dict)
    labels: bool = True
    feed_overlap: float = FEED_OVERLAP
    max_retry_wait: float = MAX_RETRY_WAIT
    admin_role: str = "Admin"
    editor_role: str = "Collaborator"

    def __repr__(self) -> str:
        return repr_without_secret(self, "token")

    @property
    def cloud(self) -> bool:
        return self.deployment == "cloud"

    @property
    def gateway(self) -> bool:
        """Whether the URL is Atlassian's API gateway (scoped tokens; REST v1 is gone)."""
        return is_gateway(self.url)


class BackendStats(Struct):
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


def is_gateway(url: str) -> bool:
    return (urlsplit(url.strip()).hostname or "").lower() == GATEWAY_HOST


def gateway_url(cloud_id: str) -> str:
    """The API gateway's base URL for the Cloud site ``cloud_id`` (a scoped token's)."""
    return f"https://{GATEWAY_HOST}/ex/confluence/{cloud_id}/wiki"


def check_url(url: str, *, deployment: str, allow_http: bool = False) -> str:
    """The site base URL without a trailing slash.

    A Cloud URL without a path gets ``/wiki`` (where Confluence lives on Atlassian's sites);
    the gateway form ``https://api.atlassian.com/ex/confluence/CLOUD_ID[/wiki]`` too.
    Raises ConfigError for anything but https (or http to a loopback host, or with
    ``allow_http``), for credentials in the URL, for a REST path given instead of the base,
    and for a gateway URL that names no cloud id or is set for Data Center.
    """
    parts = check_site_url(url, backend="confluence", allow_http=allow_http, exposed="token",
                           expected="the Confluence site (Cloud: "
                                    "https://SITE.atlassian.net/wiki, or "
                                    "https://api.atlassian.com/ex/confluence/CLOUD_ID/wiki "
                                    "for a scoped token; Data Center: "
                                    "https://HOST[/CONTEXT])")
    if (parts.hostname or "").lower() == GATEWAY_HOST:
        return _gateway_base(url, parts.path, deployment)
    path = parts.path.rstrip("/")
    for marker in ("/rest/api", "/api/v2"):
        if marker in path:
            raise ConfigError(f"give the site base, not a REST path ({url!r}): e.g. "
                              "https://SITE.atlassian.net/wiki", setting="confluence.url")
    if deployment == "cloud" and not path and parts.hostname.endswith(".atlassian.net"):
        path = "/wiki"
    return f"{parts.scheme}://{parts.netloc}{path}"


def _gateway_base(url: str, path: str, deployment: str) -> str:
    match = _GATEWAY_PATH.match(path)
    if match is None:
        raise ConfigError(f"{url!r} is not the API gateway's address of a Confluence site: "
                          "https://api.atlassian.com/ex/confluence/CLOUD_ID/wiki (`cop init "
                          "--confluence-url https://SITE.atlassian.net/wiki "
                          "--confluence-scoped-token` finds the cloud id)",
                          setting="confluence.url")
    if deployment != "cloud":
        raise ConfigError("the API gateway (api.atlassian.com) serves Confluence Cloud only: "
                          "set confluence.deployment = \"cloud\"",
                          setting="confluence.deployment")
    return gateway_url(match.group("cloud"))
