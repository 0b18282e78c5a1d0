"""A cop-sync run: the change feed, batched reads, every page synced, the watermark saved.

Per backend: one feed request for every community's space (its server time is the signpost,
taken before any page is read), one batched read of every changed page, then each community
on its own — a community that fails does not stop the others, and its watermark only moves
(to the signpost) once all its pages are committed. Each page read then gets the notice its
problems call for (sync/engine/notice_pass.py: no request when it has it already). Once the
run's time budget is spent, no new backend or community is started: they are left,
untouched, for the next run.

What comes after the sync in the same run (the relay) is told each community's pages as
they stand and their rows as parsed (the ``observer``), so it need not read them again.

Progress goes to the ``monitor`` (sync/progress.py), page by page. Asked to stop (Ctrl-C),
the run stops before its next page: the pages done are committed, the community it was in
keeps its watermark, so the next run reads what this one left (and only that).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from itertools import groupby
from typing import TYPE_CHECKING

from msgspec import Struct, field

from connector.base import ChangeFeed, PageRef, ParsedPage, RemotePage, WikiBackend
from connector.budget import Budget
from connector.errors import CopError, NotFoundError, SpaceMissing
from page_templates import TemplateSet
from sync.clock import earlier, utc_now
from sync.engine.changes import ReadPlan, plan_reads
from sync.engine.checkpoints import checkpoint
from sync.engine.deletions import (
    community_reads_empty,
    deletion_notice,
    empty_community_notice,
    mark_deleted,
)
from sync.engine.links import linking_last, names_something, with_linking_pages
from sync.engine.outcome import CommunityOutcome, PageOutcome, SyncReport
from sync.progress import Monitor
from sync.records.model import Community, PageState
from sync.records.store import Records

if TYPE_CHECKING:
    from sync.engine.pull import PageSync

log = logging.getLogger(__name__)


class SyncOptions(Struct, frozen=True):
    community: str | None = None
    dry_run: bool = False
    force_delete: bool = False
    overlap_seconds: int = 300
    full: bool = False  # read every page, whatever the feed says (after a long outage)


# Told, once a community's pages are synced, the pages read (by page key or row key) and
# their rows as parsed: what comes after the sync in the same run (the relay) learns the
# pages without asking the wiki again.
PageObserver = Callable[[Community, Mapping[str, RemotePage], Mapping[str, ParsedPage]], None]


class Syncer(Struct, frozen=True):
    records: Records
    backends: Mapping[str, WikiBackend]  # backend name -> adapter (only configured ones)
    templates: TemplateSet
    clock: Callable[[], str] = utc_now
    budget: Budget | None = None  # the run's time budget (the adapters' retries share it)
    monitor: Monitor = field(default_factory=Monitor)
    observer: PageObserver | None = None

    def run(self, options: SyncOptions) -> SyncReport:
        report = SyncReport(started_at=self.clock(), dry_run=options.dry_run)
        communities = self._select(options.community, report)
        ordered = sorted(communities, key=lambda c: c.backend)
        for name, group in groupby(ordered, key=lambda c: c.backend):
            self._sync_backend(name, list(group), options, report)
        report.finished_at = self.clock()
        return report

    def _select(self, slug: str | None, report: SyncReport) -> list[Community]:
        """The communities to sync; archived ones are left out (their space is frozen, so
        nothing changes there: `cop archive --undo` reopens it and the next run reads it).
        Said only of one asked by name: a routine run says nothing of them, or every cron
        run would log a line per archived community for ever."""
        if slug is None:
            return [c for c in self.records.communities() if not c.archived]
        community = self.records.community(slug)
        if community is None:
            raise NotFoundError(f"no community {slug!r} (see `cop community list`)")
        if community.archived:
            skipped = CommunityOutcome(community.slug)
            skipped.notices.append("archived: not synced (`cop archive "
                                   f"{community.slug} --undo` reopens it)")
            report.communities.append(skipped)
            return []
        return [community]

    def _sync_backend(self, name: str, group: list[Community], options: SyncOptions,
                      report: SyncReport) -> None:
        outcomes = {c.slug: CommunityOutcome(c.slug) for c in group}
        report.communities += outcomes.values()
        backend = self.backends.get(name)
        if backend is None:
            for outcome in outcomes.values():
                outcome.error = f"no [{name}] section in the configuration"
            return
        if self._out_of_time(outcomes.values()):
            return
        states = {c.slug: self.records.page_states(c.slug) for c in group}
        ready = [c for c in group if _provisioned(states[c.slug], outcomes[c.slug])]
        if not ready:
            return
        try:
            feed = self._feed(backend, ready, states, options)
            ready = self._spaces_found(backend, ready, states, feed, outcomes)
            plans = {c.slug: self._read_plan(c, states[c.slug], feed, options.full)
                     for c in ready}
            wanted = [ref for plan in plans.values() for ref in plan.to_read.values()]
            remote = backend.read_pages(wanted) if wanted else {}
        except CopError as error:  # the wiki as a whole failed: every community did
            for community in ready:
                outcomes[community.slug].fail(error)
            return
        self.monitor.plan("sync", communities=len(ready), pages=sum(
            _page_count(plans[c.slug], states[c.slug]) for c in ready))
        for community in ready:
            if self._out_of_time([outcomes[community.slug]]) or self._stopped(
                    outcomes[community.slug]):
                continue
            self.monitor.community(community.slug)
            self._sync_community(backend, community, states[community.slug],
                                 plans[community.slug], remote, feed.signpost, options,
                                 outcomes[community.slug])
            outcomes[community.slug].open_problems = len(
                self.records.problems(community.slug, blocking=True))

    @staticmethod
    def _spaces_found(backend: WikiBackend, ready: list[Community],
                      states: Mapping[str, list[PageState]], feed: ChangeFeed,
                      outcomes: Mapping[str, CommunityOutcome]) -> list[Community]:
        """The communities whose spaces the wiki has (the feed names those it lacks)."""
        return [community for community in ready
                if not ({s.ref.space for s in states[community.slug]} & set(feed.missing)
                        and _space_gone(backend, community, outcomes[community.slug]))]

    def _out_of_time(self, outcomes: Iterable[CommunityOutcome]) -> bool:
        """Once the budget is spent, what has not started is left for the next run."""
        if self.budget is None or self.budget.remaining() > 0:
            return False
        for outcome in outcomes:
            outcome.error = (f"the run's time budget ({self.budget.seconds:g} s) is spent; "
                             "not synced this run (the next run does it)")
        return True

    def _stopped(self, outcome: CommunityOutcome) -> bool:
        """Asked to stop: this community is left as it is (watermark kept) for the next run."""
        if self.monitor.stopping():
            outcome.interrupted = True
        return outcome.interrupted

    def _feed(self, backend: WikiBackend, ready: list[Community],
              states: Mapping[str, list[PageState]], options: SyncOptions) -> ChangeFeed:
        """One feed for all: its signpost is taken before any page is read. First syncs
        (and --full) read every page anyway; for them the feed gives the signpost and the
        moves and deletions to follow."""
        marks = [m for m in (self.records.watermark(c.slug) for c in ready) if m]
        # A wiki whose feed may answer late (Confluence's search index) asks for a wider
        # overlap; changes already synced cost nothing (plan_reads compares revisions).
        overlap = int(max(options.overlap_seconds, getattr(backend, "feed_overlap", 0)))
        since = earlier(min(marks) if marks else self.clock(), overlap)
        # the pages' own spaces: a page moved out of its community's space is followed
        spaces = sorted({s.ref.space for c in ready for s in states[c.slug]})
        return backend.changes_since(spaces, since)

    def _read_plan(self, community: Community, states: list[PageState],
                   feed: ChangeFeed, full: bool) -> ReadPlan:
        full = full or self.records.watermark(community.slug) is None
        always = [s.kind for s in states if s.state == "refused-empty" or
                  self._pending(community, s)]
        plan = plan_reads(states, feed, always, full=full)
        return with_linking_pages(plan, states, self.templates, lambda kind: names_something(
            self.records.live_rows(community.slug, kind.kind), kind))

    def _pending(self, community: Community, state: PageState) -> bool:
        """Two-way pages whose local rows differ from the merge base: to push (not to a
        page deleted on the wiki: `cop provision` recreates it with them)."""
        if state.kind not in {k.kind for k in self.templates.row_kinds if k.two_way}:
            return False
        if state.state == "deleted":
            return False
        return self.records.live_rows(community.slug, state.kind) != (state.base or {})

    def _sync_community(self, backend: WikiBackend, community: Community,
                        states: list[PageState], plan: ReadPlan,
                        remote: dict[PageRef, RemotePage], signpost: str,
                        options: SyncOptions, outcome: CommunityOutcome) -> None:
        by_kind = {s.kind: s for s in states}
        found = {kind: remote[ref] for kind, ref in plan.to_read.items() if ref in remote}
        gone = sorted(plan.deleted | {kind for kind in plan.to_read if kind not in found})
        # a page whose content the wiki cannot give (a Confluence live doc): an error of
        # its own, its rows kept as they are, never read as empty
        unreadable = {kind: page for kind, page in found.items() if page.unreadable}
        found = {kind: page for kind, page in found.items() if not page.unreadable}
        pages = self._pages(backend) if found else None  # (what syncs one page)
        parsed = {kind: pages.parse(community, self.templates.kind_for(kind), page)
                  for kind, page in found.items()} if pages else {}  # once: guard and merge
        if not options.force_delete and self._empties(community, by_kind, parsed, gone):
            if _space_gone(backend, community, outcome):
                return
            outcome.refused_empty = True
            outcome.notices.append(empty_community_notice(community.slug))
            return  # nothing recorded, watermark kept: every run refuses it again
        outcome.pages += [PageOutcome(community.slug, kind, str(page.ref),
                                      error=f"cannot be read: {page.unreadable}")
                          for kind, page in unreadable.items()]
        try:
            # a page of its own in the report: its rows count as tombstoned
            for ref, kinds in _by_page(gone, lambda kind: by_kind[kind].ref).items():
                if self._stopped(outcome):
                    break
                with self.monitor.page(f"deleted {ref}"):
                    outcome.pages += [self._mark_deleted(by_kind[kind], options.dry_run)
                                      for kind in kinds]
            if pages is not None:
                self._sync_pages(pages, community, by_kind, found, parsed, options, outcome)
        except CopError as error:
            outcome.fail(error)
        self._notices(backend, community, outcome, options.dry_run)
        if self.observer is not None and found:
            self.observer(community, _as_they_stand(found, outcome), parsed)
        if not outcome.failed and not outcome.interrupted and not options.dry_run:
            self.records.set_watermark(community.slug, signpost)
            outcome.watermark = signpost
            checkpoint("after-watermark")

    def _sync_pages(self, pages: PageSync, community: Community,
                    by_kind: Mapping[str, PageState], found: Mapping[str, RemotePage],
                    parsed: Mapping[str, ParsedPage], options: SyncOptions,
                    outcome: CommunityOutcome) -> None:
        # one step of the progress per page, whatever the row sets it holds (the Watch
        # page's items and sources): a page is read once, the bar counts what users see
        order = [kind for kind, _ in linking_last(found, self.templates)]
        for ref, kinds in _by_page(order, lambda kind: found[kind].ref).items():
            if self._stopped(outcome):
                return
            with self.monitor.page(f"sync {ref}"):
                for kind in kinds:
                    outcome.pages.append(pages.sync(community, by_kind[kind], found[kind],
                                                    dry_run=options.dry_run,
                                                    force_delete=options.force_delete,
                                                    parsed=parsed[kind]))

    def _notices(self, backend: WikiBackend, community: Community,
                 outcome: CommunityOutcome, dry_run: bool) -> None:
        """The notice of each page read (imported here, like the merge: a run that read no
        page never loads it)."""
        if not any(page.latest is not None for page in outcome.pages):
            return
        from sync.engine.notice_pass import write_notices  # noqa: PLC0415

        write_notices(self.records, backend, self.templates, community, outcome.pages,
                      dry_run=dry_run)

    def _pages(self, backend: WikiBackend) -> PageSync:
        """What syncs one page: imported here, when there is a page to sync (a cron run with
        nothing to read never loads the merge)."""
        from sync.engine.pull import PageSync  # noqa: PLC0415

        return PageSync(self.records, backend, self.templates, self.clock)

    def _empties(self, community: Community, states: Mapping[str, PageState],
                 parsed: Mapping[str, ParsedPage], gone: list[str]) -> bool:
        """Would this run leave the community without the rows its pages held?"""
        if not parsed and not gone:
            return False
        kinds = [(key, kind) for key in states
                 if (kind := self.templates.kind_for(key)).has_rows and not kind.single]
        live = {key: self.records.live_rows(community.slug, key) for key, _ in kinds}
        return community_reads_empty(kinds, states, live, parsed, gone)

    def _mark_deleted(self, state: PageState, dry_run: bool) -> PageOutcome:
        rows = 0 if state.state == "deleted" else \
            len(self.records.live_rows(state.community, state.kind))
        if not dry_run:
            mark_deleted(self.records, state, self.clock())
        return PageOutcome(state.community, state.kind, str(state.ref), tombstoned=rows,
                           notice=deletion_notice(state, rows), deleted=True)


def _space_gone(backend: WikiBackend, community: Community, outcome: CommunityOutcome) -> bool:
    """Whether the wiki no longer has the community's space (a MediaWiki namespace taken
    out of LocalSettings.php), asked only when its pages look gone: then the community
    fails with what to put back, its records untouched, instead of its rows being taken
    for deleted (a whole community tombstoned by `--force-delete` on a wrong hint)."""
    try:
        backend.check_space(community.space_spec)
    except SpaceMissing as missing:
        outcome.fail(missing)
        return True
    return False


def _provisioned(states: list[PageState], outcome: CommunityOutcome) -> bool:
    if not states:
        outcome.notices.append("not provisioned yet (run `cop provision`); nothing to read")
    return bool(states)


def _as_they_stand(found: Mapping[str, RemotePage],
                   outcome: CommunityOutcome) -> dict[str, RemotePage]:
    """The pages read, each as it now stands on the wiki as far as this run knows (a row
    pushed or a notice written made a newer revision than the one read)."""
    latest = {page.kind: page.latest for page in outcome.pages if page.latest is not None}
    return {kind: latest.get(kind, page) for kind, page in found.items()}


def _page_count(plan: ReadPlan, states: list[PageState]) -> int:
    """The pages a community's sync goes through: a page holding several row sets (its
    keys read or deleted together) counts once."""
    where = {s.kind: s.ref for s in states}
    return len(set(plan.to_read.values()) | {where[k] for k in plan.deleted if k in where})


def _by_page(keys: Iterable[str], ref_of: Callable[[str], PageRef]) -> dict[PageRef, list[str]]:
    """The keys grouped by the page holding them, in their order."""
    pages: dict[PageRef, list[str]] = {}
    for key in keys:
        pages.setdefault(ref_of(key), []).append(key)
    return pages
