"""A feed's bytes read into entries of plain text: RSS 0.9x, 1.0 (RDF) and 2.0, and Atom.

feedparser does the reading (formats, dates, encodings, relative links); it is imported
here, when a source is due, never at start-up. Everything an entry carries is data: titles
and summaries lose their markup (BeautifulSoup's text, scripts and styles dropped), links
are kept only when they are http(s) web addresses, long texts are cut. Nothing here talks
to the network or raises on a feed's content except ``FeedError`` saying why it is no feed.

A feed is read when feedparser recognizes its format, even where it had to mend the XML
(an HTML entity such as ``&nbsp;``, a bare ``&``: every feed reader accepts those); a
document whose structure is broken (a tag never closed, a body cut off) is refused as not
well-formed, and a document of no feed format (a web page, JSON) as no feed.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from msgspec import Struct, field

from page_templates.values import URL_FORBIDDEN, clean_text

TITLE_LIMIT = 300  # characters of a title (a watch item's headline)
SUMMARY_LIMIT = 600  # characters of a summary (two or three sentences)
URL_LIMIT = 2000  # a longer link is dropped (no wiki or browser is at ease with it)
ID_LIMIT = 500
# expat's messages for a document whose structure is broken (not a stray character)
BROKEN = ("mismatched tag", "unclosed token", "no element found",
          "junk after document element", "unclosed cdata section")


class Failure(Struct, frozen=True):
    """Why a source cannot be read: a problem code of page_templates/problems.toml, its
    parameters, and the sentence in English (logs, the run's report)."""

    code: str
    params: Mapping[str, str] = field(default_factory=dict)
    message: str = ""


class FeedError(Exception):
    """The document is no feed cop-connector can read (``failure`` says why)."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.message)
        self.failure = failure


class FeedEntry(Struct, frozen=True):
    """One entry of a feed, as plain text: ``entry_id`` the feed's own id for it (guid,
    atom:id, rdf:about; else its link; else a hash of its title and date), ``link`` an
    absolute http(s) address or "", ``date`` YYYY-MM-DD (published, else updated) or ""."""

    entry_id: str
    title: str
    link: str = ""
    date: str = ""
    summary: str = ""
    position: int = 0  # its place in the feed (feeds list the newest first)


def read_feed(body: bytes, *, url: str, content_type: str = "") -> tuple[FeedEntry, ...]:
    """The entries of a feed fetched from ``url`` (relative links are resolved against it).
    Raises FeedError when the document is not a feed or its XML is broken."""
    import feedparser  # noqa: PLC0415 - only when a source is read (start-up stays fast)

    parsed = feedparser.parse(body, response_headers={
        "content-type": content_type or "application/xml", "content-location": url})
    _check(parsed, body, url, content_type)
    return tuple(entry for position, raw in enumerate(parsed.get("entries", []))
                 if (entry := _entry(raw, position)) is not None)


def _check(parsed: Any, body: bytes, url: str, content_type: str) -> None:
    error = parsed.get("bozo_exception")
    syntax = getattr(error, "getMessage", None)
    broken = syntax is not None and str(syntax()).lower() in BROKEN
    if parsed.get("version") and not broken:
        return
    if syntax is not None and _looks_like_xml(body, content_type):
        line, column = error.getLineNumber(), error.getColumnNumber()
        detail = f"line {line}, column {column}: {syntax()}"
        raise FeedError(Failure("source_malformed", {"url": url, "detail": detail},
                                f"the feed is not well-formed XML ({detail})"))
    shown = _media_type(content_type) or "a document of no known type"
    raise FeedError(Failure("source_not_a_feed", {"url": url, "content_type": shown},
                            f"not an RSS or Atom feed (it sends {shown})"))


def _looks_like_xml(body: bytes, content_type: str) -> bool:
    """An XML document (not a web page, not JSON): by its start or its declared type."""
    media = _media_type(content_type)
    if "html" in media:
        return False
    head = body.lstrip(b"\xef\xbb\xbf \t\r\n")[:200].lower()
    return head.startswith(b"<?xml") or (head.startswith(b"<") and b"<html" not in head
                                         and b"<!doctype html" not in head) or "xml" in media


def _media_type(content_type: str) -> str:
    """The type/subtype of a Content-Type header, as a safe short word ('' when none)."""
    media = content_type.split(";", 1)[0].strip().lower()
    return media if re.fullmatch(r"[a-z0-9.+-]+/[a-z0-9.+-]+", media) else ""


def _entry(raw: Mapping[str, Any], position: int) -> FeedEntry | None:
    title = plain(raw.get("title", ""), raw.get("title_detail"), TITLE_LIMIT)
    summary = plain(raw.get("summary", ""), raw.get("summary_detail"), SUMMARY_LIMIT)
    link = web_address(raw.get("link", ""))
    day = _day(raw.get("published_parsed") or raw.get("updated_parsed"))
    if not title:
        title = _cut(summary, 80) or link
    if not title:
        return None  # nothing a member could recognize
    entry_id = clean_text(str(raw.get("id") or "")) or link or _digest(title, day)
    return FeedEntry(entry_id=entry_id[:ID_LIMIT], title=title, link=link, date=day,
                     summary=summary, position=position)


def plain(value: Any, detail: Any = None, limit: int = SUMMARY_LIMIT) -> str:
    """A feed's text as plain text on one line: markup dropped when the feed says it is
    HTML (a plain-text title keeps a literal "<"), white space collapsed, cut at ``limit``."""
    text = str(value or "")
    kind = str((detail or {}).get("type", "")) if isinstance(detail, Mapping) else ""
    if "html" in kind or (not kind and "<" in text):
        text = html_text(text)
    return _cut(clean_text(text), limit)


def html_text(markup: str) -> str:
    """The text an HTML fragment shows (scripts, styles and templates dropped)."""
    from bs4 import BeautifulSoup  # noqa: PLC0415 - with feedparser, when a source is read

    soup = BeautifulSoup(markup, "html.parser")
    for hidden in soup(["script", "style", "template", "noscript", "head"]):
        hidden.decompose()
    return soup.get_text(" ")


def web_address(link: Any) -> str:
    """``link`` when it is an absolute http(s) address a wiki can hold (no user name or
    password in it, no character a page would take for markup), else ''."""
    text = str(link or "").strip()
    if not text or len(text) > URL_LIMIT or URL_FORBIDDEN.search(text) or \
            not text.isprintable():
        return ""
    try:
        parts = urlsplit(text)
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or \
            "@" in parts.netloc:
        return ""
    return text


def _day(moment: Any) -> str:
    """A feedparser date (a UTC struct_time) as YYYY-MM-DD; '' when absent or absurd."""
    if not isinstance(moment, time.struct_time):
        return ""
    try:
        day = datetime(*moment[:6], tzinfo=UTC)
    except (ValueError, OverflowError):
        return ""
    return day.date().isoformat() if 1990 <= day.year <= 9999 else ""


def _cut(text: str, limit: int) -> str:
    """``text`` within ``limit`` characters, cut at a word with an ellipsis."""
    if len(text) <= limit:
        return text
    cut = text[:limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip(" ,;:.") + "…"


def _digest(title: str, day: str) -> str:
    return "sha1:" + hashlib.sha1(f"{title}|{day}".encode()).hexdigest()  # noqa: S324 - an id
