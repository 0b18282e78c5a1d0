"""The Confluence storage format: ``StorageCodec`` renders, reads and edits community pages.

Rendering lives in ``storage_render``, reading in ``storage_parse``, escaping and the
BeautifulSoup round trip in ``xml_escape``; this module holds the codec and the row edits
(``apply_changes``), which change the parsed tree and write it back: only the touched
cells and rows change, every other element is written back byte for byte as it was read
(``xml_escape.write_back``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bs4 import BeautifulSoup, Tag

from connector.errors import BackendError, UsageError, ValidationError
from page_templates import FieldDef, PageKind, TemplateSet, localize
from page_templates.values import FieldInvalid, normalize, normalize_row, row_key

from ..base import (
    OtherRows,
    PageContext,
    PageNotice,
    PageRef,
    ParsedPage,
    PartRows,
    RowChange,
)
from ..extract import PageFindings
from ..regions import PageUpgrade
from . import (
    storage_extract,
    storage_notice,
    storage_parse,
    storage_regions,
    storage_render,
)
from .storage_parse import (
    Column,
    Pair,
    RowsTable,
    append_to_section,
    field_value,
    find_charter_table,
    find_rows_table,
    own_cells,
    read_row,
    read_rows,
    review_table,
    rows_heading_tags,
    rows_table,
    section_heading_tags,
    span,
)
from .storage_render import cell_content, render_details, render_table
from .storage_table import TableStyle, add_column_width, pairs_style, renumber, table_style
from .xml_escape import parse_storage, read_cell, write_back


class StorageCodec:
    """Confluence pages: rows are table rows under a header row (see PageCodec)."""

    format = "storage"

    def render_page(self, kind: PageKind, context: PageContext,
                    rows: Sequence[Mapping[str, str]], parts: PartRows | None = None) -> str:
        """A new page of ``kind`` holding ``rows`` (canonical values; a host kind's parts'
        rows in ``parts``, one table each), in ``context.lang``."""
        return storage_render.render_page(kind, context, rows, parts)

    def parse_rows(self, content: str, kind: PageKind, page: str,
                   others: Mapping[str, OtherRows] | None = None) -> ParsedPage:
        """The rows of ``kind`` on a page; never raises on member input. (``others`` is
        for formats with template calls: a table holds no row of another kind.)"""
        return storage_parse.parse_rows(content, kind, page)

    def apply_changes(self, content: str, kind: PageKind, changes: Sequence[RowChange],
                      lang: str) -> str:
        """``content`` with the row changes applied; see ``apply_changes``."""
        return apply_changes(content, kind, changes, lang)

    def support_pages(self, templates: TemplateSet,
                      space_languages: Mapping[str, str] | None = None
                      ) -> list[tuple[PageRef, str]]:
        """None: Confluence pages need no shared pages (no templates to install)."""
        return []

    def place_notice(self, content: str, notice: PageNotice) -> str:
        """``content`` with ``notice`` on top, as a Warning macro (none without items);
        see storage_notice."""
        return storage_notice.place_notice(content, notice)

    def page_regions(self, kind: PageKind, context: PageContext) -> dict[str, str]:
        """Region id -> its text as a new page of ``kind`` is written (the first merge
        base the records keep, see storage_regions)."""
        return storage_regions.page_regions(kind, context)

    def upgrade_page(self, content: str, kind: PageKind, context: PageContext,
                     base: Mapping[str, str] | None = None, legacy: PageKind | None = None,
                     *, restore: bool = False) -> PageUpgrade:
        """``content`` with its managed regions brought to ``kind``'s template; rows and
        members' text untouched (see storage_regions). Never raises on member input."""
        return storage_regions.upgrade_page(content, kind, context, base, legacy,
                                              restore=restore)

    def remove_markers(self, content: str, kind: PageKind, context: PageContext,
                       legacy: PageKind | None = None) -> PageUpgrade:
        """``content`` without the markers earlier versions wrote, and the merge base they
        give (see storage_regions). Never raises on member input."""
        return storage_regions.remove_markers(content, kind, context, legacy)

    def extract_page(self, content: str, kind: PageKind, context: PageContext,
                     base: Mapping[str, str] | None = None,
                     legacy: PageKind | None = None) -> PageFindings:
        """What members added to the page (fields, sections) and the sections they edited
        (see storage_extract). Never raises on member input."""
        return storage_extract.extract_page(content, kind, context, base, legacy)


