"""A stateful fake Confluence (Cloud or Data Center) served through ``responses``.

Every route is a ``responses`` callback. Each call is logged, its request validated against
Atlassian's OpenAPI spec (``openapi_check``), authenticated (Cloud: basic e-mail + API token;
Data Center: ``Bearer`` personal access token), run against the in-memory model
(``confluence_state``) and, when 2xx, its response validated too. Violations go to
``fake.violations`` instead of raising inside the HTTP stack, so a test sees them all at the
end (the pytest fixtures in ``fakes.fixtures`` fail the test if any is left).

Usage::

    with ConfluenceFake.cloud() as fake:          # or ConfluenceFake.data_center()
        requests.get(fake.base_url + "/api/v2/spaces", auth=fake.auth)

or ``fake.register(mock)`` on a running ``responses.RequestsMock`` made with
``registry=FirstMatch`` (both deployments can share one mock).
"""

from __future__ import annotations

import base64
import json
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
import responses
from responses.registries import FirstMatchRegistry

from . import openapi_check
from .confluence_cloud import CloudRoutes
from .confluence_cql import CqlError
from .confluence_dc import DataCenterRoutes
from .confluence_http import Call, Reply, Route, error_reply, model_error
from .confluence_state import BOT, MEMBER, ConfluenceState, ModelError, Page, Space, User
from .openapi_check import Violation, Violations

CLOUD_BASE = "https://cop.atlassian.net/wiki"
DC_BASE = "https://dc.example.com/confluence"
CLOUD_ID = "5f0c5a1e-7a3b-4c2d-9e8f-0a1b2c3d4e5f"
GATEWAY_BASE = f"https://api.atlassian.com/ex/confluence/{CLOUD_ID}/wiki"
CLOUD_TOKEN = "cloud-api-token"  # the fake's default credentials (configurable)
SCOPED_TOKEN = "scoped-api-token"
DC_PAT = "dc-personal-access-token"
METHODS = ("GET", "POST", "PUT", "DELETE")
READ_POSTS = ("/api/v2/users-bulk",)  # POSTed for the size of the body, reading only
# What a scoped token made for cop-connector holds (README: Confluence, token types): the
# granular scopes the REST v2 operations it calls name in the specification.
SCOPES = frozenset({"read:page:confluence", "write:page:confluence", "read:space:confluence",
                    "write:space:confluence", "read:configuration:confluence",
                    "read:space.permission:confluence", "write:space.permission:confluence",
                    "read:user:confluence"})


class FirstMatch(FirstMatchRegistry):
    """The first registered route that matches answers, and stays registered.

    (``responses``' default registry pops a route when two match, which breaks catch-alls.)
    """

    def find(self, request: requests.PreparedRequest) -> tuple[Any, list[str]]:
        reasons: list[str] = []
        for response in self.registered:
            matched, reason = response.matches(request)
            if matched:
                return response, reasons
            reasons.append(reason)
        return None, reasons


@dataclass(frozen=True)
class LoggedRequest:
    method: str
    path: str  # absolute URL path
    query: dict[str, list[str]]
    status: int | None  # what the server answered; None when nothing reached it
    raised: str = ""  # the exception the client got instead of the answer, if any
    body: Any = None  # the request's JSON body, decoded (None without one)

    def __str__(self) -> str:
        outcome = f" (client got {self.raised})" if self.raised else ""
        return f"{self.method} {self.path} -> {self.status}{outcome}"


@dataclass
class _Fault:
    method: str
    path: re.Pattern[str]
    times: int
    status: int = 0  # an error answered instead of running the call
    headers: dict[str, str] = field(default_factory=dict)
    message: str = ""
    exception: type[Exception] | None = None
    after: bool = True  # raise after running the call (a write is applied)

    def matches(self, method: str, path: str) -> bool:
        return self.times > 0 and method == self.method and bool(self.path.search(path))


