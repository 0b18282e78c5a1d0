"""Transport rules for both backends, as built from cop.toml: plain http:// only to a loopback
host unless allow_http; certificates always verified (a real TLS handshake with a
self-signed certificate fails, and succeeds once ca_bundle names it)."""

from __future__ import annotations

import http.server
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import certifi
import pytest

from connector.base import PageRef
from connector.errors import ConfigError, CopError
from sync.config.backends import build_backend
from sync.config.loader import parse

SECRETS = {"COP_MEDIAWIKI_PASSWORD": "mw-secret", "COP_CONFLUENCE_TOKEN": "cf-secret"}


def config(tmp_path: Path, name: str, url: str, **more: Any):
    section: dict[str, Any] = {"url": url, "user": "bot@corp.example", **more}
    return parse({"defaults": {"backend": name}, name: section}, tmp_path / "cop.toml")


@pytest.fixture(autouse=True)
def _secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)


@pytest.mark.parametrize("name", ["mediawiki", "confluence"])
def test_plain_http_needs_a_loopback_host_or_allow_http(tmp_path: Path, name: str) -> None:
    with pytest.raises(ConfigError) as refused:
        build_backend(config(tmp_path, name, "http://wiki.corp.example/w/"), name)
    assert refused.value.setting == f"{name}.allow_http"
    assert "in clear" in str(refused.value)
    build_backend(config(tmp_path, name, "http://wiki.corp.example/w/", allow_http=True), name)
    build_backend(config(tmp_path, name, "http://127.0.0.1:9/w/"), name)  # loopback: fine


class _Hello(http.server.BaseHTTPRequestHandler):
    seen: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).seen.append(self.path)
        self.send_response(404)  # not a wiki; enough to prove the request got through
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """An https server on 127.0.0.1 with a self-signed certificate; its URL and the cert."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True,
                   capture_output=True)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    _Hello.seen = []
    try:
        yield f"https://127.0.0.1:{server.server_port}/", cert
    finally:
        server.shutdown()
        server.server_close()


def ask(backend: Any) -> str:
    """One request to the wiki; the error it ends with."""
    try:
        backend.read_pages([PageRef("CoP_Battery", "Members")])
    except CopError as error:
        return str(error)
    return ""


@pytest.mark.parametrize("name", ["mediawiki", "confluence"])
def test_certificates_are_verified(tmp_path: Path, tls_server: tuple[str, Path], name: str,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """Also with $REQUESTS_CA_BUNDLE set (corporate machines do), which requests would let
    override the configured ca_bundle."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())
    url, cert = tls_server
    untrusted = build_backend(config(tmp_path, name, url), name)
    failure = ask(untrusted)
    assert failure and _Hello.seen == []  # the handshake failed: no request reached it
    if name == "mediawiki":
        assert "TLS verification failed" in failure and "ca_bundle" in failure
    trusted = build_backend(config(tmp_path, name, url, ca_bundle=str(cert)), name)
    ask(trusted)
    assert _Hello.seen  # verified against the bundle: the request went through


def test_the_session_verifies_with_the_bundle_or_the_system_store(tmp_path: Path) -> None:
    cert = tmp_path / "corp-ca.pem"
    cert.write_text("-----BEGIN CERTIFICATE-----\n")
    default = build_backend(config(tmp_path, "mediawiki", "https://wiki.corp/w/"), "mediawiki")
    bundled = build_backend(config(tmp_path, "mediawiki", "https://wiki.corp/w/",
                                   ca_bundle="corp-ca.pem"), "mediawiki")
    assert default._http.session.verify is True
    assert bundled._http.session.verify == str(cert)
