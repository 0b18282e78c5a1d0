"""People's edits of community pages, read from the wikis' own history and kept in the records.

The wikis forget (MediaWiki's recent changes reach back ``$wgRCMaxAge``, 90 days by default;
Confluence tells only each page's last edit), so every contribution read is stored
(``contributions`` table) and each community remembers how far its history was read
(``history_marks``): the next read starts there, less an overlap. ``cop status`` then shows
health alerts from the records alone, without asking the wiki.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import timedelta

from msgspec import Struct

from connector.base import Contribution, PageRef, WikiBackend
from page_templates import TemplateSet
from sync.clock import earlier, format_time, parse_time, utc_now
from sync.community.pages import current_refs
from sync.community.seminar_pages import seminar_instances
from sync.records.model import Community
from sync.records.store import Records
from sync.results.report.document import results_title

RESULTS = "results"  # the kind recorded for edits of the community's results page


class StoredContribution(Struct, frozen=True):
    """A contribution as recorded: its community and, when it is one of the community's
    pages, the page's kind ("" for any other page of the space)."""

    community: str
    kind: str
    page: str
    user: str
    at: str
    name: str = ""
    revision: str = ""


def space_key(name: str) -> str:
    """Spaces compare like MediaWiki namespaces: case, spaces and underscores aside."""
    return " ".join(name.replace("_", " ").split()).casefold()


def refresh_history(records: Records, backend: WikiBackend, communities: Sequence[Community],
                    templates: TemplateSet, *, history_days: int, overlap_seconds: int = 300,
                    clock: Callable[[], str] = utc_now) -> int:
    """Read people's edits in the communities' spaces since each was last read (at most
    ``history_days`` back the first time), store them, move the marks. One backend call
    for all the communities. Returns how many contributions were new. Raises
    BackendError subclasses (nothing is stored then)."""
    if not communities:
        return 0
    now = clock()
    floor = format_time(parse_time(now) - timedelta(days=history_days))
    marks = [read_mark(records, c.slug) for c in communities]
    since = min(earlier(mark, overlap_seconds) if mark else floor for mark in marks)
    places = {c.slug: _places(records, templates, c) for c in communities}
    spaces = sorted({ref.space for refs in places.values() for ref in refs.values()}
                    | {c.space for c in communities})
    found = backend.contributions(spaces, since)
    stored = [s for s in (_attribute(c, communities, places) for c in found) if s is not None]
    with records.transaction():
        added = save_contributions(records, stored)
        for community in communities:
            records.db.execute(
                "INSERT INTO history_marks (community, read_until) VALUES (?, ?) "
                "ON CONFLICT (community) DO UPDATE SET read_until = excluded.read_until",
                (community.slug, now))
    return added


def save_contributions(records: Records, contributions: Iterable[StoredContribution]) -> int:
    """Store contributions (one already there is kept as it is). Returns how many were new."""
    added = 0
    with records.transaction():
        for c in contributions:
            cursor = records.db.execute(
                "INSERT INTO contributions (community, kind, page, wiki_user, "
                "display_name, at, revision) VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT DO NOTHING",
                (c.community, c.kind, c.page, c.user, c.name, c.at, c.revision))
            added += cursor.rowcount
    return added


def stored_contributions(records: Records, community: str,
                         since: str | None = None) -> list[StoredContribution]:
    """A community's recorded contributions (at or after ``since``), oldest first."""
    sql = ("SELECT community, kind, page, wiki_user, display_name, at, revision "
           "FROM contributions WHERE community = ?")
    args: list[str] = [community]
    if since:
        sql, args = sql + " AND at >= ?", [*args, since]
    rows = records.db.execute(sql + " ORDER BY at, page, wiki_user", args)
    return [StoredContribution(community=row[0], kind=row[1], page=row[2], user=row[3],
                               name=row[4], at=row[5], revision=row[6]) for row in rows]


def read_mark(records: Records, community: str) -> str | None:
    """Until when the community's history was read (None: never)."""
    row = records.db.execute("SELECT read_until FROM history_marks WHERE community = ?",
                             (community,)).fetchone()
    return row[0] if row else None


def _places(records: Records, templates: TemplateSet,
            community: Community) -> dict[str, PageRef]:
    """kind -> where the community's page is (followed when it was moved), and its
    results page ("results": cop-connector's own page, whose edits are no contribution)."""
    refs = current_refs(community, community.space, templates,
                        records.page_states(community.slug),
                        seminar_instances(records, community))
    home = refs.get("home") or refs.get("charter")
    space = home.space if home else community.space
    return {**refs, RESULTS: PageRef(space, results_title(community.lang))}


def _attribute(contribution: Contribution, communities: Sequence[Community],
               places: Mapping[str, Mapping[str, PageRef]]) -> StoredContribution | None:
    """The community (and page kind) an edit belongs to; None for another space's page."""
    space = space_key(contribution.ref.space)
    title = space_key(contribution.ref.title)
    for community in communities:
        refs = places[community.slug]
        kinds = [kind for kind, ref in refs.items()
                 if space_key(ref.space) == space and space_key(ref.title) == title]
        if kinds or space_key(community.space) == space:
            return StoredContribution(
                community=community.slug, kind=kinds[0] if kinds else "",
                page=str(contribution.ref), user=contribution.user,
                at=contribution.timestamp, name=contribution.name,
                revision=contribution.revision)
    return None
