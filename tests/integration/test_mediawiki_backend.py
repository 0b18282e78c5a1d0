"""MediaWiki-specific behaviour of the adapter: login, round trips, URL rules, faults.

The real local wiki covers login and request counts; faults a real server will not produce on
demand (429, 503, maxlag, dropped connections) are injected with ``responses``, which also
drives urllib3's Retry (without sleeping), so waits are checked through the adapter's stats.
"""

from __future__ import annotations

import email.utils
import http.server
import json
import logging
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
import responses

from connector.base import PageRef, RemotePage, SpaceSpec
from connector.errors import (
    AuthenticationFailed,
    BudgetExceeded,
    ConfigError,
    PermissionDenied,
    SpaceMissing,
    Unreachable,
    ValidationError,
)
from connector.http import Budget, SecretFilter
from connector.mediawiki.backend import MediaWikiBackend, MediaWikiSettings
from connector.mediawiki.http import check_url
from connector.mediawiki.namespaces import ADD_ROW_MODULE, add_row_script, namespace_name, snippet


class NoCodec:
    format = "none"


SPACE = "CoP_Battery"
# Namespace numbers (and extra PHP file names) no other test module uses: php -S caches
# compiled PHP and checks a file's time at most every 2 s, so a file rewritten with other
# content within 2 s would keep its old meaning.
SPACE_ID = 3100
FAKE = "https://wiki.test/w/"
FAKE_API = FAKE + "api.php"
NOW = "2026-03-01T10:00:00Z"


def real_backend(wiki: Any, password: str | None = None, **options: Any) -> MediaWikiBackend:
    settings = MediaWikiSettings(
        url=wiki.url, user=wiki.credentials.bot_user,
        password=wiki.credentials.bot_password if password is None else password,
        max_retries=1, retry_wait=0)
    return MediaWikiBackend(settings, NoCodec(), **options)  # type: ignore[arg-type]


def fake_backend(*, user: str = "", budget: Budget | None = None,
                 max_retries: int = 2, url: str = FAKE) -> MediaWikiBackend:
    """An anonymous backend on a fake wiki whose namespace id is known (no siteinfo)."""
    settings = MediaWikiSettings(url=url, user=user, password="Secret-Pass-123" if user else "",
                                 max_retries=max_retries, retry_wait=0)
    return MediaWikiBackend(settings, NoCodec(), namespaces={SPACE: 3000},  # type: ignore[arg-type]
                            budget=budget)


def feed_answer(changes: list[dict[str, Any]] | None = None) -> str:
    return json.dumps({"batchcomplete": True, "curtimestamp": NOW, "query": {
        "recentchanges": changes or [], "tokens": {"csrftoken": "token+\\"}}})


@pytest.fixture
def fake() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


# --- login and round trips (real wiki) -------------------------------------------------------

