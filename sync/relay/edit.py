"""cop source add | remove: the manager writes a source's row on the Watch page.

The sources belong to the members: the Watch page is their truth (a one-way row kind, read
by the sync like any other). A command therefore changes the page, not the records: it
reads the Watch page, adds, updates or removes the one source row (the same row a member
would type), writes the page once over the revision read (on an edit conflict: read and
planned again, once), then syncs the page as written into the records, so that the next
cop-sync reads nothing back and asks the new source at its first turn.

``plan_source_edit`` is pure (what the page gets); ``edit_source`` is the shell.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from msgspec import Struct

from connector.base import RemotePage, RowChange, WikiBackend
from connector.errors import EditConflict, NotFoundError, Unreachable, UsageError, ValidationError
from page_templates import PageKind, TemplateSet
from page_templates.values import normalize_row, row_key
from sync.clock import utc_now
from sync.community.pages import part_keys
from sync.records.model import Community
from sync.records.store import Records

SOURCE_KIND = "source"
OPTIONS = {"url": "URL", "name": "--name", "tags": "--tags"}  # how the CLI names a field


class SourceEdit(Struct, frozen=True):
    """What a source command did: ``action`` "added", "updated", "removed" or
    "unchanged" (the page had it so: nothing written); ``page`` the Watch page, "" when the
    community has none on the wiki (not provisioned, or deleted there)."""

    url: str
    action: str
    page: str = ""


def plan_source_edit(kind: PageKind, on_page: Mapping[str, Mapping[str, str]],
                     url: str, fields: Mapping[str, str | None] | None
                     ) -> tuple[str, str, RowChange | None]:
    """(the source's key, action, the change to write) for adding or updating the source
    at ``url`` with ``fields`` (None: removing it). ``on_page``: the page's source rows by
    key. Fields left out (None) keep what the page holds. Raises ValidationError naming
    the option, NotFoundError for removing a source the page does not list."""
    key = row_key(kind, {"url": url.strip()}) or url.strip()
    current = (key, on_page[key]) if key in on_page else None
    if fields is None:
        if current is None:
            raise NotFoundError(f"{url} is not a source of this watch (`cop source list`)")
        return current[0], "removed", RowChange("remove", current[0])
    merged = {**(current[1] if current else {}), "url": url.strip(),
              **{name: value for name, value in fields.items() if value is not None}}
    values, invalid = normalize_row(kind, merged)
    if invalid:
        problem = invalid[0]
        raise ValidationError(problem.message, field=OPTIONS.get(problem.field, problem.field),
                              value=merged.get(problem.field))
    key = row_key(kind, values) or key
    if current is None:
        return key, "added", RowChange("add", key, values)
    changed = {name: value for name, value in values.items()
               if current[1].get(name, "") != value}
    if not changed:
        return current[0], "unchanged", None
    return current[0], "updated", RowChange("update", current[0], changed)


def edit_source(records: Records, backend: WikiBackend, templates: TemplateSet,
                community: Community, url: str, fields: Mapping[str, str | None] | None,
                clock: Callable[[], str] = utc_now) -> SourceEdit:
    """Add or update (``fields``) or remove (None) the source at ``url`` on the community's
    Watch page, and record the page as written. Raises CopError for the wiki."""
    kind = templates[SOURCE_KIND]
    host = templates[kind.host]
    state = records.page_state(community.slug, host.kind)
    remote = None if state is None or state.state == "deleted" else \
        backend.read_pages([state.ref]).get(state.ref)
    if state is None or remote is None:
        raise UsageError(f"{community.slug} has no Watch page on the wiki (not provisioned "
                         f"yet, or deleted there): `cop provision {community.slug}` first")
    first = ""
    for attempt in (1, 2):
        key, action, change = plan_source_edit(kind, _rows(backend, kind, remote), url,
                                               fields)
        if change is None:
            if first:  # re-read after a write that may have landed: it did
                record_written_page(records, backend, templates, community, host, remote,
                                    clock)
            return SourceEdit(key, first or action, str(remote.ref))
        first = first or action
        content = backend.codec.apply_changes(remote.content, kind, [change], community.lang)
        verb = {"added": "adds", "updated": "updates", "removed": "removes"}[action]
        try:
            written = backend.update_page(remote, content,
                                          summary=f"cop-connector: the manager {verb} a "
                                                  "watch source")
        except (EditConflict, Unreachable):
            fresh = backend.read_pages([state.ref]).get(state.ref)
            if attempt == 2 or fresh is None:
                raise
            remote = fresh  # a member saved meanwhile, or the write may have landed
            continue
        page = RemotePage(remote.ref, written.page_id, written.revision, content)
        # the last source removed by this command is a deletion asked for, not a page
        # that suddenly reads as empty (the guard that makes cop-sync refuse it)
        emptied = part_keys(host.kind, host)[SOURCE_KIND] if action == "removed" else ""
        record_written_page(records, backend, templates, community, host, page, clock,
                            force_delete=emptied)
        return SourceEdit(key, action, str(remote.ref))
    raise AssertionError("unreachable")


def _rows(backend: WikiBackend, kind: PageKind,
          remote: RemotePage) -> dict[str, Mapping[str, str]]:
    """The page's readable source rows by key (an unreadable one is the sync's to report)."""
    found: dict[str, Mapping[str, str]] = {}
    for raw in backend.codec.parse_rows(remote.content, kind, str(remote.ref)).rows:
        values, invalid = normalize_row(kind, raw.values)
        key = row_key(kind, values)
        if key is not None and not invalid:
            found.setdefault(key, values)
    return found


def record_written_page(records: Records, backend: WikiBackend, templates: TemplateSet,
                        community: Community, host: PageKind, page: RemotePage,
                        clock: Callable[[], str] = utc_now, *,
                        force_delete: str = "") -> None:
    """The Watch page as just written, synced into the records like a page the sync reads:
    its rows, and each row set's revision (so the next run does not read it back).
    ``force_delete``: the row set whose rows the writer removed itself."""
    from sync.engine.pull import PageSync  # noqa: PLC0415 - the merge, when a page is written

    pages = PageSync(records, backend, templates, clock)
    for key in (host.kind, *part_keys(host.kind, host).values()):
        state = records.page_state(community.slug, key)
        if state is not None:
            pages.sync(community, state, page, force_delete=key == force_delete)
