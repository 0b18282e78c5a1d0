"""Read the rows of a page kind from storage format, with BeautifulSoup's ``html.parser``.

Rows live in a table. Columns are found by their header text, not by position: a header cell
names a field by one of its labels in any language, or by the field name itself, compared
case-insensitively with white space collapsed (labels win over names where a company's
definitions make them clash). So the table still reads after members reorder columns, rename
the page language or add their own columns, and a page written in French reads like one in
English. Confluence keeps no hidden marker in a table (it drops data attributes and comments
on save), so the visible header is the only robust anchor; the help section asks members to
keep it.

Which table: the first one under the heading of the section holding the rows (its title in
any language), so a copy of the table elsewhere on the page ("Former members") never takes
its place; on a page without that heading (a member renamed or deleted it), the table
naming the most fields.

A row above the header row (the editor's "insert row above" on the header) is a data row
too, read by the header's columns, unless it is a caption (one cell, or no text).

The charter is a key/value table (label in the first column) in a Page Properties
(``details``) macro, or failing that any table whose first column names charter fields.

A cell reads as the text it shows (``xml_escape.read_cell``); a URL field takes the first
link's target, a date field the first ``<time>``'s date, an e-mail field the address of a
``mailto:`` link whose text is not an address. Nothing here raises on member input.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from urllib.parse import unquote

from bs4 import BeautifulSoup, Tag
from msgspec import Struct, field

from connector.errors import RowProblem
from page_templates import FieldDef, PageKind
from page_templates.values import normalize_row, row_key

from ..base import ParsedPage, RawRow
from ..regions import rows_headings
from .xml_escape import CellText, attribute, parse_storage, read_cell

TABLE_FIELD = "(table)"  # RowProblem.field when no table (or no key/value table) can be read
_HEADER_SEARCH = 3  # the header is one of the first rows (a caption, or rows added above it)
_HEADINGS = re.compile(r"^h[1-6]$")


_MAILTO = re.compile(r"^\s*mailto:", re.IGNORECASE)


def field_value(definition: FieldDef, cell: CellText) -> str:
    """The raw value of a field from its cell: a URL field's link target, a date field's
    ``<time>``, an e-mail field's address (see ``email_value``), a text field's text with
    its links' targets (``the report <https://x.example/r>``), else the text."""
    if definition.type == "url" and cell.href:
        return cell.href
    if definition.type == "date" and cell.date:
        return cell.date
    if definition.type == "email":
        return email_value(cell)
    if definition.type in _TARGET_TYPES:
        return cell.linked or cell.text
    return cell.text


# The field types whose value is free text, where a link's target is worth keeping (as
# connector/mediawiki/wikitext_text.py does).
_TARGET_TYPES = frozenset({"text", "longtext", "tags", "entries"})


def email_value(cell: CellText) -> str:
    """What an e-mail cell shows, without a leading ``mailto:``; when that is no address
    (``<a href="mailto:bob@corp.example">Bob</a>``), the address of the ``mailto:`` link."""
    text = _MAILTO.sub("", cell.text, count=1)
    if "@" in text or not cell.href or not _MAILTO.match(cell.href):
        return text
    return unquote(_MAILTO.sub("", cell.href, count=1).split("?", 1)[0]).strip()


# --- tables --------------------------------------------------------------------------------

def header_key(text: str) -> str:
    """A header text as compared: case-folded, white space collapsed, no trailing ':' or '*'."""
    return " ".join(text.split()).casefold().rstrip(" :*")


def field_lookup(kind: PageKind) -> dict[str, FieldDef]:
    """Header text (``header_key``) -> field: field names, former labels (aliases), then
    labels in every language (a current label wins over a former one)."""
    lookup = {header_key(f.name): f for f in kind.fields}
    lookup.update({header_key(alias): f for f in kind.fields for alias in f.aliases})
    lookup.update({header_key(label): f for f in kind.fields for label in f.label.values()})
    lookup.pop("", None)
    return lookup


