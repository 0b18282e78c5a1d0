"""The Confluence adapter on the fake Confluence (Cloud and Data Center): spaces and their
home page, batched reads, the change feed, faults and retries, permissions, secrets.

Every request and 2xx answer is checked against Atlassian's OpenAPI specs (the fixtures
fail a test that saw a violation).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import requests
from confluence_site import backend_for
from fakes.confluence_fake import ConfluenceFake

from connector.base import PageRef, SpaceSpec
from connector.confluence import cql
from connector.confluence.backend import ConfluenceBackend
from connector.confluence.model import SpaceTaken
from connector.confluence.settings import ConfluenceSettings, check_url
from connector.errors import (
    AuthenticationFailed,
    BudgetExceeded,
    ConfigError,
    EditConflict,
    Unreachable,
)
from connector.http import Budget

pytest_plugins = ["fakes.fixtures"]

KEY = "COPBAT"
SPEC = SpaceSpec(slug="battery", name="Battery storage", space=KEY, lang="en")
CHARTER = PageRef(KEY, "Charter")
# the lists pages are read from: v2 pages (Cloud), content and CQL (Data Center)
LISTS = r"/api/v2/pages$|/rest/api/content$|/content/search$"


@pytest.fixture(params=["cloud", "dc"])
def fake(request: pytest.FixtureRequest) -> ConfluenceFake:
    site: ConfluenceFake = request.getfixturevalue(f"confluence_{request.param}")
    site.clock.set(datetime.now(UTC))
    return site


@pytest.fixture
def backend(fake: ConfluenceFake) -> Iterator[ConfluenceBackend]:
    adapter = backend_for(fake, codec=None)
    yield adapter
    adapter.close()


def provisioned(backend: ConfluenceBackend) -> dict[str, str]:
    """A space with the charter as home and two child pages: kind -> page id."""
    backend.create_space(SPEC)
    ids = {"charter": backend.create_page(CHARTER, "<p>charter</p>", summary="s", home=True,
                                          labels=("cop", "cop-charter")).page_id}
    for title in ("Members", "Watch"):
        ids[title.lower()] = backend.create_page(PageRef(KEY, title), f"<p>{title}</p>",
                                                 summary="s", parent=CHARTER,
                                                 labels=("cop", f"cop-{title.lower()}")).page_id
    return ids


def page_gets(fake: ConfluenceFake, since: int = 0) -> list[str]:
    return [r.path for r in fake.log[since:] if r.method == "GET"
            and re.search(r"/api/v2/pages/\d+$|/rest/api/content/\d+$", r.path)]


# --- settings -----------------------------------------------------------------------------

@pytest.mark.parametrize(("url", "deployment", "expected"), [
    ("https://cop.atlassian.net", "cloud", "https://cop.atlassian.net/wiki"),
    ("https://cop.atlassian.net/wiki/", "cloud", "https://cop.atlassian.net/wiki"),
    ("https://dc.corp.example/confluence", "datacenter", "https://dc.corp.example/confluence"),
    ("https://dc.corp.example", "datacenter", "https://dc.corp.example"),
    ("http://127.0.0.1:8090", "datacenter", "http://127.0.0.1:8090"),
])
def test_site_urls(url: str, deployment: str, expected: str) -> None:
    assert check_url(url, deployment=deployment) == expected


@pytest.mark.parametrize(("url", "setting"), [
    ("http://dc.corp.example", "confluence.allow_http"),
    ("https://bot:secret@dc.corp.example", "confluence.url"),
    ("https://cop.atlassian.net/wiki/rest/api", "confluence.url"),
    ("ftp://dc.corp.example", "confluence.url"),
])
def test_unsafe_or_wrong_urls_are_refused(url: str, setting: str) -> None:
    with pytest.raises(ConfigError) as caught:
        check_url(url, deployment="datacenter")
    assert caught.value.setting == setting
    assert "secret" not in str(caught.value)


def test_plain_http_is_allowed_when_configured() -> None:
    assert check_url("http://dc.corp.example", deployment="datacenter", allow_http=True) == \
        "http://dc.corp.example"


def test_wrong_credentials_are_named_without_the_token(fake: ConfluenceFake,
                                                       caplog: pytest.LogCaptureFixture
                                                       ) -> None:
    caplog.set_level(logging.DEBUG)
    settings = ConfluenceSettings(url=fake.base_url, token="wrong-secret-token",
                                  user="copbot@example.com" if fake.deployment == "cloud"
                                  else "", deployment="cloud" if fake.deployment == "cloud"
                                  else "datacenter")
    backend = ConfluenceBackend(settings, None)  # type: ignore[arg-type]
    with pytest.raises(AuthenticationFailed) as caught:
        backend.check_space(SPEC)
    assert "confluence.token_env" in str(caught.value)
    assert caught.value.exit_code == 2
    assert "wrong-secret-token" not in str(caught.value) + caplog.text


def test_data_center_uses_a_bearer_token_unless_a_user_is_named(
        confluence_dc: ConfluenceFake) -> None:
    confluence_dc.create_space(KEY, SPEC.name)
    assert backend_for(confluence_dc).check_space(SPEC).space == KEY  # bearer PAT
    settings = ConfluenceSettings(url=confluence_dc.base_url, user="copbot",
                                  token="dc-personal-access-token", deployment="datacenter")
    with pytest.raises(AuthenticationFailed):  # basic auth: this site takes PATs only
        ConfluenceBackend(settings, None).check_space(SPEC)  # type: ignore[arg-type]


def test_no_secret_in_debug_logs(fake: ConfluenceFake, backend: ConfluenceBackend,
                                 caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    provisioned(backend)
    backend.changes_since([KEY], None)
    assert "HTTP: " in caplog.text  # atlassian-python-api did log its requests
    for secret in ("cloud-api-token", "dc-personal-access-token", "Y29wYm90QGV4YW1wbGUu"):
        assert secret not in caplog.text


# --- spaces and the home page ---------------------------------------------------------------

def test_the_charter_takes_over_the_home_page(fake: ConfluenceFake,
                                              backend: ConfluenceBackend) -> None:
    info = backend.create_space(SPEC)
    assert info.space_id == str(fake.space(KEY).id)
    home_id = fake.space(KEY).homepage_id
    written = backend.create_page(CHARTER, "<p>c</p>", summary="s", home=True,
                                  labels=("cop", "cop-charter"))
    assert (written.page_id, written.revision) == (home_id, "2")
    page = fake.page(KEY, "Charter")
    assert (page.body, sorted(page.labels)) == ("<p>c</p>", ["cop", "cop-charter"])
    assert page.properties["cop-connector"].value["version"] == 2
    assert [p.title for p in fake.state.pages.values()] == ["Charter"]  # no orphan


def test_a_timed_out_space_creation_is_looked_up_not_repeated(
        fake: ConfluenceFake, backend: ConfluenceBackend) -> None:
    fake.timeout_next("POST", r"/rest/api/space$")  # created; the answer is lost
    info = backend.create_space(SPEC)
    assert info.space_id == str(fake.space(KEY).id)
    backend.create_page(CHARTER, "<p>c</p>", summary="s", home=True)
    assert [p.title for p in fake.state.pages.values()] == ["Charter"]
    assert len([r for r in fake.writes() if r.path.endswith("/rest/api/space")]) == 1


def test_an_edited_home_page_is_kept_and_the_charter_made_home(
        fake: ConfluenceFake, backend: ConfluenceBackend) -> None:
    old_home = fake.create_space(KEY, SPEC.name).homepage_id
    fake.edit_page(KEY, f"{SPEC.name} Home", "<p>our own welcome</p>")
    backend.check_space(SPEC)
    written = backend.create_page(CHARTER, "<p>c</p>", summary="s", home=True)
    assert fake.space(KEY).homepage_id == written.page_id != old_home
    assert fake.page(KEY, f"{SPEC.name} Home").body == "<p>our own welcome</p>"


def test_a_foreign_space_under_the_key_is_never_used(fake: ConfluenceFake,
                                                     backend: ConfluenceBackend) -> None:
    fake.create_space(KEY, "Battery team")
    with pytest.raises(SpaceTaken) as caught:
        backend.check_space(SPEC)
    assert "'Battery team'" in str(caught.value) and caught.value.exit_code == 2
    with pytest.raises(SpaceTaken):
        backend.create_space(SPEC)  # the key is taken: adopted only if it were ours
    assert [r.status for r in fake.writes()] == [400]  # the attempt, refused


def test_a_space_made_again_under_our_key_is_not_ours(fake: ConfluenceFake) -> None:
    space = fake.create_space(KEY, SPEC.name)
    adapter = backend_for(fake, codec=None, spaces={KEY: str(space.id + 1000)})
    with pytest.raises(SpaceTaken) as caught:
        adapter.check_space(SPEC)
    assert "deleted and made again" in str(caught.value)
    assert backend_for(fake, codec=None, spaces={KEY: str(space.id)}).check_space(SPEC)


# --- reads --------------------------------------------------------------------------------

def test_read_batches_pack_whole_communities() -> None:
    titles = ["Charter", "Members", "Watch", "References", "Regulation", "Competition"]
    refs = [PageRef(f"COP{n}", title) for n in range(20) for title in titles]
    batches = cql.read_batches(refs, 50)
    assert len(batches) == 3  # ceil(120 / 50): 8 spaces x 6 titles per search
    assert all(len(spaces) * len(titles) <= 50 for spaces, titles in batches)
    covered = {PageRef(s, t) for spaces, titles in batches for s in spaces for t in titles}
    assert covered >= set(refs)


def test_reads_follow_short_result_pages(fake: ConfluenceFake,
                                         backend: ConfluenceBackend) -> None:
    provisioned(backend)
    fake.search_limit_cap = 2  # the site caps the page size below what is asked
    refs = [CHARTER, PageRef(KEY, "Members"), PageRef(KEY, "Watch"), PageRef(KEY, "Nope")]
    before = len(fake.log)
    found = backend.read_pages(refs)
    assert sorted(found) == sorted(refs[:3])
    sent = [r.path for r in fake.log[before:]]
    by_id = [p for p in sent if p.endswith(("/api/v2/pages", "/rest/api/content"))]
    # the known pages by id (Data Center caps its lists too: one continuation), then the
    # page nobody knows by its title
    assert len(by_id) == (2 if fake.deployment == "cloud" else 3)
    assert len(sent) == len(by_id)


def test_cql_literals_are_escaped() -> None:
    assert cql.literal('say "hi" \\ there') == '"say \\"hi\\" \\\\ there"'
    assert cql.ids_query(["12", "x) OR (1", "34"]) == "id in (12, 34) AND type = page"


# --- the change feed ----------------------------------------------------------------------

def test_the_feed_lists_versions_and_pages_are_read_by_id(fake: ConfluenceFake) -> None:
    backend = backend_for(fake, codec=None, feed_overlap=0)
    provisioned(backend)
    since = backend.changes_since([KEY], None).signpost
    fake.clock.advance(5)
    fake.edit_page(KEY, "Watch", "<p>edited</p>")
    log = len(fake.log)
    feed = backend.changes_since([KEY], since)
    assert [(c.ref.title, c.action) for c in feed.changes] == [("Watch", "edit")]
    assert not [r for r in fake.log[log:] if "body" in str(r.query)]  # versions only
    log = len(fake.log)
    assert backend.read_pages([PageRef(KEY, "Watch")])[PageRef(KEY, "Watch")].content == \
        "<p>edited</p>"
    assert len(fake.log) == log + 1  # by id, with its body


def test_pages_known_from_the_records_are_followed(fake: ConfluenceFake,
                                                   backend: ConfluenceBackend) -> None:
    ids = provisioned(backend)
    known = {ids["members"]: PageRef(KEY, "Members"), ids["watch"]: PageRef(KEY, "Watch")}
    fresh = backend_for(fake, codec=None, pages=known,  # as sync/config/backends.py does
                        feed_overlap=0)
    since = fresh.changes_since([KEY], None).signpost
    fake.clock.advance(5)
    fake.move_page(KEY, "Watch", new_title="Technology watch")
    fake.delete_page(KEY, "Members")
    feed = fresh.changes_since([KEY], since)
    seen = {(c.ref.title, c.action, c.target.title if c.target else "") for c in feed.changes}
    assert seen == {("Watch", "move", "Technology watch"), ("Members", "delete", "")}
    assert fresh.changes_since([KEY], feed.signpost).changes == ()  # reported once


def test_the_signpost_is_the_servers_time_not_the_clients(fake: ConfluenceFake) -> None:
    ahead = backend_for(fake, codec=None, clock=lambda: datetime.now(UTC) + timedelta(hours=3))
    provisioned(ahead)
    feed = ahead.changes_since([KEY], None)
    assert feed.signpost == fake.clock.now.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_client_clock_behind_the_server_widens_the_window(fake: ConfluenceFake) -> None:
    behind = backend_for(fake, codec=None, feed_overlap=0,
                         clock=lambda: datetime.now(UTC) - timedelta(hours=2))
    fake.create_space(KEY, SPEC.name)
    fake.clock.advance(1)
    since = behind.changes_since([KEY], None).signpost
    fake.clock.advance(600)
    fake.create_page(KEY, "Late")
    feeds = behind.stats.feeds
    feed = behind.changes_since([KEY], since)
    assert [c.ref.title for c in feed.changes] == ["Late"]
    # Data Center's CQL window is relative to the server's clock: the first one was short,
    # so it searched again; Cloud compares the listed pages' own dates: one request
    assert behind.stats.feeds - feeds == (1 if fake.deployment == "cloud" else 2)


def test_fake_cql_now_and_date_header(fake: ConfluenceFake) -> None:
    """The fake's extensions the adapter relies on: now() in CQL, a Date on answers."""
    fake.create_space(KEY, SPEC.name)
    fake.clock.advance(3600)
    fake.create_page(KEY, "Recent")
    response = requests.get(fake.base_url + "/rest/api/content/search", auth=fake.auth,
                            timeout=5, params={"cql": 'lastmodified >= now("-10m")'})
    assert [r["title"] for r in response.json()["results"]] == ["Recent"]
    assert response.headers["Date"].endswith("GMT")


