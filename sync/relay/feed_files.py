"""The Atom files cop-sync writes: ``<slug>.atom`` per community and ``all.atom``, in
``[feeds] dir``, from the records alone (no wiki request).

A file is replaced only when its bytes change (no new modification time, so web servers'
``Last-Modified``/``ETag`` and feed readers' conditional requests see nothing new), and
atomically: written beside it under a temporary name, flushed to disk, then renamed over
it, so a web server never serves half a feed. Readable by all (0644): a web server serves
the directory.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from msgspec import Struct, field

from page_templates import TemplateSet
from page_templates.news import news_text
from sync.config.loader import Config
from sync.config.relay_out import FeedsConfig
from sync.records.model import Community
from sync.records.store import Records
from sync.relay.atom import Feed, render
from sync.relay.collect import NewsReader, Window
from sync.relay.links import EPOCH, all_tag
from sync.relay.news import NewsItem

ALL = "all"
# The feed of a community whose slug is "all" (all.atom is the one across communities): a
# dot is no slug character, so no other community's file can have this name.
ALL_COMMUNITY = "all.community"


class FeedsOutcome(Struct):
    """What a run did to the feed files: written and unchanged (file names), and failures
    (path: reason)."""

    directory: str
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, object]:
        return {"dir": self.directory, "written": self.written, "unchanged": self.unchanged,
                "errors": self.errors}


def feeds(records: Records, templates: TemplateSet, config: Config,
          settings: FeedsConfig) -> dict[str, bytes]:
    """file name -> its content: one feed per community, then ``all.atom``."""
    reader = NewsReader(records, templates, config)
    communities = records.communities()
    window = Window(limit=settings.entries)
    found: dict[str, bytes] = {}
    newest: list[NewsItem] = []
    for community in communities:
        items = reader.items(community, window)
        newest += items
        found[f"{feed_name(community.slug)}.atom"] = render(_community_feed(
            community, items, reader.links(community).home, reader.links(community).tag,
            settings))
    newest.sort(key=lambda i: (i.updated, i.community, i.kind, i.key), reverse=True)
    found[f"{ALL}.atom"] = render(_all_feed(config, communities, newest[:settings.entries],
                                            settings))
    return found


def write_feeds(records: Records, templates: TemplateSet, config: Config) -> FeedsOutcome:
    """Write the feeds that changed into ``[feeds] dir``. A file that cannot be written is
    an error of its own (the others are still written). Never raises OSError."""
    settings = config.feeds or FeedsConfig()
    directory = config.resolve(settings.dir)
    outcome = FeedsOutcome(str(directory))
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        outcome.errors[str(directory)] = error.strerror or str(error)
        return outcome
    for name, content in feeds(records, templates, config, settings).items():
        try:
            changed = replace_if_changed(directory / name, content)
        except OSError as error:
            outcome.errors[str(directory / name)] = error.strerror or str(error)
            continue
        (outcome.written if changed else outcome.unchanged).append(name)
    return outcome


def feed_name(slug: str) -> str:
    """The file name (without ``.atom``) of a community's feed."""
    return ALL_COMMUNITY if slug == ALL else slug


def replace_if_changed(path: Path, content: bytes) -> bool:
    """Put ``content`` at ``path`` atomically unless it is there already. Whether it
    wrote. Raises OSError (the temporary file is removed)."""
    with contextlib.suppress(FileNotFoundError):
        if path.read_bytes() == content:
            return False
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.",
                                             suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o644)  # a temporary file is private; a feed is served
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return True


def _community_feed(community: Community, items: list[NewsItem], home: str, tag: str,
                    settings: FeedsConfig) -> Feed:
    lang = community.lang
    return Feed(id=tag, title=news_text("feed.title", lang, name=community.name),
                subtitle=news_text("feed.subtitle", lang, name=community.name), lang=lang,
                author=community.name, self_link=f"{settings.url}{feed_name(community.slug)}.atom",
                home_link=home, empty_updated=community.created_at or EPOCH, items=items)


def _all_feed(config: Config, communities: list[Community], items: list[NewsItem],
              settings: FeedsConfig) -> Feed:
    lang = config.default_lang
    first = min((c.created_at for c in communities if c.created_at), default=EPOCH)
    return Feed(id=all_tag(config, communities), title=news_text("feed.all_title", lang),
                subtitle=news_text("feed.all_subtitle", lang), lang=lang,
                author=news_text("feed.all_author", lang),
                self_link=f"{settings.url}{ALL}.atom", home_link="", empty_updated=first,
                items=items, community_names={c.slug: c.name for c in communities})
