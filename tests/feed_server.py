"""A real HTTP server the tests start, serving feeds as publishers do, and as they fail.

``FeedServer`` runs ``http.server.ThreadingHTTPServer`` (HTTP/1.1) in a thread on a free
loopback port. Paths:

* ``/feeds/<file>``: a file of tests/fixtures/feeds, with an ``ETag`` and a
  ``Last-Modified``; a request sending either back (``If-None-Match``,
  ``If-Modified-Since``) while the file is unchanged gets ``304 Not Modified``;
* ``/live/<name>``: a feed the test writes (``server.publish(name, text)``), validated the
  same way (a new text is a new ETag);
* ``/status/<code>``: that status, with a small HTML body;
* ``/html``: a web page (no feed); ``/json``: a JSON document;
* ``/drip``: headers at once, then one byte a second, for ever (a slow server);
* ``/stall``: nothing at all for a minute (a server that never answers);
* ``/endless``: chunked data as fast as it goes, never ending;
* ``/huge``: declares 50 MB (Content-Length) and starts sending them;
* ``/bomb``: a small gzip body that inflates to 32 MB;
* ``/loop``: a redirect to ``/loop2``, which redirects back;
* ``/moved/<file>``: a permanent redirect to ``/feeds/<file>``.

Every request is logged (``requests``: path and headers) for the tests to check what a
client sent (User-Agent, validators). ``stop()`` ends the endless answers and the server.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import hashlib
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import formatdate
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures" / "feeds"
TYPES = {".rss": "application/rss+xml; charset=utf-8", ".rdf": "application/rdf+xml",
         ".atom": "application/atom+xml; charset=utf-8", ".xml": "application/xml"}
LAST_MODIFIED = formatdate(1_764_000_000, usegmt=True)  # a fixed date, in 2025


@dataclass(frozen=True)
class Logged:
    path: str
    headers: dict[str, str]


class FeedServer:
    """A feed publisher on 127.0.0.1 (see the module)."""

    def __init__(self) -> None:
        self.live: dict[str, bytes] = {}
        self.requests: list[Logged] = []
        self.stopping = threading.Event()
        self.httpd = _Server(("127.0.0.1", 0), _handler(self))
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_port}"

    def url(self, path: str) -> str:
        return self.base + path

    def publish(self, name: str, text: str) -> str:
        """Serve ``text`` at ``/live/<name>`` (replacing what was there); its URL."""
        self.live[name] = text.encode("utf-8")
        return self.url(f"/live/{name}")

    def hits(self, path: str) -> list[Logged]:
        return [r for r in self.requests if r.path == path]

    def stop(self) -> None:
        self.stopping.set()
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        """A client that hangs up (what one should do past its cap or deadline) is no
        error worth a traceback; anything else is printed as usual."""
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


@contextmanager
def feed_server() -> Iterator[FeedServer]:
    server = FeedServer()
    try:
        yield server
    finally:
        server.stop()


def _handler(server: FeedServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: object) -> None:
            pass  # the tests read server.requests

        def do_GET(self) -> None:  # http.server's name
            server.requests.append(Logged(self.path, dict(self.headers.items())))
            path = self.path.split("?", 1)[0]
            for prefix, serve in ROUTES:
                if path == prefix or (prefix.endswith("/") and path.startswith(prefix)):
                    # the client gave up (what a client should do here): no trace
                    with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                        serve(self, server, path[len(prefix):])
                    return
            self.answer(HTTPStatus.NOT_FOUND, b"<html><body>Not found</body></html>",
                        "text/html")

        def answer(self, status: int, body: bytes, media: str,
                   headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", media)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

    return Handler


def _validated(handler: BaseHTTPRequestHandler, body: bytes, media: str) -> None:
    """``body`` with its validators, or 304 when the client has it already."""
    etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
    same_tag = handler.headers.get("If-None-Match") == etag
    same_date = handler.headers.get("If-Modified-Since") == LAST_MODIFIED and \
        handler.headers.get("If-None-Match") in (None, etag)
    if same_tag or same_date:
        handler.send_response(HTTPStatus.NOT_MODIFIED)
        handler.send_header("ETag", etag)
        handler.end_headers()
        return
    handler.answer(HTTPStatus.OK, body, media,  # type: ignore[attr-defined]
                   {"ETag": etag, "Last-Modified": LAST_MODIFIED})


def _file(handler, server: FeedServer, name: str) -> None:
    path = FIXTURES / name
    if "/" in name or not path.is_file():
        handler.answer(HTTPStatus.NOT_FOUND, b"<html>no such feed</html>", "text/html")
        return
    _validated(handler, path.read_bytes(), TYPES.get(path.suffix, "application/xml"))


def _live(handler, server: FeedServer, name: str) -> None:
    body = server.live.get(name)
    if body is None:
        handler.answer(HTTPStatus.NOT_FOUND, b"<html>gone</html>", "text/html")
        return
    _validated(handler, body, "application/rss+xml; charset=utf-8")


def _status(handler, server: FeedServer, code: str) -> None:
    handler.answer(int(code), f"<html><body>{code}</body></html>".encode(), "text/html")


def _html(handler, server: FeedServer, _: str) -> None:
    page = (b"<!DOCTYPE html><html><head><title>Acme Energy</title>"
            b'<link rel="alternate" type="application/rss+xml" href="/press/feed/"></head>'
            b"<body><h1>Welcome</h1><p>Our products.</p></body></html>")
    handler.answer(HTTPStatus.OK, page, "text/html; charset=utf-8")


def _json(handler, server: FeedServer, _: str) -> None:
    handler.answer(HTTPStatus.OK, b'{"items": [{"title": "x"}]}', "application/json")


def _drip(handler, server: FeedServer, _: str) -> None:
    handler.send_response(HTTPStatus.OK)
    handler.send_header("Content-Type", "application/rss+xml")
    handler.send_header("Content-Length", "100000")
    handler.end_headers()
    handler.wfile.write(b"<?xml version='1.0'?><rss version='2.0'><channel>")
    handler.wfile.flush()
    while not server.stopping.wait(1.0):
        handler.wfile.write(b" ")
        handler.wfile.flush()


def _stall(handler, server: FeedServer, _: str) -> None:
    server.stopping.wait(60)


def _endless(handler, server: FeedServer, _: str) -> None:
    handler.send_response(HTTPStatus.OK)
    handler.send_header("Content-Type", "application/rss+xml")
    handler.send_header("Transfer-Encoding", "chunked")
    handler.end_headers()
    chunk = b"<item><title>again</title></item>" * 2000
    frame = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    while not server.stopping.is_set():
        handler.wfile.write(frame)


def _huge(handler, server: FeedServer, _: str) -> None:
    handler.send_response(HTTPStatus.OK)
    handler.send_header("Content-Type", "application/rss+xml")
    handler.send_header("Content-Length", str(50_000_000))
    handler.end_headers()
    block = b"x" * 65536
    for _ in range(50_000_000 // len(block)):
        if server.stopping.is_set():
            return
        handler.wfile.write(block)


@functools.cache
def _bomb_body() -> bytes:
    return gzip.compress(b"<?xml version='1.0'?><rss version='2.0'><channel>"
                         + b" " * 32_000_000, compresslevel=1)


def _bomb(handler, server: FeedServer, _: str) -> None:
    handler.answer(HTTPStatus.OK, _bomb_body(), "application/rss+xml",
                   {"Content-Encoding": "gzip"})


def _loop(handler, server: FeedServer, _: str) -> None:
    target = "/loop2" if handler.path.startswith("/loop") and not \
        handler.path.startswith("/loop2") else "/loop"
    handler.send_response(HTTPStatus.FOUND)
    handler.send_header("Location", target)
    handler.send_header("Content-Length", "0")
    handler.end_headers()


def _moved(handler, server: FeedServer, name: str) -> None:
    handler.send_response(HTTPStatus.MOVED_PERMANENTLY)
    handler.send_header("Location", f"/feeds/{name}")
    handler.send_header("Content-Length", "0")
    handler.end_headers()


ROUTES = (("/feeds/", _file), ("/live/", _live), ("/status/", _status), ("/html", _html),
          ("/json", _json), ("/drip", _drip), ("/stall", _stall), ("/endless", _endless),
          ("/huge", _huge), ("/bomb", _bomb), ("/loop2", _loop), ("/loop", _loop),
          ("/moved/", _moved))


def wait_until(predicate, seconds: float = 5.0) -> bool:
    """Poll ``predicate`` (for a background thread's effect) until true or timeout."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()
