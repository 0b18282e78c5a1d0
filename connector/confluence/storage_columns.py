"""The rows table's header row and the charter's keys, brought to the template by an
upgrade (see storage_regions): labels renamed, a column added at the end for a new field
with an empty cell in every existing row, a key row added to the charter's Page Properties
table, the empty table of a kind placed on the page by a new section (the Watch page's
sources). Cells members filled are never touched; a column of a field that left the template
stays (it holds members' data)."""

from __future__ import annotations

from bs4 import BeautifulSoup, NavigableString, Tag

from page_templates import FieldDef, PageKind, localize

from .storage_markers import fragment
from .storage_parse import (
    Column,
    RowsTable,
    append_to_section,
    find_charter_table,
    find_rows_table,
    own_cells,
    rows_heading_tags,
    span,
)
from .storage_render import render_table
from .storage_table import add_column_width, pairs_style, table_style
from .xml_escape import read_cell


def upgrade_columns(soup: BeautifulSoup, kind: PageKind, lang: str) -> list[str]:
    """Header cells renamed to the current labels, a column added for each field the table
    lacks (an empty cell in every existing row); for the charter, its keys. What changed."""
    if not kind.has_rows:
        return []
    if kind.single:
        return _charter_keys(soup, kind, lang)
    table, _ = find_rows_table(soup, kind)
    if table is None:
        return _part_table(soup, kind, lang)
    changes = []
    for definition in kind.fields:
        label = localize(definition.label, lang)
        position = table.column_of(definition.name)
        if position is None:
            _add_column(table, definition, lang)
            changes.append(f"column {label!r} added")
            continue
        cell = _header_cell(table.header, position)
        if cell is not None and read_cell(cell).text != label:
            changes.append(f"column {read_cell(cell).text!r} renamed {label!r}")
            _set_text(cell, label)
    return changes


def _part_table(soup: BeautifulSoup, kind: PageKind, lang: str) -> list[str]:
    """A kind placed on another's page whose section an upgrade brought (the Watch page's
    sources) gets its empty table at the end of that section: on Confluence, members add
    rows to a table, so the section is of no use without one."""
    headings = rows_heading_tags(soup, kind) if kind.host else []
    if not headings:
        return []
    (element,) = fragment(render_table(kind, [], lang))
    append_to_section(soup, headings[0], element)
    return [f"table of the {localize(kind.row_label, lang) or kind.kind} rows added"]


def _add_column(table: RowsTable, definition: FieldDef, lang: str) -> None:
    """A header cell at the end of the header row, and an empty cell under it in every row
    (short rows padded first, so the new cell sits under its header), written like the
    table's own (storage_table)."""
    style = table_style(table)
    label = localize(definition.label, lang)
    (header,) = fragment(style.header(label))
    table.header.append(header)
    table.columns.append(Column(label, definition))
    add_column_width(table)
    width = len(table.columns)
    for row in table.rows:
        cells = sum(span(cell, "colspan") for cell in own_cells(row))
        for _ in range(width - cells):
            row.append(fragment(style.cell(""))[0])


def _header_cell(row: Tag, position: int) -> Tag | None:
    at = 0
    for cell in own_cells(row):
        if at == position:
            return cell
        at += span(cell, "colspan")
    return None


def _set_text(cell: Tag, text: str) -> None:
    """A header cell's text replaced, its element (and a lone paragraph in it) kept."""
    paragraphs = [c for c in cell.contents if isinstance(c, Tag)]
    target = paragraphs[0] if len(paragraphs) == 1 and paragraphs[0].name == "p" else cell
    target.clear()
    target.append(NavigableString(text))


def _charter_keys(soup: BeautifulSoup, kind: PageKind, lang: str) -> list[str]:
    found = find_charter_table(soup, kind)
    if found is None:
        return []
    changes = []
    for definition in kind.fields:
        label = localize(definition.label, lang)
        pair = found.pair_of(definition.name)
        if pair is None:
            style = pairs_style(found)
            (row,) = fragment(f"<tr>{style.header(label)}{style.cell('')}</tr>")
            last = found.pairs[-1].row if found.pairs else None
            if last is not None:
                last.insert_after(row)
            else:
                (found.table.find("tbody") or found.table).append(row)
            found = find_charter_table(soup, kind) or found
            changes.append(f"charter key {label!r} added")
            continue
        key = own_cells(pair.row)[0]
        if read_cell(key).text != label:
            changes.append(f"charter key {read_cell(key).text!r} renamed {label!r}")
            _set_text(key, label)
    return changes
