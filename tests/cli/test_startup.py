"""A command loads only what it uses: `cop --help` and `cop status` never import a wiki's
client libraries, the HTML parser or the charting library (they cost most of a second at
start-up; scripts/startup.py measures the whole processes)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest
from cop_process import ROOT

from sync.cli import _cop
from sync.cli.commands import COMMANDS, load_command

HEAVY = ("requests", "urllib3", "mwclient", "mwparserfromhell", "atlassian", "bs4",
         "soupsieve", "matplotlib", "tomli_w", "keyring")
PROBE = """
import json, sys
sys.argv = ["cop", *json.loads(sys.argv[1])]
from sync.cli import cop
try:
    cop()
except SystemExit as done:
    code = done.code
else:
    code = 0
loaded = sorted({name.split(".")[0] for name in sys.modules})
print(json.dumps({"code": code, "loaded": loaded}), file=sys.stderr)
"""


def loaded_by(args: list[str], cwd: Path) -> tuple[int, set[str]]:
    """Run `cop ARGS` in a fresh interpreter; its exit code and the top-level modules it
    imported."""
    result = subprocess.run([sys.executable, "-c", PROBE, json.dumps(args)], cwd=cwd,
                            capture_output=True, text=True, timeout=60, check=False,
                            env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin",
                                 "COP_CONFIG": str(cwd / "cop.toml")})
    report = json.loads(result.stderr.strip().splitlines()[-1])
    return report["code"], set(report["loaded"])


@pytest.fixture
def setup(run, tmp_path: Path) -> Path:
    assert run("init", "--mediawiki-url", "https://wiki.corp.example/w/",
               "--mediawiki-user", "CopBot@cop").exit_code == 0
    assert run("community", "add", "battery", "--name", "Battery storage", "--theme",
               "Energy", "--pilot", "pia@corp.example", "--expert",
               "eli@corp.example").exit_code == 0
    return tmp_path


@pytest.mark.sqlite_only  # what a command imports; its processes get no database password
@pytest.mark.parametrize("args", [["--help"], ["status"], ["status", "--json"],
                                  ["community", "list"]])
def test_no_heavy_library_is_imported(setup: Path, args: list[str]) -> None:
    code, loaded = loaded_by(args, setup)
    assert code == 0
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_help_imports_no_command(setup: Path) -> None:
    code, loaded = loaded_by(["--help"], setup)
    assert code == 0
    assert {"sync", "click"} <= loaded and "sqlite3" not in loaded and "tomllib" not in loaded


def test_the_listing_is_each_command_s_short_help(run) -> None:
    listing = run("--help").output
    ctx = click.Context(_cop)
    assert _cop.list_commands(ctx) == sorted(COMMANDS)
    for name, (_, line) in COMMANDS.items():
        command = load_command(name)
        assert command.name == name and command.get_short_help_str(1000) == line
        assert name in listing and line.split()[0] in listing


def test_an_unknown_command_is_a_usage_error(run) -> None:
    result = run("frobnicate")
    assert result.exit_code == 2 and "No such command" in result.output


# A Ctrl-C while the command line loads: an import finder that raises KeyboardInterrupt when
# click is asked for stands for the user's key, at the same point every time.
INTERRUPTED_WHILE_LOADING = """
import sys
class Interrupt:
    def find_spec(self, name, path=None, target=None):
        if name == "click":
            raise KeyboardInterrupt
sys.meta_path.insert(0, Interrupt())
sys.argv = [sys.argv[1], "status"]
from sync.cli import cop, cop_sync
(cop_sync if sys.argv[0] == "cop-sync" else cop)()
"""


@pytest.mark.parametrize("program", ["cop", "cop-sync"])
def test_ctrl_c_while_loading_ends_with_a_line_not_a_traceback(program: str,
                                                               tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-c", INTERRUPTED_WHILE_LOADING, program],
                            cwd=tmp_path, capture_output=True, text=True, timeout=60,
                            check=False, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert result.returncode == 130
    assert result.stderr == f"{program}: interrupted before it started; nothing was done\n"


def test_the_entry_module_loads_nothing_before_its_guard() -> None:
    """sync.cli itself imports no click (the guard in cop() covers the loading)."""
    probe = "import sys, sync.cli; print(sorted(m for m in sys.modules if m.startswith('click')))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            timeout=60, check=True, env={"PYTHONPATH": str(ROOT)})
    assert result.stdout.strip() == "[]"
