"""Read the rows of a page kind from wikitext, with mwparserfromhell.

Rows are the calls of the kind's row template, found anywhere in the page (inside ``<div>``,
tables, other templates...) in document order. A value's plain text is what the page displays:
character references decoded, comments dropped, ``<br>`` a line break, ``{{!}}`` a pipe (the
visual editor writes those). A row that cannot be read is reported as a ``RowProblem`` with
page, row, field and line, and left out of the rows; the other rows are still returned.
Nothing here raises on member input.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from typing import Any

import mwparserfromhell
from mwparserfromhell.definitions import is_parsable, is_visible
from mwparserfromhell.nodes import (
    Argument,
    Comment,
    ExternalLink,
    Heading,
    HTMLEntity,
    Node,
    Tag,
    Template,
    Text,
    Wikilink,
)
from mwparserfromhell.parser import ParserError
from mwparserfromhell.wikicode import Wikicode

from connector.errors import RowProblem
from page_templates import FieldDef, PageKind, normalize_template_name
from page_templates.values import normalize_row, row_key

from ..base import ParsedPage, RawRow
from .wikitext_render import LANG_PARAM

TEMPLATE_FIELD = "(template)"  # RowProblem.field when the row template itself is broken
# PHP's trim(): what MediaWiki strips around a named template parameter's value.
_PHP_SPACE = " \t\n\r\0\x0b"
# Magic words that stand for a character (the visual editor escapes pipes with {{!}}).
_CHAR_TEMPLATES = {"!": "|", "=": "="}
# Tags whose own wiki markup is the text a member typed (list items, definition, rule).
_MARKUP_TAGS = {"li", "dt", "dd", "hr"}


def parse_wikitext(content: str) -> Wikicode | None:
    """The parsed page, or None if mwparserfromhell gives up (an internal error)."""
    try:
        return mwparserfromhell.parse(content)
    except (ParserError, RecursionError, ValueError):
        return None


# --- walking the tree ----------------------------------------------------------------------

def children(node: Node) -> list[Wikicode]:
    """The wikicode nested in ``node``, in the order it appears in the source."""
    if isinstance(node, Template):
        return [node.name, *(part for p in node.params for part in (p.name, p.value))]
    if isinstance(node, Tag):
        attributes = [part for a in node.attributes for part in (a.name, a.value)
                      if part is not None]
        return [*attributes, *([node.contents] if node.contents is not None else [])]
    if isinstance(node, Wikilink | ExternalLink):
        first, second = (node.title, node.text) if isinstance(node, Wikilink) \
            else (node.url, node.title)
        return [code for code in (first, second) if code is not None]
    if isinstance(node, Heading):
        return [node.title]
    if isinstance(node, Argument):
        return [code for code in (node.name, node.default) if code is not None]
    return []


def walk(code: Wikicode,
         parents: tuple[Node, ...] = ()) -> Iterator[tuple[Node, tuple[Node, ...]]]:
    """Every node in document order (pre-order), with its ancestor nodes."""
    for node in code.nodes:
        yield node, parents
        for child in children(node):
            yield from walk(child, (*parents, node))


def template_name(template: Template) -> str:
    """The normalized name of a template call (comments in the name ignored)."""
    name = "".join(str(n) for n in template.name.nodes if not isinstance(n, Comment))
    return normalize_template_name(name)


def row_templates(code: Wikicode, kind: PageKind) -> list[Template]:
    """The calls of ``kind``'s row template, in document order."""
    wanted = normalize_template_name(kind.row_template or "")
    return [node for node, _ in walk(code)
            if isinstance(node, Template) and template_name(node) == wanted]


# --- plain text ----------------------------------------------------------------------------

def plain_text(code: Wikicode, *, trim: bool = True) -> str:
    """What ``code`` displays, as plain text; ``trim`` strips the white space MediaWiki
    strips around a named parameter (literal white space only, not character references)."""
    pieces = [(_node_text(node), isinstance(node, Text | Comment)) for node in code.nodes]
    if trim:
        _trim(pieces, str.lstrip, range(len(pieces)))
        _trim(pieces, str.rstrip, range(len(pieces) - 1, -1, -1))
    return "".join(text for text, _ in pieces)


def _trim(pieces: list[tuple[str, bool]], strip: Callable[[str, str], str],
          order: range) -> None:
    for i in order:
        text, literal = pieces[i]
        if not literal:
            return
        pieces[i] = (strip(text, _PHP_SPACE), literal)
        if pieces[i][0]:
            return


