"""A relay run (sources in): ask the sources that are due, add their new entries to each
Watch page in one edit, record it all -- the shell around sources.py, feeds.py, propose.py.

Per community: the sources listed on its Watch page (as the records hold them, read by the
sync just before) that are due are asked, within the run's limits (``[sources]``: at most
``max_sources`` sources, ``budget_seconds`` of fetching, never past the run's budget); the
others wait for the next run. A source that fails is recorded with its reason and proposes
nothing; the others go on.

The wiki is asked only when some source brings an entry the records do not know: the Watch
page is then read (unless the sync read it in this run: ``observe``), the entries not on it
yet are added under its to-review section, and the page is written once, over the revision
read (on an edit conflict it is read and planned again, once). The page as written is then
synced into the records (its rows and revision), so the next run has nothing to read back.

Order, for crash safety: the wiki write first, then one transaction holding the entries
(proposed, on the page already, passed over) and the sources' new validators. A run killed
in between left the entries on the page, unrecorded: the next run fetches the feeds again
(the old validators), finds the entries' links on the page, and records them as such --
nothing is added twice, nothing is lost.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

from msgspec import Struct, field, to_builtins
from msgspec.structs import replace

from connector.base import ParsedPage, RemotePage, WikiBackend
from connector.errors import CopError, EditConflict, Unreachable
from connector.http import Budget, safe_url
from page_templates import PageKind, TemplateSet
from page_templates.problems import problem_text
from page_templates.values import normalize_row, row_key
from sync.clock import parse_time, utc_now
from sync.community.pages import part_keys
from sync.config.sources import SourcesConfig
from sync.engine.checkpoints import checkpoint
from sync.records.model import Community, PageState, SourceEntry, SourceState, StoredProblem
from sync.records.relay_state import FEED_FIELD
from sync.records.store import Records

from .edit import record_written_page
from .feeds import Failure, FeedEntry, FeedError, read_feed
from .fetch import Fetched, FetchFailed
from .propose import Additions, Candidate, plan_additions
from .sources import Fresh, Source, due_sources, fresh_entries, listed_sources

log = logging.getLogger(__name__)

SOURCE_KIND = "source"  # the row kind of the sources (page_templates/kinds/source.toml)
MIN_SECONDS = 1.0  # a fetch is not started with less time than this left


class Fetcher(Protocol):
    """What the relay fetches through (sync/relay/fetch.py's FeedFetcher; a fake in
    tests). Raises FetchFailed."""

    def fetch(self, url: str, *, etag: str = "", last_modified: str = "",
              seconds: float | None = None) -> Fetched: ...


class SourceOutcome(Struct):
    """One source asked in the run: ``status`` "new" (a feed read), "unchanged" (304), or
    "failed" (``code``, ``error``)."""

    community: str
    url: str  # as messages show it (no query string)
    name: str
    status: str
    entries: int = 0  # entries the feed held
    proposed: int = 0  # of them, added to the Watch page
    code: str = ""
    error: str = ""


class PageWrite(Struct):
    """A Watch page the run wrote (or would, in a dry run), or failed to write."""

    community: str
    page: str
    proposed: int = 0
    error: str = ""


class RelayReport(Struct):
    dry_run: bool = False
    sources: list[SourceOutcome] = field(default_factory=list)
    pages: list[PageWrite] = field(default_factory=list)
    waiting: int = 0  # sources due but left for the next run (limits, budget)
    requests: int = 0  # HTTP requests to the sources

    @property
    def exit_code(self) -> int:
        """1 when a Watch page could not be written (its entries wait for the next run);
        a failing source is the source's problem, reported on its row: not an exit 1."""
        return 1 if any(page.error for page in self.pages) else 0

    def counts(self) -> dict[str, int]:
        return {"sources_asked": len(self.sources),
                "sources_new": sum(s.status == "new" for s in self.sources),
                "sources_unchanged": sum(s.status == "unchanged" for s in self.sources),
                "sources_failed": sum(s.status == "failed" for s in self.sources),
                "sources_waiting": self.waiting,
                "entries_proposed": sum(p.proposed for p in self.pages if not p.error),
                "watch_pages_written": sum(bool(p.proposed) and not p.error
                                           for p in self.pages),
                "source_requests": self.requests}

    def summary_words(self) -> list[str]:
        """The run's summary line's words about sources ('' parts left out)."""
        c = self.counts()
        if not c["sources_asked"] and not c["sources_waiting"]:
            return []
        words = [f"{c['sources_asked']} sources asked ({c['sources_unchanged']} unchanged, "
                 f"{c['sources_failed']} failed)", f"{c['entries_proposed']} entries proposed"]
        if c["sources_waiting"]:
            words.append(f"{c['sources_waiting']} sources waiting for the next run")
        return words

    def to_dict(self) -> dict[str, Any]:
        return {"dry_run": self.dry_run, "exit_code": self.exit_code, "counts": self.counts(),
                "sources": to_builtins(self.sources), "pages": to_builtins(self.pages)}


