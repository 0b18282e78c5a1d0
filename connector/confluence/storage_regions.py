"""Upgrade a storage-format page to its kind's current template, region by region.

Regions are the runs of sibling blocks between a ``cop-section-<id>-<hash>`` anchor's
paragraph and the ``cop-end-<id>`` one (see storage_markers); they are replaced, removed or
inserted in the parsed page (BeautifulSoup), which is then written back (``write_back``,
see storage_source): what the upgrade did not change, byte for byte as it was written;
the new and changed parts with the storage escaping. Besides the regions, an upgrade
brings the rows table's header row and the charter's keys to the template
(storage_columns); the cells members filled are not touched.

A page made before markers existed (no section anchor at all) is first *adopted*: each
section's blocks as the shipped template rendered them are looked for, in order, among the
page's top-level blocks (compared in canonical form, which survives the editor's rewriting);
found, they get anchors around them; not found, the section was edited and is reported.
"""

from __future__ import annotations

import re
from typing import Any

from bs4 import BeautifulSoup, Tag

from page_templates import PageKind, localize, template_version
from page_templates.ui import ui_text

from ..base import PageContext
from ..regions import Desired, Found, PageUpgrade, region_hash, rows_at, upgrade_regions
from .storage_canonical import canonical_nodes, canonical_storage
from .storage_columns import upgrade_columns
from .storage_markers import (
    BEGIN,
    END,
    VERSION,
    anchor,
    anchor_name,
    fragment,
    is_anchor,
    region,
    region_intact,
    version_name,
)
from .storage_render import PAGES_REGION, managed_sections
from .xml_escape import parse_storage, write_back

_CONTAINERS = {"[document]", "ac:layout-cell", "ac:rich-text-body", "div"}
_HEADINGS = re.compile(r"^h[1-6]$")


def upgrade_page(content: str, kind: PageKind, context: PageContext,
                 legacy: PageKind | None = None) -> PageUpgrade:
    """``content`` brought to ``kind``'s template (see connector.regions); ``legacy``: the
    kind as rendered before markers, to adopt the sections of such a page."""
    soup = parse_storage(content, keep_source=True)
    if soup is None:
        return PageUpgrade(content, drift=("the page cannot be parsed: not upgraded",))
    changes: list[str] = []
    drift: list[str] = []
    skip: frozenset[str] = frozenset()
    if legacy is not None and not sections_marked(soup):
        skip, drift, adopted = adopt_legacy(soup, managed_sections(legacy, context))
        if adopted:
            changes.append("markers added around the sections as provisioned")
    sections = managed_sections(kind, context)
    doc = StorageDoc(soup, {i: region(i, markup) for i, markup in sections},
                     version_name(kind))
    desired = [Desired(i, canonical_storage(markup), _title(kind, i, context.lang))
               for i, markup in sections]
    holds = [(s.id, kind.holds_rows(s)) for s in kind.sections]
    notes = upgrade_regions(doc, desired, rows_at(holds, [i for i, _ in sections]),
                            template_version(kind), skip)
    changes += notes.changes
    for row_set in kind.row_sets():
        changes += upgrade_columns(soup, row_set, context.lang)
    if not changes:
        return PageUpgrade(content, drift=(*drift, *notes.drift))
    return PageUpgrade(write_back(soup), tuple(changes), (*drift, *notes.drift))


def _title(kind: PageKind, region_id: str, lang: str) -> str:
    if region_id == PAGES_REGION:
        return ui_text("confluence_pages", lang, kind.ui)
    section = next(s for s in kind.sections if s.id == region_id)
    return localize(section.title, lang) if section.title else ""


def _anchors(soup: BeautifulSoup) -> list[tuple[Tag, str]]:
    return [(m, anchor_name(m)) for m in soup.find_all(["ac:structured-macro", "ac:macro"])
            if is_anchor(m)]


def sections_marked(soup: BeautifulSoup) -> bool:
    """Whether the page has any section anchor (pages from before markers have none)."""
    return any(BEGIN.match(name) for _, name in _anchors(soup))


def _block(node: Tag) -> Tag | None:
    """The block holding ``node`` among its container's children (None when lost)."""
    current: Any = node
    while current.parent is not None and current.parent.name not in _CONTAINERS:
        current = current.parent
    return current if current.parent is not None else None


# --- pages from before markers ------------------------------------------------------------------

