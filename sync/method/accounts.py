"""``cop report accounts``: the meetings' time per analytic account, from the attendance
members record on the seminar pages (rows "attendance@<year>").

Per seminar year and account: the communities charged to it, the **meetings** (each
workshop a community held, and its plenary sessions: the distinct workshops named in its
attendance rows, an empty workshop being the plenary), the **attendees** (distinct people)
and the **person-hours** (the sum of the hours recorded). Removed rows do not count.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation

from msgspec import Struct, field

from page_templates.model import instance_key
from sync.records.export import cell
from sync.records.store import Records

ATTENDANCE = "attendance"
COLUMNS = ("year", "account", "communities", "meetings", "attendees", "person_hours")


class AccountLine(Struct):
    year: int
    account: str  # "" for communities without an analytic account
    communities: set[str] = field(default_factory=set)
    meetings: set[tuple[str, str]] = field(default_factory=set)  # (community, workshop)
    attendees: set[str] = field(default_factory=set)
    hours: Decimal = Decimal(0)

    def as_dict(self) -> dict[str, object]:
        return {"year": self.year, "account": self.account,
                "communities": sorted(self.communities), "meetings": len(self.meetings),
                "attendees": len(self.attendees), "person_hours": float(self.hours)}


def account_lines(records: Records, year: int | None = None) -> list[AccountLine]:
    """One line per (seminar year, account), in year then account order."""
    lines: dict[tuple[int, str], AccountLine] = {}
    years = [s.year for s in records.seminars() if year is None or s.year == year]
    for community in records.communities():
        for seminar_year in years:
            rows = records.live_rows(community.slug,
                                     instance_key(ATTENDANCE, str(seminar_year)))
            if not rows:
                continue
            line = lines.setdefault((seminar_year, community.account),
                                    AccountLine(seminar_year, community.account))
            line.communities.add(community.slug)
            for row in rows.values():
                line.meetings.add((community.slug, row.get("workshop", "").casefold()))
                line.attendees.add(row.get("email", ""))
                line.hours += _decimal(row.get("hours", ""))
    return [lines[key] for key in sorted(lines)]


def without_account(lines: Sequence[AccountLine]) -> list[str]:
    """Communities whose attendance is charged to no account."""
    return sorted({slug for line in lines if not line.account for slug in line.communities})


def as_csv(lines: Sequence[AccountLine]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for line in lines:
        data = line.as_dict()
        writer.writerow([data["year"], cell(line.account), " ".join(sorted(line.communities)),
                         data["meetings"], data["attendees"], _hours(line.hours)])
    return out.getvalue()


def _decimal(text: str) -> Decimal:
    try:
        return Decimal(text) if text else Decimal(0)
    except InvalidOperation:  # validated on the way in: cannot happen
        return Decimal(0)


def _hours(value: Decimal) -> str:
    return format(value.normalize(), "f")
