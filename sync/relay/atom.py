"""An Atom feed (RFC 4287) of what is new, as bytes (pure).

Built with the standard library's ElementTree, which escapes every text and attribute;
characters XML 1.0 cannot carry at all (control characters a member pasted) are dropped
first. The same items always give the same bytes: the feed's ``updated`` is its newest
entry's, never the time of the run, so an unchanged feed is never rewritten.

What RFC 4287 requires, and where it is met: the feed's ``id``, ``title``, ``updated``
and an ``author`` (the community, so entries whose author the history does not tell are
valid); each entry's ``id`` (stable: sync/relay/links.py), ``title``, ``updated``, and an
``alternate`` link or, when no address is known, a ``content`` element.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from xml.etree import ElementTree as ET

from msgspec import Struct, field

from sync.relay.news import NewsItem

ATOM = "http://www.w3.org/2005/Atom"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
MEDIA_TYPE = "application/atom+xml"
# What XML 1.0 cannot hold, even escaped (its Char production).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class Feed(Struct, frozen=True):
    """A feed's own elements and its items (newest first). ``community_names`` (slug ->
    name): set for the feed across communities, whose entries then say which community."""

    id: str
    title: str
    subtitle: str
    lang: str
    author: str
    self_link: str  # where the file is served (relative to the feed itself when unknown)
    home_link: str  # the page the feed is about; "" when no address is known
    empty_updated: str  # ``updated`` when there is no item (stays the same run after run)
    items: Sequence[NewsItem] = ()
    community_names: Mapping[str, str] = field(default_factory=dict)


def render(feed: Feed) -> bytes:
    """The feed as a UTF-8 XML document."""
    ET.register_namespace("", ATOM)
    root = ET.Element(_tag("feed"), {XML_LANG: feed.lang})
    _text(root, "id", feed.id)
    _text(root, "title", feed.title, type="text")
    _text(root, "subtitle", feed.subtitle, type="text")
    _text(root, "updated", max((i.updated for i in feed.items), default=feed.empty_updated))
    _link(root, feed.self_link, rel="self", type=MEDIA_TYPE)
    if feed.home_link:
        _link(root, feed.home_link, rel="alternate", type="text/html")
    _text(ET.SubElement(root, _tag("author")), "name", feed.author)
    _text(root, "generator", "cop-connector")
    for item in feed.items:
        _entry(root, item, feed.community_names)
    ET.indent(root)
    # serialized as text, then encoded once: ElementTree's own UTF-8 output encodes piece
    # by piece, several times slower; the declaration names the encoding either way
    text = ET.tostring(root, encoding="unicode")
    return f"<?xml version='1.0' encoding='utf-8'?>\n{text}\n".encode()


def _entry(root: ET.Element, item: NewsItem, communities: Mapping[str, str]) -> None:
    entry = ET.SubElement(root, _tag("entry"))
    _text(entry, "id", item.id)
    community = communities.get(item.community, "")
    title = f"{community}: {item.title}" if community else item.title
    _text(entry, "title", title, type="text")
    _text(entry, "updated", item.updated)
    _text(entry, "published", item.published)
    if item.author:
        _text(ET.SubElement(entry, _tag("author")), "name", item.author)
    if item.link:
        _link(entry, item.link, rel="alternate", type="text/html")
    if item.page_link and item.page_link != item.link:
        _link(entry, item.page_link, rel="related", type="text/html", title=item.page)
    ET.SubElement(entry, _tag("category"), {"term": item.kind, "label": _clean(item.page)})
    if community:
        ET.SubElement(entry, _tag("category"), {"term": item.community,
                                                "label": _clean(community)})
    text = f"{item.page} — {item.summary}" if item.summary else item.page
    _text(entry, "summary", text, type="text")
    if not item.link:  # RFC 4287 4.1.2: an entry without an alternate link has content
        _text(entry, "content", text, type="text")


def _text(parent: ET.Element, name: str, value: str, **attributes: str) -> None:
    element = ET.SubElement(parent, _tag(name), attributes)
    element.text = _clean(value)


def _link(parent: ET.Element, href: str, **attributes: str) -> None:
    ET.SubElement(parent, _tag("link"),
                  {**{k: _clean(v) for k, v in attributes.items()}, "href": _clean(href)})


def _tag(name: str) -> str:
    return f"{{{ATOM}}}{name}"


def _clean(text: str) -> str:
    return _NOT_XML.sub("", text)
