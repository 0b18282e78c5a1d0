"""Provisioning, the imperative shell: read what is there, plan (sync/provision/plan.py), apply.

Each page's state is committed right after its write, so an interrupted run is simply run
again: pages already made are found and skipped, only the missing ones are created (a page
created by a run that died before recording it is found on the wiki and adopted).

Progress goes to the ``monitor`` (sync/progress.py), page by page; asked to stop (Ctrl-C),
the run stops before its next page and says so (``ProvisionReport.interrupted``). A run the
wiki cannot let go on (its rate limit kept refusing after every retry, or the run's time
budget is spent) stops at once: nothing more is tried, and the report says where
(``ProvisionReport.stopped``); the next run goes on from there.

A page deleted on the wiki is recreated with the rows its deletion tombstoned, and those
rows come back to life in the same transaction as the page's new state.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence

from msgspec import Struct, field
from msgspec.structs import replace

from connector.base import PageRef, RemotePage, SpaceInfo, SpaceSpec, WikiBackend
from connector.errors import (
    BudgetExceeded,
    CopError,
    EditConflict,
    PageExists,
    RateLimited,
    SpaceMissing,
    Unreachable,
)
from page_templates import TemplateSet
from page_templates.problems import GOVERNED
from sync.clock import utc_now
from sync.community.lifecycle import provisioned_status, set_status
from sync.community.pages import content_hash, current_refs
from sync.community.seminar_pages import seminar_extras, seminar_instances
from sync.engine.charter_plan import plan_charter
from sync.engine.checkpoints import checkpoint
from sync.engine.deletions import PAGE_DELETED
from sync.engine.notice import page_notice
from sync.progress import Monitor
from sync.provision.plan import (
    SUPPORT,
    PageAction,
    PlanInput,
    charter_line,
    plan_community,
    plan_support,
)
from sync.records.model import Community, PageState, StoredProblem
from sync.records.store import Records

log = logging.getLogger(__name__)
SUMMARY_LENGTH = 250  # MediaWiki cuts edit summaries at 500 bytes; keep them readable
STOPS = (RateLimited, BudgetExceeded)  # the wiki or the clock says: no further request now


class _Stopped(Exception):
    """Raised once ``ProvisionReport.stopped`` is set: unwinds the apply loop."""


class CharterUnwritable(CopError):
    """The charter's records-owned fields cannot be written: its block cannot be read, and
    adding one again would leave two (see provision._unreadable_charter)."""


class ProvisionReport(Struct):
    """The plan, and for each action what happened (``done``) or why it failed."""

    actions: list[PageAction] = field(default_factory=list)
    new_spaces: list[SpaceSpec] = field(default_factory=list)  # to create (Confluence)
    done: list[PageAction] = field(default_factory=list)
    failed: list[tuple[PageAction, str]] = field(default_factory=list)
    community_errors: dict[str, CopError] = field(default_factory=dict)
    incomplete: dict[str, CopError] = field(default_factory=dict)  # written, labels left out
    notices: dict[str, list[str]] = field(default_factory=dict)  # slug -> things to know
    interrupted: bool = False  # asked to stop: the actions not in done/failed are left
    stopped: str = ""  # where the run stopped and why (nothing after it was tried)

    @property
    def exit_code(self) -> int:
        return 1 if (self.failed or self.community_errors or self.incomplete
                     or self.stopped) else 0

    def stop(self, where: str, error: CopError) -> None:
        """The run stops at ``where``: say so, and unwind."""
        self.stopped = (f"stopped at {where}: {error}. What was done is kept; run `cop "
                        "provision` again later: it goes on from there")
        raise _Stopped

    @property
    def left(self) -> list[PageAction]:
        """Writes planned and not attempted (after an interruption)."""
        attempted = {id(a) for a in self.done} | {id(a) for a, _ in self.failed}
        return [a for a in self.actions if a.writes and id(a) not in attempted]


class _Space(Struct, frozen=True):
    """A community's space: ``info`` is None when it does not exist yet (to create)."""

    community: Community
    spec: SpaceSpec
    info: SpaceInfo | None


