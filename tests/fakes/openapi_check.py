"""Validate HTTP traffic against Atlassian's official Confluence OpenAPI descriptions.

Three APIs are known, by name:

* ``"cloud-v1"``: Confluence Cloud REST v1 (paths start with ``/wiki/rest/api/``; what is left of
  it: space creation, CQL search, labels, space permissions...);
* ``"cloud-v2"``: Confluence Cloud REST v2 (``/wiki/api/v2/...``: pages, properties, versions);
* ``"dc"``: Confluence Data Center 10.0.3 REST v1 (``/rest/api/...`` under the context path).

The spec files are read from ``$COP_CONFLUENCE_OPENAPI_DIR`` or else from
``../shared/confluence-openapi/`` beside the repository; they are never copied into the project.
Where neither holds them, ``specs_available()`` is false and ``SPECS_MISSING`` says why: the fake
Confluence then runs without schema checks and the validator's own tests skip.

Each spec is parsed once per process (``functools.cache``) and fixed in memory, because none of
them is usable as published (see ``_load_raw``):

* none passes strict spec validation: loaded with ``Config(spec_validator_cls=None)``;
* the ``servers`` of v1 and Data Center do not name a usable host: replaced by the base URL under
  test (v2's ``https://{your-domain}/wiki/api/v2`` matches any host and is replaced likewise);
* v2 page create/update bodies are ``oneOf[PageBodyWrite, PageNestedBodyWrite]``; any object
  matches both schemas, so every body would fail ``oneOf``: patched to ``anyOf``.

Only 2xx responses are schema-checked: error responses of the Cloud specs carry no schema and 429
is not documented at all.
"""

from __future__ import annotations

import functools
import json
import os
import re
import warnings
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from openapi_core import Config, OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest
from werkzeug.datastructures import Headers

ENV_DIR = "COP_CONFLUENCE_OPENAPI_DIR"
REPO_ROOT = Path(__file__).resolve().parents[2]
SPEC_FILES = {
    "cloud-v1": "cloud-v1.swagger.v3.json",
    "cloud-v2": "cloud-v2.openapi.v3.json",
    "dc": "datacenter-10.0.3.openapi.v3.json",
}
# Where each API's paths start, relative to the site base URL the product is configured with
# (Cloud: https://SITE.atlassian.net/wiki; Data Center: https://HOST[/CONTEXT]).
_SERVER_SUFFIX = {"cloud-v2": "/api/v2", "dc": ""}
_ONE_OF_BODY = frozenset({"#/components/schemas/PageBodyWrite",
                          "#/components/schemas/PageNestedBodyWrite"})


def spec_dir() -> Path | None:
    """The directory holding the three spec files, or None when they are not there.

    ``$COP_CONFLUENCE_OPENAPI_DIR`` wins when set (even if it lacks them: that is how to run
    the tests without schema checks); else ``../shared/confluence-openapi`` beside the repo.
    """
    configured = os.environ.get(ENV_DIR)
    directory = Path(configured) if configured else REPO_ROOT.parent / "shared" / \
        "confluence-openapi"
    if all((directory / name).is_file() for name in SPEC_FILES.values()):
        return directory
    return None


def specs_available() -> bool:
    return spec_dir() is not None


SPECS_MISSING = (
    f"Confluence OpenAPI specs not found (in ${ENV_DIR}, or else "
    f"{REPO_ROOT.parent / 'shared' / 'confluence-openapi'}): schema checks skipped"
)


def server_url(api: str, site_base: str) -> str:
    """The server URL of ``api`` for a site whose base URL is ``site_base``.

    Cloud v1 paths carry the ``/wiki`` prefix themselves, so its server is the base less
    ``/wiki``: the bare origin, or through the API gateway ``.../ex/confluence/CLOUD_ID``.
    """
    site_base = site_base.rstrip("/")
    if api == "cloud-v1":
        return site_base.removesuffix("/wiki")
    return site_base + _SERVER_SUFFIX[api]


def required_scopes(api: str, method: str, path: str) -> tuple[str, ...]:
    """The OAuth 2.0 (granular) scopes the spec names for an operation (``path`` relative
    to the API's server, e.g. ``/pages/65538``): what a scoped API token must hold for it.
    Empty when the spec names none or has no such operation."""
    for template, operations in _load_raw(api)["paths"].items():
        pattern = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path) and method.lower() in operations:
            declared = operations[method.lower()].get("x-atlassian-oauth2-scopes") or []
            current = [d for d in declared if d.get("state") == "Current"] or declared
            return tuple(scope for d in current[:1] for scope in d.get("scopes") or ())
    return ()


@functools.cache
def _load_raw(api: str) -> dict[str, Any]:
    """The spec as a dict, parsed once, with the v2 ``oneOf`` bodies patched to ``anyOf``."""
    directory = spec_dir()
    if directory is None:
        raise FileNotFoundError(SPECS_MISSING)
    spec = json.loads((directory / SPEC_FILES[api]).read_text(encoding="utf-8"))
    _patch_one_of(spec)
    return spec


