"""Faults between this process and the real wiki: every request to its api.php is forwarded
(with urllib, which ``responses`` does not intercept) unless a queued fault says otherwise —
answer something else instead (maxlag, 503, 429), raise instead (a dropped connection), or
forward and then raise (a write that landed but whose answer was lost).

A fake of the network, not a mock of the code: the adapter, urllib3's retries, mwclient's
maxlag handling and the engine all run for real.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import requests
import responses

Answer = tuple[int, list[tuple[str, str]], bytes]
HOP_BY_HOP = {"connection", "transfer-encoding", "content-encoding", "content-length",
              "keep-alive"}


def params(request: requests.PreparedRequest) -> dict[str, str]:
    """The API parameters of a request (query string and form body)."""
    query = request.url.split("?", 1)[1] if "?" in (request.url or "") else ""
    body = request.body or ""
    text = body.decode() if isinstance(body, bytes) else body
    found = {k: v[0] for k, v in parse_qs(query).items()}
    found.update({k: v[0] for k, v in parse_qs(text).items()})
    return found


def is_edit(request: requests.PreparedRequest) -> bool:
    return request.method == "POST" and params(request).get("action") == "edit"


def is_get(request: requests.PreparedRequest) -> bool:
    return request.method == "GET"


def api_error(code: str, info: str) -> bytes:
    return json.dumps({"error": {"code": code, "info": info}}).encode()


@dataclass
class Fault:
    when: Callable[[requests.PreparedRequest], bool]
    answer: Answer | None = None  # answered instead of forwarding
    error: Exception | None = None  # raised (after forwarding when ``landed``)
    landed: bool = False
    times: int | None = 1  # None: until the proxy closes


@dataclass
class WikiProxy:
    url: str
    faults: list[Fault] = field(default_factory=list)
    seen: list[dict[str, str]] = field(default_factory=list)  # params of every request
    forwarded: list[dict[str, str]] = field(default_factory=list)  # of those sent on

    def fail(self, when: Callable[[requests.PreparedRequest], bool], **how: Any) -> Fault:
        fault = Fault(when, **how)
        self.faults.append(fault)
        return fault

    def edits(self, *, attempted: bool = False) -> int:
        """Edits that reached the wiki (or that were attempted)."""
        return sum(p.get("action") == "edit" for p in (self.seen if attempted
                                                        else self.forwarded))

    def handle(self, request: requests.PreparedRequest) -> Answer:
        self.seen.append(params(request))
        fault = self._fault(request)
        if fault is None:
            return self._forward(request)
        if fault.answer is not None:
            return fault.answer
        assert fault.error is not None
        if fault.landed:
            self._forward(request)
        raise fault.error

    def _fault(self, request: requests.PreparedRequest) -> Fault | None:
        for fault in self.faults:
            if fault.times != 0 and fault.when(request):
                if fault.times is not None:
                    fault.times -= 1
                return fault
        return None

    def _forward(self, request: requests.PreparedRequest) -> Answer:
        self.forwarded.append(params(request))
        body = request.body.encode() if isinstance(request.body, str) else request.body
        headers = {k: v for k, v in request.headers.items() if k.lower() != "accept-encoding"}
        forward = urllib.request.Request(request.url or "", data=body,  # noqa: S310 - http
                                         headers=headers, method=request.method)
        try:
            with urllib.request.urlopen(forward, timeout=60) as answer:  # noqa: S310
                return answer.status, self._headers(answer.headers), answer.read()
        except urllib.error.HTTPError as error:
            return error.code, self._headers(error.headers), error.read()

    @staticmethod
    def _headers(headers: Any) -> list[tuple[str, str]]:
        return [(k, v) for k, v in headers.items() if k.lower() not in HOP_BY_HOP]


@contextmanager
def proxied(url: str) -> Iterator[WikiProxy]:
    """Route this process's requests to the wiki at ``url`` through a WikiProxy."""
    proxy = WikiProxy(url)
    api = re.compile(re.escape(url) + r"api\.php.*")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        for method in (responses.GET, responses.POST):
            mock.add_callback(method, api, callback=proxy.handle)
        yield proxy
