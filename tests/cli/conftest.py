"""What the CLI tests share: ``run`` invokes a command in a fresh directory of its own (no
$COP_CONFIG), as a user at a shell would, through click's CliRunner."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from sync.cli import _cop


@pytest.fixture
def run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("COP_CONFIG", raising=False)
    runner = CliRunner()

    def invoke(*args: str, command: click.Command = _cop):
        return runner.invoke(command, list(args), catch_exceptions=False)
    return invoke
