"""MediaWiki specifics of HTTP: the script-path URL and what HTTP failures mean there.

The session itself (retries within a budget, TLS, counting, secret redaction) is shared by
every adapter: connector/http.py.
"""

from __future__ import annotations

import requests

from connector.errors import (
    AuthenticationFailed,
    BackendError,
    PermissionDenied,
    Unreachable,
    WrongAddress,
)
from connector.http import check_site_url, failed_url, failure_reason, maybe_sent

BACKEND = "mediawiki"
# Loggers of this adapter that may see request data (the password on login).
LOGGERS = ("mwclient.client", "mwclient.sleep", "connector.mediawiki.backend",
           "connector.mediawiki.api")


def check_url(url: str, *, allow_http: bool = False) -> str:
    """The wiki's script path URL (ending in "/"), from it or from its api.php URL.

    Raises ConfigError for anything but https (or http to a loopback host, or with
    ``allow_http``), and for credentials in the URL.
    """
    parts = check_site_url(url, backend=BACKEND, allow_http=allow_http,
                           exposed="password",
                           expected="the wiki's script path (where api.php lives, e.g. "
                                    "https://wiki.example.com/w/)")
    path = parts.path
    if path.endswith("api.php"):
        path = path[: -len("api.php")]
    if not path.endswith("/"):
        path += "/"
    return f"{parts.scheme}://{parts.netloc}{path}"


def request_error(error: requests.RequestException, *, write: bool = False,
                  page: str | None = None, settings_file: str = "cop.toml") -> Exception:
    """The product error for a requests failure (never the library's own), naming the URL
    that failed (scheme, host and path: never credentials or a query string).

    A refused connection or exhausted retries is Unreachable; HTTP 401 is
    AuthenticationFailed, 403 PermissionDenied; a failure after a write was sent says the
    write may have landed (it is never replayed).
    """
    url = failed_url(error)
    wiki = f"the wiki at {url}" if url else "the wiki"
    if isinstance(error, requests.exceptions.SSLError):
        return Unreachable(f"TLS verification failed for {url or 'the wiki'}; if the wiki's "
                           "certificate comes from a private authority, set "
                           f"mediawiki.ca_bundle in {settings_file} to its CA file",
                           backend=BACKEND, page=page)
    if isinstance(error, requests.HTTPError) and error.response is not None:
        return _status_error(error.response.status_code, write=write, page=page, url=url,
                             settings_file=settings_file)
    if write and maybe_sent(error):
        return Unreachable(f"the connection to {wiki} failed after the write was sent "
                           f"({failure_reason(error)}); it was not replayed and may or may "
                           "not have been saved: re-read the page before writing again",
                           backend=BACKEND, page=page)
    if isinstance(error, requests.exceptions.RetryError):
        return Unreachable(f"{wiki} kept answering with errors (retries exhausted)",
                           backend=BACKEND, page=page)
    return Unreachable(f"{wiki} did not answer ({failure_reason(error)})",
                       backend=BACKEND, page=page)


def _status_error(status: int, *, write: bool, page: str | None, url: str = "",
                  settings_file: str = "cop.toml") -> Exception:
    wiki = f"the wiki at {url}" if url else "the wiki"
    if status == 401:
        return AuthenticationFailed(f"{wiki} answered 401 (HTTP authentication required)",
                                    backend=BACKEND, page=page)
    if status == 403:
        return PermissionDenied(f"{wiki} answered 403 (forbidden)", backend=BACKEND, page=page)
    if status == 404:
        return WrongAddress(f"no api.php there (HTTP 404{' at ' + url if url else ''}): set "
                            f"mediawiki.url in {settings_file} to the wiki's script path, "
                            "e.g. https://wiki.example.com/w/", backend=BACKEND, page=page)
    if status == 429:
        return BackendError(f"{wiki} is rate limiting this client (HTTP 429)",
                            backend=BACKEND, page=page)
    if write and status >= 500:
        return Unreachable(f"{wiki} answered {status} to a write; it was not replayed and "
                           "may or may not have been saved: re-read the page before "
                           "writing again", backend=BACKEND, page=page)
    return Unreachable(f"{wiki} answered HTTP {status}", backend=BACKEND, page=page)
