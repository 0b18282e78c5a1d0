"""Plumbing shared by the fake's route modules: parsed calls, replies, routes, error bodies.

A ``Route`` is one operation: method, a path regex relative to the site base URL (Cloud:
``https://SITE.atlassian.net/wiki``; Data Center: ``https://HOST/CONTEXT``), the spec it must
conform to and a handler turning a ``Call`` into a ``Reply``.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

import requests

from .confluence_state import BadRequest, ModelError

JSON = "application/json;charset=UTF-8"


@dataclass
class Call:
    """One request as a handler sees it."""

    method: str
    url: str
    path: str  # absolute path of the URL, e.g. /wiki/api/v2/pages/65538
    params: dict[str, str]  # the route regex's named groups, percent-decoded
    query: dict[str, list[str]]
    body: Any  # the decoded JSON body, None without one
    request: requests.PreparedRequest

    @classmethod
    def parse(cls, request: requests.PreparedRequest, params: dict[str, str]) -> Call:
        """Raises BadRequest when the body is not JSON."""
        parts = urlsplit(request.url or "")
        raw = request.body
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            raise BadRequest("The request body is not valid JSON") from None
        return cls(str(request.method), str(request.url), parts.path,
                   {k: unquote(v) for k, v in params.items() if v is not None},
                   parse_qs(parts.query, keep_blank_values=True), body, request)

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def args(self, name: str) -> list[str]:
        """All values of a multi-valued parameter, given repeated or comma-separated."""
        return [v for value in self.query.get(name, []) for v in value.split(",") if v]

    def int_arg(self, name: str, default: int, maximum: int | None = None) -> int:
        text = self.arg(name)
        try:
            value = int(text) if text not in (None, "") else default
        except ValueError:
            raise BadRequest(f"Parameter '{name}' must be an integer: {text}") from None
        return min(value, maximum) if maximum else value

    def expand(self) -> set[str]:
        """The ``expand`` values, with their parents (``body.storage`` implies ``body``)."""
        names = set(self.args("expand"))
        return names | {n.rsplit(".", depth)[0] for n in names
                        for depth in range(1, n.count(".") + 1)}

    def json_object(self) -> dict[str, Any]:
        if not isinstance(self.body, dict):
            raise BadRequest("The request body must be a JSON object")
        return self.body


@dataclass
class Reply:
    status: int
    body: Any = None  # JSON-able; None for an empty body
    headers: dict[str, str] = field(default_factory=dict)

    def encode(self) -> tuple[int, dict[str, str], bytes]:
        headers = dict(self.headers)
        if self.body is None:
            return self.status, headers, b""
        headers.setdefault("Content-Type", JSON)
        return self.status, headers, json.dumps(self.body).encode("utf-8")


Handler = Callable[[Call], Reply]


@dataclass(frozen=True)
class Route:
    method: str
    pattern: str  # regex of the path after the site base URL
    api: str  # "cloud-v1" | "cloud-v2" | "dc"
    handler: Handler


def ok(body: Any, status: int = 200) -> Reply:
    return Reply(status, body)


REASONS = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
           409: "Conflict", 410: "Gone", 429: "Too Many Requests", 500: "Internal Server Error",
           503: "Service Unavailable"}
_EXCEPTIONS = {400: "BadRequestException", 404: "NotFoundException", 409: "ConflictException",
               403: "PermissionException"}


def error_reply(api: str, status: int, message: str, headers: dict[str, str] | None = None
                ) -> Reply:
    """An error body shaped like the API's: v2 ``errors`` list, v1/Data Center ``RestError``."""
    if api == "cloud-v2":
        code = REASONS.get(status, "Error").upper().replace(" ", "_")
        body: dict[str, Any] = {"errors": [{"status": status, "code": code, "title": message,
                                            "detail": None}]}
    else:
        exception = _EXCEPTIONS.get(status)
        body = {"statusCode": status,
                "data": {"authorized": status not in (401, 403), "valid": status != 400,
                         "errors": [], "successful": False},
                "message": (f"com.atlassian.confluence.api.service.exceptions.{exception}: "
                            f"{message}") if exception else message,
                "reason": REASONS.get(status, "Error")}
    return Reply(status, body, dict(headers or {}))


def model_error(api: str, error: ModelError) -> Reply:
    return error_reply(api, error.status, error.message)


def encode_cursor(offset: int) -> str:
    """An opaque cursor (Confluence's are opaque too; this one holds an offset)."""
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> int:
    """The offset in a cursor made by encode_cursor. Raises BadRequest on anything else."""
    if not cursor:
        return 0
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        prefix, offset = text.split(":")
        if prefix != "offset":
            raise ValueError(prefix)
        return int(offset)
    except ValueError:
        raise BadRequest(f"Invalid cursor: {cursor}") from None


def next_link(path: str, call: Call, **changes: str | int) -> str:
    """``path`` with the call's query, some parameters replaced (for ``_links.next``)."""
    query = {k: v for k, v in call.query.items() if k not in changes}
    pairs = [(k, v) for k, values in query.items() for v in values]
    pairs += [(k, str(v)) for k, v in changes.items()]
    return f"{path}?{urlencode(pairs)}"
