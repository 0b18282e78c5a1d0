"""The community's output: the subjects of its Ideas page as the records hold them, the
portfolio hand-over, and `cop idea link` (the method's upstream role: subjects raised by a
community feed the innovation portfolio).

A subject is a row of the Ideas page (page_templates/kinds/ideas.toml) with what the
records know around it: when it was first seen, its status changes (recorded by the sync,
sync/engine/statuses.py), the entries of its space it names (sync/engine/links.py) and the
seminar workshop it came from. The hand-over lists the subjects proposed to the portfolio
that have no project code yet; ``link_project`` records the code the portfolio gave one
(and marks it launched), then the CLI writes it back to the row on the wiki (the same
write path as `cop member add`: read, merge three ways, write with the base revision).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from msgspec import Struct

from connector.errors import NotFoundError, UsageError, ValidationError
from page_templates import PageKind, TemplateSet
from page_templates.values import FieldInvalid, loose, normalize, row_key
from sync.clock import utc_now
from sync.engine.links import (
    EntryIndex,
    LinkedEntry,
    build_index,
    nameable_kinds,
    resolve,
)
from sync.records.model import Community, Entry, Workshop
from sync.records.status_history import StatusChange
from sync.records.store import Records

IDEAS = "ideas"  # the kind
STAGES = ("idea", "studied", "proposed", "launched")  # the funnel, in order
PROPOSED, LAUNCHED, DROPPED = "proposed", "launched", "dropped"
LINKED_BY = "cop idea link"  # who a status change made by the command is recorded by


class Subject(Struct, frozen=True):
    """One subject of a community's Ideas page, with its history and what it names.

    ``history`` holds (status, since) in time order, the first one since the row was
    first seen; ``linked`` the entries of its space its related entries name, ``unknown``
    the names that name none; ``workshop`` the seminar workshop its origin names, if any
    (year, title)."""

    community: str
    key: str
    values: Mapping[str, str]
    first_seen: str
    history: tuple[tuple[str, str], ...] = ()
    linked: tuple[LinkedEntry, ...] = ()
    unknown: tuple[str, ...] = ()
    workshop: tuple[int, str] | None = None
    updated_at: str = ""
    deleted_at: str | None = None  # removed from the page (only with include_deleted)

    def get(self, name: str) -> str:
        return self.values.get(name, "")

    @property
    def title(self) -> str:
        return self.get("title") or self.key

    @property
    def status(self) -> str:
        return self.get("status") or STAGES[0]

    @property
    def status_since(self) -> str:
        """When the subject reached its current status (as the records saw it)."""
        return self.history[-1][1] if self.history else self.first_seen

    @property
    def awaits_project(self) -> bool:
        """Proposed to the portfolio, no project code yet: in the hand-over list."""
        return self.status == PROPOSED and not self.get("project")


def ideas_kind(templates: TemplateSet) -> PageKind | None:
    return templates.get(IDEAS)


def read_subjects(records: Records, templates: TemplateSet, community: Community, *,
                  include_deleted: bool = False) -> list[Subject]:
    """The live subjects of ``community`` (removed ones too with ``include_deleted``),
    first seen first (none when the templates have no Ideas page)."""
    kind = ideas_kind(templates)
    if kind is None:
        return []
    slug = community.slug
    index = space_index(records, templates, slug)
    changes: dict[str, list[StatusChange]] = {}
    for change in records.status_changes(slug, IDEAS):
        changes.setdefault(change.key, []).append(change)
    workshops = records.workshops(community=slug)
    return [subject_of(entry, changes.get(entry.key, ()), index, workshops)
            for entry in records.entries(slug, IDEAS, include_deleted=include_deleted)]


def space_index(records: Records, templates: TemplateSet, slug: str) -> EntryIndex:
    """The rows of ``slug``'s space a subject may name."""
    return build_index(templates, {k.kind: records.live_rows(slug, k.kind)
                                   for k in nameable_kinds(templates)})


def subject_of(entry: Entry, changes: Sequence[StatusChange], index: EntryIndex,
               workshops: Sequence[Workshop]) -> Subject:
    """A recorded row as a subject (pure)."""
    linked, unknown = resolve(entry.data.get("links", ""), index)
    return Subject(entry.community, entry.key, dict(entry.data), entry.first_seen,
                   history(entry, changes), linked, unknown,
                   workshop_of(entry.data.get("origin", ""), workshops, entry.first_seen),
                   entry.updated_at, entry.deleted_at)


