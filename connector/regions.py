"""Managed regions: the parts of a community page the template owns, and their upgrade.

A page holds the template's sections (headings, prose, help, the page index) and what
members write (rows, their own prose, headings, anything). Pages carry **no markers**:
a marker is technical clutter a member sees in the visual editor (MediaWiki shows each
comment as a "!" chip; Confluence shows macro placeholders), can select, delete or copy,
and then has to be second-guessed. Instead cop-connector remembers, in the records, what it
last wrote in each region (the *merge base*, as vdirsyncer keeps its status database), and
finds a region on the page by that text: whole lines (wikitext) or a run of sibling blocks
(storage format), compared in the codec's canonical form so that what an editor rewrites
on save without meaning it (trailing spaces, Confluence's ``<li><p>``...) is no edit.

``upgrade_regions`` is the format-neutral decision; each codec gives it a ``RegionDoc``
over its parsed page. For each section of the template:

* found as last written (*intact*) and different in the template: rewritten in place;
* not found, but a heading with its title is on the page: *edited* by a member, kept and
  reported (the rest of the page still upgrades);
* not found at all: *deleted* by a member: reported, never added again silently
  (``restore`` adds back a titled one, on the innovation manager's request; a section
  without a heading cannot be told from an edited one, so it is only reported);
* new in the template (never written on this page): inserted in template order -- before
  the rows, after the nearest preceding region; after the rows, before the nearest
  following one (else at the end of the page);
* a region whose section left the template: removed when intact, else kept and reported.

Without a merge base (records lost, a page adopted, a page from before the records kept
one), a region is looked for as the current template renders it, then as the shipped
template rendered it (``candidates``): equal is intact, anything else is kept as it is.
Everything outside the regions (rows, members' prose) is never touched by this module.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Generic, Protocol, TypeVar

from msgspec import Struct, field

from page_templates import PageKind

HASH_LENGTH = 8
UNKNOWN = ""  # a region's base when it was written but its text is not known (edited)

Span = TypeVar("Span")


def region_hash(canonical: str) -> str:
    """The short hash the markers of earlier versions carried: of a region's canonical
    text (still used to read those markers when a page is migrated)."""
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:HASH_LENGTH]


class Desired(Struct, frozen=True):
    """A region as the template renders it: ``text`` in the codec's format, ``title`` its
    heading's text ('' without one)."""

    id: str
    text: str
    title: str = ""


class RegionDoc(Protocol[Span]):
    """A parsed page, as ``upgrade_regions`` reads and edits it (each codec has one).
    A span is where a region stands on the page; the doc keeps spans valid across edits
    and counts every span it located, replaced or inserted as taken."""

    def canonical(self, text: str) -> str:
        """``text`` (the codec's format) in the form compared: what the editors rewrite
        without meaning it does not count."""
        ...

    def locate(self, text: str) -> Span | None:
        """Where ``text`` stands on the page, whole, outside the spans already taken; None
        when it is not there (or ``text`` is empty)."""
        ...

    def replace(self, span: Span, text: str) -> Span:
        ...

    def remove(self, span: Span) -> None:
        ...

    def insert(self, text: str, anchor: Span | None, *, before: bool) -> Span:
        """Insert ``text`` after ``anchor`` (None: at the top of the page), or with
        ``before`` before it (None: at the end of the page)."""
        ...

    def has_heading(self, title: str) -> bool:
        """Whether a heading with this text is on the page outside the spans taken."""
        ...

    def heading_of(self, text: str) -> str:
        """The text of the first heading in ``text`` (the codec's format), '' without."""
        ...


class RegionsOutcome(Struct):
    """What an upgrade did (``changes``), left alone (``drift``), and the merge base to
    record once the page is written (``base``: region id -> text as now on the page,
    ``UNKNOWN`` for a region known to be written whose text is not)."""

    changes: list[str] = field(default_factory=list)
    drift: list[str] = field(default_factory=list)
    base: dict[str, str] = field(default_factory=dict)


