"""What a community's seminar pages show: which seminars it has a page for, and each page's
placeholders and lists (the days, the community's workshops), from the records.

A community has the page of every seminar held in or after the year it was created, and of
any seminar where it has a workshop. An archived community gets no new page.
"""

from __future__ import annotations

from collections.abc import Mapping

from msgspec import Struct, field

from page_templates import TemplateSet
from page_templates.model import instance_key
from page_templates.ui import ui_text
from sync.records.model import Community, Seminar, Workshop
from sync.records.store import Records

SEMINAR = "seminar"
NO_ACCOUNT = "\u2013"  # (an en dash) shown for {account} while the community has none


class PageExtras(Struct, frozen=True):
    """Placeholders and lists a page shows besides the charter's values."""

    values: Mapping[str, str] = field(default_factory=dict)
    lists: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


def applies(seminar: Seminar, community: Community, workshops: list[Workshop]) -> bool:
    created = int(community.created_at[:4]) if community.created_at[:4].isdigit() else 0
    return seminar.year >= created or any(w.community == community.slug for w in workshops)


def seminar_instances(records: Records, community: Community) -> dict[str, list[str]]:
    """{"seminar": [years]} the community has (or gets) a seminar page for."""
    workshops = records.workshops(community=community.slug)
    years = [str(s.year) for s in records.seminars()
             if applies(s, community, [w for w in workshops if w.year == s.year])]
    return {SEMINAR: years}


def seminar_extras(records: Records, community: Community,
                   templates: TemplateSet) -> dict[str, PageExtras]:
    """page key ("seminar@2027") -> its placeholders and lists."""
    kind = templates.get(SEMINAR)
    if kind is None:
        return {}
    years = set(seminar_instances(records, community)[SEMINAR])
    extras = {}
    for seminar in records.seminars():
        if str(seminar.year) not in years:
            continue
        workshops = records.workshops(seminar.year, community.slug)
        days = tuple(ui_text("seminar_day", community.lang, kind.ui, number=str(n),
                             date=day) for n, day in enumerate(seminar.dates, start=1))
        extras[instance_key(SEMINAR, str(seminar.year))] = PageExtras(
            values={"seminar_title": seminar.title, "seminar_place": seminar.place,
                    "seminar_start": seminar.start, "seminar_end": seminar.end,
                    "seminar_year": str(seminar.year), "seminar_days": str(seminar.days),
                    "account": community.account or NO_ACCOUNT},
            lists={"days": days, "workshops": tuple(w.title for w in workshops)})
    return extras
