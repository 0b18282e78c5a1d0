"""Upgrade a storage-format page to its kind's current template, region by region.

A region is a section's managed markup (heading, prose, help, page index) as cop-connector
rendered it; pages carry no marker (see connector/regions.py). A region is found by the
markup last written there (the merge base the records keep), as a run of sibling blocks
-- at the top of the page, or in a layout cell, a macro body or a ``<div>`` a member moved
it into -- compared block by block in canonical form (storage_canonical: what the editors
rewrite on save does not count), empty paragraphs between them not counting.
Regions are replaced, removed or inserted in the parsed page (BeautifulSoup), which is
then written back (``write_back``): what the upgrade did not change, byte for byte as it
was written. Besides the regions, an upgrade brings the rows table's header row and the
charter's keys to the template (storage_columns); the cells members filled are not touched.

A page from an earlier version still carries anchor macros: they are taken off first
(storage_markers.strip_anchors), and what they told becomes the merge base.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bs4 import BeautifulSoup, Tag

from page_templates import PageKind, localize
from page_templates.ui import ui_text

from ..base import PageContext
from ..regions import Desired, PageUpgrade, rows_at, upgrade_regions, with_markers
from .storage_canonical import canonical_nodes, canonical_storage
from .storage_columns import upgrade_columns
from .storage_markers import fragment, strip_anchors
from .storage_render import PAGES_REGION, managed_sections
from .xml_escape import parse_storage, write_back

_CONTAINERS = {"[document]", "ac:layout-cell", "ac:rich-text-body", "div"}
_HEADINGS = re.compile(r"^h[1-6]$")

Span = tuple[Any, ...]  # the sibling nodes of a region, first to last


def _form(node: Any) -> str:
    """A block as compared ('' for what does not count: white space, empty paragraphs):
    storage_canonical's form, the one function that knows what the editors rewrite."""
    return canonical_nodes([node])


class BlockDoc:
    """connector.regions.RegionDoc over a parsed storage-format page."""

    def __init__(self, soup: BeautifulSoup) -> None:
        self.soup = soup
        self.taken: list[Span] = []

    def canonical(self, text: str) -> str:
        return canonical_storage(text)

    def heading_of(self, text: str) -> str:
        soup = parse_storage(text)
        heading = soup.find(_HEADINGS) if soup is not None else None
        return heading.get_text().strip() if isinstance(heading, Tag) else ""

    def _taken_ids(self) -> set[int]:
        return {id(node) for span in self.taken for node in span}

    def _containers(self) -> list[Any]:
        return [self.soup, *(tag for tag in self.soup.find_all(True)
                             if tag.name in _CONTAINERS)]

    def locate(self, text: str) -> Span | None:
        want = [form for node in fragment(text) if (form := _form(node))]
        if not want:
            return None
        taken = self._taken_ids()
        for container in self._containers():
            if id(container) in taken or any(id(p) in taken for p in container.parents):
                continue
            blocks = [(node, form) for node in container.contents
                      if isinstance(node, Tag) and (form := _form(node))]
            for start in range(len(blocks) - len(want) + 1):
                run = blocks[start:start + len(want)]
                if [form for _, form in run] == want and \
                        not any(id(node) in taken for node, _ in run):
                    return self._take(self._siblings(run[0][0], run[-1][0]))
        return None

    @staticmethod
    def _siblings(first: Any, last: Any) -> list[Any]:
        nodes = [first]
        if first is not last:
            for node in first.next_siblings:
                nodes.append(node)
                if node is last:
                    break
        return nodes

    def _take(self, nodes: list[Any], old: Span | None = None) -> Span:
        if old is not None:
            self.taken.remove(old)
        span = tuple(nodes)
        self.taken.append(span)
        return span

    def replace(self, span: Span, text: str) -> Span:
        new = fragment(text)
        for node in new:
            span[0].insert_before(node)
        for node in span:
            node.extract()
        return self._take(new, span)

    def remove(self, span: Span) -> None:
        for node in span:
            node.extract()
        self.taken.remove(span)

    def insert(self, text: str, anchor: Span | None, *, before: bool) -> Span:
        new = fragment(text)
        if anchor is not None and before:
            for node in new:
                anchor[0].insert_before(node)
        elif anchor is not None:
            last = anchor[-1]
            for node in new:
                last.insert_after(node)
                last = node
        elif before:  # at the end of the page
            for node in new:
                self.soup.append(node)
        else:  # at the top of the page
            for position, node in enumerate(new):
                self.soup.insert(position, node)
        return self._take(new)

    def has_heading(self, title: str) -> bool:
        taken = self._taken_ids()
        return any(heading.get_text().strip() == title and
                   not any(id(node) in taken for node in [heading, *heading.parents])
                   for heading in self.soup.find_all(_HEADINGS))