def _patch_one_of(node: Any) -> None:
    # Walk the whole document: the two request bodies are defined inline in requestBodies.
    if isinstance(node, dict):
        options = node.get("oneOf")
        if isinstance(options, list) and {o.get("$ref") for o in options} == _ONE_OF_BODY:
            node["anyOf"] = node.pop("oneOf")
        for value in node.values():
            _patch_one_of(value)
    elif isinstance(node, list):
        for value in node:
            _patch_one_of(value)


@functools.cache
def load_api(api: str, server: str) -> OpenAPI:
    """The openapi-core app for ``api`` serving at ``server`` (cached per pair).

    Raises FileNotFoundError when the specs are missing, KeyError for an unknown api name.
    """
    spec = dict(_load_raw(api))  # shallow copy: only ``servers`` differs between servers
    spec["servers"] = [{"url": server}]
    return OpenAPI.from_dict(spec, config=Config(spec_validator_cls=None))


@dataclass(frozen=True)
class _Response:
    """The openapi-core Response protocol over a (status, headers, body) triple."""

    status_code: int
    headers: Headers
    data: bytes

    @property
    def content_type(self) -> str:
        return str(self.headers.get("Content-Type", ""))


def _describe(exc: Exception) -> str:
    """The failure and the schema errors openapi-core keeps in the exception's causes."""
    errors: list[str] = []
    causes: list[str] = []
    cause = exc.__cause__
    while cause is not None:
        schema_errors = getattr(cause, "schema_errors", None) or ()
        for error in schema_errors:
            where = "/".join(str(p) for p in getattr(error, "path", ())) or "(top)"
            errors.append(f"  - at {where}: {getattr(error, 'message', error)}")
        if not schema_errors:
            causes.append(f"  - caused by {type(cause).__name__}: {cause!r}")
        cause = cause.__cause__
    if errors:  # the exception's own text repeats the whole value: the list is clearer
        return f"{type(exc).__name__}:\n" + "\n".join(errors)
    return "\n".join([f"{type(exc).__name__}: {exc}", *causes])


def _operation(request: requests.PreparedRequest) -> str:
    return f"{request.method} {request.path_url}"


def check_request(api: str, request: requests.PreparedRequest, *,
                  server: str | None = None) -> None:
    """Validate a request (path, operation, parameters, body) against ``api``'s spec.

    ``server`` defaults to the request's origin plus the API's usual prefix (Cloud:
    ``/wiki``...; Data Center: the ``/confluence`` context path when the path starts with it).
    Raises AssertionError naming the operation and what failed; FileNotFoundError when the
    specs are missing.
    """
    app = load_api(api, server or _default_server(api, request.url or ""))
    with warnings.catch_warnings():
        # The OAuth2 scheme the Cloud specs offer beside basic auth is not checked by
        # openapi-core, which warns on every request.
        warnings.filterwarnings("ignore", "Unsupported scheme type", UserWarning)
        try:
            app.validate_request(RequestsOpenAPIRequest(request))
        except Exception as exc:  # every openapi-core failure becomes one readable assertion
            raise AssertionError(f"{api}: request {_operation(request)} violates the spec:\n"
                                 f"{_describe(exc)}") from exc


def check_response(api: str, request: requests.PreparedRequest, status: int,
                   headers: Mapping[str, str], body: bytes | str | None, *,
                   server: str | None = None) -> None:
    """Validate a 2xx response to ``request`` (status, headers, JSON body) against the spec.

    Error statuses are not checked (the Cloud specs give them no schema). Raises
    AssertionError naming the operation and what failed.
    """
    if not 200 <= status < 300:
        return
    if isinstance(body, str):
        body = body.encode("utf-8")
    response = _Response(status, Headers(dict(headers)), body or b"")
    app = load_api(api, server or _default_server(api, request.url or ""))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Unsupported scheme type", UserWarning)
        try:
            app.validate_response(RequestsOpenAPIRequest(request), response)
        except Exception as exc:
            raise AssertionError(f"{api}: response {status} to {_operation(request)} "
                                 f"violates the spec:\n{_describe(exc)}") from exc


def _default_server(api: str, url: str) -> str:
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}"
    if api == "cloud-v1":
        return origin
    if api == "cloud-v2":
        return origin + "/wiki/api/v2"
    return origin + ("/confluence" if parts.path.startswith("/confluence/") else "")


@dataclass(frozen=True)
class Violation:
    """One request or response the spec rejects (or that no fake route answers)."""

    api: str
    method: str
    url: str
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass
class Violations:
    """Collects violations seen during a test; ``assert_none()`` at the end.

    A test that provokes violations on purpose takes them with ``take()`` so that only the
    unexpected ones remain.
    """

    items: list[Violation] = field(default_factory=list)

    def add(self, violation: Violation) -> None:
        self.items.append(violation)

    def take(self, method: str | None = None, path_contains: str = "") -> list[Violation]:
        """Remove and return the violations of ``method`` whose URL contains the text."""
        taken = [v for v in self.items
                 if (method is None or v.method == method) and path_contains in v.url]
        self.items = [v for v in self.items if v not in taken]
        return taken

    def assert_none(self) -> None:
        """Raises AssertionError listing every violation recorded."""
        if self.items:
            listing = "\n\n".join(str(v) for v in self.items)
            raise AssertionError(f"{len(self.items)} OpenAPI violation(s):\n\n{listing}")

    def __iter__(self) -> Iterator[Violation]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)
