"""Where a community's pages are and what goes on them (pure helpers).

Pages are named by a *page key*: the kind for pages made once per community ("members"),
``kind@instance`` for pages made per seminar ("seminar@2027", title "Seminar 2027"). Rows
placed on another kind's page (a seminar page's attendance and actions) have row keys of
their own ("attendance@2027"), which map to their host's page: each row set keeps its own
merge base (a PageState under its row key) on the shared page.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

from connector.base import PageContext, PageRef
from page_templates import PageKind, TemplateSet, localize
from page_templates.model import base_kind, instance_key, instance_of
from sync.records.model import Community, PageState, Rows

Instances = Mapping[str, Sequence[str]]  # "seminar" -> the years it has pages for


def page_title(kind: PageKind, lang: str, instance: str = "") -> str:
    """A page's title in ``lang`` ("Members", "Séminaire 2027")."""
    # the report's placeholder filler, loaded when a title needs it (a sync of pages
    # that are all known loads no report machinery)
    from page_templates.report import fill  # noqa: PLC0415

    return fill(localize(kind.title, lang), instance=instance).strip()


def page_keys(templates: TemplateSet, instances: Instances | None = None
              ) -> list[tuple[str, PageKind]]:
    """(page key, kind) of every page a community has, in page order (kinds made per
    seminar once per instance given)."""
    found: list[tuple[str, PageKind]] = []
    for kind in templates.page_kinds:
        if kind.per:
            found += [(instance_key(kind.kind, i), kind)
                      for i in (instances or {}).get(kind.per, ())]
        else:
            found.append((kind.kind, kind))
    return found


def part_keys(key: str, kind: PageKind) -> dict[str, str]:
    """part kind -> the row key of its rows on page ``key`` ("attendance@2027")."""
    return {part.kind: instance_key(part.kind, instance_of(key)) for part in kind.parts}


def page_refs(community: Community, space: str, templates: TemplateSet,
              instances: Instances | None = None) -> dict[str, PageRef]:
    """key -> page, titles in the community's language ('Members' / 'Membres'); the row
    keys of parts map to their host's page."""
    refs: dict[str, PageRef] = {}
    for key, kind in page_keys(templates, instances):
        ref = PageRef(space, page_title(kind, community.lang, instance_of(key)))
        refs[key] = ref
        refs.update(dict.fromkeys(part_keys(key, kind).values(), ref))
    return refs


def current_refs(community: Community, space: str, templates: TemplateSet,
                 states: list[PageState], instances: Instances | None = None
                 ) -> dict[str, PageRef]:
    """Like page_refs, but a page that was moved on the wiki is followed to where it is."""
    refs = page_refs(community, space, templates, instances)
    refs.update({state.kind: state.ref for state in states if state.kind in refs})
    return refs


def host_refs(refs: Mapping[str, PageRef], templates: TemplateSet) -> dict[str, PageRef]:
    """``refs`` without the parts' row keys: one entry per page (for links and reads)."""
    return {key: ref for key, ref in refs.items()
            if (kind := templates.get(base_kind(key))) is not None and not kind.host}


def page_context(community: Community, refs: Mapping[str, PageRef]) -> PageContext:
    values = community.charter_values()
    return PageContext(lang=community.lang, space=next(iter(refs.values())).space,
                       values=values, pages=dict(refs))


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
