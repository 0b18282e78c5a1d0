"""The wikitext page format: ``WikitextCodec`` renders, reads and edits community pages.

Rendering lives in ``wikitext_render``, reading in ``wikitext_parse``; this module holds the
codec and the row edits (``apply_changes``), which change the parsed tree (mwparserfromhell
nodes) and serialize it, so every byte not touched by a change stays as it was.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

import mwparserfromhell
from mwparserfromhell.nodes import Comment, Node, Template, Text
from mwparserfromhell.wikicode import Wikicode

from connector.errors import BackendError, UsageError, ValidationError
from page_templates import FieldDef, PageKind, TemplateSet, normalize_template_name
from page_templates.values import FieldInvalid, normalize, normalize_row, row_key

from ..base import OtherRows, PageContext, PageRef, ParsedPage, PartRows, RowChange
from ..extract import PageFindings
from ..regions import PageUpgrade
from . import wikitext_extract, wikitext_parse, wikitext_regions, wikitext_render
from .support import support_pages
from .wikitext_markers import SECTION, SECTION_END, parse_marker
from .wikitext_parse import row_values
from .wikitext_render import MARKER_PREFIX, param_value, render_row
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
        """The row templates (with TemplateData) that pages of every kind call; their
        tooltips follow ``space_languages`` (namespace -> language)."""
        return support_pages(templates, space_languages)

    def upgrade_page(self, content: str, kind: PageKind, context: PageContext,
                     legacy: PageKind | None = None) -> PageUpgrade:
        """``content`` with its managed regions brought to ``kind``'s template; rows and
        members' text untouched (see wikitext_regions). Never raises on member input."""
        return wikitext_regions.upgrade_page(content, kind, context, legacy)

    def extract_page(self, content: str, kind: PageKind, context: PageContext,
                     legacy: PageKind | None = None) -> PageFindings:
        """What members added to the page (fields, sections) and the sections they edited
        (see wikitext_extract). Never raises on member input."""
        return wikitext_extract.extract_page(content, kind, context, legacy)


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
    * ``add``: a full row on its own line after the last row of the kind; with no row, after
      the rows marker comment; with no marker, at the end of the page. An add naming a
      ``section`` (the to-review section) goes after the last row standing between that
      section's end marker and the next section, else right after the end marker. An add
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
    anchor = _section_anchor(code, kind, change.section) if change.section else None
    if anchor is None:
        anchor = rows[-1][0] if rows else None
    template = _add(code, kind, change.values, lang, anchor)
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
    """Insert a new row on its own line after ``last_row`` (else the marker, else at the
    end of the page); the new template node."""
    new = mwparserfromhell.parse(render_row(kind, values, lang)).nodes
    template = new[0]
    assert isinstance(template, Template) and len(new) == 1  # escaped values: one node
    anchor = last_row if last_row is not None else _marker(code, kind)
    if anchor is None:
        page = str(code)
        lead = [Text("\n")] if page and not page.endswith("\n") else []
        code.nodes.extend([*lead, template, Text("\n")])
        return template
    container, index = _container(code, anchor)
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


def _section_anchor(code: Wikicode, kind: PageKind, section_id: str) -> Node | None:
    """Where a row added under section ``section_id`` goes after: the last row of the kind
    standing (at the top level) between the section's end marker and the next section's
    begin marker, else the end marker itself; None when the page has no such marker (the
    row then goes with the others)."""
    nodes = code.nodes
    end = next((i for i, node in enumerate(nodes) if isinstance(node, Comment) and
                parse_marker(str(node.contents)) == (SECTION_END, section_id, "")), None)
    if end is None:
        return None
    wanted = normalize_template_name(kind.row_template or "")
    anchor: Node = nodes[end]
    for node in nodes[end + 1:]:
        if isinstance(node, Comment) and (parse_marker(str(node.contents)) or ("",))[0] \
                == SECTION:
            break
        if isinstance(node, Template) and template_name(node) == wanted:
            anchor = node
    return anchor


def _marker(code: Wikicode, kind: PageKind) -> Comment | None:
    """The comment that marks where rows of ``kind`` go (written by render_page)."""
    prefix = f"{MARKER_PREFIX}{kind.kind},"
    for comment in code.filter_comments(recursive=True):
        if comment.contents.strip().startswith(prefix):
            return comment
    return None
