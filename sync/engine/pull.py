"""Sync one page: parse, plan (sync/engine/merge.py), push local changes, commit — the shell.

Order matters for crash safety: the wiki write (with the base revision) comes first, the
local commit (rows + merge base + revision, one transaction) second. A crash in between
leaves the wiki ahead; the next run reads it, finds both sides equal, and converges.

A write is never replayed blindly: after an edit conflict, or a failure that may hide a
saved write (a timeout once the request was sent), the page is read again and merged again;
the merge tells whether anything is still to write (a landed write leaves nothing).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable

from msgspec import Struct
from msgspec.structs import replace

from connector.base import OtherRows, ParsedPage, RemotePage, WikiBackend
from connector.errors import CopError, EditConflict, RowProblem, Unreachable
from page_templates import PageKind, TemplateSet
from page_templates.model import base_kind, localize
from sync.engine.charter_plan import plan_charter
from sync.engine.checkpoints import checkpoint
from sync.engine.links import (
    build_index,
    link_problems,
    linking_fields,
    nameable_kinds,
    page_titles,
)
from sync.engine.merge import FieldConflict, PagePlan, plan_page
from sync.engine.outcome import PageOutcome
from sync.engine.statuses import STATUS, missing_reasons, status_changes, tracks_status
from sync.records.model import Community, Conflict, PageState, StoredProblem
from sync.records.store import Records

log = logging.getLogger(__name__)


class PageSync(Struct, frozen=True):
    records: Records
    backend: WikiBackend
    templates: TemplateSet
    clock: Callable[[], str]

    def sync(self, community: Community, state: PageState, remote: RemotePage, *,
             dry_run: bool = False, force_delete: bool = False,
             parsed: ParsedPage | None = None) -> PageOutcome:
        """Read ``remote`` into the records; push local changes (two-way kinds).
        ``parsed``: the page's rows when the caller parsed it already."""
        kind = self.templates.kind_for(state.kind)  # rows are recorded under state.kind
        outcome = PageOutcome(community.slug, state.kind, str(remote.ref))
        if parsed is None:
            parsed = self.parse(community, kind, remote)
        if kind.single:
            return self._charter(community, kind, state, remote, parsed, outcome, dry_run)
        plan = self._plan(community, kind, state, remote, force_delete, parsed)
        revision = remote.revision
        outcome.latest = remote
        if plan.wiki_changes and not dry_run:
            try:
                remote, plan, revision, content = self._push(community, kind, state, remote,
                                                             plan, force_delete)
                outcome.latest = replace(remote, revision=revision, content=content)
            except CopError as error:  # nothing committed: the next run tries again
                outcome.error = (f"{error} ({len(plan.wiki_changes)} local change(s) not "
                                 "written; they stay pending for the next run)")
                return outcome
        _fill(outcome, plan)
        if not dry_run:  # the count of rows that really changed (not the planned writes)
            outcome.upserted = self._commit(community, kind, state, remote, plan, revision)
            checkpoint("after-page-commit")
        return outcome

    def _plan(self, community: Community, kind: PageKind, state: PageState,
              remote: RemotePage, force_delete: bool,
              parsed: ParsedPage | None = None) -> PagePlan:
        if parsed is None:
            parsed = self.parse(community, kind, remote)
        entries = self.records.entries(community.slug, state.kind, include_deleted=True)
        live = {e.key: e.data for e in entries if e.live}
        deleted = frozenset(e.key for e in entries if not e.live)
        plan = plan_page(kind, str(remote.ref), parsed, base=state.base, local=live,
                         local_deleted=deleted, force_delete=force_delete,
                         lang=community.lang)
        return self._with_checks(community, kind, str(remote.ref), parsed, plan)

    def _with_checks(self, community: Community, kind: PageKind, page: str,
                     parsed: ParsedPage, plan: PagePlan) -> PagePlan:
        """The plan with the warnings that need more than a row to tell: a name in a
        linking field (the Ideas page's related entries) that names no row of the space
        (sync/engine/links.py), a row dropped without a reason (sync/engine/statuses.py)."""
        found = missing_reasons(kind, page, parsed, community.lang)
        if linking_fields(kind):
            named = nameable_kinds(self.templates)
            index = build_index(self.templates, {
                k.kind: self.records.live_rows(community.slug, k.kind) for k in named})
            found += link_problems(kind, page, parsed, index,
                                   page_titles(named, community.lang), community.lang)
        if not found:
            return plan
        return replace(plan, problems=tuple(sorted([*plan.problems, *found],
                                                   key=lambda problem: problem.row)))

    def parse(self, community: Community, kind: PageKind, remote: RemotePage) -> ParsedPage:
        """The rows of ``kind`` on ``remote``, and the other kinds' rows found there."""
        others = other_rows(self.templates, kind, self.records.page_states(community.slug),
                            community.lang)
        return self.backend.codec.parse_rows(remote.content, kind, str(remote.ref), others)

    def _push(self, community: Community, kind: PageKind, state: PageState,
              remote: RemotePage, plan: PagePlan,
              force_delete: bool) -> tuple[RemotePage, PagePlan, str, str]:
        """Write the local changes over ``remote``. On an edit conflict or a write that may
        have landed (Unreachable), re-read and re-plan first; write at most once more. The
        page read, the plan, the revision and the content now on the wiki."""
        for attempt in (1, 2):
            content = self.backend.codec.apply_changes(remote.content, kind, plan.wiki_changes,
                                                       community.lang)
            try:
                written = self.backend.update_page(
                    remote, content, summary=f"cop-connector: {len(plan.wiki_changes)} "
                                             f"change(s) to the {kind.kind} list")
            except (EditConflict, Unreachable) as failure:
                if attempt == 2:
                    raise
                log.info("%s: %s; re-reading before anything else", remote.ref, failure)
                fresh = self.backend.read_pages([remote.ref]).get(remote.ref)
                if fresh is None:
                    raise
                remote, plan = fresh, self._plan(community, kind, state, fresh, force_delete)
                if not plan.wiki_changes:  # the write landed after all, or someone made it
                    return remote, plan, remote.revision, remote.content
                continue
            checkpoint("after-wiki-write")
            return remote, plan, written.revision, content
        raise AssertionError("unreachable")

    def _commit(self, community: Community, kind: PageKind, state: PageState,
                remote: RemotePage, plan: PagePlan, revision: str) -> int:
        now = self.clock()
        with self.records.transaction():
            for old, new in plan.renames.items():  # first: the rest of the plan uses them
                self.records.rename_entry(community.slug, state.kind, old, new)
            before = self._statuses(community, kind, state.kind, plan)
            upserted = self.records.upsert_entries(community.slug, state.kind, plan.upserts,
                                                   origin="wiki", now=now)
            if before is not None:
                self.records.record_status_changes(
                    community.slug, state.kind, status_changes(before, plan.upserts),
                    at=now, by="wiki")
            for key in plan.tombstones:
                self.records.tombstone_entry(community.slug, state.kind, key, by="wiki",
                                             now=now)
            refused = plan.refused_empty
            self.records.save_page_state(replace(
                state, ref=remote.ref, page_id=remote.page_id,
                revision=state.revision if refused else revision,
                base=plan.new_base, state="refused-empty" if refused else "ok",
                synced_at=now))
            self._problems(community, state.kind, plan.problems, now)
            self._conflicts(community, state.kind, plan.conflicts, now)
            checkpoint("before-page-commit")
        return upserted

    def _statuses(self, community: Community, kind: PageKind, key: str,
                  plan: PagePlan) -> dict[str, str] | None:
        """The recorded status of the rows the plan changes (None when the kind has no
        status to track, see sync/engine/statuses.py), to record what changes."""
        if not plan.upserts or not tracks_status(kind):
            return None
        live = self.records.live_rows(community.slug, key)
        return {k: live[k].get(STATUS, "") for k in plan.upserts if k in live}

    def _charter(self, community: Community, kind: PageKind, state: PageState,
                 remote: RemotePage, parsed: ParsedPage, outcome: PageOutcome,
                 dry_run: bool) -> PageOutcome:
        plan = plan_charter(kind, str(remote.ref), parsed, community.charter_values(),
                            lang=community.lang)
        outcome.problems, outcome.drift = list(plan.problems), dict(plan.drift)
        outcome.latest = remote
        outcome.upserted = int(bool(plan.accepted))
        if dry_run:
            return outcome
        now = self.clock()
        with self.records.transaction():
            if plan.accepted:
                self.records.save_community(replace(community.with_charter(plan.accepted),
                                                    updated_at=now))
            self.records.replace_drift(community.slug, str(remote.ref), plan.drift, now)
            self.records.save_page_state(replace(
                state, ref=remote.ref, page_id=remote.page_id, revision=remote.revision,
                base=None if plan.values is None else {community.slug: plan.values},
                state="ok", synced_at=now))
            self._problems(community, state.kind, plan.problems, now)
            checkpoint("before-page-commit")
        checkpoint("after-page-commit")
        return outcome

    def _problems(self, community: Community, key: str,
                  problems: tuple[RowProblem, ...], now: str) -> None:
        self.records.replace_problems(community.slug, key, [
            StoredProblem.of(community.slug, key, p, now) for p in problems])

    def _conflicts(self, community: Community, key: str,
                   found: tuple[FieldConflict, ...], now: str) -> None:
        """Record the conflicts found; those no longer found have converged."""
        current = {(c.key, c.field) for c in found}
        for old in self.records.conflicts(community.slug):
            if old.kind == key and (old.key, old.field) not in current and old.id:
                self.records.resolve_conflict(old.id, "converged", now)
        self.records.record_conflicts([
            Conflict(community.slug, key, c.key, c.field, c.base, c.wiki, c.local)
            for c in found], now)


