"""After a community's pages are synced, each page read gets the notice its problems call
for (sync/engine/notice.py): the shell.

Per page (a seminar page holds two row sets: one notice for both), the notice is computed
from what the records now hold -- the problems this run just recorded (a governance value
typed on the page is one) -- and placed on the page as it now stands (as read, or as this
run wrote it). Nothing changed means the same notice, found on the page already: no
request. Otherwise one minor
edit, written over the revision just read or written (optimistic concurrency): a member who
saved meanwhile wins, and the notice waits for the next run, which reads their revision
anyway. The write is recorded as the revision the page states have read (it changed no row),
so the next run does not read the page again for it. A notice that cannot be written holds
back nothing: the rows are committed already, and the failure is only said.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from msgspec.structs import replace

from connector.base import PageRef, RemotePage, WikiBackend
from connector.errors import CopError, EditConflict
from page_templates import TemplateSet
from sync.engine.checkpoints import checkpoint
from sync.engine.notice import page_notice
from sync.engine.outcome import PageOutcome
from sync.records.model import Community, StoredProblem
from sync.records.store import Records

log = logging.getLogger(__name__)


def write_notices(records: Records, backend: WikiBackend, templates: TemplateSet,
                  community: Community, outcomes: Sequence[PageOutcome], *,
                  dry_run: bool) -> None:
    """Bring the notice of every page read this run (``outcomes``) up to date; each
    outcome says what became of it (``page_notice``)."""
    pages: dict[PageRef, list[PageOutcome]] = {}
    for outcome in outcomes:
        if outcome.latest is not None and not (outcome.error or outcome.refused_empty or
                                               outcome.deleted):
            pages.setdefault(outcome.latest.ref, []).append(outcome)
    for group in pages.values():
        _page(records, backend, templates, community, group, dry_run=dry_run)


def _latest(group: Sequence[PageOutcome]) -> RemotePage:
    """The page as it now stands: the newest revision the row sets of the page saw."""
    pages = [outcome.latest for outcome in group if outcome.latest is not None]
    return max(pages, key=lambda page: (len(page.revision), page.revision))


def _page(records: Records, backend: WikiBackend, templates: TemplateSet,
          community: Community, group: Sequence[PageOutcome], *, dry_run: bool) -> None:
    page = _latest(group)
    keys = [outcome.kind for outcome in group]
    kinds = [templates.kind_for(key) for key in keys]
    notice = page_notice(kinds, community.lang, _problems(records, community, group, dry_run))
    content = backend.codec.place_notice(page.content, notice)
    if content == page.content:
        return
    done = "written" if notice.items else "removed"
    if dry_run:
        _say(group, f"would be {done}")
        return
    summary = (f"cop-connector: {len(notice.items)} entr{'y' if len(notice.items) == 1 else 'ies'}"
               " to fix on this page" if notice.items else
               "cop-connector: every entry of this page reads (notice removed)")
    try:
        written = backend.update_page(page, content, summary=summary, minor=True)
    except EditConflict:
        _say(group, "waits: the page changed meanwhile (the next run reads it)")
        return
    except CopError as error:  # the rows are committed: only the notice waits
        log.warning("%s: notice not written: %s", page.ref, error)
        _say(group, f"not written ({error}); the next run tries again")
        return
    checkpoint("after-notice-write")
    for outcome in group:  # what comes next in this run (the relay) writes over this one
        outcome.latest = replace(page, revision=written.revision, content=content)
    with records.transaction():
        for key in keys:
            state = records.page_state(community.slug, key)
            if state is not None and state.revision == page.revision:
                records.save_page_state(replace(state, revision=written.revision))
    _say(group, done)


def _say(group: Sequence[PageOutcome], what: str) -> None:
    for outcome in group:
        outcome.page_notice = what


def _problems(records: Records, community: Community, group: Sequence[PageOutcome],
              dry_run: bool) -> list[StoredProblem]:
    """The page's problems: as the records now hold them (whatever recorded them), or in a
    dry run as this run found them."""
    keys = {outcome.kind for outcome in group}
    if not dry_run:
        return [p for p in records.problems(community.slug) if p.kind in keys]
    return [StoredProblem.of(community.slug, outcome.kind, p, "")
            for outcome in group for p in outcome.problems]
