"""Managed regions: the parts of a community page that the template owns, and their upgrade.

A page holds the template's sections (headings, prose, help, the page index) and what
members write (rows, their own prose, headings, anything). Each section cop-connector
renders is wrapped in begin/end markers that survive the wiki's editor (MediaWiki:
comments; Confluence: anchor macros, since it drops comments on save); the begin marker
carries a short hash of the region as written. A region whose content no longer matches its
hash was edited by hand: an upgrade reports it as drift and leaves it alone.

``upgrade_regions`` is the format-neutral decision; each codec gives it a ``RegionDoc``
over its parsed page:

* a region intact on the page and different in the template is rewritten;
* an edited region is kept and reported (the rest of the page still upgrades);
* a section new in the template is inserted in template order: before the rows, after the
  nearest preceding region; after the rows, before the nearest following one (else at the
  end of the page); a section whose heading is on the page without markers is not
  inserted again (reported);
* a region whose section left the template is removed when intact, else kept and reported;
* the page's template version marker is set.

Everything outside the regions (rows, members' prose) is never touched by this module.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

HASH_LENGTH = 8


def region_hash(canonical: str) -> str:
    """The short hash a begin marker carries: of the region's canonical text."""
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:HASH_LENGTH]


@dataclass(frozen=True)
class Found:
    """A region found on a page: ``intact`` when its content still has the marker's hash;
    ``damaged`` says why its markers cannot be trusted (duplicated, unbalanced)."""

    id: str
    intact: bool
    content: str  # canonical content, compared with the desired one
    damaged: str = ""


@dataclass(frozen=True)
class Desired:
    """A region as the template renders it: ``title`` is its heading text ('' without)."""

    id: str
    content: str  # canonical content
    title: str = ""


class RegionDoc(Protocol):
    """A parsed page, as ``upgrade_regions`` edits it (each codec has one)."""

    def regions(self) -> dict[str, Found]:
        """The marked regions now on the page, by id."""
        ...

    def replace(self, region_id: str) -> None:
        """Rewrite the region with the template's version of it (markers included)."""
        ...

    def remove(self, region_id: str) -> None:
        ...

    def insert(self, region_id: str, anchor: str | None, *, before: bool) -> None:
        """Insert the template's region after region ``anchor`` (None: at the top of the
        page), or with ``before`` before it (None: at the end of the page)."""
        ...

    def has_heading(self, title: str) -> bool:
        """Whether a heading with this text is on the page outside any region."""
        ...

    def set_version(self, version: str) -> bool:
        """Set the page's template version marker; whether it changed."""
        ...


@dataclass
class UpgradeNotes:
    """What an upgrade did (``changes``) and left alone (``drift``), for the plan."""

    changes: list[str] = field(default_factory=list)
    drift: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class PageUpgrade:
    """A page brought to its kind's current template: the new content and what changed.
    ``content`` is the input, unchanged, when there is nothing to do."""

    content: str
    changes: tuple[str, ...] = ()
    drift: tuple[str, ...] = ()


def upgrade_regions(doc: RegionDoc, desired: Sequence[Desired], rows_at: int,
                    version: str, skip: frozenset[str] = frozenset()) -> UpgradeNotes:
    """Bring ``doc``'s regions to ``desired`` (template order; the rows come after index
    ``rows_at - 1``); ``skip``: sections already reported (a page from before markers
    whose section was edited), neither inserted nor reported again."""
    notes = UpgradeNotes()
    wanted = {d.id for d in desired}
    for index, region in enumerate(desired):
        found = doc.regions().get(region.id)
        if found is None:
            _missing(doc, desired, index, rows_at, skip, notes)
        elif found.damaged or not found.intact:
            notes.drift.append(f"section {region.id!r} "
                               f"{found.damaged or 'edited on the wiki'}: kept as it is")
        elif found.content != region.content:
            doc.replace(region.id)
            notes.changes.append(f"section {region.id!r} updated")
    for region_id, found in doc.regions().items():
        if region_id in wanted:
            continue
        if found.intact and not found.damaged:
            doc.remove(region_id)
            notes.changes.append(f"section {region_id!r} removed (no longer in the template)")
        else:
            notes.drift.append(f"section {region_id!r} is no longer in the template but was "
                               "edited on the wiki: kept")
    if doc.set_version(version):
        notes.changes.append(f"template version {version}")
    return notes


def _missing(doc: RegionDoc, desired: Sequence[Desired], index: int, rows_at: int,
             skip: frozenset[str], notes: UpgradeNotes) -> None:
    region = desired[index]
    if region.id in skip:
        return
    if region.title and doc.has_heading(region.title):
        notes.drift.append(f"section {region.id!r} is on the page without its markers: "
                           "kept as it is")
        return
    present = {i for i, found in doc.regions().items() if not found.damaged}
    if index < rows_at:
        after = next((d.id for d in reversed(desired[:index]) if d.id in present), None)
        doc.insert(region.id, after, before=False)
    else:
        following = next((d.id for d in desired[index + 1:] if d.id in present), None)
        doc.insert(region.id, following, before=True)
    notes.changes.append(f"new section {region.id!r}")


def rows_at(sections: Sequence[tuple[str, bool]], region_ids: Sequence[str]) -> int:
    """How many of the page's regions come before its rows: ``sections`` are (id, holds the
    rows) in template order, ``region_ids`` the ids that have a region, in order (the rows
    section's own region, its heading, comes before the rows)."""
    rows = next((i for i, (_, holds) in enumerate(sections) if holds), None)
    if rows is None:
        return len(region_ids)
    before = {section_id for section_id, _ in sections[:rows + 1]}
    return sum(1 for region_id in region_ids if region_id in before)
