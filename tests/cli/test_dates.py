"""The commands' date options say what to write when a date does not exist or is not one
(click's own type said "does not match the format '%Y-%m-%d'" of 2026-13-01, which does)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from sync.cli import _cop


@pytest.mark.parametrize("command", [["report", "battery"], ["health", "battery"],
                                     ["digest", "battery"]])
@pytest.mark.parametrize("written", ["2026-13-01", "2026-11-31", "01/11/2026", "yesterday", ""])
def test_a_date_that_is_not_one_says_how_to_write_it(command: list[str], written: str) -> None:
    result = CliRunner().invoke(_cop, [*command, "--since", written])
    assert result.exit_code == 2
    assert f"{written!r} is not a date: write it as YYYY-MM-DD" in result.output
    assert "%Y" not in result.output and "Traceback" not in result.output


def test_the_help_names_the_format_a_person_writes() -> None:
    result = CliRunner().invoke(_cop, ["report", "--help"])
    assert "--since YYYY-MM-DD" in result.output and "%Y" not in result.output
