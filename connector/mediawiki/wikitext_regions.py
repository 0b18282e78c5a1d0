"""Upgrade a wikitext page to its kind's current template, region by region.

A region is a section's managed text (heading, prose, help, page index) as cop-connector
rendered it; pages carry no marker (see connector/regions.py). A region is found by the
text last written there (the merge base the records keep), as whole lines: its non-blank
lines, in order, each compared without trailing white space, blank lines between them not
counting (what the editors and MediaWiki change without meaning it). Lines are replaced,
removed or inserted as a whole; every other line -- rows, members' prose, their headings,
comments -- stays byte for byte.

A page from an earlier version still carries comment markers: they are taken off first
(wikitext_markers), and what they told becomes the merge base.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from msgspec import Struct

from page_templates import PageKind, localize

from ..base import PageContext
from ..regions import Desired, PageUpgrade, rows_at, upgrade_regions, with_markers
from ..regions import locate_regions as find_regions
from .wikitext_markers import strip_markers
from .wikitext_render import section_text
from .wikitext_text import parse_wikitext, plain_text

_HEADING = re.compile(r"^(={1,6})(.+?)\1\s*$")


class Line:
    """One line of the page; regions hold lines by identity, so edits elsewhere keep them."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


class LineSpan(Struct, frozen=True):
    first: Line
    last: Line


def canonical(text: str) -> str:
    """What is compared: the non-blank lines, without trailing white space."""
    return "\n".join(line.rstrip() for line in text.split("\n") if line.strip())


def heading_text(line: str) -> str | None:
    """The text a heading line shows, None for any other line."""
    match = _HEADING.match(line.rstrip())
    if match is None:
        return None
    code = parse_wikitext(match.group(2))
    return plain_text(code).strip() if code is not None else match.group(2).strip()


class LineDoc:
    """connector.regions.RegionDoc over the lines of a page."""

    def __init__(self, content: str) -> None:
        self.lines = [Line(text) for text in content.split("\n")]
        self.taken: list[LineSpan] = []

    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    def canonical(self, text: str) -> str:
        return canonical(text)

    def heading_of(self, text: str) -> str:
        return next((found for line in text.split("\n")
                     if (found := heading_text(line)) is not None), "")

    def _index(self, line: Line) -> int:
        return next(i for i, candidate in enumerate(self.lines) if candidate is line)

    def indexes(self, span: LineSpan) -> range:
        return range(self._index(span.first), self._index(span.last) + 1)

    def _taken_lines(self) -> set[int]:
        return {id(self.lines[i]) for span in self.taken for i in self.indexes(span)}

    def locate(self, text: str) -> LineSpan | None:
        want = canonical(text).split("\n") if canonical(text) else []
        if not want:
            return None
        taken = self._taken_lines()
        filled = [line for line in self.lines if line.text.strip()]
        for start in range(len(filled) - len(want) + 1):
            if filled[start].text.rstrip() != want[0]:
                continue
            run = filled[start:start + len(want)]
            if all(id(line) not in taken and line.text.rstrip() == wanted
                   for line, wanted in zip(run, want, strict=True)):
                span = LineSpan(run[0], run[-1])
                self.taken.append(span)
                return span
        return None

    def _new(self, text: str) -> list[Line]:
        return [Line(line) for line in text.split("\n")]

    def _take(self, lines: list[Line], old: LineSpan | None = None) -> LineSpan:
        if old is not None:
            self.taken.remove(old)
        span = LineSpan(lines[0], lines[-1])
        self.taken.append(span)
        return span

    def replace(self, span: LineSpan, text: str) -> LineSpan:
        where = self.indexes(span)
        new = self._new(text)
        self.lines[where.start:where.stop] = new
        return self._take(new, span)

    def remove(self, span: LineSpan) -> None:
        where = self.indexes(span)
        del self.lines[where.start:where.stop]
        self.taken.remove(span)
        at = where.start
        if at < len(self.lines) and not self.lines[at].text.strip() and (
                at == 0 or not self.lines[at - 1].text.strip()):
            del self.lines[at]  # no blank line doubled where the region was

    def insert(self, text: str, anchor: LineSpan | None, *, before: bool) -> LineSpan:
        new = self._new(text)
        if anchor is not None:
            at = self._index(anchor.first) if before else self._index(anchor.last) + 1
        elif before:  # at the end of the page, before its trailing blank lines
            filled = [i for i, line in enumerate(self.lines) if line.text.strip()]
            at = filled[-1] + 1 if filled else 0
        else:
            at = 0
        lead = [Line("")] if at > 0 and self.lines[at - 1].text.strip() else []
        tail = [Line("")] if at < len(self.lines) and self.lines[at].text.strip() else []
        self.lines[at:at] = [*lead, *new, *tail]
        return self._take(new)

    def has_heading(self, title: str) -> bool:
        taken = self._taken_lines()
        return any(heading_text(line.text) == title for line in self.lines
                   if id(line) not in taken)


