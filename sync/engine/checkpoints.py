"""Named crash points: a test hook for proving crash safety (not a feature).

The engine calls ``checkpoint(NAME)`` at the places where dying must still leave the records
consistent. In production nothing is armed and a checkpoint costs a counter and an
environment lookup.

* Subprocess tests set the environment variable ``COP_CRASH_AT=NAME`` (or ``NAME:K``, the K-th
  time that checkpoint is reached): the process then kills itself with SIGKILL right there, as
  ``kill -9`` would — no ``finally``, no rollback, no flush. ``COP_CRASH_SIGNAL=STOP`` freezes it
  instead (SIGSTOP), for tests that need a run stopped mid-way while it holds the lock.
* In-process tests (the state machine) call ``arm(NAME, after=K)``: the checkpoint then raises
  ``SimulatedCrash``, a BaseException, so no ``except Exception`` catches it and every open
  transaction rolls back, as the dead process's would; ``disarm()`` ends it.

The checkpoints, in the order a run meets them:

    locked              cop-sync holds the lock; nothing read or written yet
    after-wiki-write    a page write (member changes) landed on the wiki; nothing committed
                        locally for it yet
    before-page-commit  a page's rows, merge base and revision are written in the open
                        transaction, not committed
    after-page-commit   a page is committed; its community's watermark has not moved
    after-notice-write  a page's notice of entries to fix landed on the wiki (its pages are
                        committed); its revision is not recorded yet
    after-watermark     a community's watermark was saved
    after-page-create   provisioning created a page on the wiki; its state is not recorded
    after-page-saved    provisioning created a page and recorded its state
    after-relay-write   the watch's sources: a Watch page got its new entries on the wiki;
                        neither the page nor the entries are recorded yet
    before-relay-commit the page is recorded; the entries and the sources' validators are
                        written in the open transaction, not committed
"""

from __future__ import annotations

import os
import signal
from collections import Counter

from msgspec import Struct

CRASH_ENV = "COP_CRASH_AT"
SIGNAL_ENV = "COP_CRASH_SIGNAL"

CHECKPOINTS = ("locked", "after-wiki-write", "before-page-commit", "after-page-commit",
               "after-notice-write", "after-watermark", "after-page-create",
               "after-page-saved", "after-relay-write", "before-relay-commit")


class SimulatedCrash(BaseException):
    """Raised by an armed checkpoint (in-process tests only); never caught by the engine."""

    def __init__(self, name: str) -> None:
        super().__init__(f"simulated crash at checkpoint {name!r}")
        self.name = name


class _Armed(Struct):
    """The in-process crash to come: at the ``left``-th passage of ``name`` (None: any)."""

    name: str | None = None
    left: int = 0


_passes: Counter[str] = Counter()
_armed = _Armed()


def checkpoint(name: str) -> None:
    """Mark a crash point; a no-op unless a test armed it (see the module docstring)."""
    _passes[name] += 1
    if _armed.left:
        _in_process(name)
    wanted = os.environ.get(CRASH_ENV)
    if wanted and _matches(wanted, name):
        stop = os.environ.get(SIGNAL_ENV, "").upper().removeprefix("SIG") == "STOP"
        os.kill(os.getpid(), signal.SIGSTOP if stop else signal.SIGKILL)


def arm(name: str | None = None, *, after: int = 1) -> None:
    """Make the ``after``-th next passage of checkpoint ``name`` (None: of any checkpoint)
    raise SimulatedCrash. Raises ValueError for an unknown name."""
    if name is not None and name not in CHECKPOINTS:
        raise ValueError(f"no checkpoint {name!r}; known: {', '.join(CHECKPOINTS)}")
    _armed.name, _armed.left = name, max(1, after)


def disarm() -> None:
    _armed.name, _armed.left = None, 0


def _in_process(name: str) -> None:
    if _armed.name is not None and _armed.name != name:
        return
    _armed.left -= 1
    if _armed.left == 0:  # a crash happens once; the next run goes on
        _armed.name = None
        raise SimulatedCrash(name)


def _matches(wanted: str, name: str) -> bool:
    target, _, count = wanted.partition(":")
    if target != name:
        return False
    return _passes[name] == (int(count) if count.isdigit() else 1)
