"""The notice on top of a storage-format page whose entries have problems (see
sync/engine/notice.py for what it says): a Warning macro, the first block of the page.

Its title is the first paragraph of its body, in bold, not the macro's ``title`` parameter:
Confluence keeps the body whatever editor saves the page, and the notice is found again by
that title alone (``PageNotice.titles``: in any language the templates have) in a macro
among the page's top-level blocks -- Confluence keeps no hidden mark a member cannot see.
The page gets exactly one, on top, or none. Every text goes through ``escape_text``: a
problem quotes what a member typed, which must never turn into markup or a macro. It holds
no table, so it is never read as rows.
"""

from __future__ import annotations

from typing import Any

from bs4 import Tag

from ..base import PageNotice
from .storage_canonical import canonical_nodes, canonical_storage
from .storage_markers import fragment
from .xml_escape import attribute, escape_text, parse_storage, write_back

_MACROS = ("ac:structured-macro", "ac:macro", "ac:adf-extension")


def render_notice(notice: PageNotice) -> str:
    """The Warning macro showing ``notice`` ('' without items)."""
    if not notice.items:
        return ""
    items = "".join(f"<li>{escape_text(item)}</li>" for item in notice.items)
    return ('<ac:structured-macro ac:name="warning" ac:schema-version="1"><ac:rich-text-body>'
            f"<p><strong>{escape_text(notice.title)}</strong></p><ul>{items}</ul>"
            f"<p>{escape_text(notice.footer)}</p></ac:rich-text-body></ac:structured-macro>")


def place_notice(content: str, notice: PageNotice) -> str:
    """``content`` with ``notice`` on top and no other notice (see PageCodec)."""
    soup = parse_storage(content, keep_source=True)
    if soup is None:
        return content
    wanted = render_notice(notice)
    titles = notice.titles | {notice.title}
    found = [node for node in soup.contents if _is_notice(node, titles)]
    if not wanted and not found:
        return content
    if wanted and len(found) == 1 and _same(found[0], wanted):
        return content
    for node in found:
        node.extract()
    if wanted:
        for position, node in enumerate(fragment(wanted)):
            soup.insert(position, node)
    return write_back(soup)


def _is_notice(node: Any, titles: frozenset[str] | set[str]) -> bool:
    """A macro among the top-level blocks whose first paragraph is a notice's title."""
    if not isinstance(node, Tag) or node.name not in _MACROS:
        return False
    if node.name != "ac:adf-extension" and \
            attribute(node, "ac:name").strip().lower() not in ("warning", "note", "info"):
        return False
    first = node.find("p")
    return isinstance(first, Tag) and " ".join(first.get_text().split()) in titles


def _same(node: Tag, wanted: str) -> bool:
    """Whether the notice on the page says what ``wanted`` says: equal in canonical form
    (storage_canonical: the ids, attributes and paragraphs an editor adds on save do not
    count)."""
    return canonical_nodes([node]) == canonical_storage(wanted)
