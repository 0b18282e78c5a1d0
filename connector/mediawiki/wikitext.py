"""The wikitext page format: ``WikitextCodec`` renders, reads and edits community pages.

Rendering lives in ``wikitext_render``, reading in ``wikitext_parse``; this module holds the
codec and the row edits (``apply_changes``), which change the parsed tree (mwparserfromhell
nodes) and serialize it, so every byte not touched by a change stays as it was.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

import mwparserfromhell
from mwparserfromhell.nodes import Heading, Node, Template, Text
from mwparserfromhell.wikicode import Wikicode

from connector.errors import BackendError, UsageError, ValidationError
from page_templates import FieldDef, PageKind, TemplateSet, normalize_template_name
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
from ..regions import PageUpgrade, rows_headings
from . import wikitext_extract, wikitext_parse, wikitext_regions, wikitext_render
from .notice import notice_template, place_notice
from .support import support_pages
from .wikitext_parse import row_values
from .wikitext_regions import heading_text
from .wikitext_render import param_value, render_row
from .wikitext_text import children, parse_wikitext, plain_text, row_templates, template_name


class WikitextCodec:
    """MediaWiki pages: rows are template calls, one per line (see PageCodec)."""

    format = "wikitext"

    def render_page(self, kind: PageKind, context: PageContext,
                    rows: Sequence[Mapping[str, str]], parts: PartRows | None = None) -> str:
        """A new page of ``kind`` holding ``rows`` (canonical values; a host kind's parts'
        rows in ``parts``), in ``context.lang``."""
        return wikitext_render.render_page(kind, context, rows, parts)

    def parse_rows(self, content: str, kind: PageKind, page: str,
                   others: Mapping[str, OtherRows] | None = None) -> ParsedPage:
        """The rows of ``kind`` on a page, and the calls of ``others``' row templates (or
        near-misses of a row template's name) reported; never raises on member input."""
        return wikitext_parse.parse_rows(content, kind, page, others)

    def apply_changes(self, content: str, kind: PageKind, changes: Sequence[RowChange],
                      lang: str) -> str:
        """``content`` with the row changes applied; see ``apply_changes``."""
        return apply_changes(content, kind, changes, lang)

    def support_pages(self, templates: TemplateSet,
                      space_languages: Mapping[str, str] | None = None
                      ) -> list[tuple[PageRef, str]]:
        """The row templates (with TemplateData) that pages of every kind call, their
        tooltips following ``space_languages`` (namespace -> language); and the template
        of the notice a page with problems carries (see notice.py)."""
        return [*support_pages(templates, space_languages), notice_template()]

    def place_notice(self, content: str, notice: PageNotice) -> str:
        """``content`` with ``notice`` on top, as one ``{{CoP notice}}`` call (none without
        items); see notice.py."""
        return place_notice(content, notice)

    def page_regions(self, kind: PageKind, context: PageContext) -> dict[str, str]:
        """Region id -> its text as a new page of ``kind`` is written (the first merge
        base the records keep, see wikitext_regions)."""
        return wikitext_regions.page_regions(kind, context)

    def upgrade_page(self, content: str, kind: PageKind, context: PageContext,
                     base: Mapping[str, str] | None = None, legacy: PageKind | None = None,
                     *, restore: bool = False) -> PageUpgrade:
        """``content`` with its managed regions brought to ``kind``'s template; rows and
        members' text untouched (see wikitext_regions). Never raises on member input."""
        return wikitext_regions.upgrade_page(content, kind, context, base, legacy,
                                              restore=restore)

    def remove_markers(self, content: str, kind: PageKind, context: PageContext,
                       legacy: PageKind | None = None) -> PageUpgrade:
        """``content`` without the markers earlier versions wrote, and the merge base they
        give (see wikitext_regions). Never raises on member input."""
        return wikitext_regions.remove_markers(content, kind, context, legacy)

    def extract_page(self, content: str, kind: PageKind, context: PageContext,
                     base: Mapping[str, str] | None = None,
                     legacy: PageKind | None = None) -> PageFindings:
        """What members added to the page (fields, sections) and the sections they edited
        (see wikitext_extract). Never raises on member input."""
        return wikitext_extract.extract_page(content, kind, context, base, legacy)