def desired_regions(kind: PageKind, context: PageContext) -> list[Desired]:
    """The page's regions as the template renders them now, in order."""
    return [Desired(s.id, text, localize(s.title, context.lang) if s.title else "")
            for s in kind.sections if (text := section_text(kind, s, context))]


def legacy_candidates(legacy: PageKind | None, context: PageContext
                      ) -> dict[str, list[str]]:
    """Region id -> its text as ``legacy`` (the shipped kind) rendered it."""
    if legacy is None:
        return {}
    return {region.id: [region.text] for region in desired_regions(legacy, context)}


def _renderings(kind: PageKind, context: PageContext, legacy: PageKind | None
                ) -> dict[str, list[str]]:
    """Region id -> the texts it may have been written with (as earlier versions and as
    the template now render it): a marker's hash recovers which one."""
    candidates = legacy_candidates(legacy, context)
    for region in desired_regions(kind, context):
        candidates.setdefault(region.id, []).append(region.text)
    return candidates


def upgrade_page(content: str, kind: PageKind, context: PageContext,
                 base: Mapping[str, str] | None = None, legacy: PageKind | None = None,
                 *, restore: bool = False) -> PageUpgrade:
    """``content`` brought to ``kind``'s template (see connector.regions): ``base`` is what
    was last written in each region (None: not known), ``legacy`` the kind as rendered by
    earlier versions (the shipped one), ``restore`` adds back sections members deleted."""
    if parse_wikitext(content) is None:
        return PageUpgrade(content, drift=("the page cannot be parsed: not upgraded",))
    desired = desired_regions(kind, context)
    stripped, marked = strip_markers(content, _renderings(kind, context, legacy))
    changes = ["markers taken off the page"] if stripped != content else []
    base = with_markers(base, marked)
    doc = LineDoc(stripped)
    sections = [(s.id, kind.holds_rows(s)) for s in kind.sections]
    outcome = upgrade_regions(doc, desired, rows_at(sections, [d.id for d in desired]),
                              base, legacy_candidates(legacy, context), restore=restore)
    new = doc.text()
    if new == content:
        return PageUpgrade(content, drift=tuple(outcome.drift), regions=outcome.base)
    return PageUpgrade(new, (*changes, *outcome.changes), tuple(outcome.drift), outcome.base)


def remove_markers(content: str, kind: PageKind, context: PageContext,
                   legacy: PageKind | None = None) -> PageUpgrade:
    """``content`` without the markers of earlier versions, nothing else changed; the merge
    base they give (empty when the page has none)."""
    stripped, marked = strip_markers(content, _renderings(kind, context, legacy))
    if stripped == content:
        return PageUpgrade(content, regions=marked or {})
    return PageUpgrade(stripped, ("markers taken off the page",), regions=marked or {})


def locate_regions(doc: LineDoc, kind: PageKind, context: PageContext,
                   base: Mapping[str, str] | None, legacy: PageKind | None
                   ) -> dict[str, LineSpan]:
    """Where each region stands intact on the page (as last written, as the template
    renders it now, or as earlier versions rendered it)."""
    return find_regions(doc, desired_regions(kind, context), base,
                        legacy_candidates(legacy, context))


def page_regions(kind: PageKind, context: PageContext) -> dict[str, str]:
    """Region id -> its text, as a new page of ``kind`` is written (its first merge base)."""
    return {region.id: region.text for region in desired_regions(kind, context)}
