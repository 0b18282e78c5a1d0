"""Where members open a community's pages, and the stable names of its feed and entries.

Pure: computed from cop.toml and the records (the pages' current titles and ids), never by
asking a wiki. A Confluence site reached through Atlassian's API gateway (a scoped token)
has no browsable address in ``confluence.url``: ``confluence.site_url`` gives it, else the
feeds and digests go without page links.

Entry ids are ``tag:`` URIs (RFC 4151) minted from the wiki's address, the community's
creation date and slug, and a hash of the row's kind and key: a row keeps its id whatever
is edited but its key (editing the key makes another row, as the records see it).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

from msgspec import Struct

from connector.confluence.links import page_url as confluence_page
from connector.confluence.settings import check_url as confluence_base
from connector.confluence.settings import is_gateway
from connector.mediawiki.http import check_url as mediawiki_base
from connector.mediawiki.links import page_url as mediawiki_page
from sync.config.loader import Config
from sync.records.model import Community, PageState

HOME_KINDS = ("home", "charter")  # the page a community's feed links to, in this order
EPOCH = "1970-01-01T00:00:00Z"


class CommunityLinks(Struct, frozen=True):
    """A community's page addresses (kind -> URL; a page without one is left out), its
    home page's, and the tag its feed and entry ids start with."""

    pages: Mapping[str, str]
    tag: str

    @property
    def home(self) -> str:
        return next((self.pages[k] for k in HOME_KINDS if k in self.pages), "")

    def entry_id(self, kind: str, key: str) -> str:
        digest = hashlib.sha256(f"{kind}\x00{key}".encode()).hexdigest()[:20]
        return f"{self.tag}/{kind}/{digest}"


def community_links(config: Config, community: Community,
                    states: Sequence[PageState]) -> CommunityLinks:
    """The addresses of ``community``'s pages (as the records last saw them: a moved page
    is followed) and its tag. Raises ConfigError for a wiki URL cop.toml cannot hold (the
    commands that talk to the wiki would stop on it too)."""
    pages: dict[str, str] = {}
    for state in states:
        if state.state == "deleted":
            continue
        url = _page_url(config, community.backend, state)
        if url:
            pages[state.kind] = url
    return CommunityLinks(pages=pages, tag=community_tag(config, community))


def community_tag(config: Config, community: Community) -> str:
    """``tag:HOST,DATE:PATH/SLUG``: the wiki's host and path as cop.toml names it, and the
    date the community was registered (both stay; a changed wiki URL changes every id)."""
    host, path = _authority(config, community.backend)
    date = (community.created_at or EPOCH)[:10]
    return f"tag:{host},{date}:{path}{community.slug}"


def all_tag(config: Config, communities: Sequence[Community]) -> str:
    """The tag of the feed across all communities: the first registered one's wiki and
    date (communities are archived, never removed, so it stays)."""
    if not communities:
        return "tag:localhost,1970-01-01:cop-connector/all"
    first = min(communities, key=lambda c: (c.created_at, c.slug))
    host, path = _authority(config, first.backend)
    return f"tag:{host},{(first.created_at or EPOCH)[:10]}:{path}all"


def browse_base(config: Config, backend: str) -> str:
    """The address members open ``backend``'s pages under; "" when unknown (no section,
    or the Confluence API gateway without ``site_url``)."""
    if backend == "mediawiki" and config.mediawiki is not None:
        return mediawiki_base(config.mediawiki.url, allow_http=config.mediawiki.allow_http)
    section = config.confluence
    if backend != "confluence" or section is None:
        return ""
    base = confluence_base(section.url, deployment=section.deployment,
                           allow_http=section.allow_http)
    if not is_gateway(base):
        return base
    if not section.site_url:
        return ""
    return confluence_base(section.site_url, deployment=section.deployment,
                           allow_http=section.allow_http)


def _page_url(config: Config, backend: str, state: PageState) -> str:
    base = browse_base(config, backend)
    if not base:
        return ""
    if backend == "mediawiki":
        return mediawiki_page(base, state.ref)
    deployment = config.confluence.deployment if config.confluence else "cloud"
    return confluence_page(base, deployment=deployment, space=state.ref.space,
                           page_id=state.page_id)


def _authority(config: Config, backend: str) -> tuple[str, str]:
    """(host, "path/") of the wiki's configured URL, for tags."""
    section = config.mediawiki if backend == "mediawiki" else config.confluence
    url = section.url if section is not None else "https://localhost/"
    parts = urlsplit(url)
    path = "/".join(p for p in parts.path.split("/") if p and p != "api.php")
    return (parts.hostname or "localhost").lower(), f"{path}/" if path else ""