def apply_changes(content: str, kind: PageKind, changes: Sequence[RowChange],
                  lang: str) -> str:
    """``content`` with ``changes`` applied, in order; everything else byte for byte.

    Rows are identified by their key (``row_key`` of what normalizes in the row; rows
    without a key are never touched). Values are canonical: they are written escaped, choices
    by their label in ``lang``.

    * ``update``: sets only the given parameters of the first row with the key, keeping each
      parameter's place and the spacing around its value (a value already equal after
      normalization is left as written); missing parameters are added at the end. When no
      row has the key, the row is added (missing values empty). A single kind (the charter)
      updates its block even when the key in the block differs.
    * ``add``: a full row on its own line after the last row of the kind; with no row, at
      the end of the rows section (under its heading); without it, at the end of the
      page. An add naming a ``section`` (the to-review section) goes after the last row of
      the kind under that section's heading (before the next heading), else at the end of
      that section's text; a page without that heading gets it with the other rows. An add
      whose key is already on the page updates that row instead (no duplicate).
    * ``remove``: removes every row with the key, with its line break when the row stands on
      its own line (no empty line left). An absent key leaves the page unchanged.

    Raises ValidationError for a value of a field the kind does not define, UsageError for
    an unknown operation or a kind without rows, BackendError when the page cannot be parsed.
    """
    if not changes:
        return content
    if not kind.has_rows:
        raise UsageError(f"pages of kind {kind.kind!r} have no rows to change")
    code = parse_wikitext(content)
    if code is None:
        raise BackendError("the page cannot be parsed, so its rows cannot be changed",
                           backend="mediawiki")
    rows = [(template, _key(template, kind)) for template in row_templates(code, kind)]
    for change in changes:
        _check(kind, change)
        rows = _apply(code, kind, change, lang, rows)
    return str(code)


def _check(kind: PageKind, change: RowChange) -> None:
    if change.op not in ("add", "update", "remove"):
        raise UsageError(f"unknown row operation {change.op!r} (add, update or remove)")
    for name in change.values:
        if kind.field(name) is None:
            raise ValidationError(f"is not a field of {kind.kind}", field=name)


Rows = list[tuple[Template, str | None]]  # the page's rows in document order, with their key


def _apply(code: Wikicode, kind: PageKind, change: RowChange, lang: str, rows: Rows) -> Rows:
    """Apply one change; the rows (and keys) of the page afterwards."""
    matches = [i for i, (_, key) in enumerate(rows) if key == change.key]
    if change.op == "remove":
        for i in matches:
            _remove(code, rows[i][0])
        return [row for i, row in enumerate(rows) if i not in matches]
    if not matches and kind.single and rows:
        matches = [0]
    if matches:
        template = rows[matches[0]][0]
        _update(template, kind, change.values, lang)
        rows[matches[0]] = (template, _key(template, kind))
        return rows
    placed = _add_under(code, kind, change.section, change.values, lang) \
        if change.section else None
    template = placed if placed is not None else \
        _add(code, kind, change.values, lang, rows[-1][0] if rows else None)
    return [*rows, (template, _key(template, kind))]


def _key(template: Template, kind: PageKind) -> str | None:
    values, _ = normalize_row(kind, row_values(template, kind))
    return row_key(kind, values)


# --- update --------------------------------------------------------------------------------

_SPACE = " \t\n\r"  # layout white space around parameter names and values

