"""The seconds a run may still spend: every retry and wait of every adapter asks it first.

Apart from connector/http.py so that what only keeps time (the CLI, the sync engine) does not
load the HTTP libraries with it.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from connector.errors import BudgetExceeded


class Budget:
    """The seconds a run may still spend; retries may not wait past it.

    ``seconds=None`` is no limit. The clock starts when the budget is made.
    """

    def __init__(self, seconds: float | None = None, *,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.seconds = seconds
        self._clock = clock
        self._sleep = sleep
        self._start = clock()

    def remaining(self) -> float:
        if self.seconds is None:
            return math.inf
        return max(0.0, self.seconds - (self._clock() - self._start))

    def check(self, wait: float, what: str, backend: str = "wiki") -> None:
        """Allow a wait of ``wait`` seconds. Raises BudgetExceeded if it does not fit, and
        for any retry at all (even an immediate one) once the budget is spent."""
        left = self.remaining()
        if wait > left or left <= 0:
            raise BudgetExceeded(
                f"{what}: waiting {wait:.1f} s would pass the run's time budget "
                f"({left:.1f} s left); stopping instead of waiting", backend=backend)

    def wait(self, seconds: float, what: str, backend: str = "wiki") -> None:
        """Sleep ``seconds`` (a pause the product decides, not a retry's), if the budget
        affords it. Raises BudgetExceeded otherwise."""
        if seconds <= 0:
            return
        self.check(seconds, what, backend)
        self._sleep(seconds)