# --- writes and faults --------------------------------------------------------------------

def test_a_timed_out_update_is_reread_not_replayed(fake: ConfluenceFake,
                                                   backend: ConfluenceBackend) -> None:
    provisioned(backend)
    base = backend.read_pages([PageRef(KEY, "Watch")])[PageRef(KEY, "Watch")]
    fake.timeout_next("PUT", r"/pages/\d+$|/content/\d+$")  # saved; the answer is lost
    written = backend.update_page(base, "<p>v2</p>", summary="cop-connector: test")
    assert (written.changed, written.revision) == (True, "2")
    assert len([r for r in fake.writes() if re.search(r"/(pages|content)/\d+$", r.path)
                and r.method == "PUT"]) == 1 + 1  # the charter's take-over, this update
    assert fake.page(KEY, "Watch").version == 2


def test_a_write_that_never_arrived_is_reread_then_sent_once_more(
        fake: ConfluenceFake, backend: ConfluenceBackend) -> None:
    provisioned(backend)
    base = backend.read_pages([PageRef(KEY, "Watch")])[PageRef(KEY, "Watch")]
    fake.timeout_next("PUT", r"/pages/\d+$|/content/\d+$",
                      exception=requests.exceptions.ConnectionError, after=False)
    log = len(fake.log)
    written = backend.update_page(base, "<p>v2</p>", summary="s")
    assert (written.revision, fake.page(KEY, "Watch").version) == ("2", 2)
    sent = [(r.method, r.status) for r in fake.log[log:]]
    # the page by id, the PUT that never arrived, the page by id again, the PUT, the mark
    assert sent == [("GET", 200), ("PUT", None), ("GET", 200), ("PUT", 200), ("PUT", 200)]
    base = backend.read_pages([PageRef(KEY, "Watch")])[PageRef(KEY, "Watch")]
    fake.timeout_next("PUT", r"/pages/\d+$|/content/\d+$", times=2,
                      exception=requests.exceptions.ConnectionError, after=False)
    with pytest.raises(Unreachable) as caught:  # twice: left for the next run
        backend.update_page(base, "<p>v3</p>", summary="s")
    assert "re-read: it was not saved" in str(caught.value)
    assert fake.page(KEY, "Watch").version == 2


