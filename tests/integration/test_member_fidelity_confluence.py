"""What members type, on the fake Confluence, Cloud and Data Center (issue 11, items 6, 7 and
9): a link in a text cell keeps its target, a macro in one cell holds back only its row,
``role=pilot`` typed in the members table is not taken, problems are recorded with a code,
and a community with a short slug (``5g``, ``h2``) gets its space (keys ``5G``, ``H2``)."""

from __future__ import annotations

import json

import pytest
from fakes.confluence_fake import ConfluenceFake
from test_loop_confluence import KEY, Cli, add_row, cop, provisioned, site  # noqa: F401

pytest_plugins = ["fakes.fixtures"]


def problems(cli: Cli) -> list[dict[str, object]]:
    status = json.loads(cli("status", "battery", "--json").output)
    return status["communities"][0]["problems"]


def test_a_link_in_a_text_cell_keeps_its_target(provisioned: Cli) -> None:  # noqa: F811
    add_row(provisioned.fake, "Watch", [
        '<time datetime="2026-11-02" />',
        'Cells in <a href="https://example.com/report">the report</a>',
        '<a href="https://example.com/na">the article</a>', "Lab",
        'See <ac:link><ri:page ri:content-title="Roadmap" /><ac:plain-text-link-body>'
        "<![CDATA[our roadmap]]></ac:plain-text-link-body></ac:link>", ""])
    assert provisioned.sync().exit_code == 0
    (watch,) = provisioned.export()["watch"]
    assert watch["title"] == "Cells in the report <https://example.com/report>"
    assert watch["url"] == "https://example.com/na"
    assert watch["summary"] == "See our roadmap <Roadmap>"


def test_a_macro_in_one_cell_holds_back_only_its_row(provisioned: Cli) -> None:  # noqa: F811
    fake = provisioned.fake
    for item in ("keep", "gone"):
        add_row(fake, "Watch", ['<time datetime="2026-11-02" />', item,
                                f'<a href="https://example.com/{item}">x</a>', "", "", ""])
    assert provisioned.sync().exit_code == 0
    page = fake.page(KEY, "Watch")
    fake.clock.advance(5)
    body = page.body.replace("<td><p>keep</p></td>", '<td><p>keep <ac:structured-macro '
                             'ac:name="jira" /></p></td>', 1)
    start = body.index('<a href="https://example.com/gone">')
    body = body[:body.rindex("<tr>", 0, start)] + body[body.index("</tr>", start) + 5:]
    fake.edit_page(KEY, "Watch", body)
    result = provisioned.sync()
    assert result.exit_code == 1, result.output
    export = provisioned("export", "battery", "--include-deleted")
    watch = {w["url"]: w for w in json.loads(export.output)["communities"][0]["watch"]}
    assert "deleted_at" in watch["https://example.com/gone"]  # the deletion was taken
    assert "deleted_at" not in watch["https://example.com/keep"]
    (problem,) = problems(provisioned)
    assert (problem["code"], problem["params"], problem["key"]) == (
        "macro_in_cell", {"macro": "jira"}, "https://example.com/keep")


def test_role_pilot_in_the_members_table_is_not_taken(provisioned: Cli) -> None:  # noqa: F811
    add_row(provisioned.fake, "Members", ["bob@corp.example", "Bob", "sales", "pilot", "Lyon",
                                          ""])
    writes = len(provisioned.fake.writes())
    assert provisioned.sync().exit_code == 0
    bob = next(m for m in provisioned.export()["members"] if m["email"] == "bob@corp.example")
    assert bob["role"] == "member"
    (problem,) = problems(provisioned)
    assert (problem["code"], problem["severity"]) == ("governed_value", "warning")
    assert problem["text"] == ("Role: “pilot” is not taken, the innovation manager sets it "
                               "(recorded value: “member”); put “member” back.")
    # the member's row is not rewritten: the only write is the notice on top of the page
    # (the page and cop-connector's content property)
    body = provisioned.fake.page(KEY, "Members").body
    assert body.startswith('<ac:structured-macro ac:name="warning"')
    assert "<td><p>pilot</p></td>" in body
    assert len(provisioned.fake.writes()) == writes + 2


@pytest.mark.parametrize("slug, key", [("5g", "5G"), ("h2", "H2")])
def test_a_short_slug_gets_its_space(cop: Cli, slug: str, key: str) -> None:  # noqa: F811
    cop.add_community(slug, slug.upper(), "--force")
    result = cop("provision", slug)
    assert result.exit_code == 0, result.output
    fake: ConfluenceFake = cop.fake
    assert fake.page(key, "Watch") is not None
    add_row(fake, "Watch", ['<time datetime="2026-11-02" />', "Open RAN",
                            '<a href="https://ran.example">x</a>', "", "", ""], space=key)
    assert cop.sync().exit_code == 0
    assert [w["url"] for w in cop.export(slug)["watch"]] == ["https://ran.example"]
