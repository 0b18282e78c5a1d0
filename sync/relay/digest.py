"""The e-mail digest (pure): who gets one, covering what, and its subject, text and HTML.

A recipient is a live row of a community's Members page with an e-mail address, whose
``digest`` field is not "no" (a member stops the digest from the wiki, on their own row).
Someone who left every community gets nothing: the recipients are read from the member
rows at each run. One message per person, whatever the number of their communities: a
section per community, in that community's language; the frame (subject, greeting) in
the language their communities share, else the configured default.

The HTML part is built with ElementTree, which escapes every text and attribute; only
http(s) addresses become links (sync/relay/news.py: ``safe_link``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from xml.etree import ElementTree as ET

from msgspec import Struct

from page_templates import PageKind, localize
from page_templates.news import news_text
from sync.records.model import Entry
from sync.relay.news import NEWS_KINDS, NewsItem, safe_link

EMAIL = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")
OPTED_OUT = "no"  # the members kind's digest field, canonical ("non" on a French page)


class Recipient(Struct, frozen=True):
    """A person who gets a digest: their address (lower case), a name, and the
    communities (slugs) whose member rows name them and did not opt out."""

    email: str
    name: str
    communities: tuple[str, ...]


class Section(Struct, frozen=True):
    """One community's part of a digest: its items since ``since`` (up to ``until``) and
    what its footer needs (its Members page: where the digest is stopped)."""

    slug: str
    name: str
    lang: str
    since: str
    until: str
    items: tuple[NewsItem, ...]
    home: str = ""
    members_page: str = ""  # the page's title in the community's language
    members_link: str = ""
    digest_field: str = ""  # the members kind's digest field's label, in that language
    opt_out: str = ""  # "no" in that language


class Digest(Struct, frozen=True):
    """One message: ``sections`` with something new; ``until`` is, per community covered
    (with or without news), the time up to which the message covers it."""

    recipient: Recipient
    lang: str
    sections: tuple[Section, ...]
    until: Mapping[str, str]

    @property
    def items(self) -> int:
        return sum(len(s.items) for s in self.sections)


class Rendered(Struct, frozen=True):
    subject: str
    text: str
    html: str


def recipients(members: Mapping[str, Sequence[Entry]]) -> list[Recipient]:
    """The people to write to, from each community's member rows (slug -> rows), by
    e-mail address. A row without a usable address, a tombstoned row and a row whose
    digest is "no" count for nothing."""
    names: dict[str, str] = {}
    found: dict[str, list[str]] = {}
    for slug, rows in members.items():
        for row in rows:
            email = str(row.data.get("email") or row.key).strip().lower()
            if not row.live or not EMAIL.match(email):
                continue
            if str(row.data.get("digest", "")).strip() == OPTED_OUT:
                continue
            found.setdefault(email, [])
            if slug not in found[email]:
                found[email].append(slug)
            names[email] = names.get(email) or " ".join(str(row.data.get("name", "")).split())
    return [Recipient(email=e, name=names[e], communities=tuple(sorted(found[e])))
            for e in sorted(found)]


def frame_language(sections: Sequence[Section], default: str) -> str:
    """The language of the subject and greeting: the one its sections share, else
    ``default``."""
    shared = {s.lang for s in sections}
    return next(iter(shared)) if len(shared) == 1 else default


def members_texts(kind: PageKind | None, lang: str) -> dict[str, str]:
    """The Members page's title, its digest field's label, and "no", in ``lang``."""
    if kind is None:
        return {}
    field = kind.field("digest")
    no = next((c for c in field.choices if c.value == OPTED_OUT), None) if field else None
    return {"members_page": localize(kind.title, lang),
            "digest_field": localize(field.label, lang) if field else "",
            "opt_out": localize(no.labels, lang) if no else OPTED_OUT}


# --- rendering ----------------------------------------------------------------------------

def render(digest: Digest) -> Rendered:
    """Subject, plain text and HTML of ``digest``."""
    return Rendered(subject=subject(digest), text=text(digest), html=html(digest))


def subject(digest: Digest) -> str:
    lang, sections = digest.lang, digest.sections
    since = _day(min(s.since for s in sections))
    if len(sections) == 1:
        return news_text("digest.subject_one", lang, name=sections[0].name, since=since)
    return news_text("digest.subject_many", lang, count=len(sections), since=since)


def text(digest: Digest) -> str:
    """The plain-text part: greeting, a section per community, footers, signature."""
    lines = [_greeting(digest), "", _intro(digest), ""]
    for section in digest.sections:
        lines += [f"== {_heading(section, digest)} ==", ""]
        for _kind, items in _by_kind(section.items):
            lines += [f"{items[0].page} ({len(items)})"]
            for item in items:
                lines += _item_lines(item, section.lang)
            if items[0].page_link:
                lines += [f"{news_text('digest.open_page', section.lang)}: "
                          f"{items[0].page_link}"]
            lines += [""]
        if section.home:
            lines += [f"{news_text('digest.open_space', section.lang)}: {section.home}", ""]
        lines += [_why(section), ""]
    lines += ["-- ", news_text("digest.signature", digest.lang)]
    return "\n".join(lines) + "\n"


def html(digest: Digest) -> str:
    """The HTML part: the same content, links clickable."""
    root = ET.Element("html", {"lang": digest.lang})
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "meta", {"charset": "utf-8"})
    ET.SubElement(head, "title").text = subject(digest)
    body = ET.SubElement(root, "body")
    ET.SubElement(body, "p").text = _greeting(digest)
    ET.SubElement(body, "p").text = _intro(digest)
    for section in digest.sections:
        _html_section(body, section, digest)
    ET.SubElement(body, "hr")
    ET.SubElement(body, "p").text = news_text("digest.signature", digest.lang)
    return "<!DOCTYPE html>\n" + ET.tostring(root, encoding="unicode", method="html") + "\n"


def _html_section(body: ET.Element, section: Section, digest: Digest) -> None:
    part = ET.SubElement(body, "div", {"lang": section.lang})
    ET.SubElement(part, "h2").text = _heading(section, digest)
    for _kind, items in _by_kind(section.items):
        heading = ET.SubElement(part, "h3")
        _anchor(heading, f"{items[0].page} ({len(items)})", items[0].page_link)
        bullets = ET.SubElement(part, "ul")
        for item in items:
            _html_item(ET.SubElement(bullets, "li"), item, section.lang)
    if section.home:
        _anchor(ET.SubElement(part, "p"), news_text("digest.open_space", section.lang),
                section.home)
    footer = ET.SubElement(part, "p", {"style": "color:#555;font-size:smaller"})
    footer.text = _why(section, with_link=False)
    if section.digest_field and safe_link(section.members_link):
        footer.text += " "
        _anchor(footer, section.members_page or section.members_link, section.members_link)


def _html_item(bullet: ET.Element, item: NewsItem, lang: str) -> None:
    strong = ET.SubElement(bullet, "strong")
    _anchor(strong, item.title, item.link)
    notes = _notes(item, lang)
    if notes:
        strong.tail = f" ({notes})"
    if item.summary:
        ET.SubElement(bullet, "br").tail = item.summary


def _anchor(parent: ET.Element, label: str, href: str) -> None:
    """``label`` as a link to ``href`` when it is a web address, else as text."""
    link = safe_link(href)
    if not link:
        parent.text = (parent.text or "") + label
        return
    ET.SubElement(parent, "a", {"href": link}).text = label


def _item_lines(item: NewsItem, lang: str) -> list[str]:
    notes = _notes(item, lang)
    lines = [f"- {item.title}" + (f" ({notes})" if notes else "")]
    if item.summary:
        lines.append(f"  {item.summary}")
    if item.link and item.link != item.page_link:
        lines.append(f"  {item.link}")
    return lines


def _notes(item: NewsItem, lang: str) -> str:
    """"updated by Julie Roux on 2026-12-01", "added by ...", "updated", or ""."""
    when = news_text("item.on", lang, date=_day(item.updated))
    if item.joined:
        return when
    if item.author:
        key = "item.updated_by" if item.changed else "item.added_by"
        return f"{news_text(key, lang, who=item.author)} {when}"
    return f"{news_text('item.updated', lang)} {when}" if item.changed else when


def _greeting(digest: Digest) -> str:
    name = digest.recipient.name or digest.recipient.email
    return news_text("digest.greeting", digest.lang, name=name)


def _intro(digest: Digest) -> str:
    if len(digest.sections) == 1:
        section = digest.sections[0]
        return news_text("digest.intro_one", digest.lang, name=section.name,
                         since=_day(section.since))
    return news_text("digest.intro_many", digest.lang)


def _heading(section: Section, digest: Digest) -> str:
    if len(digest.sections) == 1:
        return section.name
    return news_text("digest.section", section.lang, name=section.name,
                     since=_day(section.since))


def _why(section: Section, *, with_link: bool = True) -> str:
    """Why this person gets the digest, and how they stop it (on their Members row)."""
    why = news_text("digest.why", section.lang, name=section.name)
    if not section.digest_field:
        return why
    stop = news_text("digest.stop", section.lang, no=section.opt_out,
                     field=section.digest_field, page=section.members_page)
    link = f" {section.members_link}" if with_link and section.members_link else ""
    return f"{why} {stop}{link}"


def _by_kind(items: Sequence[NewsItem]) -> list[tuple[str, list[NewsItem]]]:
    """Items grouped by page, in the pages' order, newest first within each."""
    groups: dict[str, list[NewsItem]] = {}
    for item in items:
        groups.setdefault(item.kind, []).append(item)
    order = {kind: n for n, kind in enumerate(NEWS_KINDS)}
    return sorted(groups.items(), key=lambda pair: order.get(pair[0], len(order)))


def _day(moment: str) -> str:
    return moment[:10]