def apply_changes(content: str, kind: PageKind, changes: Sequence[RowChange],
                  lang: str) -> str:
    """``content`` with ``changes`` applied, in order; the rest of the page as it was.

    Rows are identified by their key (``row_key`` of what normalizes in the row; rows
    without a key are never touched). Values are canonical: written escaped, choices by
    their label in ``lang``.

    * ``update``: replaces the content of the changed cells only (a cell already holding
      the value after normalization is left as written; a cell made of paragraphs keeps its
      first paragraph). A field without a column gets one, at the end (header in ``lang``).
      When no row has the key, the row is added.
    * ``add``: a new row after the table's last row below the header, cells in the
      table's current column order (members' own columns left empty). An add whose key is
      on the page updates that row instead (no duplicate). A page without a rows table
      gets one where the template puts it (at the end of the rows section), else at
      its end. The table is ``storage_parse.find_rows_table``'s, as for reading. An add
      naming the kind's to-review ``section`` goes to the first table under that
      section's heading (a new one at the section's end when it has none; the rows table
      when the page lost the section).
    * ``remove``: removes every row with the key. An absent key changes nothing.
    * The charter (a single kind) edits its key/value table whatever key is given; a field
      without a row there gets one. It cannot be removed.

    When nothing changes, ``content`` is returned as given. Raises ValidationError for a
    value of a field the kind does not define, UsageError for an unknown operation or a
    kind without rows, BackendError when the page cannot be parsed.
    """
    if not changes:
        return content
    if not kind.has_rows:
        raise UsageError(f"pages of kind {kind.kind!r} have no rows to change")
    for change in changes:
        _check(kind, change)
    soup = parse_storage(content, keep_source=True)
    if soup is None:
        raise BackendError("the page cannot be parsed, so its rows cannot be changed",
                           backend="confluence")
    edit = _CharterEdit(soup, kind, lang) if kind.single else _TableEdit(soup, kind, lang)
    changed = [edit.apply(change) for change in changes]
    return write_back(soup) if any(changed) else content


def _check(kind: PageKind, change: RowChange) -> None:
    if change.op not in ("add", "update", "remove"):
        raise UsageError(f"unknown row operation {change.op!r} (add, update or remove)")
    if change.op == "remove" and kind.single:
        raise UsageError(f"the {kind.kind} of a community cannot be removed from its page")
    for name in change.values:
        if kind.field(name) is None:
            raise ValidationError(f"is not a field of {kind.kind}", field=name)


def _fragment(markup: str) -> list[Any]:
    """Our own rendered markup as parsed elements, ready to be inserted."""
    soup = parse_storage(markup)
    assert soup is not None  # escaped output of storage_render: always parses
    return [node.extract() for node in list(soup.contents)]


def _same(definition: FieldDef, written: str, value: str) -> bool:
    """Whether what the cell shows already normalizes to ``value``."""
    try:
        return normalize(definition, written) == value
    except FieldInvalid:
        return False


def _fill(cell: Tag, definition: FieldDef, value: str, lang: str) -> None:
    """Replace a cell's content with ``value``, keeping the cell (and its attributes); a
    cell made of paragraphs (the editor's way) keeps its first paragraph as the wrapper."""
    elements = [c for c in cell.contents if isinstance(c, Tag)]
    paragraphs = [c for c in elements if c.name == "p"]
    texts = [c for c in cell.contents if not isinstance(c, Tag) and str(c).strip()]
    target = paragraphs[0] if paragraphs and len(paragraphs) == len(elements) and not texts \
        else cell
    for node in list(cell.contents):
        if node is not target:
            node.extract()
    target.clear()
    for node in _fragment(cell_content(definition, value, lang)):
        target.append(node)