class PageUpgrade(Struct, frozen=True):
    """A page brought to its kind's current template: the new content, what changed, what
    was kept, and the regions' merge base to record. ``content`` is the input, unchanged,
    when there is nothing to write."""

    content: str
    changes: tuple[str, ...] = ()
    drift: tuple[str, ...] = ()
    regions: Mapping[str, str] = field(default_factory=dict)


class _Upgrade(Struct, Generic[Span]):
    doc: RegionDoc[Span]
    desired: Sequence[Desired]
    rows_at: int
    base: Mapping[str, str] | None
    candidates: Mapping[str, Sequence[str]]
    restore: bool
    out: RegionsOutcome = field(default_factory=RegionsOutcome)
    spans: dict[str, Span] = field(default_factory=dict)

    def known(self, region_id: str) -> bool:
        """Written on this page before (so not finding it means a member removed it)."""
        if self.base is not None:
            return region_id in self.base
        return bool(self.candidates.get(region_id))

    def texts(self, region_id: str, current: str) -> list[str]:
        """What the region may look like on the page, most likely first: as last written;
        as the template renders it now (a write whose record was lost); when what was
        written is not known, as earlier versions rendered it."""
        written = (self.base or {}).get(region_id)
        found = [written] if written else []
        found.append(current)
        if not written:
            found += self.candidates.get(region_id, ())
        return [text for text in dict.fromkeys(found) if text]

    def locate_all(self, stale: Sequence[str]) -> dict[str, str]:
        """Locate every region (template order, then those that left the template); the
        text each was found as."""
        found: dict[str, str] = {}
        wanted = [(d.id, d.text) for d in self.desired] + [(i, "") for i in stale]
        for region_id, current in wanted:
            for text in self.texts(region_id, current):
                span = self.doc.locate(text)
                if span is not None:
                    self.spans[region_id], found[region_id] = span, text
                    break
        return found

    def run(self) -> RegionsOutcome:
        wanted = {d.id for d in self.desired}
        stale = [i for i in (self.base or {}) if i not in wanted]
        found = self.locate_all(stale)
        for index, region in enumerate(self.desired):
            if region.id in found:
                self._found(region, found[region.id])
            else:
                self._missing(index)
        for region_id in stale:
            self._left(region_id)
        return self.out

    def _found(self, region: Desired, text: str) -> None:
        if self.doc.canonical(text) != self.doc.canonical(region.text):
            self.spans[region.id] = self.doc.replace(self.spans[region.id], region.text)
            self.out.changes.append(f"section {region.id!r} updated")
        self.out.base[region.id] = region.text

    def _missing(self, index: int) -> None:
        region = self.desired[index]
        known = self.known(region.id)
        headed = bool(region.title) and self.doc.has_heading(region.title)
        if headed and not known:  # a member wrote a section of that title: theirs
            self.out.drift.append(f"section {region.id!r}: a heading {region.title!r} is on "
                                  "the page already: not added")
            return
        if known and (headed or not region.title or not self.restore):
            self.out.base[region.id] = (self.base or {}).get(region.id, UNKNOWN)
            self.out.drift.append(_kept(region, headed))
            return
        self.spans[region.id] = self._insert(index)
        self.out.base[region.id] = region.text
        self.out.changes.append(f"section {region.id!r} added back" if known
                                else f"new section {region.id!r}")

    def _insert(self, index: int) -> Span:
        region = self.desired[index]
        if index < self.rows_at:
            after = next((self.spans[d.id] for d in reversed(self.desired[:index])
                          if d.id in self.spans), None)
            return self.doc.insert(region.text, after, before=False)
        following = next((self.spans[d.id] for d in self.desired[index + 1:]
                          if d.id in self.spans), None)
        return self.doc.insert(region.text, following, before=True)

    def _left(self, region_id: str) -> None:
        """A region whose section is no longer in the template: removed when intact; kept
        and reported when its heading is still on the page (edited)."""
        span = self.spans.get(region_id)
        if span is not None:
            self.doc.remove(span)
            self.out.changes.append(f"section {region_id!r} removed (no longer in the "
                                    "template)")
            return
        written = (self.base or {}).get(region_id, UNKNOWN)
        title = self.doc.heading_of(written) if written else ""
        if title and self.doc.has_heading(title):
            self.out.base[region_id] = written
            self.out.drift.append(f"section {region_id!r} is no longer in the template but "
                                  "was edited on the wiki: kept")


