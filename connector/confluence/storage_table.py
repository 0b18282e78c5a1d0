"""The shape of a rows table as the editors stored it, so what cop-connector adds to it (a
row, a cell, a column) looks like what is there.

Cloud's editor stores each cell's text in a paragraph (``<td><p>x</p></td>``, an empty cell
``<td><p /></td>``) and a header cell as ``<th><p><strong>x</strong></p></th>``; Data
Center's stores ``<td>x</td>``, and a header made bold instead of marked as one as
``<td><p><strong>x</strong></p></td>``. With the "numbered rows" option (Cloud) or
button (Data Center), each row starts with a ``class="numberingColumn"`` cell holding its
number: Cloud numbers the rows under the header from 1 (its header cell is empty), Data
Center numbers every row, the header row included when it has a number (see
tests/fixtures/confluence_corpus/README.md).
"""

from __future__ import annotations

from collections.abc import Sequence

from bs4 import NavigableString, Tag
from msgspec import Struct

from .storage_markers import fragment
from .storage_parse import Column, KeyValueTable, RowsTable, is_numbering, own_cells, own_rows
from .xml_escape import escape_text, read_cell

NUMBERING = '<td class="numberingColumn">{number}</td>'


class TableStyle(Struct, frozen=True):
    """How a table's rows and header are written."""

    paragraphs: bool = False  # cell text in a paragraph (Cloud's editor)
    header_tag: str = "th"  # "td": a header row made bold rather than marked as a header
    header_strong: bool = False  # header text as <p><strong>...</strong></p>
    numbered: bool = False  # a numbering column starts each row

    def cell(self, content: str) -> str:
        """A data cell holding ``content`` (markup), written like the table's cells."""
        if self.paragraphs:
            return f"<td><p>{content}</p></td>" if content else "<td><p/></td>"
        return f"<td>{content}</td>"

    def header(self, label: str) -> str:
        """A header cell showing ``label``, written like the table's header cells."""
        text = escape_text(label)
        if self.header_strong:
            text = f"<p><strong>{text}</strong></p>"
        return f"<{self.header_tag}>{text}</{self.header_tag}>"

    def row(self, columns: Sequence[Column], contents: Sequence[str]) -> str:
        """A row with a cell per column (``contents`` in column order; a numbering column
        gets a numbering cell, numbered by ``renumber``)."""
        cells = [NUMBERING.format(number="") if column.numbering else self.cell(content)
                 for column, content in zip(columns, contents, strict=True)]
        return f"<tr>{''.join(cells)}</tr>"


def table_style(table: RowsTable) -> TableStyle:
    """The style of ``table``: its data cells' wrapping (see ``_paragraphs``), its header
    cells' as the first field header shows."""
    fields = [cell for cell, column in zip(own_cells(table.header), table.columns, strict=False)
              if column.field is not None]
    first = fields[0] if fields else None
    return TableStyle(
        paragraphs=_paragraphs(table, fields),
        header_tag=first.name if first is not None and first.name in ("th", "td") else "th",
        header_strong=first is not None and _strong(first),
        numbered=any(column.numbering for column in table.columns))


def pairs_style(found: KeyValueTable) -> TableStyle:
    """The style of the charter's key/value table: its key cells as the first key shows,
    its value cells wrapped in paragraphs when all those holding anything are."""
    first = own_cells(found.pairs[0].row)[0] if found.pairs else None
    values = [pair.value for pair in found.pairs if _holds(pair.value)]
    return TableStyle(
        paragraphs=bool(values) and all(_in_blocks(cell) for cell in values),
        header_tag=first.name if first is not None and first.name in ("th", "td") else "th",
        header_strong=first is not None and _strong(first))


def _paragraph_of(cell: Tag) -> Tag | None:
    """The paragraph a cell holds its text in (None: text written in the cell itself)."""
    elements = [c for c in cell.contents if isinstance(c, Tag)]
    texts = [c for c in cell.contents if isinstance(c, NavigableString) and str(c).strip()]
    if elements and not texts and elements[0].name == "p":
        return elements[0]
    return None


_BLOCKS = frozenset({"p", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre",
                     "div", "table", "ac:task-list"})


def _holds(cell: Tag) -> bool:
    """Whether a cell holds anything (an element, or text besides white space)."""
    return any(isinstance(c, Tag) or str(c).strip() for c in cell.contents)


def _in_blocks(cell: Tag) -> bool:
    """Whether a cell holds its content in blocks (paragraphs, lists), as Cloud writes it,
    rather than as text (and ``<br />``) of its own."""
    texts = [c for c in cell.contents if isinstance(c, NavigableString) and str(c).strip()]
    elements = [c for c in cell.contents if isinstance(c, Tag)]
    return not texts and bool(elements) and all(e.name in _BLOCKS for e in elements)


def _strong(cell: Tag) -> bool:
    paragraph = _paragraph_of(cell)
    return paragraph is not None and paragraph.find("strong") is not None


def _paragraphs(table: RowsTable, header_fields: list[Tag]) -> bool:
    """Whether every data cell that holds anything holds it in blocks (what Cloud's editor
    writes on each save); a table without such a cell follows its header."""
    cells = [cell for row in table.rows for cell in own_cells(row)
             if not is_numbering(cell) and _holds(cell)] or header_fields
    return bool(cells) and all(_in_blocks(cell) for cell in cells)


def renumber(table: RowsTable) -> None:
    """The numbering cells of the rows under the header set to their rows' numbers (only
    those that differ change): from the header's number plus one when it has one (Data
    Center), else from 1 (Cloud)."""
    rows = own_rows(table.table)
    if table.header not in rows:
        return
    header = [cell for cell in own_cells(table.header) if is_numbering(cell)]
    start = read_cell(header[0]).text if header else ""
    number = int(start) + 1 if start.isdigit() else 1
    for row in rows[rows.index(table.header) + 1:]:
        cells = own_cells(row)
        if cells and is_numbering(cells[0]):
            if read_cell(cells[0]).text != str(number):
                cells[0].clear()
                cells[0].append(NavigableString(str(number)))
            number += 1


def add_column_width(table: RowsTable) -> None:
    """A ``<col />`` for a column added at the end, when the table sizes its columns
    (``<colgroup>``) one per column."""
    groups = [g for g in table.table.find_all("colgroup", recursive=False)]
    if len(groups) == 1 and len(groups[0].find_all("col")) == len(table.columns) - 1:
        groups[0].append(fragment("<col/>")[0])
