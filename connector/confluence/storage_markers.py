"""The anchors that mark cop-connector's parts of a Confluence page.

Confluence drops comments (and data attributes) when a page is saved in its editor, so the
markers are Anchor macros, which both Cloud and Data Center keep, each alone in a paragraph
(a paragraph holding only an anchor shows nothing on the rendered page):

* ``cop-template-<kind>-<version>``: first paragraph, the template version of the page;
* ``cop-section-<id>-<hash>`` ... ``cop-end-<id>``: around each section's managed part
  (heading, prose, help, page index); ``<hash>`` is the short hash of the region's
  canonical form (storage_canonical) as written, so a hand edit shows.

The canonical form (storage_canonical) is what survives the editors' rewriting of the markup
on save, so a region reads as edited only when a person changed what it shows.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from bs4 import Tag

from page_templates import PageKind, template_version

from ..regions import region_hash
from .storage_canonical import canonical_nodes, canonical_storage, legacy_canonical, normalized
from .xml_escape import attribute, escape_text, parse_storage

_ID = r"[a-z][a-z0-9_-]*"
BEGIN = re.compile(rf"^cop-section-(?P<id>{_ID})-(?P<hash>[0-9a-f]{{8}})$")
END = re.compile(rf"^cop-end-(?P<id>{_ID})$")
VERSION = re.compile(r"^cop-template-(?P<kind>[a-z]+)-(?P<version>[0-9]+\.[0-9]+-[0-9a-f]{8})$")


def anchor(name: str) -> str:
    """An Anchor macro named ``name``, alone in a paragraph."""
    return ('<p><ac:structured-macro ac:name="anchor" ac:schema-version="1">'
            f'<ac:parameter ac:name="">{escape_text(name)}</ac:parameter>'
            "</ac:structured-macro></p>")


def version_name(kind: PageKind) -> str:
    return f"cop-template-{kind.kind}-{template_version(kind)}"


def region(section_id: str, blocks: str) -> str:
    """``blocks`` (storage format) between the anchors of section ``section_id``."""
    digest = region_hash(canonical_storage(blocks))
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


def region_intact(nodes: Sequence[Any], digest: str) -> bool:
    """Whether a region's nodes (between its anchors) still show what they showed when its
    begin anchor's hash ``digest`` was written: the hash of their canonical form, or of the
    form hashes were computed on before (storage_canonical.legacy_canonical) -- of the nodes
    as they are, or without the editors' rewriting (a page provisioned then, saved since by
    Cloud's editor)."""
    if region_hash(canonical_nodes(nodes)) == digest:
        return True
    return digest in (region_hash(legacy_canonical(nodes)),
                      region_hash(legacy_canonical(normalized(nodes).contents)))
