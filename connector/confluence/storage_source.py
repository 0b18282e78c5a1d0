"""A parsed page written back as it was written, except where it was changed.

``serialize`` (xml_escape) writes a whole page with the storage formatter: equivalent XML,
but not the bytes members (or Confluence's editor) wrote: ``&nbsp;`` comes back as the
character, ``'`` as ``&#39;``, ``<br />`` as ``<br/>``. A change to a page members wrote (an
upgrade) must leave what it did not change byte for byte, so ``write_back`` writes every
node whose subtree is as parsed as its source text, and only the nodes changed since with
the formatter (their start and end tags; their unchanged children again as source).

Where each node came from is bookkeeping around BeautifulSoup's html.parser tree builder
(``SpanRecorder``, driven by xml_escape's parser subclass); html.parser reports the
position (line, column) where each event (tag, end tag, text, comment, CDATA...) starts:

* an element starts where its start tag does (``sourceline``/``sourcepos``); one written
  self-closing, or a void element (``<br>``), ends with its start tag; any other ends where
  the event after its end tag starts. An element closed implicitly (``<p>`` closed by the
  ``</td>`` around it, or never closed) has no source of its own: it is always formatted
  (its children may still be written as source), while the element around it, closed by
  its own end tag, has one;
* a text (text, character and entity references together, as BeautifulSoup makes one
  string of them) runs from its first piece to the next event; a comment, a CDATA section,
  a declaration or a processing instruction from its start to the next event. A string
  whose source could read differently next to other markup (a text with a raw ``<`` or a
  bare ``&``, an unfinished comment at the end) keeps no source: it is formatted when its
  element is (``_self_contained``).

Right after parsing, each element's shape is remembered: name, attributes (in order),
children (which objects, in order), whether it is written self-closing. An element is
unchanged when its shape is the same and all its children are unchanged; a string is
unchanged when it is the very object parsed (strings are immutable: BeautifulSoup changes
text by replacing the string). Anything the tool inserts (parsed from its own rendering, in
another document) or changes is therefore formatted, with the escaping in xml_escape:
member values never reach a page unescaped. Cost: one walk of the tree, linear in its size.
"""

from __future__ import annotations

import re
from typing import Any

from bs4 import BeautifulSoup, NavigableString, PageElement, Tag
from bs4.element import PreformattedString
from bs4.formatter import Formatter

_REFERENCES = re.compile(r"(?:[^&]|&(?:#[0-9]+|#[xX][0-9a-fA-F]+|[a-zA-Z][a-zA-Z0-9]*);)*")
_ENCODING = "utf-8"  # what Tag.decode passes to _format_tag (only <meta charset> uses it)


class SourceMap:
    """The markup a page was parsed from, where each node came from, and each element's
    shape right after parsing."""

    def __init__(self) -> None:
        self.text = ""
        self.lines = [0]  # offset of each line's first character
        self._spans: dict[int, tuple[PageElement, int, int]] = {}
        self._shapes: dict[int, tuple[PageElement, tuple[Any, ...] | None]] = {}

    def feed(self, text: str) -> None:
        base = len(self.text)
        self.text += text
        at = text.find("\n")
        while at >= 0:
            self.lines.append(base + at + 1)
            at = text.find("\n", at + 1)

    def offset(self, line: int, column: int) -> int:
        """html.parser's position (line from 1, column from 0) as an offset in ``text``."""
        return self.lines[line - 1] + column

    def start_of(self, tag: Tag) -> int | None:
        if tag.sourceline is None or tag.sourcepos is None:
            return None
        return self.offset(tag.sourceline, tag.sourcepos)

    def add(self, node: PageElement, start: int | None, end: int) -> None:
        if start is None or not 0 <= start <= end <= len(self.text):
            return
        if isinstance(node, NavigableString) and not _self_contained(node,
                                                                      self.text[start:end]):
            return
        self._spans[id(node)] = (node, start, end)

    def source(self, node: PageElement) -> str | None:
        """The text ``node`` was parsed from (None when it has none of its own)."""
        span = self._spans.get(id(node))
        return self.text[span[1]:span[2]] if span is not None and span[0] is node else None

    def remember(self, root: Tag) -> None:
        """Every node's shape, as parsed (before anything changes the tree)."""
        for node in root.descendants:
            self._shapes[id(node)] = (node, _shape(node))

    def unchanged(self, top: PageElement) -> set[int]:
        """The ids of the nodes under ``top`` (and itself) that are as parsed."""
        order: list[PageElement] = []
        stack = [top]
        while stack:
            node = stack.pop()
            order.append(node)
            if isinstance(node, Tag):
                stack.extend(node.contents)
        same: set[int] = set()
        for node in reversed(order):  # children before their parent
            known = self._shapes.get(id(node))
            if known is None or known[0] is not node or known[1] != _shape(node):
                continue
            if isinstance(node, Tag) and not all(id(child) in same for child in node.contents):
                continue
            same.add(id(node))
        return same

    def write(self, top: PageElement, formatter: Formatter) -> str:
        """``top`` as storage format: unchanged nodes as their source, the rest formatted."""
        same = self.unchanged(top)
        out: list[str] = []
        stack: list[tuple[PageElement, bool]] = [(top, False)]
        while stack:
            node, closing = stack.pop()
            if closing:
                out.append(_format_tag(node, formatter, opening=False))
                continue
            if id(node) in same:
                source = self.source(node)
                if source is not None:
                    out.append(source)
                    continue
            if isinstance(node, NavigableString):
                out.append(node.output_ready(formatter))
                continue
            assert isinstance(node, Tag)
            out.append(_format_tag(node, formatter, opening=True))
            if not node.is_empty_element:
                stack.append((node, True))
                stack.extend((child, False) for child in reversed(node.contents))
        return "".join(out)