def test_wrong_password_is_authentication_failed_without_the_password(
        wiki: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    password = "Wrong-But-Secret-Password-42"
    backend = real_backend(wiki, password=password)
    with pytest.raises(AuthenticationFailed) as caught:
        backend.changes_since([SPACE], None)
    assert wiki.credentials.bot_user in str(caught.value)
    assert password not in str(caught.value) and password not in repr(caught.value)
    assert password not in caplog.text
    assert backend.stats.requests == 2


def test_round_trips_login_feed_and_batched_read(wiki: Any) -> None:
    wiki.add_namespace(SPACE, SPACE_ID)
    backend = real_backend(wiki)
    assert backend.stats.requests == 0  # construction makes no request

    first = backend.changes_since([SPACE], None)
    assert backend.stats.requests == 3  # login token (+ namespaces), login, feed
    assert backend.stats.logins == 1

    before = backend.stats.requests
    quiet = backend.changes_since([SPACE], first.signpost)
    assert quiet.changes == () and backend.stats.requests - before == 1

    before = backend.stats.requests
    backend.read_pages([PageRef(SPACE, f"Page {n}") for n in range(120)])
    assert backend.stats.requests - before == 3

    before = backend.stats.requests
    backend.create_page(PageRef(SPACE, "Members"), "x", summary="test")
    assert backend.stats.requests - before == 1  # the csrf token came with a read


def test_known_namespace_ids_spare_the_siteinfo_request(wiki: Any) -> None:
    wiki.add_namespace(SPACE, SPACE_ID)
    settings = MediaWikiSettings(url=wiki.url, max_retries=1, retry_wait=0)  # anonymous
    anonymous = MediaWikiBackend(settings, NoCodec())  # type: ignore[arg-type]
    anonymous.changes_since([SPACE], None)
    assert anonymous.stats.requests == 2  # siteinfo, feed
    known = MediaWikiBackend(settings, NoCodec(), namespaces={SPACE: SPACE_ID})  # type: ignore[arg-type]
    known.changes_since([SPACE], None)
    assert known.stats.requests == 1


def test_check_space_snippet_declares_the_namespace(wiki: Any) -> None:
    backend = real_backend(wiki)
    spec = SpaceSpec(slug="battery", name="Battery", space=SPACE, lang="en")
    with pytest.raises(SpaceMissing) as caught:
        backend.check_space(spec)
    php = caught.value.remedy[caught.value.remedy.index("# ---"):]
    wiki.add_php("backend-test-snippet", php)
    info = backend.check_space(spec)  # the same backend reads the table again
    assert (info.space, info.space_id) == ("CoP Battery", "3000")


def test_snippet_avoids_a_namespace_number_in_use(wiki: Any) -> None:
    wiki.add_namespace("Something_else", 3200)
    spec = SpaceSpec(slug="battery", name="Battery", space=SPACE, lang="en", namespace_id=3200)
    with pytest.raises(SpaceMissing) as caught:
        real_backend(wiki).check_space(spec)
    assert "$wgExtraNamespaces[3000] = 'CoP_Battery';" in caught.value.remedy
    assert "3200 is already 'Something else'" in caught.value.remedy


def test_wiki_stores_nfc_without_trailing_space(wiki: Any) -> None:
    wiki.add_namespace(SPACE, SPACE_ID)
    backend = real_backend(wiki)
    ref = PageRef(SPACE, "Références")
    decomposed = "Re\u0301glementation \n\n"  # "e" + combining acute, as macOS pastes it
    backend.create_page(ref, decomposed, summary="test")
    assert backend.read_pages([ref])[ref].content == "R\u00e9glementation"


def test_private_wiki_login(wiki: Any) -> None:
    wiki.add_namespace(SPACE, SPACE_ID)
    wiki.add_php("backend-test-private", "$wgGroupPermissions['*']['read'] = false;")
    backend = real_backend(wiki)
    backend.changes_since([SPACE], None)
    # The token request cannot bring the namespaces there: one refused try, then siteinfo.
    assert backend.stats.requests == 5
    known = real_backend(wiki, namespaces={SPACE: SPACE_ID})
    known.changes_since([SPACE], None)
    assert known.stats.requests == 3


def test_lost_session_is_renewed_once_for_a_write(wiki: Any) -> None:
    wiki.add_namespace(SPACE, SPACE_ID)
    backend = real_backend(wiki)
    backend.create_page(PageRef(SPACE, "A"), "a", summary="test")
    backend._http.session.cookies.clear()  # the wiki forgot us (expired session)
    written = backend.create_page(PageRef(SPACE, "B"), "b", summary="test")
    assert written.changed and backend.stats.logins == 2


def test_protect_pages_restricts_editing(wiki: Any) -> None:
    wiki.add_namespace(SPACE, SPACE_ID)
    backend = real_backend(wiki)
    ref = PageRef(SPACE, "Charter")
    backend.create_page(ref, "charter", summary="test")
    backend.protect_pages([ref])
    settings = MediaWikiSettings(url=wiki.url, user=wiki.credentials.member_user,
                                 password=wiki.credentials.member_password, max_retries=0)
    member = MediaWikiBackend(settings, NoCodec())  # type: ignore[arg-type]
    base = member.read_pages([ref])[ref]
    with pytest.raises(PermissionDenied):
        member.update_page(base, "hijacked", summary="test")


# --- URLs and settings -----------------------------------------------------------------------

def test_plain_http_to_a_remote_host_is_refused() -> None:
    with pytest.raises(ConfigError) as caught:
        MediaWikiBackend(MediaWikiSettings(url="http://wiki.example.com/w/"), NoCodec())  # type: ignore[arg-type]
    assert caught.value.setting == "mediawiki.allow_http"
    assert "mediawiki.allow_http" in str(caught.value)
    allowed = MediaWikiSettings(url="http://wiki.example.com/w/", allow_http=True)
    assert MediaWikiBackend(allowed, NoCodec()).url == "http://wiki.example.com/w/"  # type: ignore[arg-type]


@pytest.mark.parametrize(("given", "script"), [
    ("https://wiki.corp/w/", "https://wiki.corp/w/"),
    ("https://wiki.corp/w", "https://wiki.corp/w/"),
    ("https://wiki.corp/w/api.php", "https://wiki.corp/w/"),
    ("https://wiki.corp:8443/api.php", "https://wiki.corp:8443/"),
    ("http://127.0.0.1:8080/", "http://127.0.0.1:8080/"),
    ("http://localhost/w/", "http://localhost/w/"),
])
def test_script_path_or_api_url_is_accepted(given: str, script: str) -> None:
    assert check_url(given) == script


@pytest.mark.parametrize("bad", ["ftp://wiki.corp/w/", "wiki.corp/w/",
                                 "https://bot:secret@wiki.corp/w/", "ftp://bot:secret@x/"])
def test_bad_urls_are_config_errors(bad: str) -> None:
    with pytest.raises(ConfigError) as caught:
        check_url(bad)
    assert "secret" not in str(caught.value)


def test_missing_ca_bundle_is_a_config_error(tmp_path: Any) -> None:
    settings = MediaWikiSettings(url=FAKE, ca_bundle=str(tmp_path / "absent.pem"))
    with pytest.raises(ConfigError) as caught:
        MediaWikiBackend(settings, NoCodec())  # type: ignore[arg-type]
    assert caught.value.setting == "mediawiki.ca_bundle"


def test_settings_repr_hides_the_password() -> None:
    assert "hunter2" not in repr(MediaWikiSettings(url=FAKE, user="u", password="hunter2"))


def test_secret_filter_redacts_log_records(caplog: pytest.LogCaptureFixture) -> None:
    logger = logging.getLogger("test.secret")
    logger.addFilter(SecretFilter(["s3cr3t-value"]))
    with caplog.at_level(logging.INFO):
        logger.info("token %s in %s", "s3cr3t-value", "a message")
    assert "s3cr3t-value" not in caplog.text and "token *** in a message" in caplog.text


# --- faults (responses) ----------------------------------------------------------------------

def test_429_with_retry_after_seconds_is_retried(fake: responses.RequestsMock) -> None:
    fake.get(FAKE_API, status=429, headers={"Retry-After": "1"})
    fake.get(FAKE_API, body=feed_answer())
    backend = fake_backend()
    feed = backend.changes_since([SPACE], None)
    assert feed.signpost == NOW
    assert backend.stats.http.retries == 1 and backend.stats.http.waited == 1


class _Flaky(http.server.BaseHTTPRequestHandler):
    """Answers 429 (Retry-After: 1) to the first GET, then an empty change feed."""

    hits = 0

    def do_GET(self) -> None:
        type(self).hits += 1
        if type(self).hits == 1:
            self.send_response(429)
            self.send_header("Retry-After", "1")
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = feed_answer().encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def test_retry_after_is_really_waited_by_urllib3() -> None:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Flaky)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        backend = fake_backend(url=f"http://127.0.0.1:{server.server_port}/")
        started = time.monotonic()
        feed = backend.changes_since([SPACE], None)
        assert feed.signpost == NOW and _Flaky.hits == 2
        assert 0.9 <= time.monotonic() - started < 5
    finally:
        server.shutdown()
        server.server_close()