def test_a_conflict_is_an_edit_conflict(fake: ConfluenceFake,
                                        backend: ConfluenceBackend) -> None:
    ids = provisioned(backend)
    base = backend.read_pages([PageRef(KEY, "Watch")])[PageRef(KEY, "Watch")]
    fake.conflict_next_update(ids["watch"])
    with pytest.raises(EditConflict) as caught:
        backend.update_page(base, "<p>v2</p>", summary="s")
    assert caught.value.base_revision == "1"


def test_markup_rewritten_by_confluence_is_not_a_change(fake: ConfluenceFake,
                                                        backend: ConfluenceBackend) -> None:
    provisioned(backend)
    page = fake.page(KEY, "Watch")
    page.body = page.revisions[-1].body.replace("<p>", "<p >")  # as re-serialized on save
    base = backend.read_pages([PageRef(KEY, "Watch")])[PageRef(KEY, "Watch")]
    writes = len(fake.writes())
    written = backend.update_page(base, "<p>Watch</p>", summary="s")  # what we wrote
    assert (written.changed, written.revision) == (False, "1")
    assert len(fake.writes()) == writes
    assert backend.written_by_connector(base)


def test_rate_limits_are_retried_for_every_method(fake: ConfluenceFake,
                                                  backend: ConfluenceBackend) -> None:
    """A 429 is a refusal, not a failure: nothing was applied, so a write is sent again
    after Retry-After as safely as a read (https://developer.atlassian.com/cloud/
    confluence/rate-limiting/)."""
    provisioned(backend)
    fake.fail_next("GET", LISTS, status=429, retry_after=0)
    fake.fail_next("GET", LISTS, status=429,
                   retry_after=datetime.now(UTC) + timedelta(seconds=1))
    assert backend.read_pages([CHARTER, PageRef(KEY, "Watch")])
    assert backend.stats.http.retries == 2
    base = backend.read_pages([CHARTER])[CHARTER]
    fake.fail_next("PUT", r"/pages/\d+$|/content/\d+$", status=429, retry_after=0)
    written = backend.update_page(base, "<p>v3</p>", summary="s")
    assert (written.revision, fake.page(KEY, "Charter").version) == ("3", 3)
    assert [r.status for r in fake.requests("PUT", r"/pages/\d+$|/content/\d+$")][-2:] == \
        [429, 200]


