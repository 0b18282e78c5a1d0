"""What is new on a community's pages, as items the feeds and digests show (pure).

An item is a row of the watch, references, regulation or competition pages that is new or
changed, or a member who joined: a title, a link (the row's own web address, else its
page's), a plain-text summary (the row's other fields, labelled in the community's
language), its page, who added or changed it when the wiki's history tells, and when.

Who: the records keep people's edits of each page (sync/results/history.py, read by
`cop health` and `cop report`, never by cop-sync). A row first seen (or changed) at T is
credited to the one person who edited its page in the hour before T; when several did, or
the history was not read, the item names nobody rather than guess.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta

from msgspec import Struct

from page_templates import PageKind, localize
from page_templates.news import news_text
from page_templates.ui import ui_text
from sync.clock import format_time, parse_time
from sync.records.model import Entry

# The kinds whose rows are news, in the order digests list them.
NEWS_KINDS = ("watch", "references", "regulation", "competition", "members")
# The fields that make an item's title, per kind (joined by " — "); the others go in the
# summary. A company's extra fields land in the summary.
TITLE_FIELDS: Mapping[str, tuple[str, ...]] = {
    "watch": ("title",), "references": ("ref", "title"), "regulation": ("ref", "title"),
    "competition": ("competitor", "offer"), "members": ("name",)}
# Never in a summary: addresses (the link shows the web address; an e-mail is nobody's
# business outside the Members page) and the members' digest choice.
HIDDEN_TYPES = ("url", "email")
HIDDEN_FIELDS = ("digest",)
ATTRIBUTION_WINDOW = timedelta(hours=1)
SAFE_SCHEMES = ("https://", "http://")


class Edit(Struct, frozen=True):
    """A person's edit of a page, as the records keep it."""

    kind: str
    user: str
    at: str
    name: str = ""


class NewsItem(Struct, frozen=True):
    """One row that is new (or changed), ready to show. ``id`` stays the same whatever is
    edited in the row but its key; ``updated`` moves with each change."""

    id: str
    community: str
    kind: str
    key: str
    title: str
    summary: str
    link: str  # the row's web address, else its page's; "" when neither is known
    page: str  # the page's title, in the community's language
    page_link: str
    author: str  # who added or changed it; "" when the history does not tell
    published: str  # when the records first saw it
    updated: str  # when it last changed
    joined: bool = False  # a member who joined

    @property
    def changed(self) -> bool:
        return self.updated > self.published


class CommunityPages(Struct, frozen=True):
    """What ``news_items`` needs of a community besides its rows."""

    slug: str
    lang: str
    kinds: Mapping[str, PageKind]  # kind -> definition (labels, field types)
    links: Mapping[str, str]  # kind -> page URL
    entry_id: Callable[[str, str], str]  # (kind, key) -> stable id


def news_items(pages: CommunityPages, entries: Sequence[Entry], edits: Sequence[Edit],
               who: Callable[[str, str], str] = lambda user, name: name or user,
               ) -> list[NewsItem]:
    """``entries`` (rows of the news kinds) as items, newest first. ``who(user, name)``
    names a wiki account (a member's name when it is one)."""
    items = [_item(pages, entry, edits, who) for entry in entries
             if entry.kind in pages.kinds and entry.live]
    return sorted(items, key=lambda i: (i.updated, i.kind, i.key), reverse=True)


def _item(pages: CommunityPages, entry: Entry, edits: Sequence[Edit],
          who: Callable[[str, str], str]) -> NewsItem:
    kind = pages.kinds[entry.kind]
    joined = entry.kind == "members"
    updated = entry.first_seen if joined else entry.updated_at
    title = _title(kind, entry, pages.lang)
    if joined:
        title = news_text("item.joined", pages.lang, name=title)
    page_link = pages.links.get(entry.kind, "")
    editor = attribute(edits, entry.kind, updated)
    return NewsItem(
        id=pages.entry_id(entry.kind, entry.key), community=pages.slug, kind=entry.kind,
        key=entry.key, title=title, summary=summary(kind, entry.data, pages.lang),
        link=_row_link(kind, entry.data) or page_link,
        page=localize(kind.title, pages.lang), page_link=page_link,
        author=who(editor.user, editor.name) if editor else "",
        published=entry.first_seen, updated=updated, joined=joined)


def _title(kind: PageKind, entry: Entry, lang: str) -> str:
    names = TITLE_FIELDS.get(kind.kind, ())
    parts = [display(kind, name, entry.data.get(name, ""), lang) for name in names]
    return " — ".join(p for p in parts if p) or entry.key


def summary(kind: PageKind, data: Mapping[str, str], lang: str) -> str:
    """The row's other fields as plain text: long texts first, then "Label: value"s."""
    title = TITLE_FIELDS.get(kind.kind, ())
    shown = [f for f in kind.fields if f.name not in title and f.name not in HIDDEN_FIELDS
             and f.type not in HIDDEN_TYPES and str(data.get(f.name, "")).strip()]
    long = [display(kind, f.name, data[f.name], lang) for f in shown if f.type == "longtext"]
    colon = ui_text("colon", lang, kind.ui)
    short = [f"{localize(f.label, lang)}{colon}{display(kind, f.name, data[f.name], lang)}"
             for f in shown if f.type != "longtext"]
    return " · ".join([*long, *short])


def display(kind: PageKind, name: str, value: str, lang: str) -> str:
    """A value as members read it: a choice by its label in ``lang``, others as stored."""
    text = " ".join(str(value).split())
    field = kind.field(name)
    if field is not None and field.choices:
        choice = next((c for c in field.choices if c.value == text), None)
        if choice is not None:
            return localize(choice.labels, lang) or text
    return text


def attribute(edits: Sequence[Edit], kind: str, at: str) -> Edit | None:
    """The one person who edited the ``kind`` page in the hour up to ``at``; None when
    nobody or several did."""
    if not at:
        return None
    start = format_time(parse_time(at) - ATTRIBUTION_WINDOW)
    found = [e for e in edits if e.kind == kind and start <= e.at <= at]
    people = {e.user for e in found}
    return max(found, key=lambda e: e.at) if len(people) == 1 else None


def safe_link(url: str) -> str:
    """``url`` when it is an absolute web address, else "" (a javascript: or data: address
    typed in a row never becomes a link)."""
    text = url.strip()
    if not text.lower().startswith(SAFE_SCHEMES) or any(c.isspace() for c in text):
        return ""
    return text


def _row_link(kind: PageKind, data: Mapping[str, str]) -> str:
    for field in kind.fields:
        if field.type == "url" and (link := safe_link(str(data.get(field.name, "")))):
            return link
    return ""
