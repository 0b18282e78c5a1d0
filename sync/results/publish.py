"""Publishing results: a results page in each community's space and the sponsor's portfolio
page, written through the backend protocol, rewritten only when their figures change.

Where the pages go:

* results page: ``<space>:Results`` (French communities: ``Résultats``); on Confluence a
  child of the charter (the space's home);
* portfolio page, per wiki (every community of the report side by side, in the default
  language): MediaWiki ``[health] portfolio_page`` ("Namespace:Title"), by default
  ``Project:<title>`` (the wiki's own project namespace); Confluence ``[health]
  portfolio_space``, by default the first community's space (a child of its charter).

These pages are cop-connector's, as the home page is, and follow provisioning's rule: what
was written is remembered (``published_pages``: revision and hash of the content); a page
still at that revision is rewritten when its figures changed, and left alone when they did
not (no version, no watcher e-mail); a page someone edited since is never overwritten
silently: it is reported (drift), and replaced only with ``force``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Literal

from msgspec import Struct, field

from connector.base import PageRef, RemotePage, WikiBackend
from connector.confluence.report_render import render_document as storage_document
from connector.errors import CopError, EditConflict, PageExists, UsageError
from connector.mediawiki.report_render import render_document as wikitext_document
from page_templates.report import Block, Link
from sync.clock import utc_now
from sync.community.pages import content_hash, same_text
from sync.config.health import HealthConfig
from sync.progress import Monitor
from sync.provision.plan import still_ours
from sync.records.model import Community
from sync.records.store import Records
from sync.results.health.model import CommunityHealth
from sync.results.report.document import (
    portfolio_document,
    portfolio_title,
    results_document,
    results_title,
)

log = logging.getLogger(__name__)
Op = Literal["create", "update", "skip", "adopt", "drift"]
RENDERERS: Mapping[str, Callable[[Sequence[Block]], str]] = {
    "wikitext": wikitext_document, "storage": storage_document}
PORTFOLIO = "portfolio"


class Published(Struct, frozen=True):
    """What cop-connector last wrote on a results page (the ``published_pages`` row)."""

    backend: str
    target: str  # "results:<slug>" or "portfolio"
    ref: PageRef
    page_id: str = ""
    revision: str = ""
    written_hash: str = ""
    published_at: str = ""


class Target(Struct, frozen=True):
    """A page to publish: where, what, under which parent, with which labels."""

    target: str
    ref: PageRef
    content: str
    parent: PageRef | None = None
    labels: tuple[str, ...] = ()


class Action(Struct, frozen=True):
    op: Op
    target: Target
    reason: str
    base: RemotePage | None = None

    @property
    def writes(self) -> bool:
        return self.op in ("create", "update")


class PublishReport(Struct):
    actions: list[Action] = field(default_factory=list)
    done: list[Action] = field(default_factory=list)
    failed: list[tuple[Action, str]] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)  # backend -> what stopped it
    failures: list[CopError] = field(default_factory=list)  # the errors themselves
    interrupted: bool = False  # asked to stop: the writes not done are left for a re-run

    @property
    def exit_code(self) -> int:
        return 1 if self.failed or self.errors else 0

    @property
    def written(self) -> int:
        return sum(a.writes for a in self.done)


def decide(target: Target, remote: RemotePage | None, state: Published | None, *,
           force: bool = False) -> Action:
    """What to do with one page (pure): provisioning's rule for pages cop-connector owns."""
    if remote is None:
        reason = "missing" if state is None else "gone from the wiki; written again"
        return Action("create", target, reason)
    if state is None or not state.revision:
        if same_text(remote.content, target.content):
            return Action("adopt", target, "already on the wiki as it should be", remote)
        return _edited(target, remote, force, "already on the wiki, written by someone else")
    ours = still_ours(remote, state.revision, state.written_hash)
    if same_text(remote.content, target.content) or (
            ours and content_hash(target.content) == state.written_hash):
        return Action("skip", target, "unchanged", remote)
    if ours:
        return Action("update", target, "figures changed", remote)
    return _edited(target, remote, force, "edited on the wiki since cop-connector wrote it")


def _edited(target: Target, remote: RemotePage, force: bool, why: str) -> Action:
    if force:
        return Action("update", target, f"{why}; replaced (--force)", remote)
    return Action("drift", target, f"{why}; not overwritten (publish with --force to "
                                   "replace it)", remote)