def desired_regions(kind: PageKind, context: PageContext) -> list[Desired]:
    """The page's regions as the template renders them now, in order."""
    return [Desired(i, markup, _title(kind, i, context.lang))
            for i, markup in managed_sections(kind, context)]


def legacy_candidates(legacy: PageKind | None, context: PageContext
                      ) -> dict[str, list[str]]:
    """Region id -> its markup as ``legacy`` (the shipped kind) rendered it."""
    if legacy is None:
        return {}
    return {i: [markup] for i, markup in managed_sections(legacy, context)}


def _all_candidates(kind: PageKind, context: PageContext,
                    legacy: PageKind | None) -> dict[str, list[str]]:
    candidates = legacy_candidates(legacy, context)
    for i, markup in managed_sections(kind, context):
        candidates.setdefault(i, []).append(markup)
    return candidates


def upgrade_page(content: str, kind: PageKind, context: PageContext,
                 base: Mapping[str, str] | None = None, legacy: PageKind | None = None,
                 *, restore: bool = False) -> PageUpgrade:
    """``content`` brought to ``kind``'s template (see connector.regions): ``base`` is what
    was last written in each region (None: not known), ``legacy`` the kind as rendered by
    earlier versions (the shipped one), ``restore`` adds back sections members deleted."""
    soup = parse_storage(content, keep_source=True)
    if soup is None:
        return PageUpgrade(content, drift=("the page cannot be parsed: not upgraded",))
    marked = strip_anchors(soup, _all_candidates(kind, context, legacy))
    changes = ["markers taken off the page"] if write_back(soup) != content else []
    base = with_markers(base, marked)
    desired = desired_regions(kind, context)
    holds = [(s.id, kind.holds_rows(s)) for s in kind.sections]
    outcome = upgrade_regions(BlockDoc(soup), desired,
                              rows_at(holds, [d.id for d in desired]), base,
                              legacy_candidates(legacy, context), restore=restore)
    changes += outcome.changes
    for row_set in kind.row_sets():
        changes += upgrade_columns(soup, row_set, context.lang)
    if not changes:
        return PageUpgrade(content, drift=tuple(outcome.drift), regions=outcome.base)
    return PageUpgrade(write_back(soup), tuple(changes), tuple(outcome.drift), outcome.base)


def remove_markers(content: str, kind: PageKind, context: PageContext,
                   legacy: PageKind | None = None) -> PageUpgrade:
    """``content`` without the anchors of earlier versions, nothing else changed; the merge
    base they give (empty when the page has none)."""
    soup = parse_storage(content, keep_source=True)
    if soup is None:
        return PageUpgrade(content)
    marked = strip_anchors(soup, _all_candidates(kind, context, legacy))
    stripped = write_back(soup)
    if stripped == content:
        return PageUpgrade(content, regions=marked or {})
    return PageUpgrade(stripped, ("markers taken off the page",), regions=marked or {})


def locate_regions(doc: BlockDoc, kind: PageKind, context: PageContext,
                   base: Mapping[str, str] | None, legacy: PageKind | None
                   ) -> dict[str, Span]:
    """Where each region stands intact on the page (as last written, as the template
    renders it now, or as earlier versions rendered it)."""
    older = legacy_candidates(legacy, context)
    found: dict[str, Span] = {}
    for region in desired_regions(kind, context):
        written = (base or {}).get(region.id)
        texts = ([written] if written else []) + [region.text, *older.get(region.id, ())]
        for text in texts:
            span = doc.locate(text)
            if span is not None:
                found[region.id] = span
                break
    return found


def page_regions(kind: PageKind, context: PageContext) -> dict[str, str]:
    """Region id -> its markup, as a new page of ``kind`` is written (its first merge
    base)."""
    return dict(managed_sections(kind, context))


def _title(kind: PageKind, region_id: str, lang: str) -> str:
    if region_id == PAGES_REGION:
        return ui_text("confluence_pages", lang, kind.ui)
    section = next(s for s in kind.sections if s.id == region_id)
    return localize(section.title, lang) if section.title else ""
