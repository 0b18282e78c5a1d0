"""Read the rows of a page kind from wikitext, with mwparserfromhell.

Rows are the calls of the kind's row template, found anywhere in the page (inside ``<div>``,
tables, other templates...) in document order; a value is its plain text (wikitext_text.py).
A row that cannot be read is reported as a ``RowProblem`` with
page, row, field and line, and left out of the rows; the other rows are still returned.
Nothing here raises on member input.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from msgspec.structs import replace
from mwparserfromhell.definitions import is_parsable
from mwparserfromhell.nodes import (
    Node,
    Tag,
    Template,
    Text,
)
from mwparserfromhell.parser import ParserError
from mwparserfromhell.parser.builder import Builder
from mwparserfromhell.wikicode import Wikicode

from connector.errors import RowProblem
from page_templates import PageKind, normalize_template_name
from page_templates.problems import quoted
from page_templates.values import normalize_row, row_key

from ..base import OtherRows, ParsedPage, RawRow
from . import wikitext_tokens
from .wikitext_others import OtherCall, OtherCalls
from .wikitext_render import LANG_PARAM
from .wikitext_text import (
    CHAR_TEMPLATES,
    field_text,
    parse_wikitext,
    plain_text,
    template_name,
    walk,
)

TEMPLATE_FIELD = "(template)"  # RowProblem.field when the row template itself is broken
# --- rows ----------------------------------------------------------------------------------

def parse_rows(content: str, kind: PageKind, page: str,
               others: Mapping[str, OtherRows] | None = None) -> ParsedPage:
    """The rows of ``kind`` on a page and the problems of the rows that cannot be read.

    Problems: a positional (unnamed) value, a value holding a template, a row template
    starting inside a row (a missing ``}}``), a row template never closed; the call of
    another kind's row template (``others``: name -> kind) or of a near-miss of a row
    template's name (``{{cop watch}}``, see wikitext_others). A row with a problem is left
    out of ``rows`` (what could be read of it is in ``partial``); row indexes count every
    row template on the page, and the calls reported as other rows, so they match what a
    member counts. A row's ``values`` hold the fields written in it (an absent parameter is
    absent), ``unknown`` the other named parameters (``lang`` is the charter's own) and
    ``extra`` their values. A page mwparserfromhell cannot parse gives one problem. Never
    raises.

    The page is tokenized once; flat rows at the top level are read from their tokens,
    everything between them from mwparserfromhell's tree of it (see wikitext_tokens). The
    result is the one ``parse_rows_tree`` gives, only faster.
    """
    mark = _marker(content)
    if not kind.has_rows or mark is None:
        return parse_rows_tree(content, kind, page, others)
    # Tokens are a dict each: pausing the cyclic garbage collector, which would otherwise
    # walk the whole heap several times while they are made, halves the time of a big page.
    with wikitext_tokens.cyclic_gc_paused():
        return _parse_tokens(content, kind, page, mark, others)


def _parse_tokens(content: str, kind: PageKind, page: str, mark: str,
                  others: Mapping[str, OtherRows] | None) -> ParsedPage:
    try:
        stream = wikitext_tokens.tokenize(content)
    except (ParserError, RecursionError, ValueError):
        return _unreadable(page)
    codes = wikitext_tokens.token_codes(stream)
    if wikitext_tokens.UNKNOWN in codes:
        return parse_rows_tree(content, kind, page, others)
    wanted = normalize_template_name(kind.row_template or "")
    names: dict[str, bool] = {}

    def is_row(start: int) -> bool:
        name = stream[start + 1]["text"]
        if name not in names:
            names[name] = normalize_template_name(name) == wanted
        return names[name]

    reader = _Reader(content, kind, page, mark, others)
    try:
        reader.read_tokens(stream, codes, wikitext_tokens.top_level_runs(codes, is_row))
    except (ParserError, RecursionError, ValueError):
        return _unreadable(page)
    if reader.offset != len(content):  # cannot happen; if it did, lines would be wrong
        return parse_rows_tree(content, kind, page, others)
    return reader.result()


def parse_rows_tree(content: str, kind: PageKind, page: str,
                    others: Mapping[str, OtherRows] | None = None) -> ParsedPage:
    """``parse_rows`` from mwparserfromhell's tree of the whole page (slower, same result)."""
    code = parse_wikitext(content)
    if code is None or not kind.has_rows:
        return _unreadable(page) if code is None else ParsedPage(rows=())
    reader = _Reader(content, kind, page, _marker(content), others)
    reader.read_tree(code)
    return reader.result()


def _unreadable(page: str) -> ParsedPage:
    problem = RowProblem(page, 1, TEMPLATE_FIELD, "the page cannot be read", 1,
                         code="page_unreadable")
    return ParsedPage(rows=(), problems=(problem,))


def _marker(content: str) -> str | None:
    """A character the page does not hold, to mark places in its tree (see ``_offsets``)."""
    return next((chr(c) for c in range(0xE000, 0xF900) if chr(c) not in content), None)


class _Reader:
    """Rows and problems of a page read in top-level pieces, in document order: each piece
    continues the row numbering and the source offset where the previous one stopped."""

    def __init__(self, content: str, kind: PageKind, page: str, mark: str | None,
                 others: Mapping[str, OtherRows] | None = None) -> None:
        self.content, self.kind, self.page, self.mark = content, kind, page, mark
        self.rows: list[RawRow] = []
        self.problems: list[RowProblem] = []
        self.partial: list[RawRow] = []
        self.index = 0  # row templates and unclosed row starts seen so far
        self.offset = 0  # source characters read so far
        self.start = _start_pattern(kind)
        self.others = OtherCalls(kind, others)
        self.fields = {field.name: field for field in reversed(kind.fields)}
        self.ignored = LANG_PARAM if kind.single else None
        self._counted = (0, 1)  # (offset, line there): lines are counted incrementally

    def result(self) -> ParsedPage:
        return ParsedPage(rows=tuple(self.rows), problems=tuple(self.problems),
                          partial=tuple(self.partial))

    def line(self, offset: int) -> int:
        """The line (1-based) of a source offset: 1 + the line breaks before it."""
        counted, line = self._counted
        if offset < counted:
            counted, line = 0, 1
        line += self.content.count("\n", counted, offset)
        self._counted = (offset, line)
        return line

    def read_tokens(self, stream: list[Any], codes: str,
                    runs: list[tuple[int, int, bool]]) -> None:
        """Read the page from its top-level runs of tokens (see ``top_level_runs``): flat
        rows and the plain text between them here (the hot loop), the rest by ``read_run``."""
        content, rows, fields, ignored = self.content, self.rows, self.fields, self.ignored
        read_flat_row = wikitext_tokens.read_flat_row
        offset, index = self.offset, self.index
        counted, line = self._counted
        for start, end, candidate in runs:
            if candidate:
                row = read_flat_row(stream, codes, start, end, fields, ignored)
                stop = offset + row.length if row else 0
                # Text holding "{{" may be an unclosed row: the tree reports it in order.
                if row and content.startswith("{{", offset) and content.startswith(
                        "}}", stop - 2) and content.find("{{", offset + 2, stop) < 0:
                    line += content.count("\n", counted, offset)
                    counted, index = offset, index + 1
                    rows.append(RawRow(index, line, row.values, row.unknown, row.extra))
                    offset = stop
                    continue
            elif end - start == 1 and codes[start] == "t" and "{{" not in stream[start]["text"]:
                offset += len(stream[start]["text"])
                continue
            self.offset, self.index, self._counted = offset, index, (counted, line)
            self.read_run(stream, codes, start, end)
            offset, index, (counted, line) = self.offset, self.index, self._counted
        self.offset, self.index, self._counted = offset, index, (counted, line)

    def read_run(self, stream: list[Any], codes: str, start: int, end: int) -> None:
        """Read a balanced run of top-level tokens: plain text here, the rest as a tree."""
        if codes.count("t", start, end) < end - start:
            self.read_tree(Builder().build(stream[start:end]))
            return
        for token in stream[start:end]:
            text = token["text"]
            if "{{" in text:
                for match in self.start.finditer(text):
                    self.index += 1
                    self._unclosed(self.index, self.line(self.offset + match.start()))
            self.offset += len(text)

    def read_tree(self, code: Wikicode) -> None:
        """Read a part of the page (or all of it) from its tree; ``code`` is changed."""
        events = _row_events(code, self.kind, self.start, self.others)
        read = [self._read_event(event, self.index + i)
                for i, event in enumerate(events, start=1)]
        offsets, length = _offsets(code, events, self.mark)  # after reading: marks the tree
        for i, (outcome, offset) in enumerate(zip(read, offsets, strict=True), start=1):
            line = None if offset is None else self.line(self.offset + offset)
            if outcome is None:
                self._unclosed(self.index + i, line)
                continue
            row, row_problems, partial = outcome
            self.problems.extend(replace(problem, line=line) for problem in row_problems)
            if row is not None:
                self.rows.append(replace(row, line=line))
            if partial is not None:
                self.partial.append(replace(partial, line=line))
        self.index += len(events)
        self.offset += length

    def _read_event(self, event: Event, index: int) -> RowRead | None:
        """A row, a call reported as another row, or None for an unclosed row start."""
        if isinstance(event, Template):
            return read_row(event, self.kind, self.page, index, None)
        if isinstance(event[1], OtherCall):
            return _other_row(event, self.kind, self.page, index)  # type: ignore[arg-type]
        return None

    def _unclosed(self, index: int, line: int | None) -> None:
        name = self.kind.row_template or ""
        self.problems.append(RowProblem(self.page, index, TEMPLATE_FIELD,
                                        f'this {{{{{name}}}}} is not closed: "}}}}" is missing',
                                        line, code="row_not_closed",
                                        params={"template": name}))


RowRead = tuple[RawRow | None, list[RowProblem], RawRow | None]  # row, problems, partial


def read_row(template: Template, kind: PageKind, page: str, index: int,
             line: int | None) -> RowRead:
    """One row's values as plain text, or None, its problems and what could be read of it
    (``partial``: its readable fields) when it cannot be read."""
    row_name = normalize_template_name(kind.row_template or "")
    values: dict[str, str] = {}
    unknown: list[str] = []
    extra: dict[str, str] = {}
    troubles: list[tuple[str, str, str, dict[str, str]]] = []
    for param in template.params:
        name = plain_text(param.name)
        field = kind.field(name) if param.showkey else None
        trouble = _trouble(param.showkey, field is not None, param.value, row_name)
        if trouble:
            troubles.append((name, *trouble))
        elif field is not None:
            values[name] = field_text(field, param.value)  # a duplicate: the last one wins
        elif param.showkey and not (kind.single and name == LANG_PARAM):
            if name not in unknown:
                unknown.append(name)
            extra[name] = plain_text(param.value, targets=True)
    row = RawRow(index=index, line=line, values=values, unknown=tuple(unknown), extra=extra)
    if not troubles:
        return row, [], None
    key = row_key(kind, normalize_row(kind, values)[0])
    return None, [RowProblem(page, index, name, message, line, key, code=code, params=params)
                  for name, message, code, params in troubles], row


def _trouble(showkey: bool, is_field: bool, value: Wikicode,
             row_name: str) -> tuple[str, str, dict[str, str]] | None:
    """Why a parameter makes its row unreadable (message, code, params), or None."""
    if not showkey:
        text = plain_text(value)
        if not text:
            return None  # a stray "|": MediaWiki ignores it, so do we
        return (f"a value without a name ({text[:40]!r}): write name=value; "
                "a '|' inside a value is written {{!}}", "positional_value",
                {"value": quoted(text, 40)})
    names = [template_name(t) for t in value.filter_templates(recursive=True)]
    names = [name for name in names if name not in CHAR_TEMPLATES]
    if row_name in names:
        return (f'another {{{{{row_name}}}}} starts inside this row: probably a missing "}}}}"',
                "row_inside_row", {"template": row_name})
    if names and is_field:
        return (f"contains a template ({{{{{names[0]}}}}}), which cannot be read; write plain "
                "text", "template_in_value", {"template": names[0]})
    return None


def _other_row(event: OtherEvent, kind: PageKind, page: str, index: int) -> RowRead:
    """A call that is another kind's row, or a near-miss of a row template's name: reported,
    never read as a row. A near-miss of the page's own template keeps what could be read of
    it (``partial``): it may be a row a member meant to write, whose key must not be taken
    as deleted."""
    template, call = event
    name = " ".join(plain_text(template.name).split())
    if call.other is None:
        problem = RowProblem(
            page, index, TEMPLATE_FIELD,
            f"the template is written {{{{{name}}}}}: write {{{{{call.template}}}}}, capitals "
            "included (this row is not recorded until then)",
            code="misspelt_template", params={"name": name, "template": call.template})
        row, _, partial = read_row(template, kind, page, index, None)
        return None, [problem], row or partial
    problem = RowProblem(
        page, index, TEMPLATE_FIELD,
        f"{{{{{call.template}}}}} is a row of another page ({call.other.page}): it is not "
        "recorded here; move it there",
        code="wrong_kind", params={"name": name, "template": call.template,
                                   "kind": call.other.kind, "page": call.other.page})
    return None, [problem], None


def _start_pattern(kind: PageKind) -> re.Pattern[str]:
    """The start of a call of the row template, as plain text (an unclosed call)."""
    name = normalize_template_name(kind.row_template or "")
    first = f"[{re.escape(name[0].upper())}{re.escape(name[0].lower())}]" if name else ""
    rest = r"[ _]+".join(re.escape(word) for word in name[1:].split(" "))
    return re.compile(rf"\{{\{{\s*(?:[Tt]emplate\s*:\s*)?{first}{rest}\s*(?=\||\}}|\n|$)")


OtherEvent = tuple[Template, OtherCall]  # a call reported as another row (wikitext_others)
Event = Template | tuple[Text, int] | OtherEvent


def _row_events(code: Wikicode, kind: PageKind, start: re.Pattern[str],
                others: OtherCalls) -> list[Event]:
    """Row templates, unclosed row starts (text node, position) and calls reported as other
    rows (not inside a row: a template there is that row's problem), in document order."""
    wanted = normalize_template_name(kind.row_template or "")
    events: list[Event] = []
    for node, parents in walk(code):
        if isinstance(node, Template):
            name = template_name(node)
            if name == wanted:
                events.append(node)
            elif (call := others(name)) is not None and _readable(parents) and not any(
                    isinstance(p, Template) and template_name(p) == wanted for p in parents):
                events.append((node, call))
        elif isinstance(node, Text) and "{{" in node.value and _readable(parents):
            events.extend((node, match.start()) for match in start.finditer(node.value))
    return events


def _readable(parents: tuple[Node, ...]) -> bool:
    """False inside <nowiki>, <pre> and the like: text there is shown, never parsed."""
    return not any(isinstance(p, Tag) and not is_parsable(str(p.tag).strip().lower())
                   for p in parents)


def _offsets(code: Wikicode, events: list[Event],
             mark: str | None) -> tuple[list[int | None], int]:
    """Where each event starts in the source of ``code`` (None without a ``mark``), and the
    length of that source.

    Every event gets a unique marker in the tree at once, the tree is serialized once and the
    markers found: exact positions in one pass. This mutates ``code`` (read values first).
    """
    offsets: list[int | None] = [None] * len(events)
    if mark is None or not events:
        return offsets, len(str(code))
    width = 10
    by_text: dict[int, list[tuple[int, int]]] = {}
    for i, event in enumerate(events):
        template = _template(event)
        if template is not None:
            template.name.nodes.insert(0, Text(f"{mark}{i:08d}{mark}"))
        else:
            node, position = event  # type: ignore[misc]
            by_text.setdefault(id(node), []).append((position, i))
    for event in events:
        if _template(event) is None and id(event[0]) in by_text:  # type: ignore[index]
            node = event[0]  # type: ignore[index]
            for position, i in sorted(by_text.pop(id(node)), reverse=True):
                node.value = f"{node.value[:position]}{mark}{i:08d}{mark}{node.value[position:]}"
    pattern = re.compile(f"{mark}(\\d{{8}}){mark}")
    source = str(code)
    seen = 0
    for seen, match in enumerate(pattern.finditer(source), start=1):
        i = int(match.group(1))
        offset = match.start() - (seen - 1) * width
        offsets[i] = offset - 2 if _template(events[i]) is not None else offset  # after "{{"
    return offsets, len(source) - seen * width


def _template(event: Event) -> Template | None:
    """The template call of an event (a row, or a call reported as another row)."""
    if isinstance(event, Template):
        return event
    return event[0] if isinstance(event[0], Template) else None


def row_values(template: Template, kind: PageKind) -> Mapping[str, str]:
    """The readable values of a row template (fields only, problems ignored): for keys."""
    values: dict[str, str] = {}
    for param in template.params:
        field = kind.field(plain_text(param.name))
        if field is not None and param.showkey:
            values[field.name] = field_text(field, param.value)
    return values