class _Replanner(Struct, frozen=True):
    """Plans one page again after an edit conflict, over the page as it now stands."""

    backend: WikiBackend
    plan: Callable[[str, Mapping[PageRef, RemotePage]], list[PageAction]]
    remote: Mapping[PageRef, RemotePage]  # the pages as the first plan read them

    def again(self, action: PageAction, conflict: EditConflict) -> PageAction:
        """The action planned over the page read again (by id); raises ``conflict`` when
        the page is gone or the new plan has nothing for it."""
        fresh = self.backend.read_pages([action.ref]).get(action.ref)
        if fresh is None or action.op not in ("update", "upgrade"):
            raise conflict
        log.info("%s changed meanwhile: planned again over revision %s", action.ref,
                 fresh.revision)
        planned = self.plan(action.community, {**self.remote, action.ref: fresh})
        again = next((a for a in planned if a.ref == action.ref), None)
        if again is None:
            raise conflict
        return again


class Provisioner(Struct, frozen=True):
    records: Records
    backend: WikiBackend
    templates: TemplateSet
    clock: Callable[[], str] = utc_now
    upgrade: bool = False  # bring existing pages to the current template (--upgrade)
    monitor: Monitor = field(default_factory=Monitor)
    restore: bool = False  # with upgrade: add back the sections members deleted

    def run(self, communities: Sequence[Community], *, dry_run: bool) -> ProvisionReport:
        """Plan (and unless ``dry_run``, apply) every community; one bad community does not
        stop the others. Each page's state is committed after its write, so an interrupted
        run (an upgrade too) is simply run again."""
        report = ProvisionReport()
        for community in communities:
            if community.archived:
                report.notices.setdefault(community.slug, []).append(
                    f"archived: not provisioned (`cop archive {community.slug} --undo` "
                    "reopens it)")
        spaces = self._spaces([c for c in communities if not c.archived], report)
        inputs = [self._input(space) for space in spaces]
        # Every community of this wiki, not only those provisioned now: the shared row
        # templates show each community's labels in its language.
        languages = {c.space: c.lang for c in self.records.communities()
                     if c.backend == self.backend.name and c.space}
        support = self.backend.codec.support_pages(self.templates, languages)
        wanted = [ref for ref, _ in support] + [
            ref for space, data in zip(spaces, inputs, strict=True) if space.info
            for ref in data.refs.values()]
        remote = self.backend.read_pages(wanted) if spaces else {}
        support_states = {s.kind: s for s in self.records.page_states(SUPPORT)}
        if spaces:
            report.actions += plan_support(support, remote, support_states)
        report.new_spaces = [space.spec for space in spaces if space.info is None]
        by_slug = {data.community.slug: data for data in inputs}

        def plan(slug: str, pages: Mapping[PageRef, RemotePage]) -> list[PageAction]:
            if slug == SUPPORT:
                return plan_support(support, pages, support_states)
            return plan_community(replace(by_slug[slug], remote=pages), self.templates,
                                  self.backend.codec, self.backend.home_kind,
                                  upgrade=self.upgrade, restore=self.restore)

        for data in inputs:
            report.actions += plan(data.community.slug, remote)
        if not dry_run:
            try:
                self._apply_all(spaces, report, _Replanner(self.backend, plan, remote))
            except _Stopped:  # the wiki wants no more requests now: not even the refresh
                log.warning("provisioning %s", report.stopped)
            else:  # done, or interrupted (Ctrl-C): what was written is refreshed either way
                self._refresh({space.community.slug for space in spaces}, report)
        return report

    def write_charter(self, community: Community) -> PageAction | None:
        """Write the charter's records-owned fields (its status...) as ``community`` has
        them, nothing else of the space (``cop archive``); None when the charter is not on
        the wiki or already says so. Raises CharterUnwritable (its block cannot be read
        and cannot be added again), BackendError subclasses."""
        state = self.records.page_state(community.slug, "charter")
        kind = self.templates.get("charter")
        if state is None or state.state == "deleted" or kind is None:
            return None
        remote = self.backend.read_pages([state.ref]).get(state.ref)
        if remote is None:
            return None
        action = charter_line(kind, community, state, remote, self.backend.codec)
        if action.op == "drift":
            raise CharterUnwritable(f"{action.ref}: {action.reason}")
        if action.op != "update":
            return None
        self._update(action)
        return action

    def _spaces(self, communities: Sequence[Community],
                report: ProvisionReport) -> list[_Space]:
        found = []
        for community in communities:
            spec = community.space_spec
            try:
                found.append(_Space(community, spec, self.backend.check_space(spec)))
            except SpaceMissing as missing:
                if self.backend.can_create_spaces:
                    found.append(_Space(community, spec, None))
                else:
                    report.community_errors[community.slug] = missing
            except CopError as error:
                report.community_errors[community.slug] = error
        return found

    def _input(self, space: _Space) -> PlanInput:
        """What planning needs; the community as it will be once provisioned (a proposed
        one becomes pilot or active: its charter says so from the first write)."""
        community = space.community
        slug = community.slug
        states = {s.kind: s for s in self.records.page_states(slug)}
        name = space.info.space if space.info else space.spec.space
        refs = current_refs(community, name, self.templates, list(states.values()),
                            seminar_instances(self.records, community))
        rows = {key: self._rows(slug, key, states.get(key)) for key in refs
                if self.templates.kind_for(key).has_rows}
        planned = replace(community, status=provisioned_status(community))
        return PlanInput(planned, refs, {}, states, rows,
                         seminar_extras(self.records, community, self.templates))

    def _rows(self, slug: str, kind: str, state: PageState | None) -> dict[str, dict[str, str]]:
        """The rows a page is written with: the live ones, and for a page deleted on the
        wiki also those its deletion tombstoned (they come back with the page)."""
        rows = self.records.live_rows(slug, kind)
        if state is not None and state.state == "deleted":
            rows = {**self.records.tombstoned_rows(slug, kind, by=PAGE_DELETED), **rows}
        return rows

    def _apply_all(self, spaces: list[_Space], report: ProvisionReport,
                   replanner: _Replanner) -> None:
        self.monitor.plan("upgrade" if self.upgrade else "provision",
                          pages=sum(a.writes for a in report.actions), communities=len(spaces))
        if not self._apply_each([a for a in report.actions if a.community == SUPPORT], report,
                                replanner):
            return
        for space in spaces:
            if self._stopped(report):
                return
            slug = space.community.slug
            self.monitor.community(slug)
            try:
                info = self._ensure_space(space)
            except STOPS as error:
                report.stop(f"the space of {slug}", error)
            except CopError as error:
                report.community_errors[slug] = error
                continue
            if not self._apply_each([a for a in report.actions if a.community == slug],
                                    report, replanner):
                return  # the space's rights, status and labels: the next run
            try:
                self._grant(space.community, info, report)
            except STOPS as error:
                report.stop(f"the space rights of {slug}", error)
            except CopError as error:  # pages are written; rights are the space admin's call
                report.community_errors[slug] = error
            self._settle(space.community, report)
            self._label(space.community, report)  # last: holds back neither rights nor status

    def _refresh(self, slugs: set[str], report: ProvisionReport) -> None:
        """After writes, the written pages of the communities ``slugs`` are re-rendered, so
        that no link stays red: one batched request for them all (``refresh_links``), none
        when nothing was written. All the pages of a community are, when one of its pages
        was created (Home, written before the pages it links to, may have been written by
        an earlier run that was interrupted) or when a row template changed (the pages
        showing it)."""
        written = {a.ref for a in report.done if a.op in ("create", "update", "upgrade")}
        created = {a.community for a in report.done if a.op == "create"}
        support_changed = any(a.community == SUPPORT and a.ref in written
                              for a in report.done)
        missing = {a.ref for a in report.actions if a.op == "create"} - written  # interrupted
        refs = list(dict.fromkeys(
            a.ref for a in report.actions if a.community in slugs and a.ref not in missing
            and (support_changed or a.community in created or a.ref in written)))
        if not refs:
            return
        self.monitor.note(f"refresh the links of {len(refs)} page(s)")
        try:
            self.backend.refresh_links(refs)
        except CopError as error:  # the pages are written; the job queue refreshes them
            log.warning("refreshing the links of %d page(s) failed: %s", len(refs), error)

    def _settle(self, community: Community, report: ProvisionReport) -> None:
        """Every page written: a proposed community becomes pilot (the pilot community)
        or active; the charter already says so (see ``_input``)."""
        failed = any(a.community == community.slug for a, _ in report.failed)
        status = provisioned_status(community)
        if failed or community.slug in report.community_errors or status == community.status:
            return
        current = self.records.community(community.slug) or community
        set_status(self.records, current, status, by="cop provision",
                   note="space provisioned", now=self.clock())
        report.notices.setdefault(community.slug, []).append(
            f"lifecycle: {community.status} -> {status}")

    def _ensure_space(self, space: _Space) -> SpaceInfo:
        info = space.info or self.backend.create_space(space.spec)
        if space.community.space_id != info.space_id:  # as the wiki knows it
            self.records.save_community(replace(space.community, space_id=info.space_id))
        return info

    def _label(self, community: Community, report: ProvisionReport) -> None:
        """Labels a page lacks (a label write failed after the page was saved) are added:
        Page Properties Reports and CQL find the pages by them."""
        wanted = {action.ref: action.labels for action in report.actions
                  if action.community == community.slug and action.labels}
        try:
            notes = self.backend.ensure_labels(wanted)
        except STOPS as error:
            report.stop(f"the labels of {community.slug}", error)
        except CopError as error:  # the pages are written; the next run adds the labels
            report.incomplete[community.slug] = error
            return
        if notes:
            report.notices.setdefault(community.slug, []).extend(notes)

    def _grant(self, community: Community, info: SpaceInfo,
               report: ProvisionReport) -> None:
        """Pilot and expert administer the space, members edit (where the wiki has it)."""
        admins = [community.pilot, community.expert]
        editors = [key for key in self.records.live_rows(community.slug, "members")
                   if key not in admins]
        missing = self.backend.grant_roles(info, admins=admins, editors=editors)
        if missing:
            report.notices.setdefault(community.slug, []).append(
                f"no space rights for {', '.join(missing)}: no account known (map them "
                "under [confluence.accounts] in cop.toml, then provision again)")

    def _apply_each(self, actions: Sequence[PageAction], report: ProvisionReport,
                    replanner: _Replanner) -> bool:
        """Apply ``actions`` in order; False when asked to stop before one of them."""
        for action in actions:
            if self._stopped(report):
                return False
            self._apply(action, report, replanner)
        return True

    def _stopped(self, report: ProvisionReport) -> bool:
        report.interrupted = report.interrupted or self.monitor.stopping()
        return report.interrupted

    def _apply(self, action: PageAction, report: ProvisionReport,
               replanner: _Replanner) -> None:
        if action.writes:
            with self.monitor.page(f"{action.op} {action.ref}"):
                self._apply_one(action, report, replanner)
        else:
            self._apply_one(action, report, replanner)

    def _apply_one(self, action: PageAction, report: ProvisionReport,
                   replanner: _Replanner) -> None:
        try:
            try:
                self._write(action)
            except EditConflict as conflict:
                # Someone saved the page between the plan's read and this write (or a
                # lagging index gave an older version): plan it again over the page read
                # by id, and write once more. A second conflict is reported.
                action = replanner.again(action, conflict)
                self._write(action)
        except STOPS as error:
            report.stop(str(action.ref), error)
        except CopError as error:
            log.warning("provisioning %s failed: %s", action.ref, error)
            report.failed.append((action, str(error)))
        else:
            report.done.append(action)

    def _write(self, action: PageAction) -> None:
        if action.op == "create":
            self._create(action)
        elif action.op in ("update", "upgrade"):
            self._update(action)
        elif action.record_version:
            self._record_version(action)
        elif action.op in ("adopt", "skip"):
            self._remember(action)

    def _create(self, action: PageAction) -> None:
        summary = f"cop-connector: create the {action.kind} page"
        try:
            written = self.backend.create_page(action.ref, action.content, summary=summary,
                                               parent=action.parent, home=action.home,
                                               labels=action.labels)
        except (PageExists, Unreachable):
            # PageExists: created meanwhile, or by a run that died before recording it.
            # Unreachable: the create may have landed. Either way, look before doing more.
            current = self.backend.read_pages([action.ref]).get(action.ref)
            if current is None:
                raise
            self._remember(replace(action, op="adopt", base=current))
            return
        checkpoint("after-page-create")
        with self.records.transaction():
            for key, rows in [(action.kind, action.rows), *(action.part_rows or {}).items()]:
                state = self.records.page_state(action.community, key)
                part = replace(action, kind=key, regions=None) if key != action.kind \
                    else action
                self._save(part, written.page_id, written.revision, rows)
                if state is not None and state.state == "deleted":
                    self.records.revive_entries(action.community, key, by=PAGE_DELETED,
                                                now=self.clock())
        checkpoint("after-page-saved")

    def _update(self, action: PageAction) -> None:
        assert action.base is not None
        verb = "upgrade" if action.op == "upgrade" else "update"
        summary = f"cop-connector: {verb} the {action.kind} page ({action.reason})"
        summary = summary if len(summary) <= SUMMARY_LENGTH else \
            summary[:SUMMARY_LENGTH - 1] + "…"
        state = self._state(action)
        # A row page (the charter) may hold member edits cop-sync has not read yet: keep the
        # old revision then, so the next sync still reads them.
        synced = state is None or state.revision == action.base.revision or _managed(action)
        if synced and state is not None:
            action = replace(action, content=self._charter_notice(action))
        try:
            written = self.backend.update_page(action.base, action.content, summary=summary,
                                               minor=action.minor)
        except EditConflict as conflict:
            raise EditConflict(backend=conflict.backend, page=str(action.ref),
                               base_revision=action.base.revision) from conflict
        revision = written.revision if synced else (state.revision if state else "")
        with self.records.transaction():
            self._save(action, written.page_id, revision, state.base if state else None,
                       written_hash=content_hash(action.content))
            self._new_parts(action, written.page_id)
            if synced and state is not None:
                self._charter_read(action)

    def _charter_notice(self, action: PageAction) -> str:
        """The charter's content with the notice its written content calls for: the
        problems it then has, and no drift (this write puts the records' values back); the
        sync would not read the page again to update it."""
        written = self._written_charter_problems(action)
        community = self.records.community(action.community)
        if written is None or community is None:
            return action.content
        kind = self.templates[action.kind]
        notice = page_notice([kind], community.lang, written)
        return self.backend.codec.place_notice(action.content, notice)

    def _written_charter_problems(self, action: PageAction) -> list[StoredProblem] | None:
        """The problems of the charter as this action writes it (None: not the charter)."""
        kind = self.templates.get(action.kind)
        if kind is None or not kind.single:
            return None
        page = str(action.ref)
        parsed = self.backend.codec.parse_rows(action.content, kind, page)
        community = self.records.community(action.community)
        lang = community.lang if community is not None else "en"
        problems = [p for p in plan_charter(kind, page, parsed, {}, lang).problems
                    if p.code != GOVERNED]  # compared with no values: no drift is meant
        now = self.clock()
        return [StoredProblem.of(action.community, action.kind, p, now) for p in problems]

    def _charter_read(self, action: PageAction) -> None:
        """The charter as written is the one cop-sync has read (its revision is recorded):
        its row problems are those of the written content (none left when its block was
        added again), not those of the page it replaced; and it holds the records-owned
        values cop-connector means (no drift left)."""
        problems = self._written_charter_problems(action)
        if problems is None:
            return
        now = self.clock()
        self.records.replace_problems(action.community, action.kind, problems)
        self.records.replace_drift(action.community, str(action.ref), {}, now)

    def _new_parts(self, action: PageAction, page_id: str) -> None:
        """A state for each part's rows the page holds and the records do not know yet (a
        page made before its kind held them: the Watch page's sources), at no revision, so
        that cop-sync reads them at its next run."""
        for key in action.part_rows or {}:
            if self.records.page_state(action.community, key) is None:
                self.records.save_page_state(PageState(
                    community=action.community, kind=key, ref=action.ref,
                    page_id=page_id, synced_at=self.clock()))

    def _remember(self, action: PageAction) -> None:
        """No write: record what is there (managed pages only, row pages belong to sync);
        a page holding parts gets a state for each part's rows (to be read by sync)."""
        base = action.base
        if base is not None:
            self._new_parts(action, base.page_id)
        state = self._state(action)
        base = action.base
        if base is None or (state is not None and not _managed(action)):
            return
        if state is not None and state.revision == base.revision:
            return
        self._save(action, base.page_id, base.revision if _managed(action) else "", None,
                   written_hash=content_hash(base.content) if _managed(action) else "")

    def _record_version(self, action: PageAction) -> None:
        """An upgrade that wrote nothing: the page is at the version, its regions hold
        their merge base; only say so (no state write when the records already do)."""
        state = self._state(action)
        if state is None:
            return
        regions = state.regions if action.regions is None else action.regions
        if state.template_version != action.version or state.regions != regions:
            self.records.save_page_state(replace(state, template_version=action.version,
                                                 regions=regions))

    def _state(self, action: PageAction) -> PageState | None:
        return self.records.page_state(action.community, action.kind)

    def _save(self, action: PageAction, page_id: str, revision: str, base: object,
              written_hash: str | None = None) -> None:
        """The page's state as the action leaves it; its regions' merge base is the
        action's, else the one recorded (a write that changed no region)."""
        old = self.records.page_state(action.community, action.kind)
        regions = action.regions if action.regions is not None else (
            old.regions if old is not None else None)
        self.records.save_page_state(PageState(
            community=action.community, kind=action.kind, ref=action.ref, page_id=page_id,
            revision=revision, written_hash=written_hash or content_hash(action.content),
            base=base, synced_at=self.clock(), template_version=action.version,
            regions=regions,
        ))  # type: ignore[arg-type]


def _managed(action: PageAction) -> bool:
    """Pages cop-connector owns whole: the home page and the shared templates."""
    return action.kind == "home" or action.community == SUPPORT
