"""Seminars (``cop seminar add``, ``cop seminar workshop add``): the yearly seminar of the
communities, two or three days with thematic workshops, formal presentations and posters.

Provisioning gives each community a page per seminar (sync/community/seminar_pages.py) where members
record their attendance and the actions decided; ``cop-sync`` reads them back.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from connector.errors import UsageError, ValidationError
from sync.clock import utc_now
from sync.method.values import clean
from sync.records.model import Seminar, Workshop
from sync.records.store import Records

DAYS = (2, 3)


def add_seminar(records: Records, year: int, *, title: str, start: str, days: int,
                place: str, clock: Callable[[], str] = utc_now) -> Seminar:
    """Record the seminar of ``year``. Raises ValidationError (an option named) or
    UsageError (one seminar per year)."""
    if days not in DAYS:
        raise ValidationError("a seminar lasts 2 or 3 days", field="--days", value=str(days))
    try:
        first = date.fromisoformat(start)
    except ValueError:
        raise ValidationError("is not a date; write YYYY-MM-DD", field="--start",
                              value=start) from None
    if first.year != year:
        raise ValidationError(f"is not in {year}", field="--start", value=start)
    seminar = Seminar(year=year, title=clean("--title", title, required=True),
                      start=first.isoformat(), days=days,
                      place=clean("--place", place, required=True), created_at=clock())
    with records.transaction():  # checked where no other manager can add it meanwhile
        if records.seminar(year) is not None:
            raise UsageError(f"the {year} seminar is already recorded")
        records.add_seminar(seminar)
    return seminar


def add_workshop(records: Records, year: int, slug: str, *, title: str,
                 clock: Callable[[], str] = utc_now) -> Workshop:
    """A workshop of community ``slug`` at the ``year`` seminar. Raises UsageError."""
    if records.seminar(year) is None:
        raise UsageError(f"no seminar in {year} (`cop seminar add {year} ...` first)")
    community = records.community(slug)
    if community is None:
        raise UsageError(f"no community {slug!r} (see `cop community list`)")
    if community.archived:
        raise UsageError(f"{slug} is archived: no workshop for it")
    workshop = Workshop(year=year, community=slug, title=clean("--title", title,
                                                               required=True),
                        created_at=clock())
    with records.transaction():  # checked where no other manager can add it meanwhile
        if any(w.title.casefold() == workshop.title.casefold()
               for w in records.workshops(year, slug)):
            raise UsageError(f"{slug} already has the workshop {workshop.title!r} in {year}")
        records.add_workshop(workshop)
    return workshop
