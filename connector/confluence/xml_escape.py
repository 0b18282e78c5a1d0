"""Text in Confluence storage format: written escaped, read back as plain text.

Every value written to a page goes through the escaping here.

Storage format is XML (XHTML plus the ``ac:`` and ``ri:`` namespaces). Text and attribute
values are written with all five XML special characters as references (``&amp; &lt; &gt;
&quot; &#39;``; ``&#39;`` rather than ``&apos;``, which HTML 4 lacks, so every reader knows
it), so a value can never open an element, a macro, a comment, a CDATA section, an entity, or
close a CDATA section (``]]>`` becomes ``]]&gt;``). Characters XML 1.0 cannot carry (C0
controls but tab and line breaks, lone surrogates, U+FFFE/U+FFFF) are dropped: Confluence
would reject the page. ``\\r`` is written ``&#13;`` because an XML parser folds it into
``\\n``; in attribute values tab and line feed are references too, because XML
attribute-value normalization turns them into spaces.

The same escaping is the serialization policy (``StorageFormatter``) when a parsed page is
written back, so a page rendered by cop-connector is a fixed point of parse -> serialize.
A page members wrote and cop-connector changes (an upgrade) is parsed with
``keep_source=True`` and written with ``write_back``: what was not changed comes back byte
for byte as it was written, only the changed and new nodes go through the formatter (see
storage_source).

Reading and writing back (``parse_storage``, ``serialize``) use BeautifulSoup with the
standard library's ``html.parser`` (lxml is not a dependency, and BeautifulSoup's "xml"
feature needs it). What the storage round trip needed beyond the defaults:

* self-closing elements (``<ri:page .../>``, ``<time .../>``): html.parser reports them
  (``handle_startendtag``) but BeautifulSoup forgets it and writes ``<ri:page ...></ri:page>``;
  a small parser subclass marks them so they are written back self-closing;
* CDATA sections (``<ac:plain-text-body><![CDATA[ x < y ]]>``): BeautifulSoup keeps them
  (``CData``) and writes them verbatim; Python versions whose html.parser treats CDATA
  outside SVG/MathML as a bogus comment are asked to read CDATA everywhere;
* attribute order: the default formatter sorts attributes, ours keeps the source order;
* ``class`` and the like: no splitting into lists (``multi_valued_attributes=None``), so
  their spacing is kept;
* white space: BeautifulSoup collapses a text of white space only (even a CDATA section)
  unless it sits in a "preserve white space" element; the document itself is declared one;
* tag and attribute names are lower-cased by html.parser: storage format's names
  (``ac:structured-macro``, ``ri:content-title``, ...) are lower-case already;
* character references are decoded once on reading; writing escapes again (above), so
  ``&amp;lt;`` stays ``&amp;lt;`` but ``&nbsp;`` comes back as the character itself.

Reading back (``read_cell``): a cell's text is what it shows. Paragraphs and ``<br/>`` are
line breaks, links their text, ``<time datetime>`` its date, a user mention
(``<ac:link><ri:user .../></ac:link>``) its link text or, since storage format holds no
display name, the account id (Cloud), user key or user name (Data Center); a status
lozenge its title; non-breaking spaces and source white space are spaces. A nested table
or any other macro makes the cell unreadable (``CellText.trouble``).
"""

from __future__ import annotations

import re
import warnings
from typing import Any

from bs4 import (
    BeautifulSoup,
    MarkupResemblesLocatorWarning,
    NavigableString,
    Tag,
    XMLParsedAsHTMLWarning,
)
from bs4.builder import HTMLParserTreeBuilder
from bs4.builder._htmlparser import BeautifulSoupHTMLParser
from bs4.element import Comment, Declaration, Doctype, ProcessingInstruction
from bs4.exceptions import ParserRejectedMarkup
from bs4.formatter import HTMLFormatter
from msgspec import Struct, field

from .storage_source import SpanRecorder, StorageSoup
from .storage_source import write_back as source_write_back

# Everything outside XML 1.0's Char production.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_TEXT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;",
                       "\r": "&#13;"})
_ATTRIBUTE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;",
                            "'": "&#39;", "\r": "&#13;", "\n": "&#10;", "\t": "&#9;"})
BREAK = "<br/>"


