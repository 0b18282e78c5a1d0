"""Rows read straight from mwparserfromhell's token stream, for the rows that need no tree.

mwparserfromhell parses in two steps: its C tokenizer turns the page into a flat list of
tokens, then a pure-Python builder turns the tokens into a tree; the builder costs several
times the tokenizer. A row as cop-connector writes it (and as most members write it) is a
flat run of tokens: ``{{``, the name, then ``|name=value`` parameters whose values are text,
character references and bare URLs. Such a row is read here from its tokens; everything else
on the page (prose, markup, rows holding comments, tags, links, templates...) is handed back
to mwparserfromhell's own builder, a top-level run of tokens at a time (see wikitext_parse).

Nothing here tokenizes or parses wikitext itself: the tokens are mwparserfromhell's, and a
row is only read here when its token types prove it holds nothing but the above.

Each token gets a one-letter code, so the page's token types form a string that regular
expressions can search at C speed: ``_SIMPLE_ROW`` finds the flat template calls, and the
pairs of opening and closing tokens tell whether a run of tokens is at the top level.
"""

from __future__ import annotations

import gc
import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from itertools import repeat
from typing import Any, NamedTuple

from mwparserfromhell.nodes import HTMLEntity
from mwparserfromhell.parser import CTokenizer, tokens, use_c
from mwparserfromhell.parser.tokenizer import Tokenizer

# PHP's trim(): what MediaWiki strips around a named template parameter's value.
PHP_SPACE = " \t\n\r\0\x0b"

_CODES: dict[type, str] = {
    tokens.Text: "t",
    tokens.TemplateOpen: "O", tokens.TemplateParamSeparator: "|",
    tokens.TemplateParamEquals: "=", tokens.TemplateClose: "C",
    tokens.ArgumentOpen: "A", tokens.ArgumentSeparator: "a", tokens.ArgumentClose: "B",
    tokens.WikilinkOpen: "W", tokens.WikilinkSeparator: "w", tokens.WikilinkClose: "V",
    tokens.ExternalLinkOpen: "L", tokens.ExternalLinkSeparator: "l",
    tokens.ExternalLinkClose: "E",
    tokens.HTMLEntityStart: "&", tokens.HTMLEntityNumeric: "#", tokens.HTMLEntityHex: "x",
    tokens.HTMLEntityEnd: ";",
    tokens.HeadingStart: "H", tokens.HeadingEnd: "h",
    tokens.CommentStart: "M", tokens.CommentEnd: "m",
    tokens.TagOpenOpen: "T", tokens.TagAttrStart: "s", tokens.TagAttrEquals: "e",
    tokens.TagAttrQuote: "q", tokens.TagCloseOpen: ">", tokens.TagCloseSelfclose: "/",
    tokens.TagOpenClose: "<", tokens.TagCloseClose: "c",
}
UNKNOWN = "?"  # a token type this module does not know (a newer mwparserfromhell)
# Tokens that open a node and those that close one: each opener has exactly one closer.
_OPENERS, _CLOSERS = "OAWL&HMT", "CBVE;hm/c"
_DEPTH = str.maketrans({**dict.fromkeys(_CODES.values()), **dict.fromkeys(_OPENERS, "("),
                        **dict.fromkeys(_CLOSERS, ")")})

# A character reference: &name; &#123; &#x1F;  (see Builder._handle_entity)
_ENTITY = r"&(?:#x?)?t;"
# A template call whose parameters are all named, with names that are plain text and values
# made of text, character references and links (bare URLs, checked when read) only.
_SIMPLE_ROW = re.compile(
    rf"Ot(?:\|t=(?:t|{_ENTITY}|L(?:t|{_ENTITY})*E)*)*C")


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector (if it runs) for the time of the block.

    Tokens are plain containers without cycles, and a big page makes hundreds of thousands
    of them: each batch of new containers would trigger a collection, and some of those walk
    the whole heap. Reference counting still frees everything as usual; the collector resumes
    (and catches up) after the block. cop-connector parses on one thread."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def tokenize(content: str) -> list[Any]:
    """mwparserfromhell's tokens for a page, as ``mwparserfromhell.parse`` gets them.

    Raises what mwparserfromhell's tokenizer raises (ParserError on an internal error)."""
    tokenizer = CTokenizer() if use_c and CTokenizer else Tokenizer()
    return tokenizer.tokenize(content, 0, False)


def token_codes(stream: list[Any]) -> str:
    """One letter per token (``UNKNOWN`` for a type not in ``_CODES``)."""
    return "".join(map(_CODES.get, map(type, stream), repeat(UNKNOWN)))


def top_level_runs(codes: str, is_row: Callable[[int], bool]) -> list[tuple[int, int, bool]]:
    """The token stream cut at the top level into (start, end, candidate) runs, in order.

    A candidate is a flat template call at the top level for which ``is_row(start)`` holds;
    the other runs are what lies between candidates: each is balanced (every node it opens
    it closes), so mwparserfromhell's builder builds it on its own exactly as it builds it
    within the page.
    """
    runs: list[tuple[int, int, bool]] = []
    done = scanned = depth = 0  # runs end at ``done``; ``depth`` is the depth at ``scanned``
    for match in _SIMPLE_ROW.finditer(codes):
        start, end = match.span()
        depth += _net_depth(codes, scanned, start)  # a flat call itself opens what it closes
        scanned = end
        if depth or not is_row(start):
            continue  # inside another node, or another template: part of a run between
        if done < start:
            runs.append((done, start, False))
        runs.append((start, end, True))
        done = end
    if done < len(codes):
        runs.append((done, len(codes), False))
    return runs


