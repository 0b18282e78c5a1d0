"""Atlassian's API gateway for a Cloud site: the address a scoped API token must use.

A scoped token is refused by the site's own URL; it works through
``https://api.atlassian.com/ex/confluence/CLOUD_ID/wiki``, where CLOUD_ID names the site.
Every site tells its cloud id, without sign-in, at ``https://SITE.atlassian.net/_edge/
tenant_info`` (``{"cloudId": "..."}``), an address outside the REST APIs that clients of
scoped tokens use for this (https://github.com/pchuri/confluence-cli/issues/57).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import requests

from connector.errors import BackendError, Unreachable
from connector.http import failure_reason, make_client

from .settings import BACKEND, check_url, gateway_url, is_gateway

TENANT_INFO = "/_edge/tenant_info"
CLOUD_ID = re.compile(r"^[0-9A-Za-z-]{8,64}$")


def gateway_for(site_url: str, *, timeout: float = 10.0, ca_bundle: str = "") -> str:
    """The gateway URL for the Cloud site at ``site_url`` (returned as it is when it is
    the gateway's already). One request, without credentials. Raises ConfigError for a URL
    that is not a site's, Unreachable when the site does not answer, BackendError when
    its answer names no cloud id."""
    if is_gateway(site_url):
        return check_url(site_url, deployment="cloud")
    return gateway_url(cloud_id(site_url, timeout=timeout, ca_bundle=ca_bundle))


def cloud_id(site_url: str, *, timeout: float = 10.0, ca_bundle: str = "") -> str:
    """The cloud id of the site at ``site_url`` (its ``/_edge/tenant_info``)."""
    parts = urlsplit(check_url(site_url, deployment="cloud"))
    address = f"{parts.scheme}://{parts.netloc}{TENANT_INFO}"
    client = make_client(timeout=timeout, ca_bundle=ca_bundle, max_retries=2,
                         backend=BACKEND)
    try:
        response = client.session.get(address, timeout=client.timeout)
    except requests.RequestException as error:
        raise Unreachable(f"{address} did not answer ({failure_reason(error)})",
                          backend=BACKEND) from None
    finally:
        client.session.close()
    try:
        found = str((response.json() or {}).get("cloudId") or "")
    except (ValueError, AttributeError):
        found = ""
    if response.status_code != 200 or not CLOUD_ID.match(found):
        raise BackendError(f"{address} answered HTTP {response.status_code} without a cloud "
                           "id: is this a Confluence Cloud site (https://SITE.atlassian.net)?",
                           backend=BACKEND)
    return found
