"""Where a community's pages are and what goes on them (pure helpers)."""

from __future__ import annotations

import hashlib

from connector.base import PageContext, PageRef
from page_templates import PageKind, TemplateSet, localize

from .model import Community, PageState, Rows


def page_refs(community: Community, space: str, templates: TemplateSet) -> dict[str, PageRef]:
    """kind -> page, titles in the community's language ('Members' / 'Membres')."""
    return {kind.kind: PageRef(space, localize(kind.title, community.lang))
            for kind in templates.kinds}


def current_refs(community: Community, space: str, templates: TemplateSet,
                 states: list[PageState]) -> dict[str, PageRef]:
    """Like page_refs, but a page that was moved on the wiki is followed to where it is."""
    refs = page_refs(community, space, templates)
    refs.update({state.kind: state.ref for state in states if state.kind in refs})
    return refs


def page_context(community: Community, refs: dict[str, PageRef]) -> PageContext:
    values = community.charter_values()
    return PageContext(lang=community.lang, space=next(iter(refs.values())).space,
                       values=values, pages=refs)


def initial_rows(kind: PageKind, community: Community,
                 rows: Rows) -> list[dict[str, str]]:
    """Rows a new page starts with: the charter's values, else the recorded rows."""
    if kind.single:
        return [community.charter_values()]
    return [dict(values) for values in rows.values()]


def content_hash(content: str) -> str:
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def same_text(stored: str, desired: str) -> bool:
    """Equal as wikis store text: MediaWiki drops trailing white space on save."""
    return stored.rstrip() == desired.rstrip()