def test_503_with_retry_after_http_date_is_retried(fake: responses.RequestsMock) -> None:
    later = email.utils.formatdate(time.time() + 30, usegmt=True)
    fake.get(FAKE_API, status=503, headers={"Retry-After": later})
    fake.get(FAKE_API, body=feed_answer())
    backend = fake_backend()
    backend.changes_since([SPACE], None)
    assert backend.stats.http.retries == 1
    assert 25 <= backend.stats.http.waited <= 31


def test_repeated_5xx_on_a_read_is_unreachable_after_bounded_retries(
        fake: responses.RequestsMock) -> None:
    fake.get(FAKE_API, status=502)
    backend = fake_backend(max_retries=2)
    with pytest.raises(Unreachable):
        backend.changes_since([SPACE], None)
    assert len(fake.calls) == 3 and backend.stats.http.retries == 2


def test_503_on_a_write_is_not_replayed(fake: responses.RequestsMock) -> None:
    fake.get(FAKE_API, body=json.dumps({"query": {"tokens": {"csrftoken": "t+\\"}}}))
    fake.post(FAKE_API, status=503, headers={"Retry-After": "0"})
    backend = fake_backend()
    with pytest.raises(Unreachable) as caught:
        backend.create_page(PageRef(SPACE, "Members"), "x", summary="test")
    assert "not replayed" in str(caught.value)
    assert [call.request.method for call in fake.calls] == ["GET", "POST"]