def _node_text(node: Node) -> str:
    reader = _READERS.get(type(node))
    return reader(node) if reader else ""  # comments, and anything unknown, show nothing


def _wikilink_text(link: Wikilink) -> str:
    shown = link.text if link.text is not None else link.title
    return plain_text(shown, trim=False).lstrip(":")


def _external_link_text(link: ExternalLink) -> str:
    shown = link.url if not link.brackets else link.title
    return plain_text(shown, trim=False) if shown is not None else ""


def _tag_text(tag: Tag) -> str:
    name = str(tag.tag).strip().lower()
    if name == "br":
        return "\n"
    if tag.wiki_markup and name in _MARKUP_TAGS:
        return str(tag.wiki_markup)
    if tag.contents is None or not is_visible(name):
        return ""
    return plain_text(tag.contents, trim=False)


_READERS: dict[type, Callable[[Any], str]] = {
    Text: lambda node: node.value,
    HTMLEntity: lambda node: node.normalize(),
    Tag: _tag_text,
    Template: lambda node: _CHAR_TEMPLATES.get(template_name(node), ""),
    Wikilink: _wikilink_text,
    ExternalLink: _external_link_text,
    Heading: lambda node: plain_text(node.title),
    Argument: str,
}


def field_text(field: FieldDef, value: Wikicode) -> str:
    """A parameter's plain text; for a URL field, the target of a ``[url label]`` link if a
    member wrote one (a bare URL is its own text, trailing punctuation included)."""
    if field.type == "url":
        links = [link for link in value.filter_external_links(recursive=True) if link.brackets]
        if links:
            return plain_text(links[0].url)
    return plain_text(value)


# --- rows ----------------------------------------------------------------------------------

def parse_rows(content: str, kind: PageKind, page: str) -> ParsedPage:
    """The rows of ``kind`` on a page and the problems of the rows that cannot be read.

    Problems: a positional (unnamed) value, a value holding a template, a row template
    starting inside a row (a missing ``}}``), a row template never closed. A row with a
    problem is left out of ``rows``; row indexes count every row template on the page, so
    they match what a member counts. A row's ``values`` hold the fields written in it (an
    absent parameter is absent), ``unknown`` the other named parameters (``lang`` is the
    charter's own). A page mwparserfromhell cannot parse gives one problem. Never raises.
    """
    code = parse_wikitext(content)
    if code is None or not kind.has_rows:
        problem = RowProblem(page, 1, TEMPLATE_FIELD, "the page cannot be read", 1)
        return ParsedPage(rows=(), problems=(problem,) if code is None else ())
    events = _row_events(code, kind)
    read = [read_row(event, kind, page, index, None) if isinstance(event, Template) else None
            for index, event in enumerate(events, start=1)]
    lines = _lines(content, code, events)  # after reading: it marks the tree
    rows: list[RawRow] = []
    problems: list[RowProblem] = []
    for index, (outcome, line) in enumerate(zip(read, lines, strict=True), start=1):
        if outcome is None:
            name = kind.row_template
            problems.append(RowProblem(page, index, TEMPLATE_FIELD,
                                       f'this {{{{{name}}}}} is not closed: "}}}}" is missing',
                                       line))
            continue
        row, row_problems = outcome
        problems.extend(replace(problem, line=line) for problem in row_problems)
        if row is not None:
            rows.append(replace(row, line=line))
    return ParsedPage(rows=tuple(rows), problems=tuple(problems))


def read_row(template: Template, kind: PageKind, page: str, index: int,
             line: int | None) -> tuple[RawRow | None, list[RowProblem]]:
    """One row's values as plain text; None and the problems when it cannot be read."""
    row_name = normalize_template_name(kind.row_template or "")
    values: dict[str, str] = {}
    unknown: list[str] = []
    troubles: list[tuple[str, str]] = []
    for param in template.params:
        name = plain_text(param.name)
        field = kind.field(name) if param.showkey else None
        trouble = _trouble(param.showkey, field is not None, param.value, row_name)
        if trouble:
            troubles.append((name, trouble))
        elif field is not None:
            values[name] = field_text(field, param.value)  # a duplicate: the last one wins
        elif param.showkey and not (kind.single and name == LANG_PARAM) and name not in unknown:
            unknown.append(name)
    if troubles:
        key = row_key(kind, normalize_row(kind, values)[0])
        return None, [RowProblem(page, index, name, message, line, key)
                      for name, message in troubles]
    return RawRow(index=index, line=line, values=values, unknown=tuple(unknown)), []


