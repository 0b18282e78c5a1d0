"""Progress of long work, told to whoever watches, and the request to stop.

Provisioning, a sync, publishing results and archiving take a ``Monitor``. They tell it how
much there is to do (``plan``), which community they are on (``community``) and each page as
they do it (``with monitor.page("create CoP_Battery:Watch"):``); between two pages they ask
``monitor.stopping()`` and, when asked to stop (Ctrl-C), stop there and say so in their
report — everything done so far is committed, so running them again finishes the rest.
Work that must not stop halfway (an archive freezing its space) runs ``with
monitor.unstoppable("finishing the archive first: ...")``: a stop asked meanwhile is told
so (``stop_answer``) and the work goes on to its end.

The library never prints: the CLI passes a watcher that draws a progress bar on a terminal
(sync/cli/progress.py), and nothing otherwise. ``Monitor()`` alone watches nothing and never
stops: what tests and scripts get by default.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from msgspec import Struct


class Progress(Struct, frozen=True):
    """Where long work stands: ``done`` of ``total`` pages (0 while not known yet), the
    community being worked on (``community_number`` of ``communities``) and what is being
    done right now (``doing``: "create CoP_Battery:Watch", "read 12 changed pages")."""

    work: str
    done: int
    total: int
    community: str = ""
    community_number: int = 0
    communities: int = 0
    doing: str = ""
    unit: str = "pages"  # what done and total count: pages, or an archive's steps


Watcher = Callable[[Progress], None]


class Monitor:
    """What long work reports its progress to, and asks whether to stop."""

    def __init__(self, watcher: Watcher | None = None,
                 stop: Callable[[], bool] | None = None) -> None:
        self._watcher = watcher
        self._stop = stop
        self.work = ""
        self.done = 0
        self.total = 0
        self.communities = 0
        self.community_number = 0
        self.community_slug = ""
        self.unit = "pages"
        self.finishing = ""  # while set: why a stop asked now waits for the work's end

    def plan(self, work: str, *, pages: int, communities: int = 0,
             unit: str = "pages") -> None:
        """``pages`` (and ``communities``) more to do, e.g. once a change feed says which
        pages changed; the totals add up over the calls of one run (several wikis).
        ``unit`` names what is counted when it is not pages (an archive's steps)."""
        self.work = work
        self.unit = unit
        self.total += pages
        self.communities += communities
        self._tell("")

    def community(self, slug: str) -> None:
        """Work moves on to community ``slug``."""
        self.community_number += 1
        self.community_slug = slug
        self._tell("")

    @contextmanager
    def page(self, doing: str) -> Iterator[None]:
        """One page of the work: announced before it starts, counted once it ends (done
        or failed: either way it is behind)."""
        self._tell(doing)
        try:
            yield
        finally:
            self.done += 1
            self._tell(doing)

    def note(self, doing: str) -> None:
        """What is being done besides the counted pages, for them all (one batched request
        after them): no longer in one community."""
        self.community_slug, self.community_number = "", 0
        self._tell(doing)

    def stopping(self) -> bool:
        """Whether the work should stop before its next page (Ctrl-C was pressed)."""
        return bool(self._stop and self._stop())

    @contextmanager
    def unstoppable(self, why: str) -> Iterator[None]:
        """Work that goes on to its end even when asked to stop, since stopping halfway
        would leave things worse than finishing (a space half frozen): it does not ask
        ``stopping()``, and a stop asked meanwhile is answered ``why``."""
        self.finishing = why
        try:
            yield
        finally:
            self.finishing = ""

    def stop_answer(self) -> str:
        """What a request to stop made now does, in words for whoever asks (Ctrl-C):
        "stopping after the current page" (or step: the unit counted), or, in unstoppable
        work, why it is finished first."""
        return self.finishing or f"stopping after the current {self.unit.removesuffix('s')}"

    def _tell(self, doing: str) -> None:
        if self._watcher is not None:
            self._watcher(Progress(self.work, self.done, self.total, self.community_slug,
                                   self.community_number, self.communities, doing,
                                   self.unit))

