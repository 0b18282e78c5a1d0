"""What is new in a community, read from the records (no wiki request): its rows in a
window, the wiki history the records keep (for who added them), its pages' addresses."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from msgspec import Struct

from page_templates import TemplateSet
from sync.clock import format_time, parse_time
from sync.config.loader import Config
from sync.records.model import Community, Entry
from sync.records.store import Records
from sync.relay.links import CommunityLinks, community_links
from sync.relay.news import (
    ATTRIBUTION_WINDOW,
    NEWS_KINDS,
    CommunityPages,
    Edit,
    NewsItem,
    news_items,
)
from sync.results.history import stored_contributions
from sync.results.people import Member, MemberFinder


class Window(Struct, frozen=True):
    """Rows that changed at or after ``since`` and before ``until`` (None: no bound), the
    ``limit`` newest (None: all)."""

    since: str | None = None
    until: str | None = None
    limit: int | None = None


class NewsReader:
    """Reads what is new in communities from the records, one community at a time."""

    def __init__(self, records: Records, templates: TemplateSet, config: Config) -> None:
        self.records = records
        self.templates = templates
        self.config = config
        self._links: dict[str, CommunityLinks] = {}

    def links(self, community: Community) -> CommunityLinks:
        """The community's page addresses and tag (computed once per reader)."""
        if community.slug not in self._links:
            self._links[community.slug] = community_links(
                self.config, community, self.records.page_places(community.slug))
        return self._links[community.slug]

    def items(self, community: Community, window: Window) -> list[NewsItem]:
        """The community's items in ``window``, newest first."""
        kinds = {k: kind for k in NEWS_KINDS if (kind := self.templates.get(k)) is not None}
        rows = [*self.records.recent_entries(community.slug, [k for k in kinds
                                                              if k != "members"],
                                             since=window.since, until=window.until,
                                             limit=window.limit),
                *self.records.recent_entries(community.slug, ["members"] if "members" in
                                             kinds else [], since=window.since,
                                             until=window.until, limit=window.limit,
                                             by="first_seen")]
        links = self.links(community)
        pages = CommunityPages(slug=community.slug, lang=community.lang, kinds=kinds,
                               links=links.pages, entry_id=links.entry_id)
        items = news_items(pages, rows, self._edits(community, rows), self._who(community))
        return items[:window.limit] if window.limit is not None else items

    def _edits(self, community: Community, rows: list[Entry]) -> list[Edit]:
        """The recorded edits of the community's pages that may have brought ``rows``."""
        times = [t for row in rows for t in (row.first_seen, row.updated_at) if t]
        if not times:
            return []
        since = format_time(parse_time(min(times)) - ATTRIBUTION_WINDOW - timedelta(seconds=1))
        return [Edit(kind=c.kind, user=c.user, at=c.at, name=c.name)
                for c in stored_contributions(self.records, community.slug, since)
                if c.kind]

    def _who(self, community: Community) -> Callable[[str, str], str]:
        """A wiki account as a name: the member's, when the account is one's."""
        members = [Member(email=e.key, name=str(e.data.get("name", "")),
                          profile=str(e.data.get("profile", "")))
                   for e in self.records.entries(community.slug, "members")]
        accounts = (self.config.confluence.accounts
                    if community.backend == "confluence" and self.config.confluence else {})
        finder = MemberFinder(members, self.config.health.users, accounts)

        def who(user: str, name: str) -> str:
            member = finder.member(user, name)
            return (member.name if member and member.name else "") or name or user
        return who