def test_badtoken_on_a_write_refreshes_the_token_once(fake: responses.RequestsMock) -> None:
    fake.get(FAKE_API, body=json.dumps({"query": {"tokens": {"csrftoken": "old+\\"}}}))
    fake.post(FAKE_API, body=json.dumps({"error": {"code": "badtoken", "info": "Invalid"}}))
    fake.get(FAKE_API, body=json.dumps({"query": {"tokens": {"csrftoken": "new+\\"}}}))
    fake.post(FAKE_API, body=json.dumps({"edit": {
        "result": "Success", "pageid": 7, "title": "CoP Battery:Members", "oldrevid": 0,
        "newrevid": 12, "new": True}}))
    written = fake_backend().create_page(PageRef(SPACE, "Members"), "x", summary="test")
    assert (written.page_id, written.revision) == ("7", "12")
    assert "token=new" in fake.calls[3].request.body


def test_connection_refused_is_unreachable_after_bounded_retries() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    backend = fake_backend(url=f"http://127.0.0.1:{port}/", max_retries=2)
    with pytest.raises(Unreachable):
        backend.read_pages([PageRef(SPACE, "Members")])
    assert backend.stats.http.retries == 2 and backend.stats.requests == 0


def test_dropped_connection_on_a_read_is_unreachable(fake: responses.RequestsMock) -> None:
    fake.get(FAKE_API, body=requests.ConnectionError("connection reset"))
    with pytest.raises(Unreachable):
        fake_backend().read_pages([PageRef(SPACE, "Members")])


def test_maxlag_is_waited_out_then_retried(fake: responses.RequestsMock) -> None:
    lagged = json.dumps({"error": {"code": "maxlag", "info": "Waiting: 6 seconds lagged"}})
    fake.get(FAKE_API, body=lagged, headers={"X-Database-Lag": "6", "Retry-After": "0"})
    fake.get(FAKE_API, body=feed_answer())
    feed = fake_backend().changes_since([SPACE], None)
    assert feed.signpost == NOW and len(fake.calls) == 2


