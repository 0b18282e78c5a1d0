"""Run ``cop`` and ``cop-sync`` as real processes, the way cron and a terminal do.

For the tests that need a real process: killed with SIGKILL at a checkpoint, frozen while it
holds the lock, or logging at DEBUG to its own stderr. The console scripts may not be
installed (a plain checkout), so each program is started as ``python -c`` with the same entry
point the console script calls.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from records_engine import database_config

ROOT = Path(__file__).resolve().parent.parent
ENTRY = {"cop": "from sync.cli import cop; cop()",
         "cop-sync": "from sync.cli import cop_sync; cop_sync()"}
KILLED = -signal.SIGKILL  # a Popen returncode: killed by SIGKILL


def argv(program: str, *args: str) -> list[str]:
    return [sys.executable, "-c", ENTRY[program], *args]


def environment(config: Path, **extra: str) -> dict[str, str]:
    """The environment of a run: this checkout importable, ``config`` as COP_CONFIG, and
    no crash armed unless ``extra`` arms one."""
    database_config(config)  # records on PostgreSQL: the process reads the URL from the file
    env = {k: v for k, v in os.environ.items() if not k.startswith("COP_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["COP_CONFIG"] = str(config)
    env.update(extra)
    return env


def run(program: str, *args: str, config: Path, timeout: float = 60,
        **extra: str) -> subprocess.CompletedProcess[str]:
    """Run to the end (or to its death); stdout and stderr captured as text."""
    return subprocess.run(argv(program, *args), env=environment(config, **extra),
                          capture_output=True, text=True, timeout=timeout, check=False)


def spawn(program: str, *args: str, config: Path, **extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(argv(program, *args), env=environment(config, **extra),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
