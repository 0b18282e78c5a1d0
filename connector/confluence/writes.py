"""Page writes: create (the charter taking over the space's first home page), update, and
what follows each (labels, the cop-connector content property).

A write is never replayed blindly. Before an update, the page is read by id (never through
search: a search index may answer an older version); a base that is not the page's current
version is an EditConflict before anything is sent (the caller re-reads by id and merges
again), and Confluence's own 409 is one too. A 429 was refused without being applied:
urllib3 sends it again after ``Retry-After`` (connector/http.py). A write whose answer was
lost or was a 5xx may have been applied: the page is re-read (by id for an update, by title
for a create), and the write is sent once more only if it did not land, after the wait the
5xx asked for (within the run's budget).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from connector.base import PageRef, RemotePage, WrittenPage
from connector.errors import (
    BackendError,
    CopError,
    EditConflict,
    PageExists,
    PageMissing,
    Unreachable,
)
from connector.http import Budget

from . import v1
from .labels import Labels
from .model import Dialect, Mark, PageRecord, SpaceRecord, content_hash
from .settings import BACKEND
from .transport import WriteUncertain

log = logging.getLogger(__name__)


class PageArchived(PageExists):
    """The title is held by an archived page: Confluence refuses a new page of that title,
    and the archived one is not current, so it cannot be adopted either."""


class PageWriter:
    """The writes of one backend. ``known`` is the backend's page id -> ref map."""

    def __init__(self, dialect: Dialect, labels: Labels, budget: Budget,
                 known: dict[str, PageRef]) -> None:
        self.dialect = dialect
        self.labels = labels
        self.budget = budget
        self.known = known
        self.fresh_homes: dict[str, str] = {}  # community key -> the home page made with it
        self.me = ""  # the connector's own account, as its writes show it (Cloud)

    # --- create ---------------------------------------------------------------------------

    def create(self, space: SpaceRecord, ref: PageRef, content: str, summary: str,
               parent_id: str | None, home: bool, labels: Sequence[str]) -> WrittenPage:
        if home:
            record = self._create_home(space, ref, content, summary)
        else:
            record = self._create(space, ref, content, parent_id)
        self.after_write(record, ref, content, labels, None)
        return WrittenPage(ref, record.id, str(record.version), changed=True)

    def _create(self, space: SpaceRecord, ref: PageRef, content: str,
                parent_id: str | None) -> PageRecord:
        for attempt in (1, 2):
            try:
                return self.dialect.create_page(space, ref.title, content, parent_id,
                                                page=str(ref))
            except WriteUncertain as lost:
                found = self.dialect.page_by_title(space, ref.title, ref.space)  # look
                if found is not None:
                    return self._adopt_created(found, ref)
                if attempt == 2:
                    raise Unreachable(f"{lost.detail}; re-read: it was not created (the "
                                      "next provisioning creates it)", backend=BACKEND,
                                      page=str(ref)) from None
                self._pause(lost, ref)
            except PageExists:
                raise self._why_taken(space, ref) from None
        raise AssertionError("unreachable")

    def _adopt_created(self, found: PageRecord, ref: PageRef) -> PageRecord:
        if found.version != 1:
            raise PageExists("the page is there already, edited since", backend=BACKEND,
                             page=str(ref))
        log.info("%s: the create's answer was lost, but the page was created", ref)
        return found

    def _why_taken(self, space: SpaceRecord, ref: PageRef) -> PageExists:
        """The title is taken: by a current page (created meanwhile: the caller adopts it),
        or by an archived one, which keeps its title (https://github.com/hunyadi/md2conf/
        issues/149) and which nobody sees in the page tree."""
        archived = self.dialect.page_by_title(space, ref.title, ref.space, status="archived")
        if archived is None:
            return PageExists("a page with this title already exists", backend=BACKEND,
                              page=str(ref))
        return PageArchived(
            f"an archived page holds this title (page id {archived.id}): Confluence keeps an "
            "archived page's title taken, so the page cannot be created. Restore the "
            "archived page (space sidebar > Archived pages > Restore), and the next `cop "
            "provision` adopts it; or rename or delete it, and the next `cop provision` "
            "creates a new page", backend=BACKEND, page=str(ref))

    def _create_home(self, space: SpaceRecord, ref: PageRef, content: str,
                     summary: str) -> PageRecord:
        home_id = self.fresh_homes.pop(ref.space, "")
        home: PageRecord | None = None
        if home_id:  # made with the space moments ago: untouched, version 1
            home = PageRecord(id=home_id, space=ref.space, title="", version=1)
        elif space.homepage_id:
            home = self.dialect.page_by_id(space.homepage_id, ref.space)
        if home is not None and home.version == 1 and home.title != ref.title:
            try:
                return self.write_update(home, ref, content, summary)
            except (EditConflict, PageMissing):  # edited (or gone) meanwhile: theirs
                log.info("%s: the space's home page was edited meanwhile; kept", ref)
        record = self._create(space, ref, content, None)
        self.dialect.set_homepage(space, record.id)
        return record

    # --- update ---------------------------------------------------------------------------

    def update(self, base: RemotePage, content: str, summary: str, *,
               minor: bool = False) -> WrittenPage:
        """See ConfluenceBackend.update_page."""
        if content == base.content:
            return WrittenPage(base.ref, base.page_id, base.revision, changed=False)
        if not base.revision.isdigit():
            raise BackendError(f"revision {base.revision!r} is not a Confluence version",
                               backend=BACKEND, page=str(base.ref))
        current = self.dialect.current(base.page_id, page=str(base.ref))
        if current is None:
            raise v1.gone(str(base.ref))
        self.labels.learn(base.ref, base.page_id, current.labels)
        if current.version != int(base.revision):  # read from a lagging index, or moved on
            raise EditConflict(backend=BACKEND, page=str(base.ref),
                               base_revision=base.revision)
        mark = current.mark
        if mark and mark.page_version == base.revision and mark.sha256 == content_hash(content):
            return WrittenPage(base.ref, base.page_id, base.revision, changed=False)
        old = PageRecord(id=base.page_id, space=base.ref.space, title=base.ref.title,
                         version=int(base.revision))
        record = self.write_update(old, base.ref, content, summary, minor=minor)
        self.after_write(record, base.ref, content, (), mark)
        return WrittenPage(base.ref, record.id, str(record.version), changed=True)

    def write_update(self, current: PageRecord, ref: PageRef, content: str,
                     summary: str, *, minor: bool = False) -> PageRecord:
        """PUT version ``current.version + 1``; after a lost answer, the page is re-read by
        id: written (that version, our summary or body), not written (sent once more),
        or someone else's (EditConflict)."""
        version = current.version + 1
        for attempt in (1, 2):
            try:
                return self.dialect.update_page(current.id, ref.space, ref.title, content,
                                                version, summary, page=str(ref),
                                                minor=minor)
            except WriteUncertain as lost:
                found = self.dialect.page_by_id(current.id, ref.space)
                if found is None:
                    raise v1.gone(str(ref)) from None
                if found.version == version and (found.message == summary
                                                 or found.body == content):
                    log.info("%s: the update's answer was lost, but it was saved", ref)
                    return found
                if found.version != current.version:
                    raise EditConflict(backend=BACKEND, page=str(ref),
                                       base_revision=str(current.version)) from None
                if attempt == 2:
                    raise Unreachable(f"{lost.detail}; re-read: it was not saved",
                                      backend=BACKEND, page=str(ref)) from None
                self._pause(lost, ref)
        raise AssertionError("unreachable")

    # --- after a write --------------------------------------------------------------------

    def after_write(self, record: PageRecord, ref: PageRef, content: str,
                    labels: Sequence[str], mark: Mark | None) -> None:
        """Labels and the cop-connector property: the page is saved already, so a failure
        here is logged and kept for ``ensure_labels``, not raised (a re-run would
        otherwise see a page it cannot adopt)."""
        self.known[record.id] = ref
        self.me = self.me or record.author
        self.labels.add(ref, record.id, labels)
        try:
            self.dialect.put_mark(record.id, mark, {
                "sha256": content_hash(content), "version": record.version,
                "by": "cop-connector"}, page=str(ref))
        except CopError as error:
            log.warning("%s: saved, but its cop-connector property was not: %s", ref, error)
            self.labels.failed[ref] = getattr(error, "detail", error.message)

    def _pause(self, lost: WriteUncertain, ref: PageRef) -> None:
        """Before sending a write once more: the wait its 5xx asked for (budgeted)."""
        log.info("%s: %s; it did not land: sent once more", ref, lost.detail)
        self.budget.wait(lost.retry_after, f"{ref}: waiting before writing again", BACKEND)