def own_rows(table: Tag) -> list[Tag]:
    """The table's rows (in <thead>, <tbody>, <tfoot> or directly), not nested tables' rows."""
    return [row for row in table.find_all("tr") if row.find_parent("table") is table]


def own_cells(row: Tag) -> list[Tag]:
    return list(row.find_all(["th", "td"], recursive=False))


def span(cell: Tag, name: str) -> int:
    """A cell's colspan or rowspan (1 when absent or unreadable)."""
    try:
        return max(1, int(attribute(cell, name).strip() or 1))
    except ValueError:
        return 1


def is_numbering(cell: Tag) -> bool:
    """A cell of the "numbered rows" column the editors add (Cloud's table option, Data
    Center's numbering button): ``class="numberingColumn"``, holding the row's number."""
    return "numberingColumn" in attribute(cell, "class").split()


class Column(Struct, frozen=True):
    """A column of a rows table, or a key of a key/value table: its text, and the field it
    names (None: one of the members' own); ``numbering``: the editor's row numbers."""

    header: str
    field: FieldDef | None
    numbering: bool = False

    @property
    def name(self) -> str:
        return self.field.name if self.field is not None else self.header


def _namer(kind: PageKind) -> Callable[[str], Column]:
    """Text -> Column; a field named a second time is not that field again (first wins)."""
    lookup = field_lookup(kind)
    seen: set[str] = set()

    def name(text: str) -> Column:
        definition = lookup.get(header_key(text))
        if definition is None or definition.name in seen:
            return Column(" ".join(text.split()), None)
        seen.add(definition.name)
        return Column(" ".join(text.split()), definition)

    return name


class RowsTable(Struct):
    """The table holding a list kind's rows: its header row, columns and data rows in table
    order (the first ``above`` of them sit above the header row)."""

    table: Tag
    header: Tag
    columns: list[Column]
    rows: list[Tag] = field(default_factory=list)
    above: int = 0

    @property
    def mapped(self) -> int:
        return sum(1 for column in self.columns if column.field is not None)

    def column_of(self, name: str) -> int | None:
        return next((i for i, c in enumerate(self.columns)
                     if c.field is not None and c.field.name == name), None)


def header_columns(row: Tag, kind: PageKind) -> list[Column]:
    """The columns a header row names, one per position (a merged header cell names its
    first column; the others are unnamed)."""
    name = _namer(kind)
    columns: list[Column] = []
    for cell in own_cells(row):
        if is_numbering(cell):
            columns.append(Column("", None, numbering=True))
            continue
        column = name(read_cell(cell).text)
        shown = sum(1 for c in columns if not c.numbering) + 1  # as a member counts them
        column = column if column.header else Column(f"(column {shown})", None)
        columns.append(column)
        columns.extend(Column(column.header, None) for _ in range(span(cell, "colspan") - 1))
    return columns


def rows_table(table: Tag, kind: PageKind) -> RowsTable | None:
    """The table read as a rows table, or None when none of its first rows names a field.

    The header is the one of the first rows naming the most fields (the first of equals).
    Rows above it are data rows (a row inserted above the header), except captions: a row
    of a single cell, or without text."""
    rows = own_rows(table)
    best: tuple[int, int, list[Column]] | None = None  # (fields named, position, columns)
    for at, row in enumerate(rows[:_HEADER_SEARCH]):
        columns = header_columns(row, kind)
        named = sum(1 for column in columns if column.field is not None)
        if named and (best is None or named > best[0]):
            best = (named, at, columns)
    if best is None:
        return None
    _, at, columns = best
    above = [row for row in rows[:at] if not _caption(row)]
    return RowsTable(table, rows[at], columns, above + rows[at + 1:], above=len(above))


def _caption(row: Tag) -> bool:
    cells = [cell for cell in own_cells(row) if not is_numbering(cell)]
    return len(cells) < 2 or not any(read_cell(cell).text for cell in cells)