class ConfluenceFake:
    """One fake site. See the module docstring; public attributes:

    ``state`` (the model), ``clock``, ``violations``, ``log`` (every request), ``base_url``,
    ``auth`` (what ``requests`` takes), ``auth_headers``.
    """

    def __init__(self, deployment: str, base_url: str | None = None, *,
                 email: str = BOT.email, token: str = CLOUD_TOKEN, pat: str = DC_PAT,
                 validate: bool = True, violations: Violations | None = None,
                 site_url: str = "", scopes: frozenset[str] | None = None) -> None:
        if deployment not in ("cloud", "dc"):
            raise ValueError(f"deployment is 'cloud' or 'dc', not {deployment!r}")
        self.deployment = deployment
        self.base_url = (base_url or (CLOUD_BASE if deployment == "cloud" else DC_BASE)
                         ).rstrip("/")
        # the site itself (tenant_info): the base's origin, unless the base is the gateway
        self.site_url = (site_url or self.base_url).rstrip("/")
        self.gateway = urlsplit(self.base_url).hostname == "api.atlassian.com"
        self.scopes = scopes  # a scoped token's scopes (None: a classic token, no scopes)
        self.state = ConfluenceState()
        self.clock = self.state.clock
        self.violations = violations if violations is not None else Violations()
        self.validate = validate and openapi_check.specs_available()
        if validate and not self.validate:
            warnings.warn(openapi_check.SPECS_MISSING, stacklevel=2)
        self.log: list[LoggedRequest] = []
        self._faults: list[_Fault] = []
        self._throttle: tuple[int, str] | None = None  # every nth write 429, Retry-After
        self._writes_seen = 0
        self._near_limit = 0  # answers still to carry X-RateLimit-NearLimit: true
        self._email, self._token, self._pat = email, token, pat
        prefix = urlsplit(self.base_url).path.removesuffix("/wiki") if self.gateway else ""
        self.routes_impl: CloudRoutes | DataCenterRoutes = (
            CloudRoutes(self.state, self.base_url, prefix) if deployment == "cloud"
            else DataCenterRoutes(self.state, self.base_url))
        self._mock: responses.RequestsMock | None = None

    @classmethod
    def cloud(cls, base_url: str = CLOUD_BASE, **options: Any) -> ConfluenceFake:
        return cls("cloud", base_url, **options)

    @classmethod
    def gateway(cls, **options: Any) -> ConfluenceFake:
        """Confluence Cloud through Atlassian's API gateway, as a scoped API token reaches
        it (https://support.atlassian.com/atlassian-account/docs/manage-api-tokens-for-your-
        atlassian-account/: "URLs for API tokens with scopes ...
        https://api.atlassian.com/ex/confluence/{cloudId}"): basic auth with the e-mail
        and the scoped token; REST v1 answers 410; a v2 operation whose scope the token
        lacks answers 401 ("scope does not match"). The site (its tenant_info) stays at
        https://cop.atlassian.net. Role-based space permissions, as sites have them now."""
        options.setdefault("token", SCOPED_TOKEN)
        options.setdefault("scopes", SCOPES)
        fake = cls("cloud", GATEWAY_BASE, site_url=CLOUD_BASE, **options)
        fake.state.role_mode = "ROLES"
        return fake

    @classmethod
    def data_center(cls, base_url: str = DC_BASE, **options: Any) -> ConfluenceFake:
        return cls("dc", base_url, **options)

    @property
    def token(self) -> str:
        """The secret the product is configured with (API token, scoped token or PAT)."""
        return self._token if self.deployment == "cloud" else self._pat

    # -- credentials -------------------------------------------------------------------
    @property
    def auth(self) -> Any:
        """Credentials as ``requests`` takes them (a tuple for basic, else a header)."""
        return (self._email, self._token) if self.deployment == "cloud" else _Bearer(self._pat)

    @property
    def auth_headers(self) -> dict[str, str]:
        return {"Authorization": self._expected_authorization()}

    def _expected_authorization(self) -> str:
        if self.deployment == "cloud":
            pair = base64.b64encode(f"{self._email}:{self._token}".encode()).decode()
            return f"Basic {pair}"
        return f"Bearer {self._pat}"

    @property
    def search_limit_cap(self) -> int:
        """The most results a CQL search page holds, whatever ``limit`` asks (lower it to
        check that a client follows ``_links.next`` instead of trusting ``limit``)."""
        return self.routes_impl.search_limit_cap

    @search_limit_cap.setter
    def search_limit_cap(self, value: int) -> None:
        self.routes_impl.search_limit_cap = value

    # -- registration ------------------------------------------------------------------
    def __enter__(self) -> ConfluenceFake:
        self._mock = responses.RequestsMock(assert_all_requests_are_fired=False,
                                            registry=FirstMatch)
        self._mock.start()
        self.register(self._mock)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._mock is not None:
            self._mock.stop()
            self._mock.reset()
            self._mock = None

    def register(self, mock: responses.RequestsMock) -> None:
        """Add every route, then a catch-all per method for the site (unknown operations are
        answered 404 and recorded as violations). The mock needs the FirstMatch registry."""
        if not isinstance(mock.get_registry(), FirstMatch):
            raise ValueError("make the RequestsMock with registry=FirstMatch (routes overlap "
                             "with the catch-all)")
        for route in self.routes_impl.routes():
            url = re.compile("^" + re.escape(self.base_url) + route.pattern + r"(?:\?.*)?$")
            mock.add_callback(route.method, url, callback=self._callback(route, url),
                              content_type=None)
        if self.deployment == "cloud":
            mock.add_callback("GET", self._origin(self.site_url) + "/_edge/tenant_info",
                              callback=self._tenant_info, content_type=None)
        catch_all = re.compile("^" + re.escape(self.base_url) + r"(?:[/?].*)?$")
        for method in METHODS:
            mock.add_callback(method, catch_all, callback=self._callback(None, catch_all),
                              content_type=None)

    @staticmethod
    def _origin(url: str) -> str:
        parts = urlsplit(url)
        return f"{parts.scheme}://{parts.netloc}"

    def _tenant_info(self, request: requests.PreparedRequest) -> Any:
        """``https://SITE.atlassian.net/_edge/tenant_info``: the site's cloud id, without
        sign-in (how clients find it: https://github.com/pchuri/confluence-cli/issues/57,
        https://docs.getdx.com/connectors/confluence-cloud). Not in any specification."""
        parts = urlsplit(request.url or "")
        body = json.dumps({"cloudId": CLOUD_ID}).encode()
        return self._logged("GET", parts, 200, (200, {"Content-Type": "application/json"},
                                                body))

    def _callback(self, route: Route | None, url: re.Pattern[str]
                  ) -> Callable[[requests.PreparedRequest], Any]:
        def callback(request: requests.PreparedRequest) -> Any:
            match = url.match(request.url or "")
            return self._serve(route, request, match.groupdict() if match else {})
        return callback

    # -- serving -----------------------------------------------------------------------
    def _serve(self, route: Route | None, request: requests.PreparedRequest,
               params: dict[str, str]) -> Any:
        parts = urlsplit(request.url or "")
        method = str(request.method)
        api = route.api if route else self._api_of(parts.path)
        self._check(api, request, lambda: openapi_check.check_request(
            api, request, server=self._server(api)))
        if route is None:
            self._violation(api, request, f"{api}: the fake has no route for {method} "
                            f"{parts.path} (add one, or the adapter calls the wrong endpoint)")
        fault = self._take_fault(method, parts.path)
        if fault and fault.exception and not fault.after:
            error = fault.exception(f"fake: {method} {parts.path} never reached the server")
            return self._logged(method, parts, None, error, request)
        reply = self._reply(route, request, params, fault, api)
        status, headers, body = reply.encode()
        # Every HTTP server with a clock sends Date (RFC 9110); clients take it as the
        # server's time (e.g. a change feed's signpost).
        headers.setdefault("Date", format_datetime(self.clock.now, usegmt=True))
        if self._near_limit > 0:
            self._near_limit -= 1
            headers["X-RateLimit-NearLimit"] = "true"
        if 200 <= status < 300:
            self._check(api, request, lambda: openapi_check.check_response(
                api, request, status, headers, body, server=self._server(api)))
        if fault and fault.exception:
            error = fault.exception(f"fake: {method} {parts.path} timed out after the server "
                                    f"answered {status}")
            return self._logged(method, parts, status, error, request)
        return self._logged(method, parts, status, (status, headers, body), request)

    def _reply(self, route: Route | None, request: requests.PreparedRequest,
               params: dict[str, str], fault: _Fault | None, api: str) -> Reply:
        refused = self._refusal(request, fault, api)
        if refused is not None:
            return refused
        if route is None:
            return error_reply(api, 404, "No operation matches this path on the fake")
        try:
            return route.handler(Call.parse(request, params))
        except ModelError as error:
            return model_error(api, error)
        except CqlError as error:
            return error_reply(api, 400, f"Could not parse cql : {error}")

    def _refusal(self, request: requests.PreparedRequest, fault: _Fault | None,
                 api: str) -> Reply | None:
        """An injected fault, a throttled write, wrong credentials or a missing scope."""
        if fault and fault.status:
            return error_reply(api, fault.status, fault.message, fault.headers)
        throttled = self._throttled(request)
        if throttled is not None:
            return throttled
        if request.headers.get("Authorization") != self._expected_authorization():
            return error_reply(api, 401, "Client must be authenticated to access this "
                                         "resource.", {"WWW-Authenticate": self._challenge()})
        missing = self._missing_scopes(api, request)
        if missing:
            return error_reply(api, 401, "Unauthorized; scope does not match (needs "
                                         f"{', '.join(missing)})")
        return None

    def _missing_scopes(self, api: str, request: requests.PreparedRequest) -> list[str]:
        """The scopes a scoped token lacks for this v2 operation (the spec's
        ``x-atlassian-oauth2-scopes``); a gateway answers such a request 401 ("scope does
        not match": https://github.com/HolmesGPT/holmesgpt/pull/2373)."""
        if self.scopes is None or api != "cloud-v2" or not openapi_check.specs_available():
            return []
        server = urlsplit(self._server(api)).path
        path = urlsplit(request.url or "").path.removeprefix(server) or "/"
        needed = openapi_check.required_scopes(api, str(request.method), path)
        return [scope for scope in needed if scope not in self.scopes]

    def _throttled(self, request: requests.PreparedRequest) -> Reply | None:
        """Every nth write answered 429 with Retry-After (``throttle_writes``): rejected,
        not applied, as Atlassian's burst limits do."""
        if self._throttle is None or request.method == "GET" \
                or urlsplit(request.url or "").path.endswith(READ_POSTS):
            return None
        self._writes_seen += 1
        every, after = self._throttle
        if self._writes_seen % every:
            return None
        return error_reply(self._api_of(urlsplit(request.url or "").path), 429,
                           "Rate limit exceeded.", {"Retry-After": after})

    def _logged(self, method: str, parts: Any, status: int | None, result: Any,
                request: Any = None) -> Any:
        raised = type(result).__name__ if isinstance(result, Exception) else ""
        self.log.append(LoggedRequest(method, parts.path,
                                      parse_qs(parts.query, keep_blank_values=True), status,
                                      raised, _json_body(request)))
        return result

    def _challenge(self) -> str:
        return ('Basic realm="Atlassian Cloud"' if self.deployment == "cloud"
                else 'Bearer realm="Confluence"')

    def _api_of(self, path: str) -> str:
        if self.deployment == "dc":
            return "dc"
        return "cloud-v2" if path.startswith(urlsplit(self.base_url).path + "/api/v2") \
            else "cloud-v1"

    def _server(self, api: str) -> str:
        return openapi_check.server_url(api, self.base_url)

    def _check(self, api: str, request: requests.PreparedRequest,
               check: Callable[[], None]) -> None:
        if not self.validate:
            return
        try:
            check()
        except AssertionError as error:
            self._violation(api, request, str(error))

    def _violation(self, api: str, request: requests.PreparedRequest, message: str) -> None:
        self.violations.add(Violation(api, str(request.method), str(request.url), message))

    # -- fault injection ---------------------------------------------------------------
    def fail_next(self, method: str, path_regex: str, status: int = 503,
                  retry_after: int | str | datetime | None = None, times: int = 1, *,
                  message: str | None = None) -> None:
        """Answer the next ``times`` matching requests with ``status`` (429, 500, 503...),
        with a ``Retry-After`` in seconds or as an HTTP date when given. ``path_regex`` is
        searched in the URL path."""
        headers: dict[str, str] = {}
        if retry_after is not None:
            headers["Retry-After"] = (format_datetime(retry_after, usegmt=True)
                                      if isinstance(retry_after, datetime) else str(retry_after))
        self._faults.append(_Fault(method.upper(), re.compile(path_regex), times, status,
                                   headers, message or _FAULT_MESSAGES.get(status, "Error")))

    def throttle_writes(self, every: int, retry_after: int = 1) -> None:
        """From now on, answer every ``every``-th write (any method but GET) 429 Too Many
        Requests with ``Retry-After`` seconds, without applying it: Cloud's burst limits
        refuse writes that way (https://developer.atlassian.com/cloud/confluence/
        rate-limiting/: 429 "may be accompanied by Retry-After"). ``every=0`` stops."""
        self._throttle = (every, str(retry_after)) if every > 0 else None
        self._writes_seen = 0

    def near_limit(self, answers: int) -> None:
        """Add ``X-RateLimit-NearLimit: true`` to the next ``answers`` answers, as Atlassian
        Cloud does when less than a fifth of the rate limit is left
        (https://developer.atlassian.com/cloud/confluence/rate-limiting/)."""
        self._near_limit = answers

    def timeout_next(self, method: str, path_regex: str, *, times: int = 1,
                     exception: type[Exception] = requests.exceptions.ReadTimeout,
                     after: bool = True) -> None:
        """Raise ``exception`` for the next matching requests: by default AFTER the fake ran
        the call (a write is applied, the client never hears of it), or before it
        (``after=False``, e.g. with ConnectionError: nothing reached the server)."""
        self._faults.append(_Fault(method.upper(), re.compile(path_regex), times,
                                   exception=exception, after=after))

    def conflict_next_update(self, page_id: str, body: str | None = None) -> None:
        """Before the next API update of the page, a member saves it (new version, new body:
        ``body`` or the old one plus a paragraph), so the update's version is stale (409)."""
        self.state.pending_conflicts[str(page_id)] = body

    def _take_fault(self, method: str, path: str) -> _Fault | None:
        for fault in self._faults:
            if fault.matches(method, path):
                fault.times -= 1
                return fault
        return None

    # -- member side (no HTTP) ---------------------------------------------------------
    def space(self, key: str) -> Space:
        return self.state.space(key)

    def page(self, space_key: str, title: str) -> Page:
        """The current page of that title. Raises LookupError if there is none."""
        page = self.state.find_page(space_key, title)
        if page is None:
            raise LookupError(f"no current page {title!r} in space {space_key}")
        return page

    def add_user(self, email: str, display_name: str) -> User:
        return self.state.add_user(email, display_name)

    def create_space(self, key: str, name: str) -> Space:
        return self.state.create_space(key, name)

    def create_page(self, space_key: str, title: str, body: str = "",
                    parent_title: str | None = None, by: User = MEMBER) -> Page:
        space = self.state.space(key=space_key)
        parent = self.page(space_key, parent_title).id if parent_title else space.homepage_id
        return self.state.create_page(space, title, body, parent, by=by)

    def make_live_doc(self, space_key: str, title: str, by: User = MEMBER) -> Page:
        """The page becomes a live doc whose storage body reads empty through the API while
        the editor shows its content (a new version, by a member; see Page.api_body)."""
        page = self.page(space_key, title)
        page.subtype = "live"
        return self.state.member_edit(page, page.body, by=by)

    def archive_page(self, space_key: str, title: str) -> Page:
        """A member archives the page: out of the page tree, its title still taken."""
        page = self.page(space_key, title)
        self.state.archive(page)
        return page

    def rename_space_key(self, old: str, new: str) -> Space:
        """An administrator changes the space's key (see ConfluenceState)."""
        return self.state.rename_space_key(old, new)

    def edit_page(self, space_key: str, title: str, new_body: str, by: User = MEMBER) -> Page:
        """A member saves the page in the editor (new version, new body)."""
        return self.state.member_edit(self.page(space_key, title), new_body, by=by)

    def move_page(self, space_key: str, title: str, *, new_title: str | None = None,
                  parent_title: str | None = None, by: User = MEMBER) -> Page:
        """Rename and/or re-parent a page; saved as a new version (so CQL sees it)."""
        page = self.page(space_key, title)
        if parent_title is not None:
            self.state.move(page, self.page(space_key, parent_title).id)
        return self.state.member_edit(page, page.body, by=by, title=new_title)

    def delete_page(self, space_key: str, title: str) -> Page:
        """Move the page to the trash."""
        page = self.page(space_key, title)
        self.state.trash(page)
        return page

    def restore_page(self, page: Page) -> Page:
        """Restore a trashed page, as a space administrator does: no new version (so CQL's
        last-modified search does not see it)."""
        page.status = "current"
        self.state.clock.tick()
        return page

    # -- request log -------------------------------------------------------------------
    def requests(self, method: str | None = None, path: str | None = None
                 ) -> list[LoggedRequest]:
        """Logged requests, by method and by a regex searched in the path."""
        return [r for r in self.log if (method is None or r.method == method.upper())
                and (path is None or re.search(path, r.path))]

    def writes(self) -> list[LoggedRequest]:
        """Requests that may change the site (a POST that only reads is not one)."""
        return [r for r in self.log if r.method != "GET" and not r.path.endswith(READ_POSTS)]


class _Bearer(requests.auth.AuthBase):
    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.token}"
        return request


_FAULT_MESSAGES = {429: "Rate limit exceeded.", 500: "Internal server error",
                   503: "Service temporarily unavailable."}


def _json_body(request: Any) -> Any:
    """A request's JSON body, decoded; None when it has none (or not JSON)."""
    raw = getattr(request, "body", None)
    if not raw:
        return None
    try:
        return json.loads(raw)
    except (TypeError, ValueError):
        return None