def test_retry_after_beyond_the_budget_stops(fake: responses.RequestsMock) -> None:
    fake.get(FAKE_API, status=429, headers={"Retry-After": "120"})
    started = time.monotonic()
    with pytest.raises(BudgetExceeded):
        fake_backend(budget=Budget(5)).changes_since([SPACE], None)
    assert time.monotonic() - started < 1


def test_maxlag_beyond_the_budget_stops(fake: responses.RequestsMock) -> None:
    lagged = json.dumps({"error": {"code": "maxlag", "info": "lagged"}})
    fake.get(FAKE_API, body=lagged, headers={"X-Database-Lag": "30", "Retry-After": "30"})
    started = time.monotonic()
    with pytest.raises(BudgetExceeded):
        fake_backend(budget=Budget(5)).changes_since([SPACE], None)
    assert time.monotonic() - started < 1


def test_feed_translation_and_continuation(fake: responses.RequestsMock) -> None:
    def entry(**fields: Any) -> dict[str, Any]:
        return {"ns": 3000, "pageid": 4, "revid": 9, "timestamp": NOW, **fields}
    first = {"curtimestamp": NOW, "continue": {"rccontinue": "x|1", "continue": "-||"},
             "query": {"recentchanges": [
                 entry(type="new", title="CoP Battery:Members"),
                 entry(type="log", title="CoP Battery:Members", logtype="move",
                       logaction="move_redir",
                       logparams={"target_ns": 0, "target_title": "Members"}),
                 entry(type="log", title="CoP Battery:Watch", logtype="protect",
                       logaction="protect"),
                 entry(type="log", title="CoP Battery:Old", logtype="delete",
                       logaction="delete_redir"),
                 entry(type="log", title="CoP Battery:Ref", logtype="import",
                       logaction="upload")]}}
    second = {"curtimestamp": "2026-03-01T10:00:09Z", "query": {"recentchanges": [
        entry(type="edit", title="CoP Battery:Members", timestamp="2026-03-01T10:00:05Z")]}}
    fake.get(FAKE_API, body=json.dumps(first))
    fake.get(FAKE_API, body=json.dumps(second))
    backend = fake_backend()
    feed = backend.changes_since([SPACE], "2026-03-01T09:00:00Z")
    assert feed.signpost == NOW and backend.stats.feeds == 2
    assert [(str(c.ref), c.action, c.target) for c in feed.changes] == [
        ("CoP_Battery:Members", "create", None),
        ("CoP_Battery:Members", "move", PageRef("", "Members")),
        ("CoP_Battery:Old", "delete", None),
        ("CoP_Battery:Ref", "edit", None)]  # the later edit waits for the next run
    assert "rccontinue=x%7C1" in fake.calls[1].request.url
    assert "rcnamespace=3000" in fake.calls[0].request.url


def test_read_follows_continuation(fake: responses.RequestsMock) -> None:
    def page(title: str, content: str | None) -> dict[str, Any]:
        body: dict[str, Any] = {"pageid": len(title), "ns": 3000, "title": title}
        if content is not None:
            body["revisions"] = [{"revid": 3, "timestamp": NOW,
                                  "slots": {"main": {"content": content}}}]
        return body
    fake.get(FAKE_API, body=json.dumps({"continue": {"rvcontinue": "5"}, "query": {
        "normalized": [{"from": "CoP Battery:members", "to": "CoP Battery:Members"}],
        "pages": [page("CoP Battery:Members", "m"), page("CoP Battery:Watch", None)]}}))
    fake.get(FAKE_API, body=json.dumps({"query": {"pages": [
        page("CoP Battery:Members", None), page("CoP Battery:Watch", "w")]}}))
    backend = fake_backend()
    asked = [PageRef(SPACE, "members"), PageRef(SPACE, "Watch"), PageRef(SPACE, "A|B")]
    found = backend.read_pages(asked)
    assert {ref.title: page.content for ref, page in found.items()} == {
        "members": "m", "Watch": "w"}
    assert backend.stats.reads == 2


