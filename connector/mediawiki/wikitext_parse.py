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
from dataclasses import replace
from typing import Any

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
from page_templates.values import normalize_row, row_key

from ..base import ParsedPage, RawRow
from . import wikitext_tokens
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

def parse_rows(content: str, kind: PageKind, page: str) -> ParsedPage:
    """The rows of ``kind`` on a page and the problems of the rows that cannot be read.

    Problems: a positional (unnamed) value, a value holding a template, a row template
    starting inside a row (a missing ``}}``), a row template never closed. A row with a
    problem is left out of ``rows``; row indexes count every row template on the page, so
    they match what a member counts. A row's ``values`` hold the fields written in it (an
    absent parameter is absent), ``unknown`` the other named parameters (``lang`` is the
    charter's own). A page mwparserfromhell cannot parse gives one problem. Never raises.

    The page is tokenized once; flat rows at the top level are read from their tokens,
    everything between them from mwparserfromhell's tree of it (see wikitext_tokens). The
    result is the one ``parse_rows_tree`` gives, only faster.
    """
    mark = _marker(content)
    if not kind.has_rows or mark is None:
        return parse_rows_tree(content, kind, page)
    # Tokens are a dict each: pausing the cyclic garbage collector, which would otherwise
    # walk the whole heap several times while they are made, halves the time of a big page.
    with wikitext_tokens.cyclic_gc_paused():
        return _parse_tokens(content, kind, page, mark)


def _parse_tokens(content: str, kind: PageKind, page: str, mark: str) -> ParsedPage:
    try:
        stream = wikitext_tokens.tokenize(content)
    except (ParserError, RecursionError, ValueError):
        return _unreadable(page)
    codes = wikitext_tokens.token_codes(stream)
    if wikitext_tokens.UNKNOWN in codes:
        return parse_rows_tree(content, kind, page)
    wanted = normalize_template_name(kind.row_template or "")
    names: dict[str, bool] = {}

    def is_row(start: int) -> bool:
        name = stream[start + 1]["text"]
        if name not in names:
            names[name] = normalize_template_name(name) == wanted
        return names[name]

    reader = _Reader(content, kind, page, mark)
    try:
        reader.read_tokens(stream, codes, wikitext_tokens.top_level_runs(codes, is_row))
    except (ParserError, RecursionError, ValueError):
        return _unreadable(page)
    if reader.offset != len(content):  # cannot happen; if it did, lines would be wrong
        return parse_rows_tree(content, kind, page)
    return reader.result()


def parse_rows_tree(content: str, kind: PageKind, page: str) -> ParsedPage:
    """``parse_rows`` from mwparserfromhell's tree of the whole page (slower, same result)."""
    code = parse_wikitext(content)
    if code is None or not kind.has_rows:
        return _unreadable(page) if code is None else ParsedPage(rows=())
    reader = _Reader(content, kind, page, _marker(content))
    reader.read_tree(code)
    return reader.result()


def _unreadable(page: str) -> ParsedPage:
    problem = RowProblem(page, 1, TEMPLATE_FIELD, "the page cannot be read", 1)
    return ParsedPage(rows=(), problems=(problem,))


def _marker(content: str) -> str | None:
    """A character the page does not hold, to mark places in its tree (see ``_offsets``)."""
    return next((chr(c) for c in range(0xE000, 0xF900) if chr(c) not in content), None)


class _Reader:
    """Rows and problems of a page read in top-level pieces, in document order: each piece
    continues the row numbering and the source offset where the previous one stopped."""

    def __init__(self, content: str, kind: PageKind, page: str, mark: str | None) -> None:
        self.content, self.kind, self.page, self.mark = content, kind, page, mark
        self.rows: list[RawRow] = []
        self.problems: list[RowProblem] = []
        self.index = 0  # row templates and unclosed row starts seen so far
        self.offset = 0  # source characters read so far
        self.start = _start_pattern(kind)
        self.fields = {field.name: field for field in reversed(kind.fields)}
        self.ignored = LANG_PARAM if kind.single else None
        self._counted = (0, 1)  # (offset, line there): lines are counted incrementally

    def result(self) -> ParsedPage:
        return ParsedPage(rows=tuple(self.rows), problems=tuple(self.problems))

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
                    rows.append(RawRow(index, line, row.values, row.unknown))
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
        events = _row_events(code, self.kind, self.start)
        read = [read_row(event, self.kind, self.page, self.index + i, None)
                if isinstance(event, Template) else None
                for i, event in enumerate(events, start=1)]
        offsets, length = _offsets(code, events, self.mark)  # after reading: marks the tree
        for i, (outcome, offset) in enumerate(zip(read, offsets, strict=True), start=1):
            line = None if offset is None else self.line(self.offset + offset)
            if outcome is None:
                self._unclosed(self.index + i, line)
                continue
            row, row_problems = outcome
            self.problems.extend(replace(problem, line=line) for problem in row_problems)
            if row is not None:
                self.rows.append(replace(row, line=line))
        self.index += len(events)
        self.offset += length

    def _unclosed(self, index: int, line: int | None) -> None:
        name = self.kind.row_template
        self.problems.append(RowProblem(self.page, index, TEMPLATE_FIELD,
                                        f'this {{{{{name}}}}} is not closed: "}}}}" is missing',
                                        line))


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
    names = [name for name in names if name not in CHAR_TEMPLATES]
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


def _row_events(code: Wikicode, kind: PageKind,
                start: re.Pattern[str]) -> list[Template | tuple[Text, int]]:
    """Row templates and unclosed row starts (text node, position), in document order."""
    wanted = normalize_template_name(kind.row_template or "")
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


def _offsets(code: Wikicode, events: list[Template | tuple[Text, int]],
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
        if isinstance(event, Template):
            event.name.nodes.insert(0, Text(f"{mark}{i:08d}{mark}"))
        else:
            by_text.setdefault(id(event[0]), []).append((event[1], i))
    for event in events:
        if isinstance(event, tuple) and id(event[0]) in by_text:
            node = event[0]
            for position, i in sorted(by_text.pop(id(node)), reverse=True):
                node.value = f"{node.value[:position]}{mark}{i:08d}{mark}{node.value[position:]}"
    pattern = re.compile(f"{mark}(\\d{{8}}){mark}")
    source = str(code)
    seen = 0
    for seen, match in enumerate(pattern.finditer(source), start=1):
        i = int(match.group(1))
        offset = match.start() - (seen - 1) * width
        offsets[i] = offset - 2 if isinstance(events[i], Template) else offset  # after "{{"
    return offsets, len(source) - seen * width


def row_values(template: Template, kind: PageKind) -> Mapping[str, str]:
    """The readable values of a row template (fields only, problems ignored): for keys."""
    values: dict[str, str] = {}
    for param in template.params:
        field = kind.field(plain_text(param.name))
        if field is not None and param.showkey:
            values[field.name] = field_text(field, param.value)
    return values
