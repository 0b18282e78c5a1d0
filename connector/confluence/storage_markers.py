"""The anchors that mark cop-connector's parts of a Confluence page.

Confluence drops comments (and data attributes) when a page is saved in its editor, so the
markers are Anchor macros, which both Cloud and Data Center keep, each alone in a paragraph
(a paragraph holding only an anchor shows nothing on the rendered page):

* ``cop-template-<kind>-<version>``: first paragraph, the template version of the page;
* ``cop-section-<id>-<hash>`` ... ``cop-end-<id>``: around each section's managed part
  (heading, prose, help, page index); ``<hash>`` is the short hash of the region's
  canonical form (below) as written, so a hand edit shows.

The canonical form is what survives the editor's rewriting of the markup on save: element
names, the attributes that carry content (link targets, page titles, dates, macro names)
and the text with white space collapsed; anchors, other attributes (``local-id``...) and
empty paragraphs are left out.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from bs4 import NavigableString, Tag
from bs4.element import Comment, Declaration, Doctype, ProcessingInstruction

from page_templates import PageKind, template_version

from ..regions import region_hash
from .xml_escape import attribute, escape_text, parse_storage

_ID = r"[a-z][a-z0-9_-]*"
BEGIN = re.compile(rf"^cop-section-(?P<id>{_ID})-(?P<hash>[0-9a-f]{{8}})$")
END = re.compile(rf"^cop-end-(?P<id>{_ID})$")
VERSION = re.compile(r"^cop-template-(?P<kind>[a-z]+)-(?P<version>[0-9]+\.[0-9]+-[0-9a-f]{8})$")
_KEPT_ATTRIBUTES = ("href", "ri:content-title", "ri:space-key", "datetime", "ac:name")
_NOT_TEXT = (Comment, Declaration, Doctype, ProcessingInstruction)


def anchor(name: str) -> str:
    """An Anchor macro named ``name``, alone in a paragraph."""
    return ('<p><ac:structured-macro ac:name="anchor" ac:schema-version="1">'
            f'<ac:parameter ac:name="">{escape_text(name)}</ac:parameter>'
            "</ac:structured-macro></p>")


def version_name(kind: PageKind) -> str:
    return f"cop-template-{kind.kind}-{template_version(kind)}"


def region(section_id: str, blocks: str) -> str:
    """``blocks`` (storage format) between the anchors of section ``section_id``."""
    digest = region_hash(canonical_markup(blocks))
    return (anchor(f"cop-section-{section_id}-{digest}") + blocks +
            anchor(f"cop-end-{section_id}"))


def fragment(markup: str) -> list[Any]:
    """Our own rendered markup as parsed nodes, ready to be inserted in a page."""
    soup = parse_storage(markup)
    assert soup is not None  # our own escaped rendering: always parses
    return [node.extract() for node in list(soup.contents)]


def is_anchor(node: object) -> bool:
    return isinstance(node, Tag) and node.name in ("ac:structured-macro", "ac:macro") and \
        attribute(node, "ac:name").strip().lower() == "anchor"


def anchor_name(macro: Tag) -> str:
    parameter = macro.find("ac:parameter")
    return parameter.get_text().strip() if isinstance(parameter, Tag) else ""


def canonical_markup(markup: str) -> str:
    soup = parse_storage(markup)
    return canonical(soup.contents) if soup is not None else markup


def canonical(nodes: Iterable[object]) -> str:
    """The canonical form of a run of nodes (see the module docstring)."""
    out: list[str] = []
    for node in nodes:
        _canonical(node, out)
    return "".join(out)


def _canonical(node: object, out: list[str]) -> None:
    if isinstance(node, _NOT_TEXT):
        return
    if isinstance(node, NavigableString):
        text = " ".join(str(node).split())
        if text:
            out.append(text)
        return
    if not isinstance(node, Tag) or is_anchor(node):
        return
    inner: list[str] = []
    for child in node.children:
        _canonical(child, inner)
    if node.name == "p" and not inner:
        return  # an empty paragraph (or one that held only an anchor)
    kept = "".join(f' {name}="{attribute(node, name)}"' for name in _KEPT_ATTRIBUTES
                   if node.get(name) is not None)
    out.append(f"<{node.name}{kept}>{''.join(inner)}</{node.name}>")
