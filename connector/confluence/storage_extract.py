"""Read what members added to a storage-format page, for ``cop template extract`` (see
connector/extract.py): table columns the kind does not define (the charter: keys), headings
with their prose outside the template's regions, and the template's regions they edited."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from bs4 import BeautifulSoup, Tag

from page_templates import PageKind

from ..base import PageContext
from ..extract import (
    FoundField,
    FoundSection,
    PageFindings,
    SectionCollector,
    blocks_to_prose,
    split_at_headings,
)
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
        if column.field is not None or column.numbering or column.header.startswith("(column"):
            continue
        values = []
        for read in reads:
            cells = [c for c in read.row.find_all(["td", "th"], recursive=False)]
            text = read_cell(cells[position]).text if position < len(cells) else ""
            if text:
                values.append(text)
        fields.append(FoundField(column.header, column.header, tuple(values)))
    return tuple(fields)


class _Sections(SectionCollector[Tag]):
    """Walk the page's top-level blocks: regions (edited ones are read), headings members
    added and the prose under them, in order."""

    def __init__(self, soup: BeautifulSoup, kind: PageKind, lang: str) -> None:
        super().__init__(kind, lang)
        self.soup = soup

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
                self.close(title, blocks)
                title, blocks = None, []
            if id(node) in starts:
                region_id, nodes = starts[id(node)]
                skip |= {id(n) for n in nodes}
                if regions[region_id].intact:
                    self.last = region_id
                else:
                    self.edited(region_id, _runs([n for n in nodes if isinstance(n, Tag)]))
            elif _HEADING.match(node.name):
                title = node.get_text().strip()
            elif title is not None:
                blocks.append(node)
        self.close(title, blocks)
        return self.found

    def prose(self, blocks: Sequence[Tag]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return _prose(list(blocks))


def _runs(nodes: list[Tag]) -> list[tuple[str | None, list[Tag]]]:
    return split_at_headings(
        nodes, lambda node: node.get_text().strip() if _HEADING.match(node.name) else None)


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
