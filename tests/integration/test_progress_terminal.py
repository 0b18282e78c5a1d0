"""Long work you can watch, on the real wiki, as real processes: a progress bar on standard
error when it is a terminal (a pseudo-terminal here), nothing extra when it is not (cron),
with --json or with --quiet; Ctrl-C stops at a page boundary, says what was done, exits 130,
and the same command finishes the rest."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import termios
import time
from pathlib import Path
from typing import Any

import pytest
from cop_process import argv, environment, run
from cop_wiki import NS, CopDir, create, declare_namespace
from wiki_people import member

BAR = "  ["  # click's bar: "provision  [#####     ]  3/22 ..."
NEWS = "{{CoP watch|date=2026-02-01|title=Solid-state cells|url=https://example.com/ss}}"


class Terminal:
    """A cop process whose standard error is a pseudo-terminal (standard output a pipe)."""

    def __init__(self, program: str, *args: str, cop: CopDir) -> None:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 160, 0, 0))
        self.master = master
        self.process = subprocess.Popen(
            argv(program, *args), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=slave, env=environment(cop.config, **_secret(cop)))
        os.close(slave)
        self.seen = ""

    def read_until(self, text: str, timeout: float = 60) -> bool:
        deadline = time.monotonic() + timeout
        while text not in self.seen and time.monotonic() < deadline:
            if not self._read(deadline - time.monotonic()):
                break
        return text in self.seen

    def finish(self, timeout: float = 120) -> tuple[int, str, str]:
        deadline = time.monotonic() + timeout
        while self._read(deadline - time.monotonic()):
            pass
        out, _ = self.process.communicate(timeout=max(1.0, deadline - time.monotonic()))
        os.close(self.master)
        return self.process.returncode, out.decode(), self.seen

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], max(0.0, timeout))
        if not ready:
            return False
        try:
            data = os.read(self.master, 65536)
        except OSError:  # the other end closed (EIO): the process is done writing
            return False
        self.seen += data.decode(errors="replace")
        return bool(data)


def _secret(cop: CopDir) -> dict[str, str]:
    return {"COP_MEDIAWIKI_PASSWORD": cop.env["COP_MEDIAWIKI_PASSWORD"]}


@pytest.fixture
def three(wiki: Any, tmp_path: Path) -> CopDir:
    """battery, solar and hydrogen registered and declared, not provisioned."""
    cop = create(tmp_path / "cop", wiki, provision=False)
    for slug in ("solar", "hydrogen"):
        added = cop("community", "add", slug, "--name", slug.title(), "--theme", "Energy",
                    "--pilot", f"pia@{slug}.example", "--expert", f"eli@{slug}.example")
        assert added.exit_code == 0, added.output
    declare_namespace(wiki, cop)
    return cop


def planned(cop: CopDir) -> tuple[int, int]:
    """The pages a first provisioning writes: (shared templates, the communities' pages),
    as its dry run says (the counts follow the page templates)."""
    plan = run("cop", "provision", "--all", "--dry-run", config=cop.config, **_secret(cop))
    assert plan.returncode == 0, plan.stderr
    creates = [line for line in plan.stdout.splitlines() if line.startswith("+ create")]
    shared = sum("Template:" in line for line in creates)
    return shared, len(creates) - shared


def test_provisioning_shows_its_progress_on_a_terminal_only(three: CopDir) -> None:
    total = sum(planned(three))
    code, out, err = Terminal("cop", "provision", "--all", cop=three).finish()
    assert code == 0, err
    assert f"provision{BAR}" in err and f"{total}/{total}" in err
    assert "/3): create CoP Solar:Watch" in err
    assert f"wrote {total} page(s)" in out and BAR not in out
    again = run("cop", "provision", "--all", config=three.config, **_secret(three))  # cron
    assert again.returncode == 0 and BAR not in again.stderr and f"/{total}" not in again.stderr


def test_quiet_and_json_show_nothing_extra(three: CopDir) -> None:
    code, _, err = Terminal("cop", "--quiet", "provision", "--all", cop=three).finish()
    assert code == 0 and BAR not in err
    member(three.wiki).append(f"{NS}:Watch", NEWS)
    code, out, err = Terminal("cop-sync", "--json", cop=three).finish()
    assert code == 0 and BAR not in err and '"pages_read"' in out


def test_cop_sync_shows_the_pages_it_reads(three: CopDir) -> None:
    _, pages = planned(three)
    assert run("cop", "provision", "--all", config=three.config,
               **_secret(three)).returncode == 0
    code, _, err = Terminal("cop-sync", cop=three).finish()  # first sync: every page
    assert code == 0, err
    assert f"sync{BAR}" in err and f"{pages}/{pages}" in err and "sync CoP " in err


def test_ctrl_c_stops_at_a_page_boundary_and_a_rerun_finishes(three: CopDir) -> None:
    shared, pages = planned(three)
    terminal = Terminal("cop", "provision", "--all", cop=three)
    assert terminal.read_until("create CoP Battery:")  # the row templates are behind us
    terminal.process.send_signal(signal.SIGINT)
    code, out, err = terminal.finish()
    assert code == 130, err
    assert "stopping after the current page" in err and "stopped (Ctrl-C)" in err
    assert "(not done: stopped)" in out
    written = int(out.rsplit("wrote ", 1)[1].split(" ")[0])
    assert shared <= written < shared + pages
    rest = run("cop", "provision", "--all", config=three.config, **_secret(three))
    assert rest.returncode == 0, rest.stderr
    assert f"wrote {shared + pages - written} page(s)" in rest.stdout
    status = run("cop", "status", "--json", config=three.config)
    assert status.returncode == 0 and status.stdout.count('"provisioned": true') == 3
