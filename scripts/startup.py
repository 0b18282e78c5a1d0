#!/usr/bin/env python3
"""Start-up time of the commands, as whole processes, beside a bare Python start.

    .venv/bin/python scripts/startup.py [--runs 15] [--communities 3] [--config PATH] [--json]

Times ``python -c pass`` (the same interpreter the console scripts use), ``cop --help``,
``cop status`` and a ``cop-sync`` with nothing to do, interleaved (one of each per round, so
a busy moment of the machine weighs on all of them alike), and prints each one's median and
its ratio to the bare start, against the targets: ``cop --help`` and ``cop status`` within
5 times a bare start, ``cop-sync`` within 10 times; beside them, the floors (``import click``,
``import mwclient``: what the commands cannot do without) timed the same way. Wall time is
what a user waits for and what the targets are about; the CPU time each process used (user +
system) is printed beside it: on a busy machine the wall times stretch while CPU times barely
move, so their ratio tells what a quiet machine's wall times would be.

Without --config it installs a throwaway MediaWiki in a temporary directory
(scripts/localwiki.py), adds N communities with cop's own commands, declares their
namespaces, provisions them and syncs once (the session is then kept, as a cron job's is),
and removes it all at the end. With --config it uses that setup as it is (the quick start's:
``--config .cop-demo/cop.toml``, with its bot password in COP_MEDIAWIKI_PASSWORD).
Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import localwiki

BIN = Path(sys.executable).parent
TARGETS = {"cop --help": 5.0, "cop status": 5.0, "cop-sync (nothing to do)": 10.0}


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# What a command cannot do without, timed alone: the floor under its ratio. A sync that asks
# the wiki loads an HTTP client (requests, with urllib3, and mwclient, which loads
# requests-oauthlib whether OAuth is used or not); every command loads click.
FLOORS = {"floor: import click": "import click",
          "floor: import mwclient": "import mwclient"}


def commands() -> dict[str, list[str]]:
    return {"python -c pass": [sys.executable, "-c", "pass"],
            **{name: [sys.executable, "-c", code] for name, code in FLOORS.items()},
            "cop --help": [str(BIN / "cop"), "--help"],
            "cop status": [str(BIN / "cop"), "status"],
            "cop-sync (nothing to do)": [str(BIN / "cop-sync")]}


def cop(*args: str, env: dict[str, str], program: str = "cop") -> str:
    result = subprocess.run([str(BIN / program), *args], env=env, capture_output=True,
                            text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"{program} {' '.join(args)} exited {result.returncode}: "
                           f"{result.stderr.strip()[-500:]}")
    return result.stdout


@contextmanager
def throwaway_setup(communities: int) -> Iterator[dict[str, str]]:
    """A local wiki with ``communities`` provisioned and synced; the environment of cop."""
    root = Path(tempfile.mkdtemp(prefix="cop-startup-"))
    server = localwiki.Server(root / "wiki")
    try:
        say(f"installing a MediaWiki in {root}")
        credentials = localwiki.create(root / "wiki")
        server.start()
        env = dict(os.environ, COP_CONFIG=str(root / "cop.toml"),
                   COP_MEDIAWIKI_PASSWORD=credentials.bot_password)
        cop("init", "--mediawiki-url", server.url, "--mediawiki-user",
            credentials.bot_user, env=env)
        for number in range(communities):
            cop("community", "add", f"startup-{number}", "--name", f"Start-up {number}",
                "--theme", "Benchmarks", "--pilot", f"pilot{number}@corp.example",
                "--expert", f"expert{number}@corp.example", "--force", env=env)
        (root / "wiki" / "extra" / "namespaces.php").write_text(
            cop("mediawiki", "namespaces", "--php-file", env=env))
        say(f"provisioning {communities} communities and syncing once")
        cop("provision", "--all", env=env)
        cop(env=env, program="cop-sync")
        yield env
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


def measure(env: dict[str, str], runs: int) -> tuple[dict[str, list[float]],
                                                    dict[str, list[float]]]:
    """Seconds of each command, ``runs`` rounds, interleaved; one warm-up round first.

    Python may cache compiled modules, as it does on a user's machine (an installed
    package has them; PYTHONDONTWRITEBYTECODE, set on some build machines, would make every
    run compile every module again and measure the compiler instead)."""
    env = {name: value for name, value in env.items() if name != "PYTHONDONTWRITEBYTECODE"}
    found: dict[str, list[float]] = {name: [] for name in commands()}
    cpu: dict[str, list[float]] = {name: [] for name in commands()}
    for round_number in range(runs + 1):
        for name, argv in commands().items():
            used = _children_cpu()
            start = time.perf_counter()
            result = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE, check=False)
            seconds = time.perf_counter() - start
            used = _children_cpu() - used
            if result.returncode != 0:
                raise RuntimeError(f"{name} exited {result.returncode}: "
                                   f"{result.stderr.decode(errors='replace')[-500:]}")
            if round_number:  # the first round warms the caches and compiles the modules
                found[name].append(seconds)
                cpu[name].append(used)
    return found, cpu


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def report(times: dict[str, list[float]], cpu: dict[str, list[float]]
           ) -> list[dict[str, object]]:
    bare = statistics.median(times["python -c pass"])
    bare_cpu = statistics.median(cpu["python -c pass"]) or 1e-9
    rows: list[dict[str, object]] = []
    for name, seconds in times.items():
        median = statistics.median(seconds)
        ratio = median / bare
        cpu_median = statistics.median(cpu[name])
        target = TARGETS.get(name)
        rows.append({"command": name, "median_s": round(median, 4), "ratio": round(ratio, 1),
                     "cpu_s": round(cpu_median, 4), "cpu_ratio": round(cpu_median / bare_cpu, 1),
                     "target": target, "holds": None if target is None else ratio <= target})
    return rows


def print_rows(rows: Sequence[dict[str, object]], runs: int) -> None:
    print(f"start-up, median of {runs} interleaved runs, ratio to a bare `python -c pass`:\n")
    print(f"| {'command':26} | wall s | ratio | target (wall) | CPU s | CPU ratio |")
    print(f"|{'-' * 28}|-------:|------:|---------------|------:|----------:|")
    for row in rows:
        target = "" if row["target"] is None else (
            f"≤ {row['target']:g}x " + ("[holds]" if row["holds"] else "[FAILS]"))
        print(f"| {row['command']:26} | {row['median_s']:6.3f} | {row['ratio']:4.1f}x | "
              f"{target:13} | {row['cpu_s']:5.3f} | {row['cpu_ratio']:8.1f}x |")
    print(f"\n(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs: a busy machine "
          "stretches wall times; CPU times barely move)")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15, help="rounds measured (default 15)")
    parser.add_argument("--communities", type=int, default=3,
                        help="communities of the throwaway setup (default 3)")
    parser.add_argument("--config", default=None,
                        help="use this cop.toml (its wiki running, its secret in the "
                             "environment) instead of a throwaway setup")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    return parser.parse_args(argv)


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # every `finally` runs: the wiki is stopped


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)
    try:
        if args.config:
            env = dict(os.environ, COP_CONFIG=str(Path(args.config).resolve()))
            times, cpu = measure(env, args.runs)
        else:
            with throwaway_setup(args.communities) as env:
                times, cpu = measure(env, args.runs)
    except KeyboardInterrupt:
        say("interrupted")
        return 130
    rows = report(times, cpu)
    if args.json:
        print(json.dumps({"runs": args.runs, "rows": rows}, indent=2))
    else:
        print_rows(rows, args.runs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
