"""Provisioning, the imperative shell: read what is there, plan (sync/provision.py), apply.

Each page's state is committed right after its write, so an interrupted run is simply run
again: pages already made are found and skipped, only the missing ones are created.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from connector.base import SpaceSpec, WikiBackend
from connector.errors import CopError, EditConflict, PageExists
from page_templates import TemplateSet

from .clock import utc_now
from .model import Community, PageState
from .pages import content_hash, current_refs
from .provision import SUPPORT, PageAction, PlanInput, plan_community, plan_support
from .records import Records

log = logging.getLogger(__name__)


@dataclass
class ProvisionReport:
    """The plan, and for each action what happened (``done``) or why it failed."""

    actions: list[PageAction] = field(default_factory=list)
    done: list[PageAction] = field(default_factory=list)
    failed: list[tuple[PageAction, str]] = field(default_factory=list)
    community_errors: dict[str, CopError] = field(default_factory=dict)

    @property
    def exit_code(self) -> int:
        return 1 if self.failed or self.community_errors else 0


@dataclass(frozen=True)
class Provisioner:
    records: Records
    backend: WikiBackend
    templates: TemplateSet
    clock: Callable[[], str] = utc_now

    def run(self, communities: Sequence[Community], *, dry_run: bool) -> ProvisionReport:
        """Plan (and unless ``dry_run``, apply) every community; one bad community does not
        stop the others."""
        report = ProvisionReport()
        inputs = self._spaces(communities, report, dry_run)
        support = self.backend.codec.support_pages(self.templates)
        wanted = [ref for ref, _ in support] + [r for d in inputs for r in d.refs.values()]
        remote = self.backend.read_pages(wanted) if inputs else {}
        support_states = {s.kind: s for s in self.records.page_states(SUPPORT)}
        if inputs:
            report.actions += plan_support(support, remote, support_states)
        for data in inputs:
            report.actions += plan_community(replace(data, remote=remote), self.templates,
                                             self.backend.codec)
        if not dry_run:
            for action in report.actions:
                self._apply(action, report)
        return report

    def _spaces(self, communities: Sequence[Community], report: ProvisionReport,
                dry_run: bool) -> list[PlanInput]:
        inputs = []
        for listed in communities:
            community = listed
            spec = SpaceSpec(community.slug, community.name, community.space, community.lang,
                             community.namespace_id)
            try:
                info = self.backend.check_space(spec)
            except CopError as error:
                report.community_errors[community.slug] = error
                continue
            if community.space_id != info.space_id and not dry_run:  # as the wiki knows it
                community = replace(community, space_id=info.space_id)
                self.records.save_community(community)
            states = {s.kind: s for s in self.records.page_states(community.slug)}
            refs = current_refs(community, info.space, self.templates, list(states.values()))
            rows = {k.kind: self.records.live_rows(community.slug, k.kind)
                    for k in self.templates.row_kinds}
            inputs.append(PlanInput(community, refs, {}, states, rows))
        return inputs

    def _apply(self, action: PageAction, report: ProvisionReport) -> None:
        try:
            self._write(action)
        except CopError as error:
            log.warning("provisioning %s failed: %s", action.ref, error)
            report.failed.append((action, str(error)))
        else:
            report.done.append(action)

    def _write(self, action: PageAction) -> None:
        if action.op == "create":
            self._create(action)
        elif action.op == "update":
            self._update(action)
        elif action.op in ("adopt", "skip"):
            self._remember(action)

    def _create(self, action: PageAction) -> None:
        summary = f"cop-connector: create the {action.kind} page"
        try:
            written = self.backend.create_page(action.ref, action.content, summary=summary,
                                               parent=action.parent)
        except PageExists:  # created meanwhile (or by a run that died before committing)
            current = self.backend.read_pages([action.ref]).get(action.ref)
            if current is None:
                raise
            self._remember(replace(action, op="adopt", base=current))
            return
        self._save(action, written.page_id, written.revision, action.rows)

    def _update(self, action: PageAction) -> None:
        assert action.base is not None
        summary = f"cop-connector: update the {action.kind} page ({action.reason})"
        try:
            written = self.backend.update_page(action.base, action.content, summary=summary)
        except EditConflict as conflict:
            raise EditConflict(backend=conflict.backend, page=str(action.ref),
                               base_revision=action.base.revision) from conflict
        state = self._state(action)
        # A row page (the charter) may hold member edits cop-sync has not read yet: keep the
        # old revision then, so the next sync still reads them.
        synced = state is None or state.revision == action.base.revision or _managed(action)
        revision = written.revision if synced else (state.revision if state else "")
        self._save(action, written.page_id, revision, state.base if state else None,
                   written_hash=content_hash(action.content))

    def _remember(self, action: PageAction) -> None:
        """No write: record what is there (managed pages only, row pages belong to sync)."""
        state = self._state(action)
        base = action.base
        if base is None or (state is not None and not _managed(action)):
            return
        if state is not None and state.revision == base.revision:
            return
        self._save(action, base.page_id, base.revision if _managed(action) else "", None,
                   written_hash=content_hash(base.content) if _managed(action) else "")

    def _state(self, action: PageAction) -> PageState | None:
        return self.records.page_state(action.community, action.kind)

    def _save(self, action: PageAction, page_id: str, revision: str, base: object,
              written_hash: str | None = None) -> None:
        self.records.save_page_state(PageState(
            community=action.community, kind=action.kind, ref=action.ref, page_id=page_id,
            revision=revision, written_hash=written_hash or content_hash(action.content),
            base=base, synced_at=self.clock(), template_version=action.version,
        ))  # type: ignore[arg-type]


def _managed(action: PageAction) -> bool:
    """Pages cop-connector owns whole: the home page and the shared templates."""
    return action.kind == "home" or action.community == SUPPORT