def _net_depth(codes: str, start: int, end: int) -> int:
    if end - start == 1 and codes[start] == "t":  # the line break between two rows
        return 0
    marks = codes[start:end].translate(_DEPTH)
    return 2 * marks.count("(") - len(marks)


class FlatRow(NamedTuple):
    """A flat row read from its tokens: values (fields only), unknown parameter names, the
    length of its source text and the unknown parameters' values."""

    values: dict[str, str]
    unknown: tuple[str, ...]
    length: int
    extra: dict[str, str]


def read_flat_row(stream: list[Any], codes: str, start: int, end: int,
                  fields: Mapping[str, object], ignored: str | None) -> FlatRow | None:
    """The row of the candidate ``stream[start:end]`` (see ``top_level_runs``), read as
    ``wikitext_parse.read_row`` reads its tree; None when it holds a link in brackets (its
    URL field needs the tree). ``fields`` are the kind's fields by name, ``ignored`` a
    parameter that is neither a field nor unknown (the charter's ``lang``)."""
    name = stream[start + 1]["text"]
    values: dict[str, str] = {}
    unknown: list[str] = []
    extra: dict[str, str] = {}
    length = 4 + len(name)  # {{name}}
    position = start + 2  # at a "|", followed by the name, "=" and the value
    params = codes[start + 3:end - 1].split("|") if end - start > 3 else ()
    for param in params:  # "t=" and the value's codes
        key = stream[position + 1]["text"]
        if param == "t=t":  # the usual value: one text
            text = stream[position + 3]["text"]
            value, size = text.strip(PHP_SPACE), len(text)
        elif param == "t=LtE" and not stream[position + 3].get("brackets"):  # a bare URL
            value = stream[position + 4]["text"]  # a link is never trimmed
            size = len(value)
        elif param in _TEXT_ENTITY_TEXT:  # "R&amp;D team": trimmed up to the reference
            before = stream[position + 3]["text"]
            after = stream[position + len(param)]["text"]  # the parameter's last token
            entity, size, _ = _entity(stream, codes, position + 4)
            value = before.lstrip(PHP_SPACE) + entity + after.rstrip(PHP_SPACE)
            size += len(before) + len(after)
        else:
            read = _value(stream, codes, position + 3, position + 1 + len(param))
            if read is None:
                return None
            value, size = read
        length += 2 + len(key) + size  # |key=value
        position += 1 + len(param)
        key = key.strip(PHP_SPACE)
        if key in fields:
            values[key] = value  # a duplicate: the last one wins, as in read_row
        elif key != ignored:
            if key not in unknown:
                unknown.append(key)
            extra[key] = value
    return FlatRow(values, tuple(unknown), length, extra)


_TEXT_ENTITY_TEXT = frozenset({"t=t&t;t", "t=t&#t;t", "t=t&#xt;t"})


Piece = tuple[str, bool]  # a node's plain text, and whether it is literal text (trimmable)


def _value(stream: list[Any], codes: str, start: int, end: int) -> tuple[str, int] | None:
    """A flat value's plain text (trimmed like ``plain_text``) and source length."""
    pieces: list[Piece] = []
    length = 0
    position = start
    while position < end:
        code = codes[position]
        if code == "t":
            text = stream[position]["text"]
            pieces.append((text, True))
            length += len(text)
            position += 1
        elif code == "&":
            text, size, position = _entity(stream, codes, position)
            pieces.append((text, False))
            length += size
        else:  # "L": a link, its closing "E" is the first one after it
            if stream[position].get("brackets"):
                return None
            text, size, position = _bare_url(stream, codes, position + 1)
            pieces.append((text, False))
            length += size
    trim(pieces, str.lstrip, range(len(pieces)))
    trim(pieces, str.rstrip, range(len(pieces) - 1, -1, -1))
    return "".join(text for text, _ in pieces), length


def _bare_url(stream: list[Any], codes: str, position: int) -> tuple[str, int, int]:
    """A bare URL's text (its source is the URL itself), its length and where it ends."""
    parts: list[str] = []
    length = 0
    while codes[position] != "E":
        if codes[position] == "t":
            text = stream[position]["text"]
            parts.append(text)
            length += len(text)
            position += 1
        else:
            text, size, position = _entity(stream, codes, position)
            parts.append(text)
            length += size
    return "".join(parts), length, position + 1


_ENTITIES: dict[tuple[str, str], str] = {}


def _entity(stream: list[Any], codes: str, position: int) -> tuple[str, int, int]:
    """A character reference at ``position``: its character (as ``HTMLEntity.normalize``
    gives it), its source length and the position after it."""
    if codes[position + 1] == "t":  # &name;
        kind, value, end = "named", stream[position + 1]["text"], position + 3
    elif codes[position + 2] == "x":  # &#xhex;
        kind, value, end = "hex", stream[position + 3]["text"], position + 5
    else:  # &#decimal;
        kind, value, end = "decimal", stream[position + 2]["text"], position + 4
    text = _ENTITIES.get((kind, value))
    if text is None:
        if len(_ENTITIES) > 4096:  # a page of junk: keep the cache small
            _ENTITIES.clear()
        node = HTMLEntity(value, named=kind == "named", hexadecimal=kind == "hex")
        text = _ENTITIES[(kind, value)] = node.normalize()
    return text, len(value) + end - position - 1, end  # one character per token but the text


def trim(pieces: list[Piece], strip: Callable[[str, str], str], order: range) -> None:
    """Strip PHP white space from the literal pieces at one end, up to the first piece that
    keeps some text or is not literal (a character reference is never trimmed)."""
    for i in order:
        text, literal = pieces[i]
        if not literal:
            return
        pieces[i] = (strip(text, PHP_SPACE), literal)
        if pieces[i][0]:
            return
