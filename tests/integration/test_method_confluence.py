"""The method on the fake Confluence, Cloud and Data Center (issue 6's scenario): themes,
the pilot first, three more, a fifth refused; a seminar page per community with two tables
(attendance, actions) filled by a member in the editor and read back; the account report;
the space archived by `cop archive` and restored by `--undo`. Every request and answer is
checked against Atlassian's specs."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result
from fakes.confluence_fake import ConfluenceFake

from connector.confluence.storage import StorageCodec
from page_templates import shipped
from sync.cli import _cop
from sync.cli.sync_command import cop_sync

pytest_plugins = ["fakes.fixtures"]

YEAR = datetime.now(UTC).year
PEOPLE = ("--pilot", "claire@corp.example", "--expert", "karim@corp.example")
THEMES = ("storage", "hydrogen", "solar", "cells", "nuclear")


class Cli:
    def __init__(self, directory: Path, fake: ConfluenceFake) -> None:
        self.fake = fake
        cloud = fake.deployment == "cloud"
        self.env = {"COP_CONFIG": str(directory / "cop.toml"),
                    "COP_CONFLUENCE_TOKEN": "cloud-api-token" if cloud
                    else "dc-personal-access-token"}
        self.init = ("init", "--confluence-url", fake.base_url, "--confluence-user",
                     "copbot@example.com" if cloud else "",
                     "--confluence-cloud" if cloud else "--confluence-datacenter")

    def __call__(self, *args: str, command: click.Command = _cop) -> Result:
        result = CliRunner().invoke(command, list(args), env=self.env, catch_exceptions=False)
        return result

    def ok(self, *args: str) -> Result:
        result = self(*args)
        assert result.exit_code == 0, result.output
        return result


@pytest.fixture(params=["cloud", "dc"])
def cop(request: pytest.FixtureRequest, tmp_path: Path) -> Cli:
    fake: ConfluenceFake = request.getfixturevalue(f"confluence_{request.param}")
    fake.clock.set(datetime.now(UTC))
    cli = Cli(tmp_path, fake)
    cli.ok(*cli.init)
    return cli


def fill_seminar_page(fake: ConfluenceFake, key: str) -> None:
    """A member adds two participants to the first table and two actions to the second,
    cells wrapped in paragraphs as the editor saves them."""
    page = fake.page(key, f"Seminar {YEAR}")
    first, second = page.body.split("</tbody></table>", 2)[:2]
    rest = page.body[len(first) + len(second) + 2 * len("</tbody></table>"):]

    def rows(*cells: list[str]) -> str:
        return "".join("<tr>" + "".join(f"<td><p>{c}</p></td>" for c in row) + "</tr>"
                       for row in cells)
    attendance = rows(["julie@corp.example", "Julie", "7", "Cells workshop"],
                      ["paul@corp.example", "Paul", "3,5", ""])
    actions = rows(["Write the roadmap", "Julie", f'<time datetime="{YEAR - 1}-12-01"/>',
                    "open"],
                   ["Visit the plant", "Paul", f"{YEAR + 1}-03-01", "in progress"])
    fake.edit_page(key, f"Seminar {YEAR}", f"{first}{attendance}</tbody></table>{second}"
                                           f"{actions}</tbody></table>{rest}")


def test_the_method_on_confluence(cop: Cli, tmp_path: Path) -> None:
    for slug in THEMES:
        cop.ok("theme", "add", slug, "--title", slug.title(), "--axis", "Energy transition")
        cop.ok("theme", "decide", slug, "reject" if slug == "nuclear" else "approve", "--by",
               "Board")
    cop.ok("community", "add", "battery", "--name", "Battery", "--from-theme", "storage",
           "--account", "CC-1", "--lang", "en", *PEOPLE)
    cop.ok("provision", "battery")
    second = cop.ok("community", "add", "hydro", "--name", "Hydro", "--from-theme",
                    "hydrogen", "--lang", "fr", *PEOPLE)
    assert "still in its pilot stage" in second.stderr
    cop.ok("community", "activate", "battery")
    for slug, theme in (("sun", "solar"), ("cellule", "cells")):
        cop.ok("community", "add", slug, "--name", slug.title(), "--from-theme", theme,
               *PEOPLE)
    refused = cop("community", "add", "atom", "--name", "Atom", "--theme", "X", *PEOPLE)
    assert refused.exit_code == 2 and "max_communities" in refused.output
    cop.ok("seminar", "add", str(YEAR), "--title", "Communities days", "--start",
           f"{YEAR}-06-10", "--days", "2", "--place", "Lyon")
    for slug in ("battery", "hydro", "sun", "cellule"):
        cop.ok("seminar", "workshop", "add", str(YEAR), slug, "--title", "Cells workshop")
    cop.ok("provision", "--all")
    fake = cop.fake
    page = fake.page("BATTERY", f"Seminar {YEAR}")
    assert page.body.count("<table>") == 2 and "Cells workshop" in page.body
    assert fake.page("HYDRO", f"Séminaire {YEAR}") is not None

    fill_seminar_page(fake, "BATTERY")
    fake.clock.advance(600)
    synced = cop(command=cop_sync)
    assert synced.exit_code == 0, synced.output
    report = json.loads(cop.ok("report", "accounts", "--format", "json").output)
    assert report["accounts"] == [{"year": YEAR, "account": "CC-1",
                                   "communities": ["battery"], "meetings": 2,
                                   "attendees": 2, "person_hours": 10.5}]
    status = cop.ok("status", "battery").output
    assert "rollout stage: steady" in status
    assert "1 seminar action past its due date" in status

    archived = cop.ok("archive", "battery", "--to", str(tmp_path / "snap"))
    assert "space BATTERY archived" in archived.output
    assert fake.space("BATTERY").status == "archived"
    [charter] = StorageCodec().parse_rows(fake.page("BATTERY", "Charter").body,
                                          shipped()["charter"], "Charter").rows
    assert charter.values["status"] == "archived"
    snapshot = json.loads((tmp_path / "snap" / "snapshot.json").read_text(encoding="utf-8"))
    assert len(snapshot["rows"][f"actions@{YEAR}"]) == 2
    assert "archived: not synced" in cop("--community", "battery", command=cop_sync).output
    cop.ok("archive", "battery", "--undo")
    assert fake.space("BATTERY").status == "current"