def xml_chars(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot carry."""
    return _NOT_XML.sub("", text)


def escape_text(text: str) -> str:
    """``text`` as inert XML character data that reads back as exactly ``text`` (minus the
    characters XML cannot carry). Line breaks stay line breaks (white space in XHTML: use
    ``escape_lines`` for a value whose lines must show). Never raises."""
    return xml_chars(text).translate(_TEXT)


def escape_attribute(text: str) -> str:
    """``text`` for a double-quoted attribute value; reads back as exactly ``text``."""
    return xml_chars(text).translate(_ATTRIBUTE)


def escape_lines(text: str) -> str:
    """``text`` escaped line by line, the lines joined by ``<br/>`` (a multi-line value in a
    table cell or a paragraph). ``\\r\\n`` and ``\\r`` count as line breaks."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return BREAK.join(escape_text(line) for line in lines)


class StorageFormatter(HTMLFormatter):
    """How BeautifulSoup writes a parsed page back as storage format.

    * text and attribute values escaped as above (the default "minimal" formatter leaves
      quotes and characters XML cannot carry);
    * attributes in the order they were read (the default sorts them);
    * empty elements as ``<tag/>`` (void HTML elements, and every element the source wrote
      self-closing, see ``_StorageHTMLParser``);
    * CDATA sections and comments verbatim (BeautifulSoup never escapes those).
    """

    def __init__(self) -> None:
        super().__init__(entity_substitution=escape_text, void_element_close_prefix="/")

    def attribute_value(self, value: str) -> str:
        return escape_attribute(value)

    def attributes(self, tag: Tag) -> list[tuple[str, Any]]:
        return list(tag.attrs.items()) if tag.attrs is not None else []


FORMATTER = StorageFormatter()


def serialize(node: Tag) -> str:
    """A parsed page (or part of one) as storage format, with ``FORMATTER``: all of it
    normalized (see ``write_back`` to keep what was not changed as it was written)."""
    return node.decode(formatter=FORMATTER)


def write_back(node: Tag) -> str:
    """A page parsed by ``parse_storage(..., keep_source=True)`` (or part of one) after
    changes: every node as parsed written as its source, byte for byte; changed and new
    nodes with ``FORMATTER`` (see storage_source). Without a source, ``serialize``."""
    return source_write_back(node, FORMATTER)


class _StorageHTMLParser(BeautifulSoupHTMLParser):
    """html.parser as BeautifulSoup drives it, remembering self-closing elements."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Newer html.parser versions read "<![CDATA[" outside SVG/MathML as a bogus comment
        # (HTML5 rules); storage format is XML, where CDATA is CDATA everywhere.
        support_cdata = getattr(self, "_set_support_cdata", None)
        if support_cdata is not None:
            support_cdata(True)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # What BeautifulSoupHTMLParser does, plus: the element may stay empty-element, so it
        # is written back "<tag/>" (as long as it stays empty).
        self.handle_starttag(tag, attrs, handle_empty_element=False)
        element = self.soup.currentTag
        if element is not None and element.name == tag:
            element.can_be_empty_element = True
        self.handle_endtag(tag, check_already_closed=False)


class _SourceHTMLParser(_StorageHTMLParser):
    """The same, also telling a SpanRecorder (storage_source) where each html.parser event
    starts (``getpos()`` in a callback), so each node's source is known (``write_back``).
    BeautifulSoup's parser calls some handlers itself (``handle_starttag`` from
    ``handle_startendtag``, ``handle_endtag`` for a void element, ``handle_data`` for a
    character reference): those nested calls are no new event."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.spans = SpanRecorder(self.soup)

    def feed(self, data: str) -> None:
        self.spans.feed(data)
        super().feed(data)

    def close(self) -> None:
        super().close()
        self.spans.close()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.spans.event(self.getpos())
        super().handle_startendtag(tag, attrs)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]],
                        handle_empty_element: bool = True) -> None:
        if handle_empty_element:  # html.parser's call, not handle_startendtag's
            self.spans.event(self.getpos())
        super().handle_starttag(tag, attrs, handle_empty_element)

    def handle_endtag(self, tag: str, check_already_closed: bool = True) -> None:
        if not check_already_closed:  # a void or self-closing element, closed at once
            self.spans.closed_with_start_tag(self.soup.currentTag, self.get_starttag_text())
            super().handle_endtag(tag, check_already_closed)
            return
        self.spans.event(self.getpos())
        closing = None
        if tag not in self.already_closed_empty_element and self.soup.open_tag_counter.get(tag):
            # The element this end tag closes, as BeautifulSoup's _popToTag finds it; those
            # still open inside it are closed implicitly and get no source of their own.
            stack = self.soup.tagStack
            for at in range(len(stack) - 1, 0, -1):
                if stack[at].name == tag and stack[at].prefix is None:
                    closing = stack[at]
                    break
        super().handle_endtag(tag, check_already_closed)
        if closing is not None:
            self.spans.closed_by_end_tag(closing)

    def handle_data(self, data: str) -> None:
        self.spans.data(self.getpos())
        super().handle_data(data)

    def handle_comment(self, data: str) -> None:
        self.spans.event(self.getpos())
        super().handle_comment(data)
        self.spans.string_made()

    def handle_decl(self, decl: str) -> None:
        self.spans.event(self.getpos())
        super().handle_decl(decl)
        self.spans.string_made()

    def unknown_decl(self, data: str) -> None:
        self.spans.event(self.getpos())
        super().unknown_decl(data)
        self.spans.string_made()

    def handle_pi(self, data: str) -> None:
        self.spans.event(self.getpos())
        super().handle_pi(data)
        self.spans.string_made()