def history(entry: Entry, changes: Sequence[StatusChange]) -> tuple[tuple[str, str], ...]:
    """(status, since) of a subject, oldest first: its recorded changes, else its status
    since it was first seen (a subject of a page synced before changes were recorded)."""
    ordered = sorted(changes, key=lambda c: c.at)
    status = entry.data.get("status") or STAGES[0]
    if not ordered:
        return ((status, entry.first_seen),)
    found = [(c.status, c.at) for c in ordered]
    if ordered[0].previous:  # the row was there before its first recorded change
        found.insert(0, (ordered[0].previous, entry.first_seen))
    if found[-1][0] != status:  # a change the records did not see
        found.append((status, entry.updated_at or entry.first_seen))
    return tuple(_merged(found))


def _merged(found: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Consecutive equal statuses as one stay."""
    merged: list[tuple[str, str]] = []
    for status, since in found:
        if not merged or merged[-1][0] != status:
            merged.append((status, since))
    return merged


def workshop_of(origin: str, workshops: Sequence[Workshop],
                first_seen: str) -> tuple[int, str] | None:
    """The workshop an origin names: one whose title it holds (compared loosely); of
    workshops of several seminars with that title, the one whose year the origin names,
    else the latest held before the subject was first seen, else the latest."""
    written = loose(origin)
    if not written:
        return None
    found = [w for w in workshops if loose(w.title) and loose(w.title) in written]
    if not found:
        return None
    longest = max(len(loose(w.title)) for w in found)  # "Fast charging" over "Charging"
    found = [w for w in found if len(loose(w.title)) == longest]
    named = [w for w in found if str(w.year) in origin]
    earlier = [w for w in found if str(w.year) <= first_seen[:4]]
    chosen = max(named or earlier or found, key=lambda w: w.year)
    return chosen.year, chosen.title


def handover(subjects: Sequence[Subject]) -> list[Subject]:
    """The subjects waiting for a project code, proposed longest ago first."""
    return sorted((s for s in subjects if s.awaits_project),
                  key=lambda s: (s.status_since, s.community, s.key))


# --- cop idea link ----------------------------------------------------------------------------

class Linked(Struct, frozen=True):
    """What `cop idea link` did: ``action`` is "linked", "relinked" (another code before)
    or "unchanged" (already linked to that code and launched)."""

    key: str
    title: str
    project: str
    action: str
    previous_status: str
    previous_project: str = ""


def link_project(records: Records, templates: TemplateSet, community: Community, key: str,
                 project: str, clock: Callable[[], str] = utc_now) -> Linked:
    """Record ``project`` as the portfolio project of subject ``key`` (its row key or its
    title) of ``community``, and mark the subject launched, with the status change. The
    records only: the caller writes the page (sync.engine.members.write_rows_page).
    Raises NotFoundError (no such subject), UsageError (a dropped subject),
    ValidationError (an empty or unreadable code)."""
    kind = ideas_kind(templates)
    if kind is None:
        raise UsageError("the templates have no Ideas page (kind \"ideas\")")
    slug = community.slug
    wanted = _key(kind, key)
    rows = records.live_rows(slug, IDEAS)
    if wanted not in rows:
        raise NotFoundError(f"no subject {key!r} on the Ideas page of {slug} (see `cop idea "
                            f"list {slug}`; the key is the subject's title)")
    row = rows[wanted]
    code = _code(kind, project)
    status = row.get("status") or STAGES[0]
    if status == DROPPED:
        raise UsageError(f"{row.get('title') or wanted!r} is dropped: set its status back on "
                         "the Ideas page before linking it to a project")
    before = row.get("project", "")
    if before == code and status == LAUNCHED:
        return Linked(wanted, row.get("title", wanted), code, "unchanged", status, before)
    now = clock()
    with records.transaction():
        records.upsert_entry(slug, IDEAS, wanted, {**row, "project": code,
                                                   "status": LAUNCHED},
                             origin="command", now=now)
        if status != LAUNCHED:
            records.record_status_changes(slug, IDEAS, [(wanted, status, LAUNCHED)], at=now,
                                          by=LINKED_BY)
    action = "relinked" if before and before != code else "linked"
    return Linked(wanted, row.get("title", wanted), code, action, status, before)


def _key(kind: PageKind, written: str) -> str:
    """The row key of a subject given by its key or its title."""
    definition = kind.field("title")
    try:
        title = normalize(definition, written) if definition else written.strip()
    except FieldInvalid:
        title = written.strip()
    return row_key(kind, {"title": title}) or ""


def _code(kind: PageKind, project: str) -> str:
    definition = kind.field("project")
    try:
        code = normalize(definition, project) if definition else project.strip()
    except FieldInvalid as invalid:
        raise ValidationError(invalid.message, field="--project", value=project) from None
    if not code:
        raise ValidationError("is required: the project's code in the portfolio",
                              field="--project", value=project)
    return code
