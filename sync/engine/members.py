"""``cop member add/remove``: change the records, then write the Members page at once.

The page write is the same code path as cop-sync's (sync/engine/pull.py): read the page, merge
three ways, write with the base revision, retry once on a conflict; its notice follows what
was read (sync/engine/notice_pass.py). Whatever happens on the
wiki, the local change is already committed, and the next cop-sync pushes what is pending.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from msgspec import Struct

from connector.base import WikiBackend
from connector.errors import NotFoundError, ValidationError
from page_templates import TemplateSet
from page_templates.values import normalize_row
from sync.clock import utc_now
from sync.engine.notice_pass import write_notices
from sync.engine.pending import KIND, members_pending, rows_pending  # noqa: F401 - re-exported
from sync.engine.pull import PageOutcome, PageSync
from sync.records.model import Community
from sync.records.store import Records


class MemberChange(Struct, frozen=True):
    """The outcome of a member command: ``page`` is None when nothing was written
    (community not provisioned yet)."""

    email: str
    action: str  # "added" | "updated" | "removed"
    page: PageOutcome | None


def record_member(records: Records, templates: TemplateSet, community: Community,
                  fields: Mapping[str, str], clock: Callable[[], str] = utc_now) -> str:
    """Add or update a member locally. Raises ValidationError naming the option."""
    kind = templates[KIND]
    current = records.live_rows(community.slug, KIND)
    email = fields.get("email", "").strip().lower()
    merged = {**current.get(email, {}), **{k: v for k, v in fields.items() if v is not None}}
    merged.setdefault("since", clock()[:10])
    merged.setdefault("role", "member")
    values, invalid = normalize_row(kind, merged)
    if invalid:
        problem = invalid[0]
        option = "EMAIL" if problem.field == "email" else f"--{problem.field}"
        raise ValidationError(problem.message, field=option,
                              value=merged.get(problem.field))
    action = "updated" if values["email"] in current else "added"
    records.upsert_entry(community.slug, KIND, values["email"], values, origin="command",
                         now=clock())
    return action


def forget_member(records: Records, community: Community, email: str,
                  clock: Callable[[], str] = utc_now) -> None:
    """Tombstone a member locally (kept in the records as removed)."""
    key = email.strip().lower()
    if key not in records.live_rows(community.slug, KIND):
        raise NotFoundError(f"{email} is not a member of {community.slug}")
    records.tombstone_entry(community.slug, KIND, key, by="command", now=clock())


def write_members_page(records: Records, backend: WikiBackend, templates: TemplateSet,
                       community: Community,
                       clock: Callable[[], str] = utc_now) -> PageOutcome | None:
    """Bring the Members page and the records together now (None if not provisioned)."""
    return write_rows_page(records, backend, templates, community, KIND, clock)


def write_rows_page(records: Records, backend: WikiBackend, templates: TemplateSet,
                    community: Community, kind: str,
                    clock: Callable[[], str] = utc_now) -> PageOutcome | None:
    """Bring the page of a two-way ``kind`` (the members, the subjects of the Ideas page)
    and the records together now: read it, merge three ways, write the records' changes
    with the base revision (re-read and merged once more on a conflict, never
    overwritten). None when the page is not on the wiki (not provisioned, or deleted)."""
    state = records.page_state(community.slug, kind)
    if state is None or state.state == "deleted":
        return None
    remote = backend.read_pages([state.ref]).get(state.ref)
    if remote is None:
        return None
    outcome = PageSync(records, backend, templates, clock).sync(community, state, remote)
    write_notices(records, backend, templates, community, [outcome], dry_run=False)
    return outcome

