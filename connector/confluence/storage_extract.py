"""Read what members added to a storage-format page, for ``cop template extract`` (see
connector/extract.py): table columns the kind does not define (the charter: keys), headings
with their prose outside the template's regions, and the template's regions they edited."""

from __future__ import annotations

import re
from typing import Any

from bs4 import BeautifulSoup, Tag

from page_templates import PageKind, localize

from ..base import PageContext
from ..extract import FoundField, FoundSection, PageFindings, blocks_to_prose, identifier
from .storage_markers import is_anchor
from .storage_parse import find_charter_table, find_rows_table, read_rows
from .storage_regions import StorageDoc, adopt_legacy, sections_marked
from .storage_render import managed_sections
from .xml_escape import parse_storage, read_cell

_HEADING = re.compile(r"^h[1-6]$")


def extract_page(content: str, kind: PageKind, context: PageContext,
                 legacy: PageKind | None = None) -> PageFindings:
    """The fields and sections members added to the page, and the sections they edited."""
    soup = parse_storage(content)
    if soup is None:
        return PageFindings()
    fields = _fields(soup, kind) if kind.has_rows else ()
    if legacy is not None and not sections_marked(soup):
        adopt_legacy(soup, managed_sections(legacy, context))
    return PageFindings(fields, tuple(_Sections(soup, kind, context.lang).read()))


def _fields(soup: BeautifulSoup, kind: PageKind) -> tuple[FoundField, ...]:
    if kind.single:
        found = find_charter_table(soup, kind)
        pairs = found.pairs if found is not None else []
        return tuple(FoundField(pair.key.header, pair.key.header,
                                tuple(v for v in [read_cell(pair.value).text] if v))
                     for pair in pairs if pair.key.field is None and pair.key.header)
    table, _ = find_rows_table(soup, kind)
    if table is None:
        return ()
    reads = read_rows(table)
    fields = []
    for position, column in enumerate(table.columns):
        if column.field is not None or column.header.startswith("(column"):
            continue
        values = []
        for read in reads:
            cells = [c for c in read.row.find_all(["td", "th"], recursive=False)]
            text = read_cell(cells[position]).text if position < len(cells) else ""
            if text:
                values.append(text)
        fields.append(FoundField(column.header, column.header, tuple(values)))
    return tuple(fields)


class _Sections:
    """Walk the page's top-level blocks: regions (edited ones are read), headings members
    added and the prose under them, in order."""

    def __init__(self, soup: BeautifulSoup, kind: PageKind, lang: str) -> None:
        self.soup, self.kind, self.lang = soup, kind, lang
        self.taken = {s.id for s in kind.sections}
        self.titles = {localize(s.title, lang): s.id for s in kind.sections if s.title}
        self.found: list[FoundSection] = []
        self.last: str | None = None

    def read(self) -> list[FoundSection]:
        doc = StorageDoc(self.soup, {}, "")
        regions = doc.regions()
        starts = {id(nodes[0]): (region_id, nodes) for region_id in regions
                  if (nodes := doc.span_nodes(region_id))}
        title: str | None = None
        blocks: list[Tag] = []
        skip: set[int] = set()
        for node in list(self.soup.contents):
            if id(node) in skip or not isinstance(node, Tag):
                continue
            if id(node) in starts or _HEADING.match(node.name):
                self._close(title, blocks)
                title, blocks = None, []
            if id(node) in starts:
                region_id, nodes = starts[id(node)]
                skip |= {id(n) for n in nodes}
                if not regions[region_id].intact:
                    self._edited(region_id, [n for n in nodes if isinstance(n, Tag)])
                self.last = region_id
            elif _HEADING.match(node.name):
                title = node.get_text().strip()
            elif title is not None:
                blocks.append(node)
        self._close(title, blocks)
        return self.found

    def _close(self, title: str | None, blocks: list[Tag]) -> None:
        if not title:
            return
        paragraphs, bullets = _prose(blocks)
        known = self.titles.get(title)
        if known is not None:  # a template section whose anchors are gone: edited
            self.found.append(FoundSection(known, False, "", paragraphs, bullets, self.last))
            self.last = known
            return
        section_id = identifier(title, self.taken, prefix="section")
        self.found.append(FoundSection(section_id, True, title, paragraphs, bullets,
                                       self.last))
        self.last = section_id

    def _edited(self, region_id: str, nodes: list[Tag]) -> None:
        headings = [n for n in nodes if _HEADING.match(n.name)]
        title = headings[0].get_text().strip() if headings else ""
        section = next((s for s in self.kind.sections if s.id == region_id), None)
        shipped_title = localize(section.title, self.lang) if section and section.title else ""
        title = title if title != shipped_title else ""
        prose_only = section is None or section.rows or section.help or section.index
        paragraphs, bullets = ((), ()) if prose_only else _prose(
            [n for n in nodes if not _HEADING.match(n.name)])
        if title or paragraphs or bullets:
            self.found.append(FoundSection(region_id, False, title, paragraphs, bullets,
                                           self.last))


def _prose(blocks: list[Tag]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Paragraphs (``<p>``) and bullets (``<ul>``/``<ol>`` items) of a run of blocks; tables,
    macros and anchors are left out."""
    found: list[tuple[str, list[str]]] = []
    for block in blocks:
        if block.name == "p" and not any(is_anchor(m) for m in block.find_all(True)):
            found.append(("p", [_text(block)]))
        elif block.name in ("ul", "ol"):
            found.append(("ul", [_text(item) for item in block.find_all("li")]))
    return blocks_to_prose(found)


def _text(node: Any) -> str:
    return " ".join(read_cell(node).text.split())