def _update(template: Template, kind: PageKind, values: Mapping[str, str], lang: str) -> None:
    for field in kind.fields:  # definition order, so added parameters come in order
        if field.name not in values:
            continue
        name, value = field.name, values[field.name]
        text = param_value(field, value, lang)
        params = [p for p in template.params if p.showkey and plain_text(p.name) == name]
        if not params:
            _append(template, name, text)
            continue
        param = params[-1]  # MediaWiki uses the last of duplicated parameters
        if _same(field, plain_text(param.value), value):
            continue
        param.value = _respace(str(param.value), text)


def _append(template: Template, name: str, text: str) -> None:
    """Add a parameter at the end, spaced like the last named one.

    The white space after the last value is the layout before ``}}`` (a line break in a
    block): it moves to the new last parameter, and the old last one takes the white space
    its predecessor has (``| a = 1 | b = 2\n}}`` + c gives ``| a = 1 | b = 2 | c = 3\n}}``).
    """
    named = [p for p in template.params if p.showkey]
    if not named or template.params[-1] is not named[-1]:
        template.add(name, text, preserve_spacing=False)
        return
    last = named[-1]
    name_head, _, name_tail = _split_space(str(last.name))
    value_head, core, value_tail = _split_space(str(last.value))
    if len(named) > 1:
        last.value = value_head + core + _split_space(str(named[-2].value))[2]
    template.add(name_head + name + name_tail, value_head + text + value_tail,
                 preserve_spacing=False)


def _split_space(text: str) -> tuple[str, str, str]:
    """Leading white space, the rest, trailing white space."""
    core = text.strip(_SPACE)
    if not core:
        return "", "", text
    head = text[:len(text) - len(text.lstrip(_SPACE))]
    return head, core, text[len(head) + len(core):]


def _same(field: FieldDef, written: str, value: str) -> bool:
    """Whether the value written on the page already normalizes to ``value``."""
    try:
        return normalize(field, written) == value
    except FieldInvalid:
        return False


def _respace(old: str, text: str) -> str:
    """``text`` with the white space that surrounded the old value (``| name = x \\n``)."""
    core = old.strip(_SPACE)
    if not core:  # an empty value: keep a line break for the next "|", one space before
        head = old[:len(old) - len(old.lstrip(" \t"))] if "\n" in old else old[:1]
        return head + text + old[len(head):]
    head = old[:len(old) - len(old.lstrip(_SPACE))]
    tail = old[len(old.rstrip(_SPACE)):]
    return head + text + tail


# --- remove --------------------------------------------------------------------------------

def _containers(code: Wikicode) -> Iterator[Wikicode]:
    yield code
    for node in code.nodes:
        for child in children(node):
            yield from _containers(child)


def _container(code: Wikicode, node: Node) -> tuple[Wikicode, int]:
    """The wikicode holding ``node`` and its index there (nodes compared by identity)."""
    for container in _containers(code):
        for index, candidate in enumerate(container.nodes):
            if candidate is node:
                return container, index
    raise LookupError("node not in tree")  # cannot happen: nodes come from this tree


def _remove(code: Wikicode, node: Node) -> None:
    """Remove ``node``; when it stands alone on its line, remove the line with it."""
    container, index = _container(code, node)
    nodes = container.nodes
    at_root = container is code
    before = nodes[index - 1] if index > 0 else None
    after = nodes[index + 1] if index + 1 < len(nodes) else None
    # The text before the node on its line (spaces only) and after it (spaces only).
    head = before.value.rstrip(" \t") if isinstance(before, Text) else None
    tail = after.value.lstrip(" \t") if isinstance(after, Text) else None
    page_start = at_root and (before is None or (head == "" and index == 1))
    page_end = at_root and (after is None or (tail == "" and index + 2 == len(nodes)))
    starts_line = page_start or (head is not None and head.endswith("\n"))
    ends_line = page_end or (tail is not None and tail.startswith("\n"))
    if starts_line and ends_line:
        if isinstance(after, Text) and tail is not None and tail.startswith("\n"):
            after.value = tail[1:]
        elif isinstance(after, Text):
            after.value = ""
            head = head[:-1] if head and head.endswith("\n") else head
        elif head and head.endswith("\n"):  # last node of the page
            head = head[:-1]
        if isinstance(before, Text) and head is not None:
            before.value = head
    del nodes[index]