# BeautifulSoup turns a text made only of white space into one space or line break, except
# inside these elements; the document itself among them, white space is kept everywhere (a
# CDATA section of blank lines in a code macro, spaces a member typed).
_KEEP_WHITE_SPACE = {"[document]", "pre", "textarea"}


class _StorageTreeBuilder(HTMLParserTreeBuilder):
    """The html.parser tree builder, driving our parser subclass (``feed`` takes the parser
    class since beautifulsoup4 4.13); the one recording sources for a StorageSoup."""

    def feed(self, markup: Any,
             _parser_class: type[BeautifulSoupHTMLParser] = _StorageHTMLParser) -> None:
        if isinstance(self.soup, StorageSoup):
            _parser_class = _SourceHTMLParser
        super().feed(markup, _parser_class=_parser_class)


def parse_storage(content: str, *, keep_source: bool = False) -> BeautifulSoup | None:
    """The parsed page, or None when html.parser rejects it. Never raises.

    ``keep_source``: remember where each node came from, so ``write_back`` writes what was
    not changed as it was written (a page that is changed and written back); it costs some
    time, needless to read a page.

    Markup that looks like a file name or XML is still parsed as storage format (the
    warnings BeautifulSoup gives for those are for people, not for page content)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", MarkupResemblesLocatorWarning)
            warnings.simplefilter("ignore", XMLParsedAsHTMLWarning)
            builder = _StorageTreeBuilder(multi_valued_attributes=None,
                                          preserve_whitespace_tags=_KEEP_WHITE_SPACE)
            soup_class = StorageSoup if keep_source else BeautifulSoup
            soup = soup_class(content, builder=builder)
    except (ParserRejectedMarkup, AssertionError, RecursionError, ValueError):
        return None
    if isinstance(soup, StorageSoup) and soup.source_map is not None:
        soup.source_map.remember(soup)
    return soup


# --- reading text back ---------------------------------------------------------------------

_BLOCKS = frozenset({"p", "div", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "pre",
                     "blockquote", "dl", "dt", "dd", "ac:task", "ac:task-list"})
_MACROS = frozenset({"ac:structured-macro", "ac:macro", "ac:adf-extension", "ac:adf-node"})
# Elements that show no text of the value (placeholders are the editor's hints).
_SILENT = frozenset({"ac:placeholder", "ac:parameter", "ac:emoticon", "ac:image", "img",
                     "script", "style", "ac:task-id", "ac:task-uuid", "ac:task-status"})
_NOT_TEXT = (Comment, Declaration, Doctype, ProcessingInstruction)
# What a link to a resource shows when it has no body: the resource's own name.
_RESOURCE_NAMES = ("ri:content-title", "ri:filename", "ri:value", "ri:account-id", "ri:userkey",
                   "ri:username", "ri:space-key")


class CellText(Struct):
    """What a cell shows; ``trouble`` says why it cannot be read as a value (and
    ``trouble_code``, ``trouble_params`` the same without a language: problems.toml).
    ``linked`` is ``text`` with each link's target after its label (``the report
    <https://x.example/r>``): what a text field keeps, so that no link a member wrote is
    lost (the same form as on MediaWiki)."""

    text: str = ""
    href: str | None = None  # the first link's target
    date: str | None = None  # the first <time datetime>
    trouble: str | None = None
    trouble_code: str = ""
    trouble_params: dict[str, str] = field(default_factory=dict)
    linked: str = ""

    def fail(self, message: str, code: str, **params: str) -> None:
        """Say why the cell cannot be read (the first reason found wins)."""
        if self.trouble is None:
            self.trouble, self.trouble_code, self.trouble_params = message, code, params


# A link's target, to write after its label in ``CellText.linked``: (where in the pieces
# the label starts, the target); put in place when the walk leaves the link.
_Target = tuple[int, str]


def read_cell(cell: Tag) -> CellText:
    """The plain text of a cell (or of any element), walked without recursion."""
    found = CellText()
    pieces: list[str] = []
    targets: list[tuple[int, str]] = []  # (after which piece, " <target>") for ``linked``
    stack: list[tuple[object, bool | _Target]] = [(child, True)
                                                  for child in reversed(cell.contents)]
    while stack:
        node, entering = stack.pop()
        if entering is False:
            _line_break(pieces, soft=True)
        elif entering is not True:
            _link_target(pieces, entering, targets)  # leaving a link
        elif isinstance(node, NavigableString):
            if not isinstance(node, _NOT_TEXT):
                _text(pieces, _spaces(str(node)))
        elif isinstance(node, Tag):
            _enter(node, found, pieces, stack, targets)
    found.text = "".join(pieces).strip(" \n")
    found.linked = _with_targets(pieces, targets).strip(" \n") if targets else found.text
    return found


def _enter(tag: Tag, found: CellText, pieces: list[str],
           stack: list[tuple[object, bool | _Target]], targets: list[tuple[int, str]]) -> None:
    name = tag.name
    if name == "br":
        _line_break(pieces, soft=False)
    elif name == "table":
        found.fail("contains a table, which cannot be read; write plain text", "table_in_cell")
    elif name in _MACROS:
        _macro(tag, found, pieces)
    elif name == "time":
        date = attribute(tag, "datetime")
        found.date = found.date if found.date is not None else date
        _text(pieces, date or read_cell(tag).text)
    elif name == "ac:link":
        label, target = _link_text(tag, found)
        start = len(pieces)
        _text(pieces, label)
        _link_target(pieces, (start, target), targets)
    elif name not in _SILENT:
        href = attribute(tag, "href") if name == "a" else ""
        if href and found.href is None:
            found.href = href
        if name in _BLOCKS:
            _line_break(pieces, soft=True)
            stack.append((tag, False))
        elif href:
            stack.append((tag, (len(pieces), href)))  # its target, once its label is read
        stack.extend((child, True) for child in reversed(tag.contents))


def _link_target(pieces: list[str], link: _Target, targets: list[tuple[int, str]]) -> None:
    """Remember a link's target, to write after its label (``link_text``'s rules)."""
    start, target = link
    label = "".join(pieces[start:]).strip()
    target = target.strip()
    if target and label != target:
        targets.append((len(pieces), f" <{target}>" if label else target))


def _with_targets(pieces: list[str], targets: list[tuple[int, str]]) -> str:
    out: list[str] = []
    at = 0
    for position, text in targets:
        out += pieces[at:position]
        out.append(text)
        at = position
    return "".join(out + pieces[at:])


def _text(pieces: list[str], text: str) -> None:
    """Add shown text; white space alone does not start a line (layout between blocks)."""
    if text.strip() or (text and pieces and pieces[-1] != "\n"):
        pieces.append(text)


def _line_break(pieces: list[str], *, soft: bool) -> None:
    """A <br/> always breaks the line; a block boundary only ends a line already started."""
    if not soft or (pieces and pieces[-1] != "\n"):
        pieces.append("\n")


def _spaces(text: str) -> str:
    """Source white space (and non-breaking spaces) show as spaces in XHTML."""
    return text.replace("\xa0", " ").replace("\n", " ").replace("\r", " ").replace("\t", " ")


def attribute(tag: Tag, name: str) -> str:
    """An attribute's value as a string ('' when absent)."""
    value = tag.get(name)
    return value if isinstance(value, str) else " ".join(value or ())