def adopt_legacy(soup: BeautifulSoup, sections: list[tuple[str, str]]
                 ) -> tuple[frozenset[str], list[str], bool]:
    """Anchors around each section found as a run of top-level blocks, in order; the ids
    not found, a note for each, and whether any was adopted."""
    blocks = [(tag, text) for tag in soup.contents if isinstance(tag, Tag)
              for text in [canonical_nodes([tag])] if text]
    position, missing, notes = 0, set(), []
    for section_id, markup in sections:
        want = [text for node in fragment(markup) if (text := canonical_nodes([node]))]
        at = next((i for i in range(position, len(blocks) - len(want) + 1)
                   if [text for _, text in blocks[i:i + len(want)]] == want), -1)
        if at < 0 or not want:
            missing.add(section_id)
            notes.append(f"section {section_id!r} differs from what cop-connector "
                         "provisioned (edited on the wiki?): kept as it is")
            continue
        first, last = blocks[at][0], blocks[at + len(want) - 1][0]
        digest = region_hash(canonical_nodes([tag for tag, _ in blocks[at:at + len(want)]]))
        (begin,) = fragment(anchor(f"cop-section-{section_id}-{digest}"))
        (end,) = fragment(anchor(f"cop-end-{section_id}"))
        first.insert_before(begin)
        last.insert_after(end)
        position = at + len(want)
    return frozenset(missing), notes, position > 0


# --- the regions ---------------------------------------------------------------------------------

class StorageDoc:
    """connector.regions.RegionDoc over a parsed storage-format page."""

    def __init__(self, soup: BeautifulSoup, markup: dict[str, str], version: str) -> None:
        self.soup = soup
        self.markup = markup  # id -> the region as the template renders it, anchors included
        self.version = version  # the version anchor's name

    def _markers(self) -> dict[str, tuple[list[tuple[Tag | None, str]], list[Tag | None]]]:
        found: dict[str, tuple[list[tuple[Tag | None, str]], list[Tag | None]]] = {}
        for macro, name in _anchors(self.soup):
            begin, end = BEGIN.match(name), END.match(name)
            if begin:
                found.setdefault(begin["id"], ([], []))[0].append((_block(macro),
                                                                    begin["hash"]))
            elif end:
                found.setdefault(end["id"], ([], []))[1].append(_block(macro))
        return found

    def _span(self, region_id: str) -> list[Any] | None:
        """The region's nodes, its anchors' paragraphs included; None when damaged."""
        begins, ends = self._markers()[region_id]
        if len(begins) != 1 or len(ends) != 1:
            return None
        first, last = begins[0][0], ends[0]
        if first is None or last is None or first.parent is not last.parent:
            return None
        nodes: list[Any] = [first]
        for node in first.next_siblings:
            nodes.append(node)
            if node is last:
                return nodes
        return None

    def span_nodes(self, region_id: str) -> list[Any] | None:
        """The region's nodes (its anchors' paragraphs included), None when damaged."""
        return self._span(region_id)

    def regions(self) -> dict[str, Found]:
        found = {}
        for region_id, (begins, _) in self._markers().items():
            nodes = self._span(region_id)
            if nodes is None:
                found[region_id] = Found(region_id, False, "", damaged=(
                    "has lost an anchor, has one twice or is split"))
                continue
            found[region_id] = Found(region_id, region_intact(nodes, begins[0][1]),
                                     canonical_nodes(nodes))
        return found

    def _nodes(self, region_id: str) -> list[Any]:
        nodes = self._span(region_id)
        assert nodes is not None  # only intact regions are changed or used as anchors
        return nodes

    def replace(self, region_id: str) -> None:
        nodes = self._nodes(region_id)
        for new in fragment(self.markup[region_id]):
            nodes[0].insert_before(new)
        for node in nodes:
            node.extract()

    def remove(self, region_id: str) -> None:
        for node in self._nodes(region_id):
            node.extract()

    def insert(self, region_id: str, anchor_id: str | None, *, before: bool) -> None:
        new = fragment(self.markup[region_id])
        if anchor_id is not None and before:
            first = self._nodes(anchor_id)[0]
            for node in new:
                first.insert_before(node)
            return
        if anchor_id is not None:
            last = self._nodes(anchor_id)[-1]
        elif not before:
            last = next((_block(m) for m, name in _anchors(self.soup) if VERSION.match(name)),
                        None)
        else:
            last = None
        if last is None and not before:
            for position, node in enumerate(new):
                self.soup.insert(position, node)
            return
        for node in new:
            if last is None:
                self.soup.append(node)
            else:
                last.insert_after(node)
                last = node

    def has_heading(self, title: str) -> bool:
        """A heading ``title`` members wrote: outside the regions, or inside one they
        edited (the template's own headings are in the intact ones)."""
        inside = {id(node) for region_id, found in self.regions().items() if found.intact
                  for node in (self._span(region_id) or [])}
        for heading in self.soup.find_all(_HEADINGS):
            if heading.get_text().strip() == title and not any(
                    id(node) in inside for node in [heading, *heading.parents]):
                return True
        return False

    def set_version(self, version: str) -> bool:
        for macro, name in _anchors(self.soup):
            if VERSION.match(name):
                if name == self.version:
                    return False
                parameter = macro.find("ac:parameter")
                assert isinstance(parameter, Tag)  # anchor_name found the name in it
                parameter.string = self.version
                return True
        for position, node in enumerate(fragment(anchor(self.version))):
            self.soup.insert(position, node)
        return True