# --- add -----------------------------------------------------------------------------------

def _add(code: Wikicode, kind: PageKind, values: Mapping[str, str], lang: str,
         last_row: Template | None) -> Template:
    """Insert a new row on its own line after ``last_row``; with no row yet, at the end of
    the rows section (under its heading, see ``_first_row``), else at the end of the
    page; the new template node."""
    template = _rendered(kind, values, lang)
    if last_row is None:
        return _first_row(code, rows_headings(kind), template)
    container, index = _container(code, last_row)
    for position in range(index + 1, len(container.nodes)):
        node = container.nodes[position]
        if isinstance(node, Text) and "\n" in node.value:  # the end of the anchor's line
            cut = node.value.index("\n")
            rest = node.value[cut:]
            node.value = node.value[:cut]
            container.nodes[position + 1:position + 1] = [Text("\n"), template, Text(rest)]
            return template
    container.nodes.extend([Text("\n"), template])
    return template


def _add_under(code: Wikicode, kind: PageKind, section_id: str, values: Mapping[str, str],
               lang: str) -> Template | None:
    """Add a row under the section ``section_id`` (its heading in any language): after the
    last row of the kind standing between that heading and the next, else at the end of
    the section's text; None when the page has no such heading (the caller adds the row
    with the others)."""
    section = next((s for s in kind.sections if s.id == section_id), None)
    titles = {" ".join(t.split()) for t in section.title.values() if t} if section else set()
    if not titles:
        return None
    wanted = normalize_template_name(kind.row_template or "")
    inside, last = False, None
    for node in code.nodes:
        if isinstance(node, Heading):
            if inside:
                break
            inside = " ".join((heading_text(str(node)) or "").split()) in titles
        elif inside and isinstance(node, Template) and template_name(node) == wanted:
            last = node
    if last is not None:
        return _add(code, kind, values, lang, last)
    if _rows_section_end(str(code), titles) is None:
        return None
    return _first_row(code, titles, _rendered(kind, values, lang))


def _rendered(kind: PageKind, values: Mapping[str, str], lang: str) -> Template:
    new = mwparserfromhell.parse(render_row(kind, values, lang)).nodes
    template = new[0]
    assert isinstance(template, Template) and len(new) == 1  # escaped values: one node
    return template


def _first_row(code: Wikicode, titles: set[str], row: Template) -> Template:
    """The first row of the page: after the last line of the rows section (its heading in
    any language of the kind, and the prose under it), a blank line between; without that
    heading, on its own line at the end of the page. The page is parsed again around it
    (it had no row of the kind, so no node the caller holds is lost)."""
    text = str(code)
    at = _rows_section_end(text, titles)
    if at is not None:  # a blank line under the heading (or the prose), as rendered
        lead, tail = "\n\n", ""
    else:  # on its own line at the end of the page
        at = len(text)
        lead, tail = ("\n" if text and not text.endswith("\n") else ""), "\n"
    code.nodes[:] = mwparserfromhell.parse(text[:at] + lead + str(row) + tail + text[at:]).nodes
    offset, start = 0, at + len(lead)
    for node in code.nodes:
        if offset == start and isinstance(node, Template):
            return node
        offset += len(str(node))
    raise AssertionError("the new row is a top-level node")  # one escaped template call


def _rows_section_end(text: str, titles: set[str]) -> int | None:
    """The offset just after the last non-blank line under the first heading named
    ``titles`` (before the next heading), None when no such heading stands on the page."""
    offset, end = 0, None
    for line in text.split("\n"):
        heading = heading_text(line)
        if end is not None and heading is not None:
            return end
        opens = end is None and heading is not None and heading in titles
        if opens or (end is not None and line.strip()):
            end = offset + len(line)
        offset += len(line) + 1
    return end