def _self_contained(node: NavigableString, source: str) -> bool:
    """Whether a string's source reads the same whatever is written next to it: a comment,
    CDATA section... complete up to its ``>``; a text without ``<`` (html.parser reads
    ``a <b`` or an unfinished ``</`` at the end of a page as text, which the next node could
    turn into markup) whose every ``&`` starts a reference ended by ``;`` (``R&`` before
    ``amp;`` would be ``R&amp;``). Storage format never has those (Confluence writes
    ``&lt;`` and ``&amp;``); one that has them is formatted, escaped."""
    if isinstance(node, PreformattedString):
        return source.startswith("<") and source.endswith(">")
    return "<" not in source and ("&" not in source or _REFERENCES.fullmatch(source) is not None)


def _shape(node: PageElement) -> tuple[Any, ...] | None:
    if not isinstance(node, Tag):
        return None  # a string: the same object is the same text
    return (node.name, node.prefix, tuple(node.attrs.items()) if node.attrs else (),
            tuple(id(child) for child in node.contents), node.can_be_empty_element,
            node.hidden)


def _format_tag(tag: Tag, formatter: Formatter, *, opening: bool) -> str:
    """A start or end tag exactly as ``Tag.decode`` writes it (bs4 >= 4.13)."""
    return tag._format_tag(_ENCODING, formatter, opening=opening)


class StorageSoup(BeautifulSoup):
    """A parsed page that knows its source (``source_map``, set while parsing)."""

    source_map: SourceMap | None = None


def write_back(node: PageElement, formatter: Formatter) -> str:
    """``node`` (a parsed page or part of one) with every unchanged node as its source; a
    node of a tree that kept no source is formatted entirely."""
    root: PageElement = node
    while root.parent is not None:
        root = root.parent
    source_map = root.source_map if isinstance(root, StorageSoup) else None
    if source_map is None:
        if isinstance(node, Tag):
            return node.decode(formatter=formatter)
        assert isinstance(node, NavigableString)
        return node.output_ready(formatter)
    return source_map.write(node, formatter)


class SpanRecorder:
    """Where each node of the soup being built starts and ends, from html.parser's events.

    The parser calls ``event`` at the start of each tag, end tag, comment, CDATA section,
    declaration and processing instruction, ``data`` at the start of each piece of text,
    and the methods below when an element or a string is made. A text becomes a string
    only when the next event starts (BeautifulSoup collects its pieces till then):
    ``event`` has it made at once, to know which string it is. An end tag, a comment...
    ends where the next event starts: one node at a time waits for it (``_waiting``)."""

    def __init__(self, soup: BeautifulSoup) -> None:
        self.soup = soup
        self.map = SourceMap()
        if isinstance(soup, StorageSoup):
            soup.source_map = self.map
        self._lines = self.map.lines
        self._waiting: PageElement | None = None
        self._waiting_start: int | None = None
        self._data_start: int | None = None
        self._event_start = 0

    def feed(self, text: str) -> None:
        self.map.feed(text)

    def event(self, position: tuple[int, int]) -> None:
        at = self._lines[position[0] - 1] + position[1]
        if self._waiting is not None:
            self._settle(at)
        if self.soup.current_data:
            self._flush(at)
        self._data_start = None
        self._event_start = at

    def data(self, position: tuple[int, int]) -> None:
        if self._waiting is not None or self._data_start is None:
            at = self._lines[position[0] - 1] + position[1]
            if self._waiting is not None:
                self._settle(at)
            if self._data_start is None:
                self._data_start = at

    def closed_with_start_tag(self, tag: Tag | None, start_tag: str | None) -> None:
        """``tag`` (void, or written ``<tag/>``) ends with its start tag."""
        if tag is not None and start_tag:
            start = self.map.start_of(tag)
            if start == self._event_start:
                self.map.add(tag, start, start + len(start_tag))

    def closed_by_end_tag(self, tag: Tag) -> None:
        self._waiting, self._waiting_start = tag, self.map.start_of(tag)

    def string_made(self) -> None:
        """A comment, CDATA section, declaration or processing instruction was just made."""
        current = self.soup.currentTag
        if current is not None and current.contents:
            self._waiting, self._waiting_start = current.contents[-1], self._event_start

    def close(self) -> None:
        """The markup is over: the last nodes end with it."""
        end = len(self.map.text)
        if self._waiting is not None:
            self._settle(end)
        self._flush(end)

    def _settle(self, at: int) -> None:
        assert self._waiting is not None
        self.map.add(self._waiting, self._waiting_start, at)
        self._waiting = None

    def _flush(self, at: int) -> None:
        """The text read since the last event made a string now, ending at ``at``."""
        start, self._data_start = self._data_start, None
        if not self.soup.current_data:
            return
        self.soup.endData()
        current = self.soup.currentTag
        if start is not None and current is not None and current.contents and \
                isinstance(current.contents[-1], NavigableString):
            self.map.add(current.contents[-1], start, at)