def _kept(region: Desired, headed: bool) -> str:
    """Why a region written before is left as it is: its heading is there, the rest
    edited; it has no heading to tell; or it is gone (a member deleted it)."""
    if headed:
        return f"section {region.id!r} edited on the wiki: kept as it is"
    if not region.title:
        return (f"section {region.id!r} is not on the page as written (edited or deleted on "
                "the wiki): kept as it is")
    return (f"section {region.id!r} is not on the page (deleted on the wiki?): not added "
            "again (`cop provision --upgrade --restore-sections` adds it back)")


def upgrade_regions(doc: RegionDoc[Span], desired: Sequence[Desired], rows_at: int,
                    base: Mapping[str, str] | None,
                    candidates: Mapping[str, Sequence[str]] | None = None, *,
                    restore: bool = False) -> RegionsOutcome:
    """Bring ``doc``'s regions to ``desired`` (template order; the rows come after index
    ``rows_at - 1``). ``base``: what was last written in each region (None: not known;
    then ``candidates`` are texts a region may have been written as, e.g. the shipped
    template's). ``restore``: add back the sections members deleted."""
    return _Upgrade(doc, desired, rows_at, base, candidates or {}, restore).run()


def with_markers(base: Mapping[str, str] | None, marked: Mapping[str, str] | None
                 ) -> Mapping[str, str] | None:
    """The merge base to judge a page by when it still carries markers of an earlier
    version (``marked``: what they told): a region whose markers prove what it was written
    with (its hash still matched) is judged by that -- the page holds it, whatever the
    records say -- every other one by the records' ``base``."""
    if not marked:
        return base
    if base is None:
        return marked
    return {**base, **{region_id: text for region_id, text in marked.items() if text}}


def locate_regions(doc: RegionDoc[Span], desired: Sequence[Desired],
                   base: Mapping[str, str] | None,
                   older: Mapping[str, Sequence[str]]) -> dict[str, Span]:
    """Where each ``desired`` region stands intact on the page: as last written (its merge
    ``base``), as the template renders it now, or as earlier versions rendered it
    (``older``: region id -> texts), the first found."""
    found: dict[str, Span] = {}
    for region in desired:
        written = (base or {}).get(region.id)
        texts = ([written] if written else []) + [region.text, *older.get(region.id, ())]
        for text in texts:
            span = doc.locate(text)
            if span is not None:
                found[region.id] = span
                break
    return found


def rows_at(sections: Sequence[tuple[str, bool]], region_ids: Sequence[str]) -> int:
    """How many of the page's regions come before its rows: ``sections`` are (id, holds the
    rows) in template order, ``region_ids`` the ids that have a region, in order (the rows
    section's own region, its heading, comes before the rows)."""
    rows = next((i for i, (_, holds) in enumerate(sections) if holds), None)
    if rows is None:
        return len(region_ids)
    before = {section_id for section_id, _ in sections[:rows + 1]}
    return sum(1 for region_id in region_ids if region_id in before)


def rows_headings(kind: PageKind) -> set[str]:
    """The headings the rows of ``kind`` stand under, in every language: its own rows
    sections' titles; for a kind placed on another's page (attendance on the seminar page),
    the title of the host's section holding them."""
    sections = [s for s in kind.sections if s.rows and not s.part]
    texts = [s.title for s in sections] + [kind.rows_title]
    return {" ".join(text.split()) for titles in texts for text in titles.values() if text}
