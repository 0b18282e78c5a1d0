"""Long work you can watch: a progress bar on standard error when it is a terminal, and
Ctrl-C as "stop after this page".

    with watched(app, show=not as_json) as monitor:
        report = Provisioner(..., monitor=monitor).run(...)

The library reports through the Monitor (sync/progress.py); this module draws it with
click's progress bar, on a terminal only: nothing extra in cron (standard error not a
terminal), with --json or with --quiet. The first Ctrl-C asks the work to stop before its
next page (the command then says what was done and exits 130), or, in work that must not
stop halfway (an archive freezing its space), says that it is finished first; a second one
stops at once.

The bar is gone once ``watched`` ends (its line ended): a command prints its outcome after
the ``with`` block, never inside it, or the line would follow the bar's on the same line.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import FrameType
from typing import IO, TYPE_CHECKING, Any

import click

from sync.progress import Monitor, Progress

if TYPE_CHECKING:
    from sync.cli.app import App

BAR_WIDTH = 24  # a narrow terminal (under WIDE columns) gets a NARROW_BAR
NARROW_BAR = 10
WIDE = 100
# What the line holds besides the label, the bar and what is being done: "  [", "]  ",
# the position ("140/848  ") and the time left ("00:01:05  "), with a little to spare.
FIXED = 28


class ProgressBar:
    """click's progress bar, made when there is something to count, fed by Progress
    events; the line says what is being done and never wraps (a wrapped line cannot be
    redrawn in place)."""

    def __init__(self, stream: IO[str]) -> None:
        self.stream = stream
        self._bar: Any = None

    def __call__(self, progress: Progress) -> None:
        if progress.total <= 0:
            return
        if self._bar is None:
            self._bar = click.progressbar(
                length=progress.total, label=progress.work, file=self.stream,
                show_pos=True, show_eta=True, width=_bar_width(self._columns()),
                bar_template="%(label)s  [%(bar)s]  %(info)s",
                item_show_func=lambda text: text)
            self._bar.__enter__()
        bar = self._bar
        bar.length = progress.total  # a second wiki's pages add to the first's
        bar.label = progress.work
        bar.current_item = _doing(progress, self._columns() - len(progress.work)
                                  - bar.width - FIXED)
        if progress.done > bar.pos:
            bar.make_step(progress.done - bar.pos)  # (which also keeps the time left)
        bar.finished = bar.pos >= bar.length
        bar.render_progress()

    def _columns(self) -> int:
        """The terminal's width (standard error's: standard output may be a pipe)."""
        try:
            columns = os.get_terminal_size(self.stream.fileno()).columns
        except (AttributeError, OSError, ValueError):
            columns = 0
        # 0: a pseudo-terminal nobody sized (ssh -t, script, some CI): assume 80
        return columns or shutil.get_terminal_size().columns

    def clear(self) -> None:
        """Clear the bar's line, so that a log line written now starts at the margin (the
        next event draws the bar again below it)."""
        if self._bar is not None:
            self.stream.write("\r" + " " * (self._bar.max_width or 0) + "\r")
            self.stream.flush()
            self._bar.max_width = None
            self._bar._last_line = None  # click draws a line only when it changed

    def close(self) -> None:
        """Leave the bar as it last stood, on its own line."""
        if self._bar is not None:
            self._bar.__exit__(None, None, None)
            self._bar = None


def _bar_width(columns: int) -> int:
    return BAR_WIDTH if columns >= WIDE else NARROW_BAR


def _doing(progress: Progress, room: int) -> str:
    """'battery (3/20): create CoP_Battery:Watch', in the ``room`` (columns) left beside
    the label and the bar (a wrapped line cannot be redrawn in place): where that is too
    narrow, '3/20: create CoP_Battery:Watch' (the page names its community), then cut."""
    number = (f"{progress.community_number}/{progress.communities}"
              if progress.communities > 1 and progress.community else "")
    for where in (f"{progress.community} ({number})" if number else progress.community,
                  number):
        text = ": ".join(part for part in (where, progress.doing) if part)
        if progress.unit != "pages":
            text = f"{progress.unit}: {text}"
        if len(text) <= room:
            return text
    return text[:max(room - 1, 0)] + "…" if room > 1 else ""


class StopOnCtrlC:
    """A SIGINT handler: the first Ctrl-C asks for a stop at the next page boundary
    (``self()`` then answers True) and says what that does now (the ``monitor``'s answer: a
    page, a step, or nothing before the work's end), a second one raises KeyboardInterrupt
    at once."""

    def __init__(self, bar: ProgressBar | None) -> None:
        self.requested = False
        self._bar = bar
        self.monitor: Monitor | None = None  # the work it stops (set once made)

    def __call__(self) -> bool:
        return self.requested

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.requested:
            raise KeyboardInterrupt
        self.requested = True
        if self._bar is not None:
            self._bar.clear()
        answer = self.monitor.stop_answer() if self.monitor is not None else \
            "stopping after the current page"
        click.echo(f"{answer} (Ctrl-C again stops at once)", err=True)

    @contextmanager
    def installed(self) -> Iterator[None]:
        if threading.current_thread() is not threading.main_thread():
            yield  # signals reach the main thread only: nothing to install
            return
        previous = signal.signal(signal.SIGINT, self._handle)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, previous)


class _ClearBar(logging.Filter):
    """Lets log lines through, clearing the progress bar's line before each one."""

    def __init__(self, bar: ProgressBar) -> None:
        super().__init__()
        self.bar = bar

    def filter(self, record: logging.LogRecord) -> bool:
        self.bar.clear()
        return True


def shows_progress(app: App, *, show: bool = True, stream: IO[str] | None = None) -> bool:
    """Whether to draw progress: asked (not --json), not --quiet, on a terminal."""
    stream = stream or sys.stderr
    return show and not app.quiet and stream.isatty()


@contextmanager
def watched(app: App, *, show: bool = True) -> Iterator[Monitor]:
    """A Monitor for long work: drawn on standard error when ``shows_progress``, and told
    to stop by Ctrl-C (whether drawn or not)."""
    bar = ProgressBar(sys.stderr) if shows_progress(app, show=show) else None
    stop = StopOnCtrlC(bar)
    handlers = [h for h in logging.getLogger().handlers
                if getattr(h, "stream", None) is sys.stderr]
    clearing = _ClearBar(bar) if bar is not None else None
    for handler in handlers if clearing else ():
        handler.addFilter(clearing)
    stop.monitor = monitor = Monitor(bar, stop)
    try:
        with stop.installed():
            yield monitor
    finally:
        if bar is not None:
            bar.close()
        for handler in handlers if clearing else ():
            handler.removeFilter(clearing)
