"""One run at a time, with real processes: a second cop-sync exits 3 naming the holder, and
a lock left by a process killed with SIGKILL is free again (the kernel drops a dead
process's flock: there is no stale lock to guess about)."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from cop_process import KILLED, ROOT, run, spawn

from connector.errors import LockHeld
from sync.cli import _cop
from sync.engine.lock import RunLock

HOLDER = """
import sys, time
from pathlib import Path
from sync.engine.lock import RunLock
lock = RunLock(Path(sys.argv[1])).__enter__()
print("locked", flush=True)
time.sleep(120)
"""


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("COP_CONFIG", raising=False)
    result = CliRunner().invoke(_cop, ["init", "--mediawiki-url", "http://127.0.0.1:9/"])
    assert result.exit_code == 0, result.output
    return tmp_path / "cop.toml"


def test_a_lock_left_by_a_killed_process_is_recovered(tmp_path: Path) -> None:
    path = tmp_path / "cop-sync.lock"
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(path)], text=True,
                              stdout=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(LockHeld) as held, RunLock(path):
            pass
        assert held.value.pid == holder.pid and held.value.started_at
        holder.kill()  # SIGKILL: no cleanup at all; the lock file stays, with its pid
        assert holder.wait(timeout=10) == KILLED
        assert str(holder.pid) in path.read_text()
        with RunLock(path):  # free again, at once
            assert f'"pid": {os.getpid()}' in path.read_text()
    finally:
        holder.kill()
        holder.wait(timeout=10)


def test_a_second_cop_sync_exits_3_while_the_first_holds_the_lock(config: Path) -> None:
    # The first run freezes itself (SIGSTOP) right after taking the lock.
    first = spawn("cop-sync", config=config, COP_CRASH_AT="locked", COP_CRASH_SIGNAL="STOP")
    try:
        _, status = os.waitpid(first.pid, os.WUNTRACED)
        assert os.WIFSTOPPED(status), "the first run never reached the lock"
        second = run("cop-sync", config=config, timeout=30)
        assert second.returncode == 3, second.stderr
        assert re.search(rf"pid {first.pid}( on \S+)?, started 20", second.stderr)
        assert "another cop-sync is running" in second.stderr
        as_json = run("cop-sync", "--json", config=config, timeout=30)
        answer = json.loads(as_json.stdout)  # --json answers even then
        assert as_json.returncode == 3 and answer["locked"] and answer["exit_code"] == 3
    finally:
        first.send_signal(signal.SIGKILL)  # kill -9 the frozen holder
        first.wait(timeout=10)
    third = run("cop-sync", config=config, timeout=30)
    assert third.returncode == 0, third.stderr  # the dead run's lock is free
    assert "; exit 0" in third.stdout
