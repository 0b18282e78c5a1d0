"""Long work on a terminal, with an in-memory wiki: the progress bar's line ends before the
command prints anything (a line printed while the bar stands would follow it on the same
line), and Ctrl-C says truthfully what it does (an archive freezing its space finishes
first). The same with real processes on a pseudo-terminal and a real wiki:
tests/integration/test_progress_terminal.py."""

from __future__ import annotations

import re
import signal
from pathlib import Path

import click._termui_impl
import pytest

import sync.cli.progress
import sync.config.backends
from connector.base import SpaceSpec
from connector.mediawiki.wikitext import WikitextCodec
from connector.memory import MemoryBackend
from sync.cli.sync_command import cop_sync

BAR = re.compile(r"^(sync|archive|provision|publish)  \[[#-]*\]  \d+/\d+")
CURSOR = re.compile(r"\x1b\[\?25[hl]")  # click hides the cursor while its bar is drawn


class CtrlCWhileFreezing(MemoryBackend):
    """A wiki where Ctrl-C is pressed while the space is being frozen (its pages
    protected one by one on MediaWiki)."""

    def freeze_space(self, spec: SpaceSpec, *, frozen: bool) -> str:
        signal.raise_signal(signal.SIGINT)
        return super().freeze_space(spec, frozen=frozen)


@pytest.fixture
def terminal(run, monkeypatch: pytest.MonkeyPatch):
    """``run`` with standard error taken for a terminal (so the progress bar is drawn, as
    click draws it there) and `battery` provisioned on an in-memory wiki; the wiki is
    ``run.wiki``."""
    wiki = CtrlCWhileFreezing(WikitextCodec(), spaces={"Template", "CoP_Battery"})
    # (the CLI imports build_backend from there when a command first needs a wiki)
    monkeypatch.setattr(sync.config.backends, "build_backend",
                        lambda config, name, records=None, budget=None, **_: wiki)
    assert run("init", "--mediawiki-url", "https://wiki.corp.example/w/").exit_code == 0
    assert run("community", "add", "battery", "--name", "Battery", "--theme", "Energy",
               "--pilot", "pia@corp.example", "--expert", "eli@corp.example").exit_code == 0
    assert run("provision", "battery").exit_code == 0
    monkeypatch.setattr(sync.cli.progress, "shows_progress",
                        lambda app, *, show=True, stream=None: show and not app.quiet)
    monkeypatch.setattr(click._termui_impl, "isatty", lambda stream: True)
    run.wiki = wiki
    return run


def screen(output: str) -> list[str]:
    """The lines a terminal shows for ``output``: a carriage return goes back to the margin
    and what follows overwrites the line (the bar redraws itself that way)."""
    lines = []
    for written in CURSOR.sub("", output).split("\n"):
        shown = ""
        for part in written.split("\r"):
            shown = part + shown[len(part):]
        lines.append(shown.rstrip())
    return lines


def printed_apart(output: str, *starts: str) -> list[str]:
    """The lines on screen; each line starting with one of ``starts`` is there, and no
    progress bar line holds anything else than the bar."""
    lines = screen(output)
    for start in starts:
        assert any(line.startswith(start) for line in lines), (start, lines)
    for line in lines:
        if BAR.match(line):
            assert not any(start in line for start in starts), line
    return lines


def test_archive_ends_each_progress_bar_before_its_next_line(terminal,
                                                             tmp_path: Path) -> None:
    terminal.wiki.freeze_space = lambda spec, *, frozen: MemoryBackend.freeze_space(
        terminal.wiki, spec, frozen=frozen)  # no Ctrl-C here
    result = terminal("archive", "battery", "--to", str(tmp_path / "snap"))
    assert result.exit_code == 0, result.output
    lines = printed_apart(result.output, "last sync: cop-sync: 1 community, ", "wiki: ",
                          "snapshot: ", "battery archived")
    assert any(line.startswith("sync  [##########]") for line in lines)  # it was drawn
    assert any(line.startswith("archive  [##########]  4/4") for line in lines)


def test_cop_sync_ends_its_progress_bar_before_saying_the_report_is_unwritten(
        terminal, tmp_path: Path) -> None:
    config = tmp_path / "cop.toml"
    config.write_text(config.read_text().replace('report_file = "cop-sync-report.json"',
                                                 'report_file = "no/such/dir/r.json"'))
    result = terminal(command=cop_sync)
    assert result.exit_code == 2, result.output
    lines = printed_apart(result.output, "cop-sync: cannot write the report file ",
                          "cop-sync: 1 community, 8 pages read")
    assert any(line.startswith("sync  [##########]  8/8") for line in lines)


def test_ctrl_c_while_the_space_is_frozen_says_the_archive_is_finished_first(
        terminal, tmp_path: Path) -> None:
    """Stopping halfway through the freeze would leave a space half frozen: the archive
    goes on to its end, says so when Ctrl-C is pressed, and exits 0 (it is all done)."""
    result = terminal("archive", "battery", "--to", str(tmp_path / "snap"), "--no-sync")
    assert result.exit_code == 0, result.output
    printed_apart(result.output, "finishing the archive first: its space is being frozen "
                                 "(Ctrl-C again stops at once)", "battery archived")
    assert "stopping after" not in result.output and "stopped" not in result.output
    assert terminal("community", "show", "battery").output.count("archived") >= 1


def test_ctrl_c_while_publishing_marks_what_is_left_in_the_plan(terminal) -> None:
    """As provisioning does: the pages not written are marked in the plan, the last line
    says how many and how to finish, exit 130; the same command finishes them."""
    wiki, calls = terminal.wiki, []
    create = wiki.create_page

    def interrupted_create(ref, content, **kwargs):
        calls.append(ref)
        if len(calls) == 1:  # Ctrl-C while the first page is written: it is, then stop
            signal.raise_signal(signal.SIGINT)
        return create(ref, content, **kwargs)

    wiki.create_page = interrupted_create
    result = terminal("report", "--all", "--publish")
    assert result.exit_code == 130, result.output
    lines = printed_apart(result.output, "cop: stopped (Ctrl-C) with 1 page(s) not published; "
                                         "run the same command again to finish")
    assert sum(line.endswith("(not done: stopped)") for line in lines) == 1
    assert len(calls) == 1
    again = terminal("report", "--all", "--publish")
    assert again.exit_code == 0, again.output
    assert "published 1 page(s)" in again.output and "(not done" not in again.output
