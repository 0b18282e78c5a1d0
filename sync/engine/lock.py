"""One run at a time: an advisory lock (flock) on a file beside the records.

The kernel releases a flock when its process dies, however it dies, so a lock left by a
killed run is simply free again: no stale-lock guessing. The file holds the holder's pid and
start time, for the message a second run prints.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from pathlib import Path
from types import TracebackType

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
