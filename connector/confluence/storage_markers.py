"""The anchors earlier versions wrote on Confluence pages, read once and removed; and the
parsed fragments cop-connector inserts.

Pages provisioned before the records kept each region's merge base carry Anchor macros,
each alone in a paragraph: ``cop-template-<kind>-<version>`` first, then
``cop-section-<id>-<hash>`` ... ``cop-end-<id>`` around each section's managed part,
``<hash>`` the short hash of the region's canonical form (storage_canonical) as written.
Confluence's editors show each as a macro placeholder members can select, delete or copy;
they are no longer written. ``strip_anchors`` takes them off a parsed page (a paragraph that
held only an anchor goes with it) and returns what they told: for each region, the markup it
was written with (its merge base) when its hash still matches (``region_intact``: the
current canonical form or the one hashes were computed on before), else the rendering among
``candidates`` with that hash, else ``UNKNOWN``.

Regions are compared in storage_canonical's form, the one function that knows what the
editors rewrite on save.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from bs4 import BeautifulSoup, Tag

from ..regions import UNKNOWN, region_hash
from .storage_canonical import canonical_nodes, canonical_storage, legacy_canonical, normalized
from .xml_escape import attribute, parse_storage

_ID = r"[a-z][a-z0-9_-]*"
BEGIN = re.compile(rf"^cop-section-(?P<id>{_ID})-(?P<hash>[0-9a-f]{{8}})$")
END = re.compile(rf"^cop-end-(?P<id>{_ID})$")
VERSION = re.compile(r"^cop-template-(?P<kind>[a-z]+)-")
_CONTAINERS = {"[document]", "ac:layout-cell", "ac:rich-text-body", "div"}


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


def _rendered_with(markup: str, digest: str) -> bool:
    """Whether ``markup`` (a rendering of the region) is what a hash ``digest`` was of."""
    soup = parse_storage(markup)
    if soup is None:
        return False
    return region_hash(canonical_storage(markup)) == digest or \
        region_hash(legacy_canonical(soup.contents)) == digest


# --- taking them off ------------------------------------------------------------------------

def _anchors(soup: BeautifulSoup) -> list[tuple[Tag, str]]:
    return [(m, anchor_name(m)) for m in soup.find_all(["ac:structured-macro", "ac:macro"])
            if is_anchor(m)]


def _ours(name: str) -> bool:
    return bool(BEGIN.match(name) or END.match(name) or VERSION.match(name))


def anchor_block(macro: Tag) -> Tag:
    """The paragraph an anchor sits alone in (the macro itself when it shares it)."""
    parent = macro.parent
    if not isinstance(parent, Tag) or parent.name != "p":
        return macro
    others = [c for c in parent.children if c is not macro and (
        isinstance(c, Tag) or str(c).strip())]
    return macro if others else parent


def _block(node: Tag) -> Tag | None:
    """The block holding ``node`` among its container's children (None when lost)."""
    current: Any = node
    while current.parent is not None and current.parent.name not in _CONTAINERS:
        current = current.parent
    return current if current.parent is not None else None


def strip_anchors(soup: BeautifulSoup, candidates: Mapping[str, Sequence[str]] | None = None
                  ) -> dict[str, str] | None:
    """Take cop-connector's anchors off ``soup`` (in place); the merge base they give (None
    when the page has no section anchor). ``candidates``: region id -> markup it may have
    been rendered as, to recover the base of a region edited since."""
    anchors = [(macro, name) for macro, name in _anchors(soup) if _ours(name)]
    base = _base(anchors, candidates or {}) if any(BEGIN.match(n) for _, n in anchors) \
        else None
    for macro, _ in anchors:
        anchor_block(macro).extract()
    return base


def _base(anchors: list[tuple[Tag, str]], candidates: Mapping[str, Sequence[str]]
          ) -> dict[str, str]:
    begins: dict[str, list[tuple[Tag, str]]] = {}
    ends: dict[str, list[Tag]] = {}
    for macro, name in anchors:
        begin, end = BEGIN.match(name), END.match(name)
        if begin:
            begins.setdefault(begin["id"], []).append((macro, begin["hash"]))
        elif end:
            ends.setdefault(end["id"], []).append(macro)
    base: dict[str, str] = {}
    for region_id in {*begins, *ends}:
        opened, closed = begins.get(region_id, []), ends.get(region_id, [])
        nodes = _between(opened[0][0], closed[0]) if len(opened) == 1 and \
            len(closed) == 1 else None
        if nodes is None:
            base[region_id] = UNKNOWN  # damaged: written once, nothing more is known
            continue
        digest = opened[0][1]
        rendered = next((c for c in candidates.get(region_id, ())
                         if _rendered_with(c, digest)), None)
        if rendered is not None:  # the markup as rendered (the page's may be re-serialized)
            base[region_id] = rendered
        elif region_intact(nodes, digest):
            base[region_id] = "".join(str(node) for node in nodes)
        else:
            base[region_id] = UNKNOWN
    return base


def _between(begin: Tag, end: Tag) -> list[Any] | None:
    """The sibling nodes between two anchors' blocks; None when they are not siblings in
    that order."""
    first, last = _block(begin), _block(end)
    if first is None or last is None or first.parent is not last.parent:
        return None
    nodes: list[Any] = []
    for node in first.next_siblings:
        if node is last:
            return nodes
        nodes.append(node)
    return None