def test_outages_are_bounded_and_the_budget_is_kept(fake: ConfluenceFake) -> None:
    adapter = backend_for(fake, codec=None, budget=Budget(30))
    fake.create_space(KEY, SPEC.name)
    fake.fail_next("GET", LISTS, status=503, times=3)
    with pytest.raises(Unreachable, match="retries exhausted"):
        adapter.changes_since([KEY], None)  # max_retries=2: three answers, all 503
    fake.fail_next("GET", LISTS, status=429, retry_after=40)  # capped at 60 s: over 30
    with pytest.raises(BudgetExceeded):
        adapter.changes_since([KEY], None)


# --- permissions --------------------------------------------------------------------------

def accounts_for(fake: ConfluenceFake, *emails: str) -> dict[str, str]:
    users = [fake.add_user(email, email) for email in emails]
    return {u.email: u.account_id if fake.deployment == "cloud" else u.user_key for u in users}


def test_roles_become_space_permissions_once(fake: ConfluenceFake,
                                             caplog: pytest.LogCaptureFixture) -> None:
    accounts = accounts_for(fake, "pia@corp.example", "eli@corp.example", "max@corp.example")
    adapter = backend_for(fake, codec=None)
    adapter._accounts = {k.casefold(): v for k, v in accounts.items()}
    info = adapter.create_space(SPEC)
    adapter.grant_roles(info, admins=["Pia@corp.example", "eli@corp.example"],
                        editors=["max@corp.example", "nobody@corp.example"])
    held = {(p.identifier, p.operation, p.target) for p in fake.space(KEY).permissions}
    assert (accounts["pia@corp.example"], "administer", "space") in held
    assert (accounts["max@corp.example"], "create", "page") in held
    assert (accounts["max@corp.example"], "administer", "space") not in held
    assert adapter.unmapped[KEY] == ["nobody@corp.example"]
    assert "nobody@corp.example" in caplog.text and "[confluence.accounts]" in caplog.text
    writes = len(fake.writes())
    adapter.grant_roles(info, admins=["pia@corp.example"], editors=["max@corp.example"])
    assert len(fake.writes()) == writes  # all held: read, nothing written


def test_nobody_mapped_means_no_request(fake: ConfluenceFake,
                                        backend: ConfluenceBackend) -> None:
    info = backend.create_space(SPEC)
    log = len(fake.log)
    backend.grant_roles(info, admins=["pia@corp.example"], editors=[])
    assert len(fake.log) == log
    assert backend.unmapped[KEY] == ["pia@corp.example"]
