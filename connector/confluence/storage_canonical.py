"""The canonical form of storage-format markup: what a member changed, not what an editor
rewrote when the page was saved.

Two markups have the same canonical form when they show the same thing. The template's
sections (regions) are compared in this form -- with the page as provisioned through the
short hash its begin anchor carries (storage_markers), with the template's current version
(storage_regions) -- so a section reads as edited only when a person changed what it shows.

What Confluence's editors change on every save, and the canonical form ignores (see
tests/fixtures/confluence_corpus/README.md for where each form is documented):

* Cloud's editor writes every list item's text in a paragraph (``<li><p>x</p></li>``), and
  every table cell's (``<td><p>x</p></td>``): a paragraph alone in a list item or a cell is
  unwrapped;
* ids and layout: ``local-id``, ``ac:local-id``, ``ac:macro-id``, ``data-layout``,
  ``data-table-width``, ``class``, ``style``... -- only the attributes that carry content
  are kept: link targets (``href``, ``ri:*`` resource names), dates (``datetime``), names
  (``ac:name``: macro, parameter, emoticon) and anchors (``ac:anchor``);
* empty paragraphs (``<p />``, ``<p><br /></p>``) and a line break ending a block;
  ``<colgroup>`` column widths, the ``<thead>``/``<tbody>`` wrappers, the "numbered rows"
  column (``class="numberingColumn"`` cells), task ids;
* white space between blocks and runs of it in text (non-breaking spaces included), as a
  browser shows them; attribute order, self-closing and entity forms (parsing does that);
  ``<b>``/``<i>`` for ``<strong>``/``<em>`` (the editors store the latter);
* inline comment markers (``ac:inline-comment-marker``): a comment is no edit of the text.

Everything else counts: element names and nesting, text (escaped, so typed ``<p>`` is not a
paragraph), kept attributes, the text of code macros as written (white space included).

``canonical_storage`` is the one pure function; ``canonical_nodes`` the same for parsed
nodes (never changed: the form is made from a copy). ``legacy_canonical`` is the form the
anchors' hashes were computed on before (a page provisioned then still matches).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import Comment, Declaration, Doctype, ProcessingInstruction

from .xml_escape import attribute, escape_attribute, escape_text, parse_storage

_NOT_TEXT = (Comment, Declaration, Doctype, ProcessingInstruction)
_DROPPED = frozenset({"colgroup", "ac:task-id", "ac:task-uuid"})
_UNWRAPPED = frozenset({"thead", "tbody", "tfoot", "ac:inline-comment-marker"})
_ALIASES = {"b": "strong", "i": "em"}
# The elements that hold one paragraph of text when Cloud's editor stores them.
_CELLS = frozenset({"li", "td", "th"})
_KEPT = frozenset({"href", "datetime", "ac:name", "ac:anchor"})
_NOT_KEPT_RI = frozenset({"ri:version-at-save", "ri:local-id"})
# Inline elements: white space around them is text. Every other element is a block:
# white space at its edges shows nothing.
_INLINE = frozenset({
    "a", "abbr", "b", "big", "cite", "code", "del", "em", "font", "i", "ins", "kbd", "mark",
    "q", "s", "samp", "small", "span", "strike", "strong", "sub", "sup", "time", "u", "var",
    "ac:link", "ac:link-body", "ac:plain-text-link-body", "ac:emoticon", "ac:image",
    "ac:placeholder", "ac:structured-macro", "ac:macro",
})
# Text shown as written, white space included.
_VERBATIM = frozenset({"pre", "ac:plain-text-body"})


def canonical_storage(xhtml: str) -> str:
    """The canonical form of a piece of storage format (see the module docstring): equal
    for markups that differ only by what an editor rewrites on save, different when the
    text, the structure or a link target differs. Never raises (markup html.parser cannot
    read compares as its white-space-collapsed text)."""
    soup = parse_storage(xhtml)
    if soup is None:
        return " ".join(xhtml.split())
    return canonical_nodes(soup.contents)


def canonical_nodes(nodes: Iterable[Any]) -> str:
    """The canonical form of a run of parsed nodes (left as they are)."""
    writer = _Writer()
    writer.write(normalized(nodes))
    return "".join(writer.out)


def normalized(nodes: Iterable[Any]) -> Tag:
    """A copy of ``nodes`` in one element, without what the editors add or rewrite."""
    root = BeautifulSoup("", "html.parser").new_tag("cop-root")
    for node in nodes:
        root.append(copy.copy(node))
    for node in list(root.descendants):
        if isinstance(node, _NOT_TEXT) or _dropped(node):
            node.extract()
    for tag in root.find_all(_UNWRAPPED):
        tag.unwrap()
    for tag in reversed(root.find_all(True)):  # innermost first
        _trim(tag)
    for tag in root.find_all(_CELLS):
        _unwrap_sole_paragraph(tag)
    return root


def _dropped(node: Any) -> bool:
    if not isinstance(node, Tag):
        return False
    if node.name in _DROPPED or _is_anchor(node):
        return True
    return node.name in ("td", "th") and "numberingColumn" in attribute(node, "class").split()


def _is_anchor(tag: Tag) -> bool:
    """An Anchor macro (cop-connector's markers among them) shows nothing."""
    return tag.name in ("ac:structured-macro", "ac:macro") and \
        attribute(tag, "ac:name").strip().lower() == "anchor"


def _shows_nothing(node: Any) -> bool:
    return isinstance(node, NavigableString) and not str(node).replace("\xa0", " ").strip()


def _trim(tag: Tag) -> None:
    """A block's trailing line breaks removed; then an empty paragraph removed."""
    if tag.name in _INLINE:
        return
    while True:
        shown = [c for c in tag.contents if not _shows_nothing(c)]
        if not shown or not isinstance(shown[-1], Tag) or shown[-1].name != "br":
            break
        shown[-1].extract()
    if tag.name == "p" and all(_shows_nothing(c) for c in tag.contents):
        tag.extract()


def _unwrap_sole_paragraph(cell: Tag) -> None:
    """Cloud's ``<li><p>x</p></li>``: the paragraph of a list item or a cell holding no
    other paragraph nor text of its own is its text."""
    paragraphs = [c for c in cell.contents if isinstance(c, Tag) and c.name == "p"]
    if len(paragraphs) == 1 and all(
            isinstance(c, Tag) or _shows_nothing(c) for c in cell.contents):
        paragraphs[0].unwrap()


class _Writer:
    """Writes the normalized tree: tags with their kept attributes, text escaped with its
    white space collapsed as a browser shows it (none at the edges of a block; one space
    where text has any, moved to the next text or inline leaf)."""

    def __init__(self) -> None:
        self.out: list[str] = []
        self.space = False  # white space seen, not written yet
        self.start = True  # at the start of a block: white space shows nothing

    def write(self, root: Tag) -> None:
        stack: list[tuple[Any, bool]] = [(child, True) for child in reversed(root.contents)]
        while stack:
            node, entering = stack.pop()
            if not entering:
                self._tag(node, closing=True)
            elif isinstance(node, NavigableString):
                self._text(str(node))
            elif isinstance(node, Tag):
                if node.name in _VERBATIM:
                    self._verbatim(node)
                    continue
                self._tag(node, closing=False)
                stack.append((node, False))
                stack.extend((child, True) for child in reversed(node.contents))

    def _tag(self, tag: Tag, *, closing: bool) -> None:
        name = _ALIASES.get(tag.name, tag.name)
        inline = tag.name in _INLINE
        if inline and not tag.contents:  # a leaf (a date, an emoticon...) is content
            if not closing:
                self._content(f"<{name}{_attributes(tag)}/>")
            return
        if not inline:
            self.space, self.start = False, True
        self.out.append(f"</{name}>" if closing else f"<{name}{_attributes(tag)}>")

    def _text(self, text: str) -> None:
        text = text.replace("\xa0", " ")
        if not text:
            return
        self.space = self.space or text[0].isspace()
        words = text.split()
        if words:
            self._content(escape_text(" ".join(words)))
            self.space = text[-1].isspace()

    def _content(self, piece: str) -> None:
        if self.space and not self.start:
            self.out.append(" ")
        self.out.append(piece)
        self.space, self.start = False, False

    def _verbatim(self, tag: Tag) -> None:
        self.space, self.start = False, True
        text = "".join(str(s) for s in tag.find_all(string=True) if not isinstance(s, _NOT_TEXT))
        self.out.append(f"<{tag.name}>{escape_text(text)}</{tag.name}>")


def _attributes(tag: Tag) -> str:
    """The attributes that carry content, sorted by name."""
    kept = sorted(name for name in (tag.attrs or {}) if name in _KEPT or (
        name.startswith("ri:") and name not in _NOT_KEPT_RI))
    return "".join(f' {name}="{escape_attribute(attribute(tag, name))}"' for name in kept)


# --- the form of the hashes written before ---------------------------------------------------

_LEGACY_ATTRIBUTES = ("href", "ri:content-title", "ri:space-key", "datetime", "ac:name")


def legacy_canonical(nodes: Iterable[Any]) -> str:
    """The canonical form anchors' hashes were computed on until the editors' rewriting
    was ignored (kept so that a region provisioned then still reads as intact): element
    names, a few attributes and each text's words, unescaped; anchors and empty
    paragraphs left out."""
    out: list[str] = []
    for node in nodes:
        _legacy(node, out)
    return "".join(out)


def _legacy(node: Any, out: list[str]) -> None:
    if isinstance(node, _NOT_TEXT):
        return
    if isinstance(node, NavigableString):
        text = " ".join(str(node).split())
        if text:
            out.append(text)
        return
    if not isinstance(node, Tag) or _is_anchor(node):
        return
    inner: list[str] = []
    for child in node.children:
        _legacy(child, inner)
    if node.name == "p" and not inner:
        return
    kept = "".join(f' {name}="{attribute(node, name)}"' for name in _LEGACY_ATTRIBUTES
                   if node.get(name) is not None)
    out.append(f"<{node.name}{kept}>{''.join(inner)}</{node.name}>")