def find_rows_table(soup: BeautifulSoup, kind: PageKind) -> tuple[RowsTable | None, bool]:
    """The rows table of ``kind``, and whether the page has any table at all.

    The first rows table under the rows section's heading (see ``rows_headings``, before
    the next heading) wins; without one, the table naming the most fields of ``kind`` (the
    first of equals). A kind placed on another's page (the Watch page's sources) takes,
    failing its heading, only a table naming its key: the host's table may share a label
    with it (Tags), never its rows."""
    tables = soup.find_all("table")
    if not tables:
        return None, False
    for heading in rows_heading_tags(soup, kind):
        placed = _table_under(heading, kind)
        if placed is not None:
            return placed, True
    found = [read for read in (rows_table(table, kind) for table in tables) if read is not None
             and (not kind.host or _names_key(read, kind))]
    return max(found, key=lambda f: f.mapped, default=None), True  # first of equals


def _names_key(table: RowsTable, kind: PageKind) -> bool:
    """Whether the table's header names every field of one of the kind's keys."""
    return any(all(table.column_of(name) is not None for name in alternative)
               for alternative in kind.keys)


def review_table(soup: BeautifulSoup, kind: PageKind,
                 rows: RowsTable | None) -> RowsTable | None:
    """The table of the rows proposed to members (the kind's ``to_review`` section): the
    first one under that section's heading (before the next heading), when it is not
    ``rows`` (the rows table). No heading, no such table: the proposals then went with the
    other rows."""
    section = kind.review_section
    if section is None:
        return None
    for heading in section_heading_tags(soup, section.title.values()):
        placed = _table_under(heading, kind)
        if placed is not None and (rows is None or placed.table is not rows.table):
            return placed
    return None


def rows_tables(soup: BeautifulSoup, kind: PageKind) -> tuple[list[RowsTable], bool]:
    """Every table holding ``kind``'s rows, in page order (the rows table, and the to-review
    table where the kind has one), and whether the page has any table at all."""
    table, any_table = find_rows_table(soup, kind)
    review = review_table(soup, kind, table)
    found = [t for t in (table, review) if t is not None]
    if len(found) > 1:
        order = {id(element): i for i, element in enumerate(soup.find_all("table"))}
        found.sort(key=lambda t: order.get(id(t.table), 0))
    return found, any_table


def rows_heading_tags(soup: BeautifulSoup, kind: PageKind) -> list[Tag]:
    """The headings the rows of ``kind`` stand under (connector.regions.rows_headings, in
    any language), in page order."""
    return section_heading_tags(soup, rows_headings(kind))


def section_heading_tags(soup: BeautifulSoup, titles: Iterable[str]) -> list[Tag]:
    """The headings titled one of ``titles`` (spaces normalized), in page order."""
    wanted = {" ".join(title.split()) for title in titles}
    return [tag for tag in soup.find_all(_HEADINGS)
            if " ".join(tag.get_text().split()) in wanted]


def append_to_section(soup: BeautifulSoup, heading: Tag, element: Tag) -> None:
    """Put ``element`` at the end of the section ``heading`` opens: before the next heading
    among its siblings, else last in its parent."""
    following = next((node for node in heading.next_siblings
                      if isinstance(node, Tag) and _HEADINGS.match(node.name)), None)
    if following is not None:
        following.insert_before(element)
    elif heading.parent is not None:
        heading.parent.append(element)
    else:
        soup.append(element)


def _table_under(heading: Tag, kind: PageKind) -> RowsTable | None:
    """The first rows table after ``heading``, before the next heading."""
    for element in heading.next_elements:
        if not isinstance(element, Tag):
            continue
        if _HEADINGS.match(element.name):
            return None
        if element.name == "table":
            found = rows_table(element, kind)
            if found is not None:
                return found
    return None


# --- the charter's key/value table ---------------------------------------------------------

class Pair(Struct, frozen=True):
    """One row of a key/value table: its key (first cell) and value (second cell)."""

    row: Tag
    key: Column
    value: Tag


