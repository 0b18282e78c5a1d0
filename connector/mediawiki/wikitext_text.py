"""What wikitext displays, with mwparserfromhell: the parsed tree, a walk over it in
document order, the row template calls of a kind, and the plain text of a value (character
references decoded, comments dropped, ``<br>`` a line break, ``{{!}}`` a pipe: what the
visual editor writes). Nothing here raises on member input.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import mwparserfromhell
from mwparserfromhell.definitions import is_visible
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

from page_templates import FieldDef, PageKind, normalize_template_name

from . import wikitext_tokens

# Magic words that stand for a character (the visual editor escapes pipes with {{!}}).
CHAR_TEMPLATES = {"!": "|", "=": "="}
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

def plain_text(code: Wikicode, *, trim: bool = True, targets: bool = False) -> str:
    """What ``code`` displays, as plain text; ``trim`` strips the white space MediaWiki
    strips around a named parameter (literal white space only, not character references).
    ``targets``: a link keeps its target after its label (``label <target>``, see
    ``link_text``), so that what a member linked to is not lost."""
    pieces = [(_node_text(node, targets), isinstance(node, Text | Comment))
              for node in code.nodes]
    if trim:
        wikitext_tokens.trim(pieces, str.lstrip, range(len(pieces)))
        wikitext_tokens.trim(pieces, str.rstrip, range(len(pieces) - 1, -1, -1))
    return "".join(text for text, _ in pieces)


def _node_text(node: Node, targets: bool = False) -> str:
    reader = _READERS.get(type(node))
    if reader is None:
        return ""  # comments, and anything unknown, show nothing
    return reader(node, targets)


def link_text(label: str, target: str) -> str:
    """A link as the records keep it: its label, then its target in angle brackets
    (``the report <https://x.example/r>``, ``home <Main Page>``); the label alone when it
    is the target itself (a bare URL, ``[[Page]]``) and the target alone when the label is
    empty (``[https://x.example]``)."""
    label, target = label.strip(), target.strip()
    if not target or _same_target(label, target):
        return label
    return f"{label} <{target}>" if label else target


def _same_target(label: str, target: str) -> bool:
    """Whether a label says its target already (as MediaWiki reads titles: '_' is a space,
    the first letter's case does not count)."""
    def title(text: str) -> str:
        text = " ".join(text.replace("_", " ").split())
        return text[:1].upper() + text[1:]
    return label == target or title(label) == title(target)


def _wikilink_text(link: Wikilink, targets: bool) -> str:
    title = plain_text(link.title, trim=False)
    if link.text is None:
        return title.lstrip(":")
    shown = plain_text(link.text, trim=False, targets=targets)
    return link_text(shown, title.strip().lstrip(":")) if targets else shown.lstrip(":")


def _external_link_text(link: ExternalLink, targets: bool) -> str:
    if not link.brackets:
        return plain_text(link.url, trim=False)
    shown = plain_text(link.title, trim=False) if link.title is not None else ""
    return link_text(shown, plain_text(link.url, trim=False)) if targets else shown


def _tag_text(tag: Tag, targets: bool) -> str:
    name = str(tag.tag).strip().lower()
    if name == "br":
        return "\n"
    if tag.wiki_markup and name in _MARKUP_TAGS:
        return str(tag.wiki_markup)
    if tag.contents is None or not is_visible(name):
        return ""
    return plain_text(tag.contents, trim=False, targets=targets)


_READERS: dict[type, Callable[[Any, bool], str]] = {
    Text: lambda node, _: node.value,
    HTMLEntity: lambda node, _: node.normalize(),
    Tag: _tag_text,
    Template: lambda node, _: CHAR_TEMPLATES.get(template_name(node), ""),
    Wikilink: _wikilink_text,
    ExternalLink: _external_link_text,
    Heading: lambda node, targets: plain_text(node.title, targets=targets),
    Argument: lambda node, _: str(node),
}


def field_text(field: FieldDef, value: Wikicode) -> str:
    """A parameter's plain text; for a URL field, the target of a ``[url label]`` link if a
    member wrote one (a bare URL is its own text, trailing punctuation included); for the
    other fields, links keep their targets (``label <target>``, see ``link_text``)."""
    if field.type == "url":
        links = [link for link in value.filter_external_links(recursive=True) if link.brackets]
        if links:
            return plain_text(links[0].url)
        return plain_text(value)
    return plain_text(value, targets=field.type in TARGET_TYPES)


# The field types whose value is free text, where a link's target is worth keeping (an
# e-mail, a date or a choice written as a link is read by what it shows, as before).
TARGET_TYPES = frozenset({"text", "longtext", "tags", "entries"})
