"""The fake Confluence itself (Cloud and Data Center), driven with plain ``requests``.

Every test runs with the ``openapi_violations`` collector: a request or 2xx response that the
official specs reject fails the test, unless the test takes it on purpose.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin

import pytest
import requests
from fakes.confluence_cloud import CloudRoutes
from fakes.confluence_fake import ConfluenceFake
from fakes.confluence_http import Call, Reply, Route
from fakes.openapi_check import (
    SPECS_MISSING,
    Violations,
    check_request,
    check_response,
    specs_available,
)
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

pytest_plugins = ["fakes.fixtures"]

needs_specs = pytest.mark.skipif(not specs_available(), reason=SPECS_MISSING)
CLOUD = "https://cop.atlassian.net/wiki"
DC = "https://dc.example.com/confluence"


class Site:
    """What an adapter would send, per deployment, in plain ``requests`` calls."""

    def __init__(self, fake: ConfluenceFake) -> None:
        self.fake = fake
        self.cloud = fake.deployment == "cloud"

    def call(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        url = path if path.startswith("http") else self.fake.base_url + path
        return requests.request(method, url, auth=self.fake.auth, timeout=5, **kwargs)

    def create_space(self, key: str, name: str) -> dict[str, Any]:
        response = self.call("POST", "/rest/api/space", json={
            "key": key, "name": name,
            "description": {"plain": {"value": f"About {name}", "representation": "plain"}}})
        assert response.status_code == 200, response.text
        return response.json()

    def create_page(self, space: dict[str, Any], title: str, body: str,
                    parent_id: str | None = None) -> str:
        parent_id = parent_id or space["homepage"]["id"]
        if self.cloud:
            response = self.call("POST", "/api/v2/pages", json={
                "spaceId": str(space["id"]), "status": "current", "title": title,
                "parentId": parent_id, "body": {"representation": "storage", "value": body}})
        else:
            response = self.call("POST", "/rest/api/content", json={
                "type": "page", "title": title, "space": {"key": space["key"]},
                "ancestors": [{"id": parent_id}],
                "body": {"storage": {"value": body, "representation": "storage"}}})
        assert response.status_code == 200, response.text
        return response.json()["id"]

    def read_page(self, page_id: str) -> tuple[str, str, int]:
        """(title, storage body, version number)."""
        if self.cloud:
            data = self.call("GET", f"/api/v2/pages/{page_id}",
                             params={"body-format": "storage"}).json()
            return data["title"], data["body"]["storage"]["value"], data["version"]["number"]
        data = self.call("GET", f"/rest/api/content/{page_id}",
                         params={"expand": "body.storage,version"}).json()
        return data["title"], data["body"]["storage"]["value"], data["version"]["number"]

    def update_page(self, page_id: str, title: str, body: str, version: int
                    ) -> requests.Response:
        if self.cloud:
            return self.call("PUT", f"/api/v2/pages/{page_id}", json={
                "id": page_id, "status": "current", "title": title,
                "body": {"representation": "storage", "value": body},
                "version": {"number": version, "message": "cop"}})
        return self.call("PUT", f"/rest/api/content/{page_id}", json={
            "type": "page", "title": title, "version": {"number": version},
            "body": {"storage": {"value": body, "representation": "storage"}}})

    def add_labels(self, page_id: str, *names: str) -> requests.Response:
        return self.call("POST", f"/rest/api/content/{page_id}/label",
                         json=[{"prefix": "global", "name": n} for n in names])

    def create_property(self, page_id: str, key: str, value: Any) -> requests.Response:
        path = (f"/api/v2/pages/{page_id}/properties" if self.cloud
                else f"/rest/api/content/{page_id}/property")
        return self.call("POST", path, json={"key": key, "value": value})

    def update_property(self, page_id: str, prop: dict[str, Any], value: Any,
                        version: int) -> requests.Response:
        path = (f"/api/v2/pages/{page_id}/properties/{prop['id']}" if self.cloud
                else f"/rest/api/content/{page_id}/property/{prop['key']}")
        return self.call("PUT", path, json={"key": prop["key"], "value": value,
                                            "version": {"number": version}})

    def search(self, cql: str, limit: int = 25) -> Iterator[dict[str, Any]]:
        """Every result page, following ``_links.next`` (relative to ``_links.base``)."""
        response = self.call("GET", "/rest/api/content/search", params={
            "cql": cql, "limit": limit, "expand": "body.storage,version,space"})
        while True:
            assert response.status_code == 200, response.text
            data = response.json()
            yield data
            if "next" not in data["_links"]:
                return
            response = self.call("GET", data["_links"]["base"] + data["_links"]["next"])


@pytest.fixture(params=["cloud", "dc"])
def site(request: pytest.FixtureRequest) -> Site:
    return Site(request.getfixturevalue(f"confluence_{request.param}"))


@pytest.fixture
def space(site: Site) -> dict[str, Any]:
    return site.create_space("COPBAT", "CoP Battery")


# -- both deployments -----------------------------------------------------------------------

def test_create_space_makes_its_home_page(site: Site, space: dict[str, Any]) -> None:
    assert space["key"] == "COPBAT"
    title, body, version = site.read_page(space["homepage"]["id"])
    assert (title, body, version) == ("CoP Battery Home", "", 1)
    assert site.fake.space("COPBAT").homepage_id == space["homepage"]["id"]


def test_space_keys_are_unique_and_alphanumeric(site: Site, space: dict[str, Any]) -> None:
    assert site.call("POST", "/rest/api/space", json={"key": "COPBAT", "name": "x"}
                     ).status_code == 400
    assert site.call("POST", "/rest/api/space", json={"key": "COP-1", "name": "x"}
                     ).status_code == 400


def test_page_create_read_update_with_versions(site: Site, space: dict[str, Any]) -> None:
    page_id = site.create_page(space, "Members", "<p>one</p>")
    assert site.read_page(page_id) == ("Members", "<p>one</p>", 1)

    assert site.update_page(page_id, "Members", "<p>two</p>", 2).status_code == 200
    assert site.read_page(page_id) == ("Members", "<p>two</p>", 2)

    stale = site.update_page(page_id, "Members", "<p>lost</p>", 2)
    assert stale.status_code == 409
    assert "Current version is: 2" in stale.text
    assert site.read_page(page_id)[1] == "<p>two</p>"


def test_titles_are_unique_per_space(site: Site, space: dict[str, Any]) -> None:
    site.create_page(space, "Members", "")
    if site.cloud:
        again = site.call("POST", "/api/v2/pages", json={
            "spaceId": str(space["id"]), "status": "current", "title": "Members",
            "body": {"representation": "storage", "value": ""}})
    else:
        again = site.call("POST", "/rest/api/content", json={
            "type": "page", "title": "Members", "space": {"key": "COPBAT"},
            "body": {"storage": {"value": "", "representation": "storage"}}})
    assert again.status_code == 400
    assert "already exists" in again.text


def test_labels_are_added_once_and_lower_cased(site: Site, space: dict[str, Any]) -> None:
    page_id = site.create_page(space, "Watch", "")
    response = site.add_labels(page_id, "cop", "COP-Watch")
    assert response.status_code == 200
    assert [label["name"] for label in response.json()["results"]] == ["cop", "cop-watch"]
    assert site.add_labels(page_id, "cop").json()["size"] == 2


def test_content_properties_have_versions(site: Site, space: dict[str, Any]) -> None:
    page_id = site.create_page(space, "Members", "")
    created = site.create_property(page_id, "cop-hash", {"sha256": "aaa"})
    assert created.status_code == 200, created.text
    prop = created.json()
    assert prop["version"]["number"] == 1

    assert site.update_property(page_id, prop, {"sha256": "bbb"}, 2).status_code == 200
    assert site.update_property(page_id, prop, {"sha256": "ccc"}, 2).status_code == 409
    assert site.create_property(page_id, "cop-hash", {}).status_code == 409
    assert site.fake.page("COPBAT", "Members").properties["cop-hash"].value == {"sha256": "bbb"}
    # Properties are not page versions: the page is not "modified".
    assert site.read_page(page_id)[2] == 1


def test_cql_compares_last_modification_at_the_minute(site: Site,
                                                      space: dict[str, Any]) -> None:
    # Each write moves the clock one second: A is saved at 10:00:10, B 10:00:50, C 10:01:20.
    for title, second in (("A", 9), ("B", 49), ("C", 79)):
        site.fake.clock.set(datetime(2026, 12, 1, 10, 0, tzinfo=UTC) + timedelta(seconds=second))
        site.create_page(space, title, "")

    def titles(condition: str) -> list[str]:
        cql = f'space = "COPBAT" and type = page and lastmodified {condition} ORDER BY lastmodified'
        return [r["title"] for data in site.search(cql) for r in data["results"]]

    assert titles('>= "2026-12-01 10:00"') == ["A", "B", "C"]
    assert titles('>= "2026-12-01 10:01"') == ["C"]
    # B was saved at 10:00:50: not after 10:00 at minute precision.
    assert titles('> "2026-12-01 10:00"') == ["C"]
    assert titles('< "2026-12-01 10:01"')[-2:] == ["A", "B"]


def test_cql_search_paginates_with_next_links(site: Site, space: dict[str, Any]) -> None:
    for n in range(5):
        page_id = site.create_page(space, f"Page {n}", f"<p>{n}</p>")
        site.add_labels(page_id, "cop")
    other = site.create_space("OTHER", "Other")
    site.add_labels(site.create_page(other, "Elsewhere", ""), "cop")

    cql = 'space in ("COPBAT") and type = page and label = "cop" ORDER BY lastmodified desc'
    batches = list(site.search(cql, limit=2))

    assert [len(b["results"]) for b in batches] == [2, 2, 1]
    assert len(site.fake.requests("GET", r"/rest/api/content/search$")) == 3
    results = [r for b in batches for r in b["results"]]
    assert [r["title"] for r in results] == [f"Page {n}" for n in (4, 3, 2, 1, 0)]
    assert all(r["body"]["storage"]["value"] == f"<p>{r['title'][-1]}</p>" for r in results)
    assert all(r["version"]["number"] == 1 and r["space"]["key"] == "COPBAT" for r in results)


def test_search_pages_may_be_shorter_than_the_limit(site: Site,
                                                   space: dict[str, Any]) -> None:
    for n in range(3):
        site.create_page(space, f"Page {n}", "")
    site.fake.search_limit_cap = 2
    batches = list(site.search('space = "COPBAT"', limit=50))
    assert [len(b["results"]) for b in batches] == [2, 2]  # 3 pages and the home page


@pytest.mark.parametrize(("cql", "titles"), [
    ('space.key = COPBAT and title = "Watch"', ["Watch"]),
    ('space = "COPBAT" and label in ("cop-watch", "nope")', ["Watch"]),
    ('space = "COPBAT" and label not in ("cop-watch") and type = "page"',
     ["CoP Battery Home", "Members"]),
    ("space = COPBAT and ancestor = {home} order by title desc", ["Watch", "Members"]),
    ("space = COPBAT and parent = {home} and id != {watch} order by created", ["Members"]),
    ('space = "COPBAT" and created >= "2026-11-28" order by id asc',
     ["CoP Battery Home", "Members", "Watch"]),
])
def test_cql_subset(site: Site, space: dict[str, Any], cql: str, titles: list[str]) -> None:
    home = space["homepage"]["id"]
    site.create_page(space, "Members", "")
    watch = site.create_page(space, "Watch", "")
    site.add_labels(watch, "cop-watch")
    query = cql.format(home=home, watch=watch)
    assert [r["title"] for d in site.search(query) for r in d["results"]] == titles


def test_unsupported_cql_is_a_400(site: Site, space: dict[str, Any]) -> None:
    response = site.call("GET", "/rest/api/content/search",
                         params={"cql": 'space = "COPBAT" OR text ~ "x"'})
    assert response.status_code == 400
    assert "Could not parse cql" in response.text


def test_requests_without_the_right_credentials_get_401(site: Site,
                                                        space: dict[str, Any]) -> None:
    home = space["homepage"]["id"]
    path = f"/api/v2/pages/{home}" if site.cloud else f"/rest/api/content/{home}"
    assert requests.get(site.fake.base_url + path, timeout=5).status_code == 401
    wrong = {"Authorization": "Bearer nope"} if not site.cloud else None
    response = requests.get(site.fake.base_url + path, timeout=5, headers=wrong,
                            auth=("copbot@example.com", "wrong") if site.cloud else None)
    assert response.status_code == 401


def test_fail_next_answers_429_with_retry_after_then_recovers(site: Site,
                                                              space: dict[str, Any]) -> None:
    site.fake.fail_next("GET", r"/content/search$", 429, retry_after=7)
    cql = 'space = "COPBAT"'
    first = site.call("GET", "/rest/api/content/search", params={"cql": cql})
    assert first.status_code == 429
    assert first.headers["Retry-After"] == "7"
    assert site.call("GET", "/rest/api/content/search", params={"cql": cql}).status_code == 200


def test_retry_after_as_http_date_and_urllib3_retries(site: Site,
                                                      space: dict[str, Any]) -> None:
    when = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
    site.fake.fail_next("GET", r"/content/search$", 503, retry_after=when, times=2)
    session = requests.Session()
    # responses runs urllib3's Retry (without sleeping): what the adapter's session will do.
    session.mount("https://", HTTPAdapter(max_retries=Retry(
        total=3, status_forcelist=[429, 503], allowed_methods=["GET"], backoff_factor=0)))
    response = session.get(site.fake.base_url + "/rest/api/content/search",
                           params={"cql": 'space = "COPBAT"'}, auth=site.fake.auth, timeout=5)
    assert response.status_code == 200
    assert [r.status for r in site.fake.requests("GET", "/content/search")] == [503, 503, 200]


def test_timeout_after_a_write_keeps_the_write(site: Site, space: dict[str, Any]) -> None:
    page_id = site.create_page(space, "Members", "<p>one</p>")
    path = f"/pages/{page_id}$" if site.cloud else f"/content/{page_id}$"
    site.fake.timeout_next("PUT", path)
    with pytest.raises(requests.exceptions.ReadTimeout):
        site.update_page(page_id, "Members", "<p>two</p>", 2)
    assert site.read_page(page_id) == ("Members", "<p>two</p>", 2)
    put = site.fake.requests("PUT")[-1]
    assert (put.status, put.raised) == (200, "ReadTimeout")
    # Replaying it blindly is now a conflict: the adapter must re-read first.
    assert site.update_page(page_id, "Members", "<p>two</p>", 2).status_code == 409


def test_connection_error_before_a_write_applies_nothing(site: Site,
                                                         space: dict[str, Any]) -> None:
    page_id = site.create_page(space, "Members", "<p>one</p>")
    site.fake.timeout_next("PUT", page_id, exception=requests.exceptions.ConnectionError,
                           after=False)
    with pytest.raises(requests.exceptions.ConnectionError):
        site.update_page(page_id, "Members", "<p>two</p>", 2)
    assert site.read_page(page_id)[2] == 1


def test_conflict_next_update_simulates_a_concurrent_editor(site: Site,
                                                            space: dict[str, Any]) -> None:
    page_id = site.create_page(space, "Members", "<p>one</p>")
    site.fake.conflict_next_update(page_id, "<p>member</p>")
    assert site.update_page(page_id, "Members", "<p>bot</p>", 2).status_code == 409
    assert site.read_page(page_id) == ("Members", "<p>member</p>", 2)
    assert site.update_page(page_id, "Members", "<p>bot</p>", 3).status_code == 200


def test_member_edits_moves_and_deletions(site: Site, space: dict[str, Any]) -> None:
    fake = site.fake
    watch = site.create_page(space, "Watch", "")
    site.create_page(space, "Archive", "")
    fake.clock.set(datetime(2026, 12, 2, 9, 0, tzinfo=UTC))
    fake.edit_page("COPBAT", "Watch", "<p>news</p>")
    assert site.read_page(watch) == ("Watch", "<p>news</p>", 2)
    assert fake.page("COPBAT", "Watch").last_author.display_name == "Marie Curie"

    fake.move_page("COPBAT", "Watch", new_title="Veille", parent_title="Archive")
    changed = [r["title"] for data in site.search('space = "COPBAT" and lastmodified >= '
                                                  '"2026-12-02 09:00"') for r in data["results"]]
    assert changed == ["Veille"]
    assert fake.page("COPBAT", "Veille").parent_id == fake.page("COPBAT", "Archive").id

    fake.delete_page("COPBAT", "Veille")
    assert all(r["title"] != "Veille" for data in site.search('space = "COPBAT"')
               for r in data["results"])
    path = f"/api/v2/pages/{watch}" if site.cloud else f"/rest/api/content/{watch}"
    assert site.call("GET", path).status_code == 404


def test_current_user(site: Site) -> None:
    me = site.call("GET", "/rest/api/user/current").json()
    user = site.fake.state.current_user
    assert me["displayName"] == user.display_name
    assert me.get("accountId" if site.cloud else "userKey") == (
        user.account_id if site.cloud else user.user_key)


def test_request_log_counts_requests(site: Site, space: dict[str, Any]) -> None:
    site.read_page(space["homepage"]["id"])
    assert [r.method for r in site.fake.log] == ["POST", "GET"]
    assert len(site.fake.requests("GET")) == 1
    assert site.fake.writes()[0].path.endswith("/rest/api/space")
    assert site.fake.requests("GET")[0].query.get("expand", ["body.storage,version"])


def test_an_operation_the_fake_lacks_is_404_and_recorded(site: Site,
                                                         openapi_violations: Violations) -> None:
    path = "/api/v2/tasks" if site.cloud else "/rest/api/audit"
    assert site.call("GET", path).status_code == 404
    taken = openapi_violations.take("GET", path)
    assert any("the fake has no route" in str(v) for v in taken)


# -- Cloud ----------------------------------------------------------------------------------

@pytest.fixture
def cloud(confluence_cloud: ConfluenceFake) -> Site:
    return Site(confluence_cloud)


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/rest/api/content/{home}"),
    ("PUT", "/rest/api/content/{home}"),
    ("POST", "/rest/api/content"),
    ("GET", "/rest/api/content?spaceKey=COPBAT&title=Members"),
    ("GET", "/rest/api/content/{home}/child/page"),
    ("GET", "/rest/api/content/{home}/property"),
])
@needs_specs
def test_removed_cloud_v1_endpoints_answer_410_and_are_flagged(
        cloud: Site, openapi_violations: Violations, method: str, path: str) -> None:
    space = cloud.create_space("COPBAT", "CoP Battery")
    url = path.format(home=space["homepage"]["id"])
    response = cloud.call(method, url, json={} if method != "GET" else None)
    assert response.status_code == 410
    assert "deprecated endpoint has been removed" in response.json()["message"]
    taken = openapi_violations.take(method, url.split("?")[0])
    assert len(taken) == 1
    assert "PathNotFound" in str(taken[0]) or "OperationNotFound" in str(taken[0])


@needs_specs
@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/wiki/rest/api/content/65537"),
    ("POST", "/wiki/rest/api/content"),
    ("PUT", "/wiki/rest/api/content/65537"),
    ("GET", "/wiki/rest/api/space/COPBAT"),
])
def test_validator_rejects_endpoints_removed_from_cloud(method: str, path: str) -> None:
    body = {"type": "page", "title": "x", "space": {"key": "A"}} if method != "GET" else None
    request = requests.Request(method, "https://cop.atlassian.net" + path, json=body,
                               auth=("a", "b")).prepare()
    with pytest.raises(AssertionError, match=r"(PathNotFound|OperationNotFound)") as failure:
        check_request("cloud-v1", request)
    assert f"{method} {path}" in str(failure.value)


@needs_specs
@pytest.mark.parametrize(("body", "problem"), [
    ({"status": "current", "title": "x",
      "body": {"representation": "storage", "value": ""}}, "'spaceId' is a required property"),
    ({"spaceId": 98305, "status": "current", "title": "x"}, "98305 is not of type 'string'"),
    ({"spaceId": "98305", "status": "published", "title": "x"}, "'published' is not one of"),
])
def test_validator_rejects_a_malformed_v2_page_create(body: dict[str, Any],
                                                      problem: str) -> None:
    request = requests.Request("POST", CLOUD + "/api/v2/pages", json=body,
                               auth=("a", "b")).prepare()
    with pytest.raises(AssertionError, match="InvalidRequestBody") as failure:
        check_request("cloud-v2", request)
    assert problem in str(failure.value)


@needs_specs
def test_validator_accepts_v2_bodies_once_one_of_is_patched() -> None:
    # As published, oneOf[PageBodyWrite, PageNestedBodyWrite] rejects every body.
    for body in ({"representation": "storage", "value": "<p/>"},
                 {"storage": {"representation": "storage", "value": "<p/>"}}):
        request = requests.Request("POST", CLOUD + "/api/v2/pages", auth=("a", "b"), json={
            "spaceId": "1", "status": "current", "title": "x", "body": body}).prepare()
        check_request("cloud-v2", request)


@needs_specs
def test_validator_flags_bad_path_parameters_and_unknown_paths() -> None:
    request = requests.Request("GET", CLOUD + "/api/v2/pages/not-a-number",
                               auth=("a", "b")).prepare()
    with pytest.raises(AssertionError, match="CastError"):
        check_request("cloud-v2", request)
    request = requests.Request("PUT", DC + "/rest/api/content/1/nothing", json={}).prepare()
    with pytest.raises(AssertionError, match="PathNotFound"):
        check_request("dc", request)


@needs_specs
def test_validator_checks_2xx_bodies_and_leaves_errors_alone() -> None:
    request = requests.Request("POST", CLOUD + "/rest/api/space", auth=("a", "b"),
                               json={"key": "A", "name": "A"}).prepare()
    headers = {"Content-Type": "application/json"}
    with pytest.raises(AssertionError, match=r"at \(top\): 'key' is a required property"):
        check_response("cloud-v1", request, 200, headers, b'{"id": 1, "name": "A"}')
    check_response("cloud-v1", request, 400, headers, b'{"anything": "goes"}')


class _BrokenSpaces(CloudRoutes):
    """Cloud routes whose space lookup answers an id of the wrong type."""

    def routes(self) -> list[Route]:
        def broken(call: Call) -> Reply:
            return Reply(200, {"id": 98305, "key": "A"})
        return [Route("GET", r"/api/v2/spaces/(?P<id>\d+)", "cloud-v2", broken)]


@needs_specs
def test_the_fake_records_its_own_invalid_responses() -> None:
    fake = ConfluenceFake.cloud()
    fake.routes_impl = _BrokenSpaces(fake.state, fake.base_url)
    with fake:
        response = requests.get(CLOUD + "/api/v2/spaces/98305", auth=fake.auth, timeout=5)
    assert response.status_code == 200  # served all the same: the test sees it at the end
    [violation] = fake.violations
    assert "response 200 to GET /wiki/api/v2/spaces/98305" in str(violation)
    assert "at id: 98305 is not of type 'string'" in str(violation)
    with pytest.raises(AssertionError, match="1 OpenAPI violation"):
        fake.violations.assert_none()


def test_cloud_v2_pages_listing_uses_cursors(cloud: Site) -> None:
    space = cloud.create_space("COPBAT", "CoP Battery")
    for n in range(3):
        cloud.create_page(space, f"Page {n}", "")
    response = cloud.call("GET", "/api/v2/pages", params={
        "space-id": space["id"], "status": "current", "body-format": "storage", "limit": 2})
    titles = []
    while True:
        data = response.json()
        titles += [p["title"] for p in data["results"]]
        if "next" not in data["_links"]:
            break
        assert response.headers["Link"].startswith(f"<{data['_links']['next']}>")
        response = cloud.call("GET", urljoin(CLOUD, data["_links"]["next"]))
    assert titles == ["CoP Battery Home", "Page 0", "Page 1", "Page 2"]
    only = cloud.call("GET", "/api/v2/pages", params={"space-id": space["id"], "title": "Page 1"})
    assert [p["title"] for p in only.json()["results"]] == ["Page 1"]


def test_cloud_spaces_children_versions_and_homepage_change(cloud: Site) -> None:
    space = cloud.create_space("COPBAT", "CoP Battery")
    home = space["homepage"]["id"]
    found = cloud.call("GET", "/api/v2/spaces", params={"keys": "COPBAT"}).json()["results"]
    assert [(s["id"], s["homepageId"]) for s in found] == [(str(space["id"]), home)]
    charter = cloud.create_page(space, "Charter", "<p>c</p>")
    cloud.create_page(space, "Members", "", parent_id=charter)
    cloud.update_page(charter, "Charter", "<p>c2</p>", 2)

    children = cloud.call("GET", f"/api/v2/pages/{charter}/children").json()["results"]
    assert [c["title"] for c in children] == ["Members"]
    direct = cloud.call("GET", f"/api/v2/pages/{home}/direct-children").json()["results"]
    assert [(c["title"], c["type"]) for c in direct] == [("Charter", "page")]
    versions = cloud.call("GET", f"/api/v2/pages/{charter}/versions").json()["results"]
    assert [v["number"] for v in versions] == [2, 1]

    moved = cloud.call("PUT", "/rest/api/space/COPBAT", json={"homepage": {"id": charter}})
    assert moved.status_code == 200
    assert cloud.call("GET", f"/api/v2/spaces/{space['id']}").json()["homepageId"] == charter


def test_cloud_space_permissions(cloud: Site) -> None:
    cloud.create_space("COPBAT", "CoP Battery")
    member = cloud.fake.add_user("pia.pilot@corp.example", "Pia Pilot")
    grant = {"subject": {"type": "user", "identifier": member.account_id},
             "operation": {"key": "administer", "target": "space"}}
    response = cloud.call("POST", "/rest/api/space/COPBAT/permission", json=grant)
    assert response.status_code == 200
    assert response.json()["operation"] == {"key": "administer", "target": "space"}
    assert cloud.call("POST", "/rest/api/space/COPBAT/permission", json=grant
                      ).status_code == 400
    space_id = cloud.fake.space("COPBAT").id
    listed = cloud.call("GET", f"/api/v2/spaces/{space_id}/permissions").json()["results"]
    assert listed[0]["principal"] == {"type": "user", "id": member.account_id}


def test_cloud_v2_errors_have_the_v2_shape(cloud: Site) -> None:
    response = cloud.call("GET", "/api/v2/pages/999999")
    assert response.status_code == 404
    assert response.json()["errors"][0]["status"] == 404


# -- Data Center ----------------------------------------------------------------------------

@pytest.fixture
def dc(confluence_dc: ConfluenceFake) -> Site:
    return Site(confluence_dc)


def test_dc_space_lookup_list_by_title_and_child_pages(dc: Site) -> None:
    space = dc.create_space("COPBAT", "CoP Battery")
    fetched = dc.call("GET", "/rest/api/space/COPBAT", params={"expand": "homepage"}).json()
    assert fetched["homepage"]["id"] == space["homepage"]["id"]
    assert dc.call("GET", "/rest/api/space/NOPE").status_code == 404
    page_id = dc.create_page(space, "Members", "<p>m</p>")

    listed = dc.call("GET", "/rest/api/content", params={
        "spaceKey": "COPBAT", "title": "Members", "type": "page",
        "expand": "body.storage,version"}).json()
    assert [(r["id"], r["body"]["storage"]["value"]) for r in listed["results"]] == [
        (page_id, "<p>m</p>")]
    children = dc.call("GET", f"/rest/api/content/{space['homepage']['id']}/child/page").json()
    assert [c["title"] for c in children["results"]] == ["Members"]
    ancestors = dc.call("GET", f"/rest/api/content/{page_id}",
                        params={"expand": "ancestors"}).json()["ancestors"]
    assert [a["id"] for a in ancestors] == [space["homepage"]["id"]]


def test_dc_space_permissions_and_archive(dc: Site) -> None:
    dc.create_space("COPBAT", "CoP Battery")
    pilot = dc.fake.add_user("pia.pilot@corp.example", "Pia Pilot")
    grant = [{"targetType": "space", "operationKey": "administer"},
             {"targetType": "page", "operationKey": "create"}]
    path = f"/rest/api/space/COPBAT/permissions/user/{pilot.user_key}/grant"
    assert dc.call("PUT", path, json=grant).status_code == 204
    assert dc.call("PUT", path, json=grant).status_code == 204  # no-op when held
    assert dc.call("POST", "/rest/api/space/COPBAT/permissions", json=[
        {"groupName": "cop-battery", "operations": [
            {"targetType": "space", "operationKey": "read"}]}]).status_code == 200
    held = {(p.subject_type, p.operation, p.target)
            for p in dc.fake.space("COPBAT").permissions}
    assert held == {("user", "administer", "space"), ("user", "create", "page"),
                    ("group", "read", "space")}
    assert dc.call("PUT", "/rest/api/space/COPBAT/archive").status_code == 204
    assert dc.fake.space("COPBAT").status == "archived"


def test_dc_errors_have_the_rest_error_shape(dc: Site) -> None:
    response = dc.call("GET", "/rest/api/content/999999")
    assert response.status_code == 404
    assert response.json()["statusCode"] == 404