class KeyValueTable(Struct):
    table: Tag
    pairs: list[Pair]

    @property
    def mapped(self) -> int:
        return sum(1 for pair in self.pairs if pair.key.field is not None)

    def pair_of(self, name: str) -> Pair | None:
        return next((p for p in self.pairs if p.key.field is not None
                     and p.key.field.name == name), None)


def key_value_table(table: Tag, kind: PageKind) -> KeyValueTable:
    """The rows of two or more cells, key in the first (others: captions, headings)."""
    name = _namer(kind)
    pairs = [Pair(row, name(read_cell(cells[0]).text), cells[1])
             for row in own_rows(table) for cells in [own_cells(row)]
             if len(cells) >= 2 and span(cells[0], "colspan") == 1]
    return KeyValueTable(table, pairs)


def find_charter_table(soup: BeautifulSoup, kind: PageKind) -> KeyValueTable | None:
    """The key/value table in a ``details`` (Page Properties) macro naming the most fields;
    without one, the page's table whose first column names the most fields."""
    macros = [m for m in soup.find_all(["ac:structured-macro", "ac:macro"])
              if attribute(m, "ac:name").strip().lower() == "details"]
    for tables in ([t for m in macros for t in m.find_all("table")], soup.find_all("table")):
        found = [key_value_table(table, kind) for table in tables]
        best = max(found, key=lambda f: f.mapped, default=None)  # the first of equals
        if best is not None and best.mapped:
            return best
    return None


# --- rows ----------------------------------------------------------------------------------

class RowRead(Struct):
    """One data row as read: field values (columns present), the headers of unknown columns
    holding text, and why the row cannot be read (column, message)."""

    row: Tag
    values: dict[str, str] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)
    troubles: list[Trouble] = field(default_factory=list)
    merged: list[Trouble] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """Nothing in it (a row a member added and left blank, merged or not)."""
        return not (self.troubles or self.unknown or any(v.strip() for v in self.values.values()))

    @property
    def problems(self) -> list[Trouble]:
        return [*self.troubles, *self.merged]


# Why a row cannot be read: the column (field name), the message, the problem's code and
# parameters (page_templates/problems.toml).
Trouble = tuple[str, str, str, dict[str, str]]
_MERGED = "a merged cell cannot be read: split it so the row has one cell per column"


def read_rows(table: RowsTable) -> list[RowRead]:
    """Every data row of ``table`` in order (empty ones included: they count as rows)."""
    reads: list[RowRead] = []
    covered = (0, 0, "")  # a cell merged down: to which row, from which row, its column
    for index, row in enumerate(table.rows, start=1):
        read = read_row(table, row)
        until, origin, name = covered
        if index <= until:
            read.merged.append((name, f"a cell of row {origin} is merged over this row; "
                                      "split it", "merged_cell", {"row": str(origin)}))
        for cell, column in _columns(table, row):
            if index + span(cell, "rowspan") - 1 > covered[0]:
                covered = (index + span(cell, "rowspan") - 1, index, column.name)
        reads.append(read)
    return reads


def _columns(table: RowsTable, row: Tag) -> list[tuple[Tag, Column]]:
    """Each cell of ``row`` with the column it starts in (past the header: no field)."""
    out: list[tuple[Tag, Column]] = []
    position = 0
    for cell in own_cells(row):
        column = table.columns[position] if position < len(table.columns) \
            else Column(f"(column {position + 1})", None)
        if is_numbering(cell):
            column = Column("", None, numbering=True)
        out.append((cell, column))
        position += span(cell, "colspan")
    return out


def read_row(table: RowsTable, row: Tag) -> RowRead:
    """One data row of a rows table."""
    return _read_cells(RowRead(row), _columns(table, row))


def read_pairs(found: KeyValueTable) -> RowRead:
    """The charter's key/value table as one row."""
    return _read_cells(RowRead(found.table), [(pair.value, pair.key) for pair in found.pairs])