def _trouble(showkey: bool, is_field: bool, value: Wikicode, row_name: str) -> str | None:
    """Why a parameter makes its row unreadable, or None."""
    if not showkey:
        text = plain_text(value)
        if not text:
            return None  # a stray "|": MediaWiki ignores it, so do we
        return (f"a value without a name ({text[:40]!r}): write name=value; "
                "a '|' inside a value is written {{!}}")
    names = [template_name(t) for t in value.filter_templates(recursive=True)]
    names = [name for name in names if name not in _CHAR_TEMPLATES]
    if row_name in names:
        return f'another {{{{{row_name}}}}} starts inside this row: probably a missing "}}}}"'
    if names and is_field:
        return f"contains a template ({{{{{names[0]}}}}}), which cannot be read; write plain text"
    return None


def _start_pattern(kind: PageKind) -> re.Pattern[str]:
    """The start of a call of the row template, as plain text (an unclosed call)."""
    name = normalize_template_name(kind.row_template or "")
    first = f"[{re.escape(name[0].upper())}{re.escape(name[0].lower())}]" if name else ""
    rest = r"[ _]+".join(re.escape(word) for word in name[1:].split(" "))
    return re.compile(rf"\{{\{{\s*(?:[Tt]emplate\s*:\s*)?{first}{rest}\s*(?=\||\}}|\n|$)")


def _row_events(code: Wikicode, kind: PageKind) -> list[Template | tuple[Text, int]]:
    """Row templates and unclosed row starts (text node, position), in document order."""
    wanted = normalize_template_name(kind.row_template or "")
    start = _start_pattern(kind)
    events: list[Template | tuple[Text, int]] = []
    for node, parents in walk(code):
        if isinstance(node, Template) and template_name(node) == wanted:
            events.append(node)
        elif isinstance(node, Text) and "{{" in node.value and _readable(parents):
            events.extend((node, match.start()) for match in start.finditer(node.value))
    return events


def _readable(parents: tuple[Node, ...]) -> bool:
    """False inside <nowiki>, <pre> and the like: text there is shown, never parsed."""
    return not any(isinstance(p, Tag) and not is_parsable(str(p.tag).strip().lower())
                   for p in parents)


def _lines(content: str, code: Wikicode,
           events: list[Template | tuple[Text, int]]) -> list[int | None]:
    """The source line (1-based) where each event starts.

    Every event gets a unique marker in the tree at once, the tree is serialized once and the
    markers found: exact positions in one pass. This mutates ``code`` (read values first).
    """
    mark = next((chr(c) for c in range(0xE000, 0xF900) if chr(c) not in content), None)
    if mark is None or not events:
        return [None] * len(events)
    width = 10
    by_text: dict[int, list[tuple[int, int]]] = {}
    for i, event in enumerate(events):
        if isinstance(event, Template):
            event.name.nodes.insert(0, Text(f"{mark}{i:08d}{mark}"))
        else:
            by_text.setdefault(id(event[0]), []).append((event[1], i))
    for event in events:
        if isinstance(event, tuple) and id(event[0]) in by_text:
            node = event[0]
            for position, i in sorted(by_text.pop(id(node)), reverse=True):
                node.value = f"{node.value[:position]}{mark}{i:08d}{mark}{node.value[position:]}"
    newlines = [m.start() for m in re.finditer("\n", content)]
    lines: list[int | None] = [None] * len(events)
    pattern = re.compile(f"{mark}(\\d{{8}}){mark}")
    for seen, match in enumerate(pattern.finditer(str(code))):
        i = int(match.group(1))
        offset = match.start() - seen * width
        if isinstance(events[i], Template):
            offset -= 2  # the marker sits after "{{"
        lines[i] = bisect_left(newlines, offset) + 1
    return lines


def row_values(template: Template, kind: PageKind) -> Mapping[str, str]:
    """The readable values of a row template (fields only, problems ignored): for keys."""
    values: dict[str, str] = {}
    for param in template.params:
        field = kind.field(plain_text(param.name))
        if field is not None and param.showkey:
            values[field.name] = field_text(field, param.value)
    return values
