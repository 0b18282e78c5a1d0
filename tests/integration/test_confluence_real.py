"""Confluence as it really is (issue 12): rate limits on every method, scoped tokens through
the API gateway (where REST v1 answers 410), role-based space permissions, a search index
that lags, live docs, archived titles, renamed space keys, lists that do not end cleanly.

Each behaviour is emulated by the fake (tests/fakes, with the public source cited where it
is built) and tested through the CLI or the adapter, on Cloud and Data Center where both
have it. Every request and 2xx answer is checked against Atlassian's OpenAPI specs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import responses
from click.testing import CliRunner
from confluence_site import backend_for, settings_for
from fakes.confluence_fake import CLOUD_ID, GATEWAY_BASE, SCOPES, ConfluenceFake
from fakes.confluence_state import MEMBER
from fakes.openapi_check import SPECS_MISSING, Violations, specs_available
from test_loop_confluence import EXPERT, KEY, PILOT, TITLES, Cli, add_row

from connector.base import PageRef, SpaceSpec
from connector.confluence.backend import ConfluenceBackend
from connector.confluence.settings import check_url
from connector.confluence.transport import ConfluenceHttp, V1Unavailable
from connector.errors import AuthenticationFailed
from connector.http import Budget
from sync.cli import _cop

pytest_plugins = ["fakes.fixtures"]

V1 = re.compile(r"/rest/api/")
SPEC = SpaceSpec(slug="battery", name="Battery storage", space=KEY, lang="en")


def cli_for(fake: ConfluenceFake, directory: Path, communities: int = 1) -> Cli:
    """A cop directory on ``fake`` with ``communities`` communities (battery, battery2...)."""
    fake.clock.set(datetime.now(UTC))
    cli = Cli(directory, fake)
    deployment = "--confluence-cloud" if cli.cloud else "--confluence-datacenter"
    result = cli("init", "--confluence-url", fake.base_url, "--confluence-user",
                 "copbot@example.com" if cli.cloud else "", deployment)
    assert result.exit_code == 0, result.output
    users = [fake.add_user(email, email.split("@")[0].title()) for email in (PILOT, EXPERT)]
    with cli.config.open("a", encoding="utf-8") as toml:
        toml.write("\n[confluence.accounts]\n")
        for user in users:
            toml.write(f'"{user.email}" = "{user.account_id if cli.cloud else user.user_key}"\n')
    cli.add_community("battery", "Battery storage")
    for number in range(2, communities + 1):
        cli.add_community(f"battery{number}", f"Battery storage {number}", "--force")
    return cli


@pytest.fixture(params=["cloud", "dc"])
def site(request: pytest.FixtureRequest) -> ConfluenceFake:
    return request.getfixturevalue(f"confluence_{request.param}")


@pytest.fixture
def gateway(confluence_mock: responses.RequestsMock,
             openapi_violations: Violations) -> ConfluenceFake:
    fake = ConfluenceFake.gateway(violations=openapi_violations)
    fake.register(confluence_mock)
    return fake


def current_titles(fake: ConfluenceFake) -> list[str]:
    return sorted(p.title for p in fake.state.pages.values() if p.status == "current")


# --- rate limits on every method ----------------------------------------------------------

def test_a_provisioning_of_several_communities_survives_429_on_writes(
        site: ConfluenceFake, tmp_path: Path) -> None:
    """One write in four refused with 429 + Retry-After (Cloud's burst limits: "429 ...
    may be accompanied by Retry-After", https://developer.atlassian.com/cloud/confluence/
    rate-limiting/): each is sent again after the wait, none fails, none is applied twice."""
    cop = cli_for(site, tmp_path, communities=3)
    site.throttle_writes(every=4, retry_after=1)
    result = cop("provision", "--all")
    assert result.exit_code == 0, result.output
    refused = [r for r in site.writes() if r.status == 429]
    assert len(refused) > 10
    assert len(current_titles(site)) == 3 * 7  # charter, six pages (Ideas: issue 16)
    for number in ("", "2", "3"):
        space = f"{KEY}{number}"
        assert sorted(p.title for p in site.state.pages.values()
                      if p.space.key == space) == sorted(TITLES)
        assert site.page(space, "Members").version == 1  # made once, not twice
        assert set(site.page(space, "Members").labels) == {"cop", "cop-members"}


def test_a_provisioning_that_must_stop_says_where_and_goes_on_next_run(
        site: ConfluenceFake, tmp_path: Path) -> None:
    """A rate limit that keeps refusing after every retry stops the run at once (no write
    tried after it, each would be refused too); the next run makes only what is missing."""
    cop = cli_for(site, tmp_path, communities=2)
    create = r"/api/v2/pages$" if cop.cloud else r"/rest/api/content$"
    site.fail_next("POST", create, status=429, retry_after=1, times=3 + 1)  # 3 retries
    first = cop("provision", "--all")
    assert first.exit_code == 1
    assert "stopped at BATTERY:Members" in first.output
    assert "goes on from there" in first.output
    assert not [r for r in site.writes() if re.search(r"BATTERY2", str(r))]
    made = current_titles(site)
    assert made == ["Charter"]  # the first space and its charter, then the stop
    log = len(site.log)
    second = cop("provision", "--all")
    assert second.exit_code == 0, second.output
    creates = [r for r in site.log[log:] if r.method == "POST" and re.search(create, r.path)]
    # the first community's six others, the second's six (the Ideas page: issue 16)
    assert len(creates) == 6 + 6
    assert len(current_titles(site)) == 14


def test_the_adapter_slows_down_when_the_site_is_near_its_limit(
        confluence_cloud: ConfluenceFake) -> None:
    """``X-RateLimit-NearLimit: true`` (https://developer.atlassian.com/cloud/confluence/
    rate-limiting/): pause before the next requests, longer while it lasts, budgeted."""
    pauses: list[float] = []
    backend = backend_for(confluence_cloud, codec=None,
                          budget=Budget(600, sleep=pauses.append))
    confluence_cloud.create_space(KEY, SPEC.name)
    backend.check_space(SPEC)
    confluence_cloud.near_limit(3)
    for _ in range(5):
        backend.read_pages([PageRef(KEY, "Nope")])
    assert pauses == [1.0, 2.0, 4.0, 2.0]  # after each warning, then easing off
    assert backend.http.pacer is not None and backend.http.pacer.warnings == 3


# --- scoped tokens through the API gateway ------------------------------------------------

def test_a_scoped_token_provisions_and_syncs_through_the_gateway(
        gateway: ConfluenceFake, tmp_path: Path) -> None:
    """The gateway answers every REST v1 call 410: a community is provisioned (space,
    pages, roles) and a member's edit synced with REST v2 only; the labels, which only v1
    can add, are skipped with one warning saying which operation, why and what to do."""
    cop = cli_for(gateway, tmp_path)
    result = cop("provision", "battery")
    assert result.exit_code == 0, result.output
    assert current_titles(gateway) == sorted(TITLES)
    assert "adding labels to a page" in result.output
    assert "410" in result.output and "classic API token" in result.output
    assert "is confluence.deployment right" not in result.output
    v1 = [f"{r.method} {r.path}" for r in gateway.log if V1.search(r.path)]
    charter = gateway.page(KEY, "Charter").id
    assert v1 == [f"POST /ex/confluence/{CLOUD_ID}/wiki/rest/api/content/{charter}/label"]
    space = gateway.space(KEY)
    admins = {u.account_id for u in gateway.state.users.values() if u.email in (PILOT, EXPERT)}
    assert admins <= {p for p, role in space.roles.items() if role == "50000003"}

    assert cop.sync().exit_code == 0
    add_row(gateway, "Watch", ['<time datetime="2026-11-02" />', "Sodium-ion", "", "", "",
                               ""])
    gateway.clock.advance(60)
    log = len(gateway.log)
    synced = cop.sync()
    assert synced.exit_code == 0, synced.output
    assert [w["title"] for w in cop.export()["watch"]] == ["Sodium-ion"]
    assert not [r for r in gateway.log[log:] if V1.search(r.path)]


def test_labels_can_be_turned_off_for_a_scoped_token(gateway: ConfluenceFake,
                                                     tmp_path: Path) -> None:
    cop = cli_for(gateway, tmp_path)
    config = cop.config.read_text(encoding="utf-8")
    cop.config.write_text(config.replace('deployment = "cloud"',
                                         'deployment = "cloud"\nlabels = false'),
                          encoding="utf-8")
    result = cop("provision", "battery")
    assert result.exit_code == 0, result.output
    assert "labels" not in result.output.replace("cop-", "")
    assert not [r for r in gateway.log if V1.search(r.path)]


def test_v2_lists_are_followed_with_their_base_through_the_gateway(
        gateway: ConfluenceFake) -> None:
    """Through the gateway, ``_links.next`` is relative to the site (``/wiki/api/v2/...``)
    and ``_links.base`` the gateway's address without ``/wiki``: joined to the configured
    URL the link would double ``/wiki`` (https://github.com/atlassian-api/
    atlassian-python-api/issues/1655)."""
    for number in range(5):
        gateway.create_space(f"S{number}", f"Space {number}")
    http = ConfluenceHttp(settings_for(gateway))
    answers = list(http.pages("api/v2/spaces", {"limit": 2}, purpose="lookups"))
    assert [len(a.results()) for a in answers] == [2, 2, 1]
    assert answers[0].links()["base"] == f"https://api.atlassian.com/ex/confluence/{CLOUD_ID}"
    assert all(r.status == 200 for r in gateway.log)


@pytest.mark.parametrize("operation", ["archive", "homepage"])
def test_v1_only_operations_say_which_why_and_what_to_do(gateway: ConfluenceFake,
                                                         operation: str) -> None:
    backend = backend_for(gateway, codec=None)
    backend.create_space(SPEC)
    with pytest.raises(V1Unavailable) as caught:
        if operation == "archive":
            backend.freeze_space(SPEC, frozen=True)
        else:
            backend.dialect.set_homepage(backend._space(KEY), "65538")
    message = str(caught.value)
    assert ("archiving or restoring a space" if operation == "archive"
            else "making the charter the space's home page") in message
    assert "API gateway" in message and "410" in message
    assert "by hand" in message and "classic API token" in message


# The scopes each operation needs are read from Atlassian's specs: without them, none is known.
needs_specs = pytest.mark.skipif(not specs_available(), reason=SPECS_MISSING)


@needs_specs
def test_a_scope_the_token_lacks_is_named(confluence_mock: responses.RequestsMock,
                                          openapi_violations: Violations) -> None:
    fake = ConfluenceFake.gateway(violations=openapi_violations,
                                  scopes=SCOPES - {"read:space:confluence"})
    fake.register(confluence_mock)
    with pytest.raises(AuthenticationFailed) as caught:
        backend_for(fake, codec=None).check_space(SPEC)
    assert "scope" in str(caught.value) and "GET" in str(caught.value)


@needs_specs
@pytest.mark.parametrize("scope", ["read:configuration:confluence", "read:user:confluence"])
def test_a_scope_cop_connector_can_do_without(confluence_mock: responses.RequestsMock,
                                              openapi_violations: Violations,
                                              scope: str, tmp_path: Path) -> None:
    """Without the scope to ask for the site's role mode, the gateway's site is taken to
    have roles; without the one to read people's names, contributions come without names."""
    fake = ConfluenceFake.gateway(violations=openapi_violations, scopes=SCOPES - {scope})
    fake.register(confluence_mock)
    cop = cli_for(fake, tmp_path)
    result = cop("provision", "battery")
    assert result.exit_code == 0, result.output
    assert fake.space(KEY).roles
    backend = backend_for(fake, codec=None, spaces={KEY: str(fake.space(KEY).id)})
    since = backend.changes_since([KEY], None).signpost
    fake.clock.advance(5)
    fake.edit_page(KEY, "Watch", "<p>edited</p>")
    found = backend.contributions([KEY], since)
    named = scope != "read:user:confluence"
    assert [(c.user, bool(c.name)) for c in found] == [(MEMBER.account_id, named)]