def _read_cells(read: RowRead, cells: list[tuple[Tag, Column]]) -> RowRead:
    """Only the kind's columns can make a row unreadable (a table or a macro in the cell),
    and merged cells (they shift the columns); members' own columns hold what they like;
    the editor's row numbers are no value (a blank numbered row is blank)."""
    for cell, column in cells:
        if column.numbering:
            continue
        if span(cell, "colspan") > 1 or span(cell, "rowspan") > 1:
            read.merged.append((column.name, _MERGED, "merged_cell", {}))
        got = read_cell(cell)
        if column.field is None:
            if got.text and column.header and column.header not in read.unknown:
                read.unknown.append(column.header)
            continue
        if got.trouble:
            read.troubles.append((column.field.name, got.trouble, got.trouble_code,
                                  got.trouble_params))
        read.values[column.field.name] = field_value(column.field, got)
    return read


def parse_rows(content: str, kind: PageKind, page: str) -> ParsedPage:
    """The rows of ``kind`` on a page and the problems of the rows that cannot be read.

    Row indexes count every data row of the table from its top (empty rows too, though
    they give no row; the header row and captions above it not), so "row 3" is the third
    row a person sees under the header when none sits above it; where the kind's rows are
    in two tables (the rows proposed to members, in the to-review table above the rows
    table), they count down the page, through both. ``line`` is None (storage format has
    no lines worth citing). A page without any table has no rows; a page whose
    tables name none of the kind's columns has one problem (unless the kind is placed on
    the page by a section the page does not have yet: no rows). Never raises.
    """
    if not kind.has_rows:
        return ParsedPage(rows=())
    soup = parse_storage(content)
    if soup is None:
        return ParsedPage((), (RowProblem(page, 1, TABLE_FIELD, "the page cannot be read",
                                          code="page_unreadable"),))
    if kind.single:
        found = find_charter_table(soup, kind)
        if found is None:
            return ParsedPage((), (_no_table(kind, page),))
        return _rows(kind, page, [read_pairs(found)], keep_empty=True)
    tables, any_table = rows_tables(soup, kind)
    if not tables:
        # A kind placed on another's page whose section the page does not have (made
        # before the kind was placed there: the Watch page's sources) has no rows yet.
        placed_later = bool(kind.host) and not rows_heading_tags(soup, kind)
        return ParsedPage((), (_no_table(kind, page),) if any_table and not placed_later
                          else ())
    return _rows(kind, page, [read for table in tables for read in read_rows(table)],
                 keep_empty=False)


def _rows(kind: PageKind, page: str, reads: list[RowRead], *, keep_empty: bool) -> ParsedPage:
    rows: list[RawRow] = []
    problems: list[RowProblem] = []
    partial: list[RawRow] = []
    for index, read in enumerate(reads, start=1):
        if read.empty and not keep_empty:
            continue  # a blank row (merged or not): nothing to read, nothing wrong
        if read.problems:
            troubled = {name for name, *_ in read.problems}
            readable = {k: v for k, v in read.values.items() if k not in troubled}
            key = row_key(kind, normalize_row(kind, readable)[0])
            problems.extend(RowProblem(page, index, name, message, None, key, code=code,
                                       params=params)
                            for name, message, code, params in read.problems)
            partial.append(RawRow(index=index, line=None, values=readable))
            continue
        rows.append(RawRow(index=index, line=None, values=dict(read.values),
                           unknown=tuple(read.unknown)))
    return ParsedPage(rows=tuple(rows), problems=tuple(problems), partial=tuple(partial))


def _no_table(kind: PageKind, page: str) -> RowProblem:
    labels = ", ".join(" / ".join(dict.fromkeys(f.label.values())) for f in kind.fields)
    where = "a Page Properties table (first column)" if kind.single \
        else "a table whose header row"
    return RowProblem(page, 1, TABLE_FIELD,
                      f"no table with the expected columns: {where} must name the fields "
                      f"({labels})", code="no_properties_table" if kind.single else "no_table",
                      params={"fields": labels})