def test_http_401_and_403_are_mapped(fake: responses.RequestsMock) -> None:
    fake.get(FAKE_API, status=401)
    fake.get(FAKE_API, status=403)
    backend = fake_backend()
    with pytest.raises(AuthenticationFailed):
        backend.read_pages([PageRef(SPACE, "A")])
    with pytest.raises(PermissionDenied):
        backend.read_pages([PageRef(SPACE, "A")])


def test_not_an_api_is_a_clear_error(fake: responses.RequestsMock) -> None:
    fake.get(FAKE_API, body="<html>a login portal</html>")
    with pytest.raises(Exception) as caught:
        fake_backend().read_pages([PageRef(SPACE, "A")])
    assert "mediawiki.url" in str(caught.value)
    assert type(caught.value).__module__ == "connector.errors"


def test_readonly_wiki_on_update(fake: responses.RequestsMock) -> None:
    fake.get(FAKE_API, body=json.dumps({"query": {"tokens": {"csrftoken": "t+\\"}}}))
    fake.post(FAKE_API, body=json.dumps({"error": {"code": "readonly",
                                                   "info": "Upgrade in progress"}}))
    base = RemotePage(PageRef(SPACE, "A"), "1", "5", "old")
    with pytest.raises(Exception) as caught:
        fake_backend().update_page(base, "new", summary="test")
    assert "read-only" in str(caught.value)
    assert type(caught.value).__module__ == "connector.errors"


# --- namespace names and snippet -------------------------------------------------------------

def test_namespace_name_from_slug() -> None:
    assert namespace_name("battery-storage") == "CoP_Battery_storage"
    assert namespace_name("battery") == "CoP_Battery"


def test_snippet_declares_each_community() -> None:
    text = snippet([("CoP_Battery", 3000, "Battery"), ("CoP_Hydrogen", 3002, "H2")])
    for line in ("$wgExtraNamespaces[3000] = 'CoP_Battery';",
                 "$wgExtraNamespaces[3001] = 'CoP_Battery_talk';",
                 "$wgNamespacesWithSubpages[3000] = true;", "$wgContentNamespaces[] = 3000;",
                 "$wgNamespacesToBeSearchedDefault[3000] = true;",
                 "$wgExtraNamespaces[3002] = 'CoP_Hydrogen';"):
        assert line in text
    assert text.startswith("# ")


def test_snippet_carries_the_add_buttons_script_for_its_namespaces() -> None:
    """The script of the pages' "Add" buttons is in the snippet itself (a ResourceLoader
    module whose code is a nowdoc: nothing in it is PHP), loaded on the communities'
    namespaces only; the snippet stays valid PHP."""
    text = snippet([("CoP_Battery", 3000, "Battery"), ("CoP_Hydrogen", 3002, "H2")])
    script = add_row_script()
    assert f"$wgResourceModules['{ADD_ROW_MODULE}']" in text
    assert f"<<<'COP_ADD_ROW_JS'\n{script}COP_ADD_ROW_JS\n" in text
    assert "in_array( $title->getNamespace(), [ 3000, 3002 ], true )" in text
    assert "?>" not in script and "COP_ADD_ROW_JS" not in script
    for bare in (snippet([]), snippet([("CoP_Battery", 3000, "B")], add_buttons=False)):
        assert ADD_ROW_MODULE not in bare and "BeforePageDisplay" not in bare
    if shutil.which("php"):
        checked = subprocess.run(["php", "-l"], input="<?php\n" + text, text=True,
                                 capture_output=True, check=False)
        assert checked.returncode == 0, checked.stdout + checked.stderr


def test_snippet_escapes_php_strings_and_comments() -> None:
    text = snippet([("CoP_O'Brien\\", 3000, "Evil\n?> <?php system('x');")])
    assert "'CoP_O\\'Brien\\\\'" in text
    assert "\n?>" not in text and "?>" not in text
    with pytest.raises(ValidationError):
        snippet([("CoP_X", 3001, "odd")])