class _TableEdit:
    """Row edits on a list kind's rows tables: the rows table (created where the template
    puts it when missing), and the to-review table a proposed row goes to (created after
    the end of the to-review section when missing)."""

    def __init__(self, soup: BeautifulSoup, kind: PageKind, lang: str) -> None:
        self.soup, self.kind, self.lang = soup, kind, lang
        self.table, _ = find_rows_table(soup, kind)
        self.review = review_table(soup, kind, self.table)
        # Every row in page order, with its key (None: unreadable key, never touched) and
        # the table holding it.
        self.rows: list[tuple[Tag, str | None, RowsTable]] = []
        for table in sorted((t for t in (self.table, self.review) if t is not None),
                            key=self._order):
            self.rows += [(read.row, self._key_of(read.values), table)
                          for read in read_rows(table)]
        self.styles: dict[int, TableStyle] = {}
        # Rows above a header row (read like the others; a new row never goes there).
        self.above = {id(row) for table in (self.table, self.review) if table is not None
                      for row in table.rows[:table.above]}

    def _order(self, table: RowsTable) -> int:
        return next((i for i, element in enumerate(self.soup.find_all("table"))
                     if element is table.table), 0)

    def _key_of(self, raw: Mapping[str, str]) -> str | None:
        return row_key(self.kind, normalize_row(self.kind, raw)[0])

    def _key(self, row: Tag, table: RowsTable) -> str | None:
        return self._key_of(read_row(table, row).values)

    def apply(self, change: RowChange) -> bool:
        matches = [i for i, (_, key, _) in enumerate(self.rows) if key == change.key]
        if change.op == "remove":
            for i in matches:
                self.rows[i][0].extract()
            for table in {id(self.rows[i][2]): self.rows[i][2] for i in matches}.values():
                renumber(table)
            self.rows = [row for i, row in enumerate(self.rows) if i not in matches]
            return bool(matches)
        if matches:
            row, _, table = self.rows[matches[0]]
            changed = self._update(row, table, change.values)
            self.rows[matches[0]] = (row, self._key(row, table), table)
            return changed
        table = self._target(change.section)
        row = self._add(table, change.values)
        self.rows.append((row, self._key(row, table), table))
        return True

    def _update(self, row: Tag, table: RowsTable, values: Mapping[str, str]) -> bool:
        changed = False
        for definition in self.kind.fields:
            value = values.get(definition.name)
            if value is None:
                continue
            position = self._column(table, definition, needed=bool(value))
            cell = self._cell_at(table, row, position) if position is not None else None
            if cell is None or _same(definition, field_value(definition, read_cell(cell)),
                                     value):
                continue
            _fill(cell, definition, value, self.lang)
            changed = True
        return changed

    def _add(self, table: RowsTable, values: Mapping[str, str]) -> Tag:
        """A row written like the table's own rows (storage_table): cell wrappers, a
        numbering cell with its number."""
        for definition in self.kind.fields:
            self._column(table, definition, needed=bool(values.get(definition.name)))
        contents = [cell_content(c.field, values.get(c.field.name, ""), self.lang)
                    if c.field is not None else "" for c in table.columns]
        (row,) = _fragment(self._style(table).row(table.columns, contents))
        last = next((r for r, _, held in reversed(self.rows)
                     if held is table and id(r) not in self.above), None)
        if last is not None:
            last.insert_after(row)
        elif table.header.parent is not None and table.header.parent.name == "thead":
            self._body(table).append(row)
        else:
            table.header.insert_after(row)
        renumber(table)
        return row

    def _style(self, table: RowsTable) -> TableStyle:
        """How a table's rows are written (read once: the edits keep it)."""
        if id(table) not in self.styles:
            self.styles[id(table)] = table_style(table)
        return self.styles[id(table)]

    def _target(self, section: str) -> RowsTable:
        """The table a new row goes to: the to-review table when ``section`` names the
        kind's to-review section and the page still has it, else the rows table."""
        review = self.kind.review_section
        if section and review is not None and section == review.id:
            if self.review is None:
                headings = section_heading_tags(self.soup, review.title.values())
                if headings:
                    self.review = self._new_table(headings[0])
            if self.review is not None:
                return self.review
        return self._table()

    def _new_table(self, heading: Tag) -> RowsTable:
        """A new, empty table (header row in the page language) at the end of the section
        ``heading`` opens (before the next heading)."""
        (element,) = _fragment(render_table(self.kind, [], self.lang))
        append_to_section(self.soup, heading, element)
        table = rows_table(element, self.kind)
        assert table is not None  # it names every field
        return table

    def _table(self) -> RowsTable:
        """The rows table; a new one (header row in the page language) where the template
        puts it, at the end of the rows section (before the heading that follows its own),
        else at the page's end."""
        if self.table is None:
            headings = rows_heading_tags(self.soup, self.kind)
            if headings:
                self.table = self._new_table(headings[0])
            else:
                (element,) = _fragment(render_table(self.kind, [], self.lang))
                self.soup.append(element)
                self.table = rows_table(element, self.kind)
            assert self.table is not None  # it names every field
        return self.table

    @staticmethod
    def _body(table: RowsTable) -> Tag:
        """The table's own <tbody>; a new one after the <thead> when it has none."""
        bodies = [b for b in table.table.find_all("tbody") if b.find_parent("table") is table.table]
        if bodies:
            return bodies[0]
        (body,) = _fragment("<tbody></tbody>")
        assert table.header.parent is not None
        table.header.parent.insert_after(body)
        return body

    def _column(self, table: RowsTable, definition: FieldDef, *, needed: bool) -> int | None:
        """The position of the field's column in ``table``; a new last column when
        ``needed``."""
        position = table.column_of(definition.name)
        if position is not None or not needed:
            return position
        held = [row for row, _, in_table in self.rows if in_table is table]
        if held and any(definition.name in key for key in self.kind.keys):
            # The rows hold their key in a column whose header no longer names it (renamed,
            # or deleted): a new column would split the identities in two. A person fixes it.
            unknown = [c.header for c in table.columns if c.field is None and c.header]
            hint = f" (renamed to {', '.join(map(repr, unknown))}?)" if unknown else ""
            label = localize(definition.label, self.lang)
            raise BackendError(f"the rows table has no {label!r} column{hint}: restore its "
                               "header on the page, then the change is written",
                               backend="confluence")
        label = localize(definition.label, self.lang)
        (header,) = _fragment(self._style(table).header(label))
        table.header.append(header)
        table.columns.append(Column(label, definition))
        add_column_width(table)
        for row in held:
            self._cell_at(table, row, len(table.columns) - 1)
        return len(table.columns) - 1

    def _cell_at(self, table: RowsTable, row: Tag, position: int) -> Tag | None:
        """The cell starting at ``position``, empty cells (like the table's) added to a
        short row; None inside a merged cell (left alone: the row reads as a problem)."""
        at = 0
        for cell in own_cells(row):
            if at == position:
                return cell
            at += span(cell, "colspan")
            if at > position:
                return None
        empty = self._style(table).cell("")
        while True:
            (cell,) = _fragment(empty)
            row.append(cell)
            if at == position:
                return cell
            at += 1


