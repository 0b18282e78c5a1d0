"""Members' table edits that once lost or misread rows, and page writes and reads that could
take the wrong page, on the fake Confluence, Cloud and Data Center (every request and 2xx
answer checked against Atlassian's OpenAPI specs), through the CLI and the adapter:

* a copy of the members table above the list ("Former members") is neither read nor written;
* a row inserted above the header row is read;
* an e-mail cell holding a mailto: link reads as its address;
* a page title shared with an archived page reads the current page;
* a save reaching a page trashed meanwhile is not taken as written (Confluence restores the
  page and leaves its content: "For restoration, page contents will not be updated").
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from confluence_site import backend_for
from fakes.confluence_fake import ConfluenceFake
from fakes.confluence_state import Page
from test_loop_confluence import KEY, Cli, add_row, cop, provisioned, site  # noqa: F401

from connector.base import PageRef
from connector.confluence.backend import ConfluenceBackend
from connector.confluence.model import MARK_KEY
from connector.errors import EditConflict

pytest_plugins = ["fakes.fixtures"]

TABLE = re.compile(r"<table>.*?</table>", re.S)
PILOT, EXPERT = "claire@corp.example", "karim@corp.example"
MEMBERS = PageRef(KEY, "Members")


def edit(fake: ConfluenceFake, title: str, change: Callable[[str], str]) -> None:
    page = fake.page(KEY, title)
    fake.clock.advance(5)
    fake.edit_page(KEY, title, change(page.body))


def members(cli: Cli, *extra: str) -> dict[str, Any]:
    export = cli("export", "battery", *extra)
    assert export.exit_code == 0, export.output
    return {m["email"]: m for m in json.loads(export.output)["communities"][0]["members"]}


# --- tables -----------------------------------------------------------------------------------

def test_a_copy_of_the_members_table_does_not_take_over(provisioned: Cli) -> None:  # noqa: F811
    cli = provisioned
    assert cli.sync().exit_code == 0

    def former(body: str) -> str:
        table = TABLE.search(body)
        assert table is not None
        copy = table.group(0).replace(PILOT, "old@corp.example").replace(EXPERT,
                                                                         "old2@corp.example")
        return body.replace("<h2>Member list</h2>",
                            f"<h2>Former members</h2>{copy}<h2>Member list</h2>", 1)

    edit(cli.fake, "Members", former)
    result = cli.sync()
    assert result.exit_code == 0, result.output
    assert "0 tombstoned" in result.output and "0 rows upserted" in result.output
    assert set(members(cli, "--include-deleted")) == {PILOT, EXPERT}
    added = cli("member", "add", "battery", "ann@corp.example", "--name", "Ann",
                "--profile", "sales")
    assert added.exit_code == 0, added.output
    copy, real = TABLE.findall(cli.fake.page(KEY, "Members").body)
    assert "ann@corp.example" in real and "ann@corp.example" not in copy
    assert "old@corp.example" in copy and PILOT not in copy


def test_a_row_inserted_above_the_header_is_read(provisioned: Cli) -> None:  # noqa: F811
    cli = provisioned
    assert cli.sync().exit_code == 0
    cells = ["top@corp.example", "Top", "sales", "", "", ""]
    if cli.cloud:  # Cloud: the new first row takes the header's <th> cells
        above = "".join(f"<th><p>{c}</p></th>" if c else "<th><p /></th>" for c in cells)
    else:
        above = "".join(f"<td>{c}</td>" for c in cells)
    edit(cli.fake, "Members",
         lambda body: body.replace("<table><tbody>", f"<table><tbody><tr>{above}</tr>", 1))
    result = cli.sync()
    assert result.exit_code == 0, result.output
    assert "1 rows upserted" in result.output
    assert members(cli)["top@corp.example"]["profile"] == "sales"


def test_an_email_cell_holding_a_mailto_link_reads_as_its_address(
        provisioned: Cli) -> None:  # noqa: F811
    cli = provisioned
    add_row(cli.fake, "Members", ['<a href="mailto:bob@corp.example">Bob</a>', "Bob", "", "",
                                  "", ""])
    result = cli.sync()
    assert result.exit_code == 0, result.output
    assert "bob@corp.example" in members(cli)


# --- pages ------------------------------------------------------------------------------------

@pytest.fixture
def backend(provisioned: Cli) -> Iterator[ConfluenceBackend]:  # noqa: F811
    adapter = backend_for(provisioned.fake)
    yield adapter
    adapter.close()


def test_an_archived_page_is_not_read_as_the_current_page(
        provisioned: Cli, backend: ConfluenceBackend) -> None:  # noqa: F811
    """An archived page is no current page, whether asked by id or by title (v2 lists
    archived pages too unless told: "By default, `current` and `archived` are used")."""
    fake = provisioned.fake
    fake.state.archive(fake.page(KEY, "Members"))
    read = backend.read_pages([MEMBERS, PageRef(KEY, "Watch")])
    assert MEMBERS not in read and PageRef(KEY, "Watch") in read
    if fake.deployment == "cloud":
        asked = [r for r in fake.requests("GET", r"/api/v2/pages$")]
        assert asked and all(r.query.get("status") == ["current"] for r in asked)


def test_the_fake_lists_archived_pages_unless_asked_for_current_ones(
        confluence_cloud: ConfluenceFake) -> None:
    """The Cloud v2 spec: "By default, `current` and `archived` are used"."""
    fake = confluence_cloud
    space = fake.create_space("ARCH", "Archive test")
    page = fake.create_page("ARCH", "Old", "<p>x</p>")
    fake.state.archive(page)
    session = requests.Session()
    session.auth = ("copbot@example.com", "cloud-api-token")
    url = f"{fake.base_url}/api/v2/pages"
    listed = session.get(url, params={"space-id": space.id, "title": "Old"}).json()
    assert [p["status"] for p in listed["results"]] == ["archived"]
    current = session.get(url, params={"space-id": space.id, "title": "Old",
                                       "status": "current"}).json()
    assert current["results"] == []


def trash_before_next_save(fake: ConfluenceFake, page: Page) -> None:
    """A member moves ``page`` to the trash just before cop-connector's next save of it
    reaches Confluence (once)."""
    state = fake.state
    save = state.update_page

    def racing(page_id: str, **kwargs: Any) -> Page:
        if page_id == page.id and page.status == "current":
            state.update_page = save  # type: ignore[method-assign]
            state.trash(page)
        return save(page_id, **kwargs)

    state.update_page = racing  # type: ignore[method-assign]


def test_the_fake_restores_a_trashed_page_without_its_new_content(
        provisioned: Cli) -> None:  # noqa: F811
    fake = provisioned.fake
    page = fake.page(KEY, "Watch")
    body, version = page.body, page.version
    fake.state.trash(page)
    restored = fake.state.update_page(page.id, version=version + 1, body="<p>new</p>")
    assert (restored.status, restored.body, restored.version) == ("current", body, version)


def test_a_save_that_restored_a_trashed_page_is_not_taken_as_written(
        provisioned: Cli, backend: ConfluenceBackend) -> None:  # noqa: F811
    fake = provisioned.fake
    base = backend.read_pages([MEMBERS])[MEMBERS]
    page = fake.page(KEY, "Members")
    mark = dict(page.properties[MARK_KEY].value)
    trash_before_next_save(fake, page)
    with pytest.raises(EditConflict):
        backend.update_page(base, base.content + "<p>more</p>", summary="cop-connector: t")
    assert (page.status, page.body, page.version) == ("current", base.content,
                                                      int(base.revision))
    assert page.properties[MARK_KEY].value == mark  # nothing recorded as written


def test_member_add_racing_a_trash_writes_to_the_restored_page(
        provisioned: Cli) -> None:  # noqa: F811
    cli = provisioned
    page = cli.fake.page(KEY, "Members")
    trash_before_next_save(cli.fake, page)
    added = cli("member", "add", "battery", "ann@corp.example", "--name", "Ann",
                "--profile", "sales")
    assert added.exit_code == 0, added.output
    assert page.status == "current" and "ann@corp.example" in page.body
    writes = len(cli.fake.writes())
    assert cli.sync().exit_code == 0
    assert len(cli.fake.writes()) == writes


def test_a_renamed_key_header_holds_member_changes_until_it_is_restored(
        provisioned: Cli) -> None:  # noqa: F811
    """A member renamed the E-mail header: cop never adds a second E-mail column (that
    would split the identities); it says what to restore and writes once it is."""
    assert provisioned.sync().exit_code == 0
    edit(provisioned.fake, "Members",
         lambda body: body.replace("<th>E-mail</th>", "<th>Email address</th>"))
    added = provisioned("member", "add", "battery", "ann@corp.example", "--name", "Ann",
                        "--profile", "sales")
    assert added.exit_code == 1
    assert "no 'E-mail' column (renamed to 'Email address'?)" in added.output
    table = members_table(provisioned.fake)
    assert "ann@corp.example" not in table and "E-mail" not in table
    edit(provisioned.fake, "Members",
         lambda body: body.replace("<th>Email address</th>", "<th>E-mail</th>"))
    provisioned.sync()
    table = members_table(provisioned.fake)
    assert "ann@corp.example" in table and table.count("<th>E-mail</th>") == 1


def members_table(fake: ConfluenceFake) -> str:
    body = fake.page(KEY, "Members").body
    return body[body.index("<table"):body.index("</table>")]