class Publisher(Struct, frozen=True):
    """Publishes the pages of one wiki (``name``: the communities' backend)."""

    records: Records
    backend: WikiBackend
    name: str
    config: HealthConfig
    default_lang: str
    clock: Callable[[], str] = utc_now
    monitor: Monitor = field(default_factory=Monitor)

    def targets(self, healths: Sequence[tuple[Community, CommunityHealth]], *,
                portfolio: Sequence[CommunityHealth] = ()) -> list[Target]:
        """The results page of each community on this wiki, and the portfolio page when
        ``portfolio`` lists communities (every community of the report)."""
        render = self._renderer()
        found = [Target(f"results:{c.slug}", self.results_ref(c),
                        render(results_document(h)), self._home(c), ("cop", "cop-results"))
                 for c, h in healths]
        if portfolio:
            links = {c.slug: Link(ref.space, ref.title, c.name)
                     for (c, _), ref in zip(healths, [t.ref for t in found], strict=True)}
            ref, parent = self.portfolio_ref([c for c, _ in healths])
            content = render(portfolio_document(portfolio, self.default_lang, links))
            found.append(Target(PORTFOLIO, ref, content, parent, ("cop", "cop-portfolio")))
        return found

    def run(self, targets: Sequence[Target], *, dry_run: bool = False,
            force: bool = False) -> PublishReport:
        """Plan every page (one batched read), then write what changed unless dry_run."""
        report = PublishReport()
        try:
            remote = self.backend.read_pages([t.ref for t in targets])
        except CopError as error:
            report.errors[self.name] = str(error)
            report.failures.append(error)
            return report
        for target in targets:
            state = self.state(target.target)
            if state is not None and state.ref != target.ref:
                state = None  # the page's place changed (language, setting): a new page
            report.actions.append(decide(target, remote.get(target.ref), state, force=force))
        if not dry_run:
            self._apply_all(report)
        return report

    def _apply_all(self, report: PublishReport) -> None:
        """Each page in turn (progress to the monitor); stop before a page when asked."""
        self.monitor.plan("publish", pages=sum(a.writes for a in report.actions))
        for action in report.actions:
            if self.monitor.stopping():
                report.interrupted = True
                return
            if action.writes:
                with self.monitor.page(f"{action.op} {action.target.ref}"):
                    self._apply(action, report)
            else:
                self._apply(action, report)

    # --- places ---------------------------------------------------------------------------

    def results_ref(self, community: Community) -> PageRef:
        home = self._home(community)
        return PageRef(home.space if home else community.space, results_title(community.lang))

    def portfolio_ref(self, communities: Sequence[Community]) -> tuple[PageRef, PageRef | None]:
        title = portfolio_title(self.default_lang)
        if self.backend.home_kind == "home":  # MediaWiki: a page of the project namespace
            space, _, named = (self.config.portfolio_page or f"Project:{title}").rpartition(":")
            return PageRef(space, named.strip() or title), None
        key = self.config.portfolio_space or (communities[0].space if communities else "")
        if not key:
            raise UsageError("no space for the portfolio page: set [health] portfolio_space")
        owner = next((c for c in communities if c.space == key), None)
        return PageRef(key, title), self._home(owner) if owner else None

    def _home(self, community: Community) -> PageRef | None:
        state = self.records.page_state(community.slug, self.backend.home_kind)
        return state.ref if state else None

    def _renderer(self) -> Callable[[Sequence[Block]], str]:
        fmt = self.backend.codec.format
        if fmt not in RENDERERS:
            raise UsageError(f"results pages cannot be written in the {fmt!r} format")
        return RENDERERS[fmt]

    # --- writes and state -----------------------------------------------------------------

    def _apply(self, action: Action, report: PublishReport) -> None:
        try:
            self._write(action)
        except CopError as error:
            log.warning("publishing %s failed: %s", action.target.ref, error)
            report.failed.append((action, str(error)))
        else:
            report.done.append(action)

    def _write(self, action: Action) -> None:
        target = action.target
        summary = "cop-connector: results of the communities of practice"
        if action.op == "create":
            try:
                written = self.backend.create_page(target.ref, target.content, summary=summary,
                                                   parent=target.parent, labels=target.labels)
            except PageExists as taken:
                raise PageExists("created by someone meanwhile; not overwritten (publish "
                                 "again to see what to do)", backend=taken.backend,
                                 page=str(target.ref)) from taken
            self._save(target, written.page_id, written.revision)
        elif action.op == "update" and action.base is not None:
            try:
                written = self.backend.update_page(action.base, target.content, summary=summary)
            except EditConflict as conflict:
                raise EditConflict(backend=conflict.backend, page=str(target.ref),
                                   base_revision=action.base.revision) from conflict
            self._save(target, written.page_id, written.revision)
        elif action.op in ("adopt", "skip") and action.base is not None:
            state = self.state(target.target)
            if state is None or state.revision != action.base.revision:
                self._save(target, action.base.page_id, action.base.revision)

    def state(self, target: str) -> Published | None:
        row = self.records.db.execute(
            "SELECT * FROM published_pages WHERE backend = ? AND target = ?",
            (self.name, target)).fetchone()
        if row is None:
            return None
        return Published(row["backend"], row["target"], PageRef(row["space"], row["title"]),
                         row["page_id"], row["revision"], row["written_hash"],
                         row["published_at"])

    def _save(self, target: Target, page_id: str, revision: str) -> None:
        with self.records.transaction():
            self.records.db.execute(
                "INSERT INTO published_pages (backend, target, space, title, page_id, "
                "revision, written_hash, published_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (backend, target) DO UPDATE SET space = excluded.space, "
                "title = excluded.title, page_id = excluded.page_id, "
                "revision = excluded.revision, written_hash = excluded.written_hash, "
                "published_at = excluded.published_at",
                (self.name, target.target, target.ref.space, target.ref.title, page_id,
                 revision, content_hash(target.content), self.clock()))