def _macro(tag: Tag, found: CellText, pieces: list[str]) -> None:
    """A status lozenge reads as its title (a natural way to write a choice); any other
    macro makes the cell unreadable."""
    name = attribute(tag, "ac:name").strip().lower()
    if name == "status":
        title = next((p for p in tag.find_all("ac:parameter")
                      if attribute(p, "ac:name").lower() == "title"), None)
        _text(pieces, read_cell(title).text if title is not None else "")
        return
    shown = f" ({name})" if name else ""
    found.fail(f"contains a macro{shown}, which cannot be read; write plain text",
               "macro_in_cell", macro=name or "?")


def _link_text(link: Tag, found: CellText) -> tuple[str, str]:
    """An ``ac:link``: its body's text, else the name of what it links to; and its target
    worth keeping after the text (a web address, or the page it links to)."""
    url = link.find("ri:url")
    target = ""
    if isinstance(url, Tag) and attribute(url, "ri:value"):
        target = attribute(url, "ri:value")
        if found.href is None:
            found.href = target
    page = link.find("ri:page")
    if isinstance(page, Tag) and not target:
        target = attribute(page, "ri:content-title")
    for body_name in ("ac:link-body", "ac:plain-text-link-body"):
        body = link.find(body_name)
        if isinstance(body, Tag):
            text = read_cell(body).text
            if text:
                return text, target
    for resource in link.find_all(True):
        for name in _RESOURCE_NAMES:
            if attribute(resource, name):
                return _spaces(attribute(resource, name)), target
    return "", target