def other_rows(templates: TemplateSet, kind: PageKind, states: Iterable[PageState],
               lang: str) -> dict[str, OtherRows]:
    """The row templates that do not belong on a page of ``kind`` (the other kinds', not
    those its page holds as parts), each with its kind and the title of the page it belongs
    on (as on the wiki; the kind's title in ``lang`` for a page not provisioned)."""
    host = templates.get(kind.host) if kind.host else None
    here = {k.kind for k in (host or kind).row_sets()} | {kind.kind}
    titles: dict[str, str] = {}
    for state in states:
        titles.setdefault(base_kind(state.kind), state.ref.title)
    found = {}
    for other in templates.row_kinds:
        if other.kind in here or not other.row_template:
            continue
        page_kind = (templates.get(other.host) if other.host else None) or other
        title = titles.get(other.kind) or localize(page_kind.title, lang)
        found[other.row_template] = OtherRows(other.kind, title)
    return found


def _fill(outcome: PageOutcome, plan: PagePlan) -> None:
    outcome.upserted = len(plan.upserts)
    outcome.tombstoned = len(plan.tombstones)
    outcome.pushed = len(plan.wiki_changes)
    outcome.problems = list(plan.problems)
    outcome.conflicts = list(plan.conflicts)
    outcome.refused_empty = plan.refused_empty
    outcome.held_back = list(plan.notes)
    if plan.refused_empty:
        outcome.notice = ("reads as empty; the recorded rows are kept (run cop-sync "
                          "--force-delete to accept the deletion)")
    else:  # what waits until the page is fixed, and why (the CLI prints the notice)
        outcome.notice = "; ".join(plan.notes)
