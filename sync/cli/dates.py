"""The type of the commands' date options (``--since``): a calendar date written YYYY-MM-DD.

click's own ``DateTime`` answers a date that does not exist (2026-13-01) with "does not match
the format '%Y-%m-%d'", which is wrong (it does) and programmers' notation; this says what a
person must write, as the other commands' date errors do."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import click


class IsoDate(click.ParamType):
    """A day, YYYY-MM-DD, given to the command as a ``datetime`` at midnight."""

    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None,
                ctx: click.Context | None) -> datetime:
        if isinstance(value, datetime):
            return value
        try:
            return datetime.strptime(str(value).strip(), "%Y-%m-%d")
        except ValueError:
            self.fail(f"{value!r} is not a date: write it as YYYY-MM-DD (e.g. 2026-11-01)",
                      param, ctx)


ISO_DATE = IsoDate()