class _Read(Struct):
    """What asking one source gave: its state to record, its fresh entries (or its
    failure), the validators to keep once its entries are recorded."""

    source: Source
    state: SourceState
    outcome: SourceOutcome
    fresh: Fresh = field(default_factory=lambda: Fresh((), ()))


class Relay(Struct):
    """Reads the watch's sources for a cop-sync run (see the module)."""

    records: Records
    backends: Mapping[str, WikiBackend]
    templates: TemplateSet
    config: SourcesConfig = field(default_factory=SourcesConfig)
    clock: Callable[[], str] = utc_now
    budget: Budget | None = None  # the run's
    fetcher: Fetcher | None = None  # made when a first source is due
    # What the sync read in this run: slug -> the Watch page; slug -> source url -> its row.
    seen_pages: dict[str, RemotePage] = field(default_factory=dict)
    seen_rows: dict[str, dict[str, int]] = field(default_factory=dict)

    # --- what the sync read -------------------------------------------------------------

    def observe(self, community: Community, pages: Mapping[str, RemotePage],
                parsed: Mapping[str, ParsedPage]) -> None:
        """The sync's observer (sync.engine.run.PageObserver): keep the Watch page the
        sync read, and where each source stands on it."""
        host = self._host()
        if host is None or host.kind not in pages:
            return
        self.seen_pages[community.slug] = pages[host.kind]
        key = part_keys(host.kind, host).get(SOURCE_KIND)
        if key in parsed:
            self.seen_rows[community.slug] = _source_rows(self.templates[SOURCE_KIND],
                                                      parsed[key])

    def _host(self) -> PageKind | None:
        """The kind whose page lists the sources (the Watch page), None without sources."""
        source = self.templates.get(SOURCE_KIND)
        return self.templates.get(source.host) if source is not None and source.host \
            else None

    # --- a run ----------------------------------------------------------------------------

    def run(self, community: str | None = None, *, dry_run: bool = False) -> RelayReport:
        """Ask the due sources of every community (or of ``community``), add their new
        entries to the Watch pages, record everything (nothing in a dry run)."""
        report = RelayReport(dry_run=dry_run)
        host = self._host()
        if not self.config.enabled or host is None:
            return report
        clock = Budget(self.config.budget_seconds)
        chosen = self.records.communities() if community is None else [
            c for c in self.records.communities() if c.slug == community]
        for found in chosen:
            state = self.records.page_state(found.slug, host.kind)
            backend = self.backends.get(found.backend)
            if found.archived or state is None or state.state == "deleted" or \
                    backend is None:
                continue  # nothing to propose on: no source is asked
            _Community(self, found, host, state, backend, report, dry_run, clock).run()
        if self.fetcher is not None and hasattr(self.fetcher, "stats"):
            report.requests = self.fetcher.stats.requests
        return report

    def seconds_left(self, clock: Budget) -> float:
        """The time a fetch may take now: the timeout, within both budgets."""
        left = clock.remaining()
        if self.budget is not None:
            left = min(left, self.budget.remaining())
        return min(self.config.timeout_seconds, left)

    def get_fetcher(self) -> Fetcher:
        if self.fetcher is None:
            from .fetch import FeedFetcher  # noqa: PLC0415 - an HTTP session only when needed
            self.fetcher = FeedFetcher(self.config, budget=self.budget)
        return self.fetcher


