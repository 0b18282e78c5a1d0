"""One run at a time: an advisory lock (flock) on a file beside SQLite records, or an
advisory lock in the PostgreSQL database that holds the records (several machines share it).

The kernel releases a flock when its process dies, however it dies, and the database server
releases its lock when the holder's connection ends, so a lock left by a killed run is
simply free again: no stale-lock guessing. The holder's pid and start time (and host, for
the database) are kept with the lock, for the message a second run prints.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from connector.errors import LockHeld
from sync.clock import utc_now


class RunLock:
    """``with RunLock(path):`` — raises LockHeld (exit code 3) if another process holds it.

    ``wait`` seconds > 0 makes it wait that long first (commands other than cop-sync).
    """

    def __init__(self, path: Path, *, wait: float = 0.0) -> None:
        self.path = path
        self.wait = wait
        self._fd: int | None = None

    def __enter__(self) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + self.wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = _holder(fd)
                    os.close(fd)
                    raise LockHeld(lock_path=str(self.path), pid=holder.get("pid"),
                                   started_at=holder.get("started_at")) from None
                time.sleep(0.1)
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps({"pid": os.getpid(), "started_at": utc_now()}).encode(), 0)
        self._fd = fd
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None


def _holder(fd: int) -> dict[str, object]:
    try:
        return json.loads(os.pread(fd, 4096, 0) or b"{}")
    except ValueError:
        return {}


class DatabaseLock:
    """``with DatabaseLock(records):`` — the lock in the records' PostgreSQL database (see
    sync/records/postgres.py), held by the records' connection. Raises LockHeld (exit 3)
    naming the holder's pid, host and start; ``wait`` as RunLock's. ``program`` says what
    holds it (``cop-sync``, ``cop member add``)."""

    def __init__(self, records: Any, *, wait: float = 0.0, program: str = "cop") -> None:
        self.records = records
        self.wait = wait
        self.program = program

    def __enter__(self) -> DatabaseLock:
        engine = self.records.engine
        if not engine.take_run_lock(wait=self.wait, since=utc_now(), program=self.program):
            holder = engine.run_lock_holder()
            raise LockHeld(lock_path=f"in {self.records.path}", pid=holder.get("pid"),
                           started_at=holder.get("started_at"), host=holder.get("host"))
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.records.engine.release_run_lock()