class _CharterEdit:
    """Edits of the charter's key/value table (a Page Properties macro at the page's end
    when the page has none)."""

    def __init__(self, soup: BeautifulSoup, kind: PageKind, lang: str) -> None:
        self.soup, self.kind, self.lang = soup, kind, lang
        self.found = find_charter_table(soup, kind)

    def apply(self, change: RowChange) -> bool:
        if self.found is None:
            (macro,) = _fragment(render_details(self.kind, {}, self.lang))
            self.soup.append(macro)
            self.found = find_charter_table(self.soup, self.kind)
            assert self.found is not None  # the macro names every field
        changed = False
        for definition in self.kind.fields:
            value = change.values.get(definition.name)
            if value is None:
                continue
            pair = self.found.pair_of(definition.name)
            if pair is None:
                changed |= self._add_pair(definition, value)
            elif not _same(definition, field_value(definition, read_cell(pair.value)), value):
                _fill(pair.value, definition, value, self.lang)
                changed = True
        return changed

    def _add_pair(self, definition: FieldDef, value: str) -> bool:
        assert self.found is not None
        if not value:
            return False
        style = pairs_style(self.found)
        label = localize(definition.label, self.lang)
        content = cell_content(definition, value, self.lang)
        (row,) = _fragment(f"<tr>{style.header(label)}{style.cell(content)}</tr>")
        last = self.found.pairs[-1].row if self.found.pairs else None
        if last is not None:
            last.insert_after(row)
        else:
            (self.found.table.find("tbody") or self.found.table).append(row)
        cells = own_cells(row)
        self.found.pairs.append(Pair(row, Column(label, definition), cells[1]))
        return True