class _Community:
    """One community's sources in one run."""

    def __init__(self, relay: Relay, community: Community, host: PageKind, state: PageState,
                 backend: WikiBackend, report: RelayReport, dry_run: bool,
                 clock: Budget) -> None:
        self.relay, self.community, self.host, self.state = relay, community, host, state
        self.backend, self.report, self.dry_run, self.clock = backend, report, dry_run, clock
        self.records = relay.records
        self.now = relay.clock()
        self.slug = community.slug
        self.outcomes: dict[str, SourceOutcome] = {}  # source url -> what asking it gave

    def run(self) -> None:
        rows = self.records.live_rows(self.slug, SOURCE_KIND)
        if not self.dry_run:
            self.records.forget_sources(self.slug, rows)
            self.records.set_source_rows(self.slug, self.relay.seen_rows.get(self.slug, {}))
        states = self.records.source_states(self.slug)
        reads = self._ask(listed_sources(rows), states)
        candidates = [Candidate(r.source, entry) for r in reads for entry in r.fresh.new]
        additions, written = None, True
        if candidates:
            additions, written = self._propose(candidates)
        if not self.dry_run:
            self._commit(reads, additions, written)
            self._problems(rows)

    # --- asking the sources ---------------------------------------------------------------

    def _ask(self, sources: Sequence[Source], states: Mapping[str, SourceState]) -> list[_Read]:
        due = due_sources(sources, states, parse_time(self.now), self.relay.config)
        room = self.relay.config.max_sources - len(self.report.sources)
        reads: list[_Read] = []
        for position, source in enumerate(due):
            seconds = self.relay.seconds_left(self.clock)
            if position >= room or seconds < MIN_SECONDS:
                self.report.waiting += len(due) - position
                break
            reads.append(self._read(source, states.get(source.url), seconds))
            self.report.sources.append(reads[-1].outcome)
            self.outcomes[source.url] = reads[-1].outcome
        return reads

    def _read(self, source: Source, old: SourceState | None, seconds: float) -> _Read:
        state = old or SourceState(self.slug, source.url)
        state = replace(state, checked_at=self.now,
                        row=self.relay.seen_rows.get(self.slug, {}).get(source.url, state.row))
        outcome = SourceOutcome(self.slug, safe_url(source.url), source.name, "new")
        try:
            fetched = self.relay.get_fetcher().fetch(
                source.url, etag=state.etag, last_modified=state.last_modified,
                seconds=seconds)
            entries = () if fetched.status == "unchanged" else read_feed(
                fetched.body, url=fetched.url, content_type=fetched.content_type)
        except (FetchFailed, FeedError) as failed:
            return self._failed(source, state, outcome, failed.failure,
                                keep_validators=isinstance(failed, FetchFailed))
        ok = replace(state, ok_at=self.now, failures=0, failing_since="", error_code="",
                     error_params={}, error="",
                     etag=fetched.etag or (state.etag if fetched.status == "unchanged" else ""),
                     last_modified=fetched.last_modified or (
                         state.last_modified if fetched.status == "unchanged" else ""))
        outcome.status, outcome.entries = fetched.status, len(entries)
        log.info("source %s: %s, %d entries", outcome.url, fetched.status, len(entries))
        return _Read(source, ok, outcome, self._fresh(source, old, entries))

    def _fresh(self, source: Source, old: SourceState | None,
               entries: Sequence[FeedEntry]) -> Fresh:
        ids, links = self.records.known_entries(self.slug)
        config = self.relay.config
        return fresh_entries(source, entries, ids, links, first_read=old is None or
                             not old.ok_at, first_entries=config.first_entries,
                             max_entries=config.max_entries)

    def _failed(self, source: Source, state: SourceState, outcome: SourceOutcome,
                failure: Failure, *, keep_validators: bool) -> _Read:
        """A failure recorded with its reason; a feed that came but could not be read
        loses its validators, so that its next answer is a whole feed, read again."""
        log.info("source %s (%s): %s", outcome.url, self.slug, failure.message)  # the CLI says it
        outcome.status, outcome.code, outcome.error = "failed", failure.code, failure.message
        failed = replace(state, failures=state.failures + 1,
                         failing_since=state.failing_since or self.now,
                         error_code=failure.code, error_params=dict(failure.params),
                         error=failure.message)
        if not keep_validators:
            failed = replace(failed, etag="", last_modified="")
        return _Read(source, failed, outcome)

    # --- the Watch page ---------------------------------------------------------------------

    def _propose(self, candidates: list[Candidate]) -> tuple[Additions | None, bool]:
        """Add the candidates to the Watch page in one edit: (what was planned, whether it
        is on the page now). Never raises for the wiki: a failure is the page's error."""
        write = PageWrite(self.slug, str(self.state.ref))
        self.report.pages.append(write)
        try:
            additions = self._write(candidates)
        except CopError as error:
            write.error = (f"{error} ({len(candidates)} new entries from the sources not "
                           "written; they are proposed again at the sources' next turn)")
            log.info("%s: %s", write.page, write.error)  # the CLI says it
            return None, False
        write.proposed = len(additions.proposed)
        for proposal in additions.proposed:
            self.outcomes[proposal.candidate.source.url].proposed += 1
        return additions, True

    def _write(self, candidates: list[Candidate]) -> Additions:
        remote = self._page()
        codec, review = self.backend.codec, self.host.review_section
        for attempt in (1, 2):
            parsed = codec.parse_rows(remote.content, self.host, str(remote.ref))
            additions = plan_additions(self.host, candidates, parsed.rows,
                                       today=self.now[:10],
                                       section=review.id if review else "")
            if not additions.changes or self.dry_run:
                return additions
            content = codec.apply_changes(remote.content, self.host, additions.changes,
                                          self.community.lang)
            try:
                written = self.backend.update_page(
                    remote, content, summary=f"cop-connector: {len(additions.changes)} new "
                                             "entries from the watch sources, to review")
            except (EditConflict, Unreachable):
                if attempt == 2:
                    raise
                remote = self._read_page()  # a member saved meanwhile, or it may have landed
                continue
            checkpoint("after-relay-write")
            self._synced(RemotePage(remote.ref, written.page_id, written.revision, content))
            return additions
        raise AssertionError("unreachable")

    def _page(self) -> RemotePage:
        """The Watch page: as the sync read it in this run, else read now."""
        seen = self.relay.seen_pages.get(self.slug)
        if seen is not None and seen.ref == self.state.ref:
            return seen
        return self._read_page()

    def _read_page(self) -> RemotePage:
        ref = self.state.ref
        page = self.backend.read_pages([ref]).get(ref)
        if page is None:
            raise CopError(f"{ref}: the Watch page is missing (`cop provision` recreates it)")
        if page.unreadable:
            raise CopError(f"{ref}: the Watch page cannot be read ({page.unreadable})")
        return page

    def _synced(self, page: RemotePage) -> None:
        """The page as written, synced into the records like a page the sync reads: its
        rows, and each row set's revision (so the next run does not read it back)."""
        record_written_page(self.records, self.backend, self.relay.templates, self.community,
                            self.host, page, self.relay.clock)
        parsed = self.backend.codec.parse_rows(page.content, self.relay.templates[SOURCE_KIND],
                                               str(page.ref))
        self.relay.seen_rows[self.slug] = _source_rows(self.relay.templates[SOURCE_KIND], parsed)

    # --- the records ----------------------------------------------------------------------------

    def _commit(self, reads: Sequence[_Read], additions: Additions | None,
                written: bool) -> None:
        """The entries and the sources' states, in one transaction. When the page could
        not be written, the entries are not recorded and the sources keep their old
        validators (their next answer brings the entries again)."""
        entries = _entries(self.slug, reads, additions, self.now) if written else []
        with self.records.transaction():
            before = self.records.source_states(self.slug)
            self.records.record_source_entries(entries)
            for read in reads:
                state = read.state
                if not written and read.fresh.new:
                    old = before.get(read.source.url)
                    state = replace(state, etag=old.etag if old else "",
                                    last_modified=old.last_modified if old else "")
                self.records.save_source_state(state)
            checkpoint("before-relay-commit")

    def _problems(self, rows: Mapping[str, Mapping[str, str]]) -> None:
        """The failing sources as problems of their rows on the Watch page: warnings
        (the feed's publisher's doing: cop-sync does not exit 1 for them), with their code
        and parameters for the page's notice in the community's language."""
        key = part_keys(self.host.kind, self.host).get(SOURCE_KIND, SOURCE_KIND)
        page = str(self.state.ref)
        problems = [
            StoredProblem(self.slug, key, page, state.row, FEED_FIELD,
                          problem_text(state.error_code, "en", state.error_params,
                                       state.error) or state.error, None, url,
                          state.failing_since or state.checked_at, code=state.error_code,
                          params=dict(state.error_params), severity="warning")
            for url, state in self.records.source_states(self.slug).items()
            if state.failing and url in rows]
        self.records.replace_feed_problems(self.slug, key, problems)


def _entries(slug: str, reads: Sequence[_Read], additions: Additions | None,
             now: str) -> list[SourceEntry]:
    """Every entry the run met that the records did not know, with what became of it."""
    found: list[SourceEntry] = []

    def add(candidate: Candidate, status: str, key: str = "") -> None:
        entry = candidate.entry
        found.append(SourceEntry(slug, candidate.source.url, entry.entry_id, status,
                                 entry.link, entry.title, key, now))

    if additions is not None:
        for proposal in additions.proposed:
            add(proposal.candidate, "proposed", proposal.key)
        for candidate in additions.on_page:
            add(candidate, "on-page")
        for candidate in additions.unusable:
            add(candidate, "passed")
    for read in reads:
        for entry in read.fresh.passed:
            add(Candidate(read.source, entry), "passed")
    return found


def _source_rows(kind: PageKind, parsed: ParsedPage) -> dict[str, int]:
    """url (the row's key) -> the row's number on the page, for the sources' problems."""
    rows: dict[str, int] = {}
    for raw in parsed.rows:
        key = row_key(kind, normalize_row(kind, raw.values)[0])
        if key is not None:
            rows.setdefault(key, raw.index)
    return rows