def test_init_finds_the_gateway_from_the_site_url(gateway: ConfluenceFake,
                                                  tmp_path: Path) -> None:
    """``https://SITE.atlassian.net/_edge/tenant_info`` answers the cloud id
    (https://github.com/pchuri/confluence-cli/issues/57)."""
    env = {"COP_CONFIG": str(tmp_path / "cop.toml")}
    result = CliRunner().invoke(_cop, ["init", "--confluence-url",
                                       "https://cop.atlassian.net/wiki", "--confluence-user",
                                       "copbot@example.com", "--confluence-scoped-token"],
                                env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert f'url = "{GATEWAY_BASE}"' in (tmp_path / "cop.toml").read_text(encoding="utf-8")
    again = CliRunner().invoke(_cop, ["init", "--force", "--confluence-url",
                                      f"https://api.atlassian.com/ex/confluence/{CLOUD_ID}",
                                      "--confluence-user", "copbot@example.com"],
                               env=env, catch_exceptions=False)
    assert again.exit_code == 0, again.output
    written = (tmp_path / "cop.toml").read_text(encoding="utf-8")
    assert f'url = "https://api.atlassian.com/ex/confluence/{CLOUD_ID}"' in written
    assert check_url(f"https://api.atlassian.com/ex/confluence/{CLOUD_ID}",
                     deployment="cloud") == GATEWAY_BASE


# --- role-based space permissions ---------------------------------------------------------

def test_a_site_with_space_roles_gets_roles_not_v1_permissions(
        confluence_cloud: ConfluenceFake, tmp_path: Path) -> None:
    """Sites on role-based space permissions grant access through role assignments
    (REST v2 /spaces/{id}/role-assignments, "Available on tenants with Role-Based Access
    Control"), where the v1 call adding one permission is refused."""
    confluence_cloud.state.role_mode = "ROLES"
    cop = cli_for(confluence_cloud, tmp_path)
    assert cop("member", "add", "battery", "ann@corp.example", "--name", "Ann",
               "--profile", "sales").exit_code == 0
    ann = confluence_cloud.add_user("ann@corp.example", "Ann")
    with cop.config.open("a", encoding="utf-8") as toml:
        toml.write(f'"ann@corp.example" = "{ann.account_id}"\n')
    result = cop("provision", "battery")
    assert result.exit_code == 0, result.output
    roles = {r.id: r.name for r in confluence_cloud.state.roles}
    held = {principal: roles[role]
            for principal, role in confluence_cloud.space(KEY).roles.items()}
    assert held[ann.account_id] == "Collaborator"
    assert {held[u.account_id] for u in confluence_cloud.state.users.values()
            if u.email in (PILOT, EXPERT)} == {"Admin"}
    assert not confluence_cloud.requests("POST", r"/permission$")
    assert len(confluence_cloud.requests("POST", r"/role-assignments$")) == 1
    log = len(confluence_cloud.log)
    assert cop("provision", "battery").exit_code == 0
    assert not [r for r in confluence_cloud.log[log:] if r.method != "GET"]


# --- the search index lags ----------------------------------------------------------------

def test_a_write_never_reads_its_page_through_a_lagging_index(site: ConfluenceFake,
                                                              tmp_path: Path) -> None:
    """The search index answers a page late and at an older version
    (https://confluence.atlassian.com/conf711/content-index-administration-1044782560.html):
    the page a member just saved is read by id before the connector writes it, so the
    write goes over the current version at once (no 409)."""
    cop = cli_for(site, tmp_path)
    assert cop("provision", "battery").exit_code == 0
    assert cop.sync().exit_code == 0
    site.state.index_lag = 600
    site.clock.advance(700)
    add_row(site, "Members", ["zoe@corp.example", "Zoe", "", "", "", ""])
    site.clock.advance(5)
    result = cop("member", "add", "battery", "ann@corp.example", "--name", "Ann",
                 "--profile", "sales")
    assert result.exit_code == 0, result.output
    body = site.page(KEY, "Members").body
    assert "zoe@corp.example" in body and "ann@corp.example" in body
    assert not [r for r in site.log if r.status == 409]


def test_an_edit_the_index_shows_late_is_synced_by_a_later_run(site: ConfluenceFake,
                                                                tmp_path: Path) -> None:
    """An edit indexed 10 minutes late, past the sync's own 5-minute overlap: on Data
    Center (whose feed is a CQL search) the feed's wide overlap finds it at a later run; on
    Cloud the feed lists pages by modification date (REST v2, no index): no delay. Pages
    already at their version are not read again."""
    cop = cli_for(site, tmp_path)
    assert cop("provision", "battery").exit_code == 0
    assert cop.sync().exit_code == 0
    site.state.index_lag = 600
    site.clock.advance(60)
    add_row(site, "References", ["IEC 62660", "Cells", "", "", "", ""])
    site.clock.advance(60)
    first = cop.sync("--json")
    assert json.loads(first.stdout)["counts"]["pages_read"] == (1 if cop.cloud else 0)
    if cop.cloud:
        return
    site.clock.advance(700)
    log = len(site.log)
    late = cop.sync("--json")
    assert late.exit_code == 0, late.output
    assert json.loads(late.stdout)["counts"]["pages_read"] == 1
    assert [r["ref"] for r in cop.export()["references"]] == ["IEC 62660"]
    assert len(site.log) - log == 3  # the check of known pages, the feed, one page by id
    site.clock.advance(300)
    log = len(site.log)
    quiet = cop.sync("--json")
    assert json.loads(quiet.stdout)["counts"]["pages_read"] == 0
    assert len(site.log) - log == 2  # nothing changed: a wide overlap costs nothing


def test_a_409_is_reread_by_id_and_retried(site: ConfluenceFake, tmp_path: Path) -> None:
    cop = cli_for(site, tmp_path)
    assert cop("provision", "battery").exit_code == 0
    members = site.page(KEY, "Members")
    site.conflict_next_update(members.id)
    log = len(site.log)
    result = cop("member", "add", "battery", "ann@corp.example", "--name", "Ann",
                 "--profile", "sales")
    assert result.exit_code == 0, result.output
    sent = site.log[log:]
    conflict = next(i for i, r in enumerate(sent) if r.status == 409)
    reread = sent[conflict + 1]
    assert reread.method == "GET" and (reread.query.get("id") or reread.query.get("ids"))
    assert not [r for r in sent if "search" in r.path]
    assert "ann@corp.example" in site.page(KEY, "Members").body


# --- the odd pages ------------------------------------------------------------------------

def test_a_live_doc_that_reads_empty_is_unreadable_not_emptied(
        confluence_cloud: ConfluenceFake, tmp_path: Path) -> None:
    """A live doc can answer an empty storage body although it has content
    (https://github.com/atlassian/atlassian-mcp-server/issues/192): its rows are kept and
    the page reported, never taken as emptied (nor --force-delete suggested)."""
    cop = cli_for(confluence_cloud, tmp_path)
    assert cop("provision", "battery").exit_code == 0
    add_row(confluence_cloud, "References", ["IEC 62660", "Cells", "", "", "", ""])
    assert cop.sync().exit_code == 0
    confluence_cloud.make_live_doc(KEY, "References")
    confluence_cloud.clock.advance(60)
    result = cop.sync()
    assert result.exit_code == 1
    assert "live doc" in result.output and "Convert to page" in result.output
    assert "force-delete" not in result.output and "reads as empty" not in result.output
    assert [r["ref"] for r in cop.export()["references"]] == ["IEC 62660"]


def test_an_archived_page_holding_a_title_is_reported_with_what_to_do(
        site: ConfluenceFake, tmp_path: Path) -> None:
    """An archived page keeps its title: a new page of that title is refused
    (https://github.com/hunyadi/md2conf/issues/149). Provisioning says which page holds it
    and what to do, every time, instead of "already exists"."""
    cop = cli_for(site, tmp_path)
    assert cop("provision", "battery").exit_code == 0
    archived = site.archive_page(KEY, "Watch")
    site.clock.advance(60)
    assert cop.sync().exit_code == 0  # gone from the current pages: rows kept as tombstones
    result = cop("provision", "battery")
    assert result.exit_code == 1
    assert f"an archived page holds this title (page id {archived.id})" in result.output
    assert "Restore the archived page" in result.output
    archived.status = "current"  # an administrator restores it
    site.clock.advance(60)
    assert cop("provision", "battery").exit_code == 0


def test_a_renamed_space_key_is_followed_by_the_recorded_id(
        confluence_cloud: ConfluenceFake, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    """Cloud lets an administrator change a space's key; the old one stays an alias that
    lookups by key do not find (https://github.com/sphinx-contrib/confluencebuilder/
    issues/1069): the space is found by the id the records keep."""
    cop = cli_for(confluence_cloud, tmp_path)
    assert cop("provision", "battery").exit_code == 0
    assert cop.sync().exit_code == 0
    confluence_cloud.rename_space_key(KEY, "ENERGY")
    add_row(confluence_cloud, "References", ["IEC 62660", "Cells", "", "", "", ""],
            space="ENERGY")
    confluence_cloud.clock.advance(60)
    synced = cop.sync()
    assert synced.exit_code == 0, synced.output
    assert [r["ref"] for r in cop.export()["references"]] == ["IEC 62660"]
    result = cop("provision", "battery")
    assert result.exit_code == 0, result.output
    assert "BATTERY is now ENERGY on the site" in caplog.text
    assert len(confluence_cloud.state.spaces) == 1


# --- lists that do not end cleanly --------------------------------------------------------

def test_a_list_stops_on_an_empty_page_whatever_its_link_says(
        confluence_dc: ConfluenceFake) -> None:
    """A Data Center server may link a next page past the end (https://github.com/
    kovetskiy/mark/pull/967: stop on an empty page whatever the links say)."""
    confluence_dc.create_space(KEY, SPEC.name)
    confluence_dc.routes_impl.next_past_end = True
    http = ConfluenceHttp(settings_for(confluence_dc))
    answers = list(http.pages("rest/api/content", {"spaceKey": KEY, "limit": 1},
                              purpose="reads"))
    assert [len(a.results()) for a in answers] == [1, 0]


def test_a_cursor_that_does_not_move_ends_the_list(confluence_cloud: ConfluenceFake) -> None:
    for number in range(3):
        confluence_cloud.create_space(f"S{number}", f"Space {number}")
    confluence_cloud.routes_impl.stuck_cursor = True
    http = ConfluenceHttp(settings_for(confluence_cloud))
    answers = list(http.pages("api/v2/spaces", {"limit": 1}, purpose="lookups"))
    assert len(answers) == 2  # the first page, the repeated one; no third request


# --- contributions on Cloud ---------------------------------------------------------------

@pytest.fixture
def cloud_backend(confluence_cloud: ConfluenceFake) -> Iterator[ConfluenceBackend]:
    adapter = backend_for(confluence_cloud, codec=None)
    yield adapter
    adapter.close()


def test_contributions_on_cloud_need_no_v1(confluence_cloud: ConfluenceFake,
                                           cloud_backend: ConfluenceBackend) -> None:
    confluence_cloud.create_space(KEY, SPEC.name)
    charter = PageRef(KEY, "Charter")
    cloud_backend.create_page(charter, "<p>c</p>", summary="cop-connector: create",
                              home=True)
    since = cloud_backend.changes_since([KEY], None).signpost
    confluence_cloud.clock.advance(5)
    confluence_cloud.edit_page(KEY, "Charter", "<p>edited</p>")
    found = cloud_backend.contributions([KEY], since)
    assert [(c.user, c.name) for c in found] == [(MEMBER.account_id, MEMBER.display_name)]
    assert not [r for r in confluence_cloud.log if V1.search(r.path)
                and "label" not in r.path]
