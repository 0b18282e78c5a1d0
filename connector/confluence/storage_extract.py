"""Read what members added to a storage-format page, for ``cop template extract`` (see
connector/extract.py): table columns the kind does not define (the charter: keys), headings
with their prose outside the template's regions, and the template's regions they edited."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
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
)
from ..regions import with_markers
from .storage_markers import is_anchor, strip_anchors
from .storage_parse import find_charter_table, find_rows_table, read_rows
from .storage_regions import BlockDoc, Span, locate_regions
from .xml_escape import parse_storage, read_cell

_HEADING = re.compile(r"^h[1-6]$")


def extract_page(content: str, kind: PageKind, context: PageContext,
                 base: Mapping[str, str] | None = None,
                 legacy: PageKind | None = None) -> PageFindings:
    """The fields and sections members added to the page, and the sections they edited:
    ``base`` is what was last written in each region (None: not known), ``legacy`` the
    kind as earlier versions rendered it."""
    soup = parse_storage(content)
    if soup is None:
        return PageFindings()
    fields = _fields(soup, kind) if kind.has_rows else ()
    marked = strip_anchors(soup)
    doc = BlockDoc(soup)
    spans = locate_regions(doc, kind, context, with_markers(base, marked), legacy)
    return PageFindings(fields, tuple(_Sections(soup, kind, context.lang, spans).read()))


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
    """Walk the page's top-level blocks: intact regions (the template's), headings members
    added or kept from a template section they edited, and the prose under them, in
    order."""

    def __init__(self, soup: BeautifulSoup, kind: PageKind, lang: str,
                 spans: Mapping[str, Span]) -> None:
        super().__init__(kind, lang, frozenset(spans))
        self.soup = soup
        self.starts = {id(nodes[0]): (region_id, nodes) for region_id, nodes in spans.items()}

    def read(self) -> list[FoundSection]:
        title: str | None = None
        blocks: list[Tag] = []
        skip: set[int] = set()
        for node in list(self.soup.contents):
            if id(node) in skip or not isinstance(node, Tag):
                continue
            if id(node) in self.starts or _HEADING.match(node.name):
                self.close(title, blocks)
                title, blocks = None, []
            if id(node) in self.starts:
                region_id, nodes = self.starts[id(node)]
                skip |= {id(n) for n in nodes}
                self.last = region_id
            elif _HEADING.match(node.name):
                title = node.get_text().strip()
            else:
                blocks.append(node)
        self.close(title, blocks)
        return self.found

    def prose(self, blocks: Sequence[Tag]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return _prose(list(blocks))


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
