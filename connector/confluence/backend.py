"""Confluence (Cloud and Data Center) as a connector.base.WikiBackend.

Every HTTP call goes through transport.ConfluenceHttp: atlassian-python-api's REST client
(URL building, basic auth with an API token on Cloud, a bearer personal access token on Data
Center) on connector/http.py's session (urllib3 retries within the run's budget, TLS). The
library's page methods are not used: on Cloud they call removed v1 endpoints, and its
``update_page`` sends "current version + 1", which silently overwrites a concurrent edit.
Here an update sends ``base.revision + 1``: Confluence answers 409 when the page moved on.
The two API dialects (cloud.py, datacenter.py) sit behind model.Dialect; CQL search, labels
and space creation are v1 on both (v1.py).

Round trips: reads take one CQL search per ``max_batch`` pages (``cql.read_batches``), a
single page one direct lookup; the change feed is one search per ``max_batch`` changed
pages, bodies and versions included, plus one check of the known pages per 200 (feed.py),
and ``read_pages`` then serves the feed's pages from memory: a sync with k changed pages
sends 1 + ceil(k / 50) requests and no per-page GET. Writes never replay: a write whose
answer was lost is followed by a re-read that tells whether it landed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime

from connector.base import (
    ChangeFeed,
    Contribution,
    PageCodec,
    PageRef,
    RemotePage,
    SpaceInfo,
    SpaceSpec,
    WrittenPage,
)
from connector.errors import (
    BackendError,
    CopError,
    EditConflict,
    PageExists,
    PageMissing,
    SpaceMissing,
    Unreachable,
)
from connector.http import Budget

from . import cql, history, permissions, v1
from .cloud import CloudDialect
from .datacenter import DataCenterDialect
from .feed import EPOCH, FeedReader
from .model import Dialect, Mark, PageRecord, SpaceRecord, SpaceTaken, content_hash, format_stamp
from .settings import BACKEND, ConfluenceSettings
from .transport import ConfluenceHttp, WriteUncertain

log = logging.getLogger(__name__)


class ConfluenceBackend:
    """connector.base.WikiBackend for Confluence Cloud and Data Center. Construction makes
    no request.

    ``spaces`` (space key -> space id) are the spaces cop-connector made or adopted (the
    records keep their ids): a space found under a community's key with another id, or with
    none known and another name, is someone else's (SpaceTaken). ``pages`` (page id -> ref)
    are the pages cop-connector knows: the change feed reports them moved or deleted.
    Every method raises BackendError subclasses only.
    """

    name = BACKEND
    max_batch = 50  # CQL results per search (Cloud caps searches expanding bodies near 50)
    home_kind = "charter"
    can_create_spaces = True

    def __init__(self, settings: ConfluenceSettings, codec: PageCodec, *,
                 spaces: Mapping[str, str] | None = None,
                 pages: Mapping[str, PageRef] | None = None,
                 trashed: Mapping[str, PageRef] | None = None,
                 budget: Budget | None = None,
                 clock: Callable[[], datetime] | None = None) -> None:
        self.settings = settings
        self.codec = codec
        self.http = ConfluenceHttp(settings, budget)
        self.stats = self.http.stats
        self.dialect: Dialect = (CloudDialect(self.http) if settings.cloud
                                 else DataCenterDialect(self.http))
        self._ours = dict(spaces or {})  # space key -> id cop-connector made or adopted
        self._spaces: dict[str, SpaceRecord] = {}
        self._fresh_homes: dict[str, str] = {}  # space key -> the home page it came with
        self._known: dict[str, PageRef] = dict(pages or {})
        self._trashed: dict[str, PageRef] = dict(trashed or {})  # known deleted: restored?
        self._fed: dict[PageRef, PageRecord] = {}  # pages the last feed brought, read once
        # page -> (its id, its labels) as last read (ensure_labels)
        self._labels: dict[PageRef, tuple[str, tuple[str, ...]]] = {}
        self._unlabelled: dict[PageRef, str] = {}  # written, but labelling failed: why
        self._feed = FeedReader(self.http, limit=self.max_batch, clock=clock)
        self._accounts = permissions.account_map(settings.accounts)
        self.unmapped: dict[str, list[str]] = {}  # space key -> e-mails without an account
        self._me: str | None = None  # the connector's own account, once asked

    def close(self) -> None:
        self.http.close()

    # --- spaces ---------------------------------------------------------------------------

    def check_space(self, spec: SpaceSpec) -> SpaceInfo:
        """The community's space. SpaceMissing when there is none (provisioning creates
        it); SpaceTaken when the key belongs to a space cop-connector did not make."""
        record = self.dialect.find_space(spec.space)
        if record is None:
            raise SpaceMissing(backend=self.name, space=spec.space, remedy=(
                "`cop provision` creates it (the account needs the global permission to "
                "create spaces)."))
        self._check_ours(spec, record)
        return self._remember_space(record)

    def create_space(self, spec: SpaceSpec) -> SpaceInfo:
        """Create the space (Confluence gives it a home page "<name> Home", which the
        charter then takes over, see create_page). A space made meanwhile under the key is
        adopted when it is ours by name, else SpaceTaken."""
        description = (f"Community of practice {spec.name}: its charter, members, watch, "
                       f"references, regulation and competition (kept in sync by "
                       f"cop-connector, community {spec.slug}).")
        try:
            record = self.dialect.create_space(spec.space, spec.name, description)
        except SpaceTaken:
            return self.check_space(spec)
        except WriteUncertain as lost:
            why = lost.detail
            found = self.dialect.find_space(spec.space)  # never replay: look
            if found is None:
                raise Unreachable(f"{why}; re-read: the space was not created (the next "
                                  "provisioning creates it)", backend=self.name) from None
            return self.check_space(spec)
        self._fresh_homes[record.key] = record.homepage_id
        self._ours[record.key] = record.id
        return self._remember_space(record)

    def _check_ours(self, spec: SpaceSpec, record: SpaceRecord) -> None:
        known = self._ours.get(record.key)
        if known == record.id or (known is None and record.name == spec.name):
            self._ours[record.key] = record.id
            return
        why = (f"is not the space cop-connector made for it (id {known}): it was deleted "
               "and made again by someone" if known else
               "was not made by cop-connector (its name differs from the community's)")
        raise SpaceTaken(space=record.key, message=(
            f"space key {record.key!r} of community {spec.slug!r} is taken on this site: "
            f"the space {record.name!r} (id {record.id}) {why}. Nothing is written there. "
            f"Give the community another key (it derives from the slug), or, if that space "
            f"really is the community's, rename it {spec.name!r} in Confluence so that it "
            "is adopted."))

    def freeze_space(self, spec: SpaceSpec, *, frozen: bool) -> str:
        """Archive the space (Cloud: its status set to "archived"; Data Center: the archive
        operation), or restore it; nothing when it already is. Confluence keeps an archived
        space readable, out of the space directory and search; its pages stay editable for
        whoever keeps edit permission there (take it away in the space settings for a
        strict freeze)."""
        self.check_space(spec)
        record = self._space(spec.space)
        if (record.status == "archived") == frozen:
            return f"space {record.key} already {'archived' if frozen else 'current'}"
        self.dialect.set_archived(record, frozen)
        self._spaces[record.key] = replace(record,
                                           status="archived" if frozen else "current")
        return f"space {record.key} {'archived' if frozen else 'restored'}"

    def _remember_space(self, record: SpaceRecord) -> SpaceInfo:
        self._spaces[record.key] = record
        return SpaceInfo(space=record.key, space_id=record.id)

    def _space(self, key: str) -> SpaceRecord:
        record = self._spaces.get(key) or self.dialect.find_space(key)
        if record is None:
            raise SpaceMissing(backend=self.name, space=key,
                               remedy="`cop provision` creates it.")
        self._spaces[key] = record
        return record

    # --- reads ----------------------------------------------------------------------------

    def read_pages(self, refs: Sequence[PageRef]) -> dict[PageRef, RemotePage]:
        """Current pages: those the last change feed brought are served from memory (once:
        a second read asks the site); the others by CQL, ``max_batch`` per search, or one
        direct lookup when a single page is asked (consistent right after a write, where
        the search index may lag). Missing pages are absent."""
        found: dict[PageRef, RemotePage] = {}
        rest: list[PageRef] = []
        for ref in dict.fromkeys(refs):
            fed = self._fed.pop(ref, None)
            if fed is not None:
                found[ref] = fed.remote(ref)
            elif ref.space and ref.title.strip():
                rest.append(ref)
        if len(rest) == 1 and rest[0].space in self._spaces:
            record = self.dialect.page_by_title(self._spaces[rest[0].space], rest[0].title)
            if record is not None:
                found[rest[0]] = self._learn(record, rest[0])
            return found
        wanted = set(rest)
        for spaces, titles in cql.read_batches(rest, self.max_batch):
            query = cql.pages_query(spaces, titles)
            for _, records in v1.search(self.http, query, expand=cql.READ_EXPAND,
                                        limit=self.max_batch, purpose="reads"):
                for record in records:
                    if record.ref in wanted:
                        found[record.ref] = self._learn(record, record.ref)
        return found

    def _learn(self, record: PageRecord, ref: PageRef) -> RemotePage:
        self._known[record.id] = ref
        if record.labels is not None:
            self._labels[ref] = (record.id, record.labels)
        return record.remote(ref)

    def changes_since(self, spaces: Sequence[str], since: str | None) -> ChangeFeed:
        """Edits, creations, moves and deletions in ``spaces`` at or after ``since`` (see
        feed.py for what CQL can tell); the pages it brings are kept for ``read_pages``."""
        if not spaces:
            answer = self.http.call("GET", "rest/api/user/current", purpose="feeds")
            when = answer.server_time
            return ChangeFeed((), format_stamp(when) if when else since or EPOCH)
        outcome = self._feed.read(spaces, since, self._known, self._trashed)
        self._fed = {record.ref: record for record in outcome.pages}
        self._known.update(outcome.moved)
        for page_id, ref in outcome.restored.items():
            self._known[page_id] = ref
            self._trashed.pop(page_id, None)
        for page_id in outcome.gone:
            self._trashed[page_id] = self._known.pop(page_id)
        return outcome.feed

    def contributions(self, spaces: Sequence[str], since: str) -> tuple[Contribution, ...]:
        """The last edit of each page of ``spaces`` changed since ``since`` (history.py
        says why only the last): one CQL search per ``max_batch`` changed pages, plus one
        lookup of the connector's own account the first time."""
        if not spaces:
            return ()
        if self._me is None:
            self._me = history.current_user(self.http)
        return history.contributions(self.http, spaces, since, limit=self.max_batch,
                                     now=self._feed.clock(), me=self._me)

    # --- writes ---------------------------------------------------------------------------

    def create_page(self, ref: PageRef, content: str, *, summary: str,
                    parent: PageRef | None = None, home: bool = False,
                    labels: Sequence[str] = ()) -> WrittenPage:
        """Create only: PageExists if the title is taken. ``home``: the page becomes the
        space's home page, taking over the "<name> Home" page Confluence made with the
        space while nobody has edited it (no orphan page is left), else created at the
        space's root and made its home. ``labels`` are added, and the cop-connector
        content property records the hash of ``content``."""
        space = self._space(ref.space)
        if home:
            record = self._create_home(space, ref, content, summary)
        else:
            parent_id = self._page_id(parent) if parent else None
            record = self._create(space, ref, content, parent_id)
        self._after_write(record, ref, content, labels, None)
        return WrittenPage(ref, record.id, str(record.version), changed=True)

    def _create(self, space: SpaceRecord, ref: PageRef, content: str,
                parent_id: str | None) -> PageRecord:
        try:
            return self.dialect.create_page(space, ref.title, content, parent_id,
                                            page=str(ref))
        except WriteUncertain as lost:
            why = lost.detail
            found = self.dialect.page_by_title(space, ref.title)  # never replay: look
        if found is None:
            raise Unreachable(f"{why}; re-read: it was not created (the next provisioning "
                              "creates it)", backend=self.name, page=str(ref))
        if found.version != 1:
            raise PageExists("the page is there already, edited since", backend=self.name,
                             page=str(ref))
        log.info("%s: the create's answer was lost, but the page was created", ref)
        return found

    def _create_home(self, space: SpaceRecord, ref: PageRef, content: str,
                     summary: str) -> PageRecord:
        home_id = self._fresh_homes.pop(space.key, "")
        home: PageRecord | None = None
        if home_id:  # made with the space moments ago: untouched, version 1
            home = PageRecord(id=home_id, space=space.key, title="", version=1)
        elif space.homepage_id:
            home = self.dialect.page_by_id(space.homepage_id, space.key)
        if home is not None and home.version == 1 and home.title != ref.title:
            try:
                return self._write_update(home, ref, content, summary)
            except (EditConflict, PageMissing):  # edited (or gone) meanwhile: theirs
                log.info("%s: the space's home page was edited meanwhile; kept", ref)
        record = self._create(space, ref, content, None)
        self.dialect.set_homepage(space, record.id)
        return record

    def update_page(self, base: RemotePage, content: str, *, summary: str,
                    minor: bool = False) -> WrittenPage:
        """Write over ``base.revision`` (version ``base.revision + 1``): EditConflict if
        the page moved on, PageMissing if it was deleted or trashed. Unchanged content
        writes nothing (``changed=False``): the same string, or the content cop-connector
        wrote last while the page is still at that version (Confluence rewrites markup on
        save, so the body read back may differ from what was sent)."""
        if content == base.content:
            return WrittenPage(base.ref, base.page_id, base.revision, changed=False)
        if not base.revision.isdigit():
            raise BackendError(f"revision {base.revision!r} is not a Confluence version",
                               backend=self.name, page=str(base.ref))
        mark = self.dialect.get_mark(base.page_id, page=str(base.ref))
        if mark and mark.page_version == base.revision and mark.sha256 == content_hash(content):
            return WrittenPage(base.ref, base.page_id, base.revision, changed=False)
        current = PageRecord(id=base.page_id, space=base.ref.space, title=base.ref.title,
                             version=int(base.revision))
        record = self._write_update(current, base.ref, content, summary, minor)
        self._after_write(record, base.ref, content, (), mark)
        return WrittenPage(base.ref, record.id, str(record.version), changed=True)

    def _write_update(self, current: PageRecord, ref: PageRef, content: str,
                      summary: str, minor: bool = False) -> PageRecord:
        """PUT version ``current.version + 1``; after a lost answer, the page is re-read:
        written (that version, our summary or body), not written, or someone else's."""
        version = current.version + 1
        try:
            return self.dialect.update_page(current.id, ref.space, ref.title, content,
                                            version, summary, page=str(ref), minor=minor)
        except WriteUncertain as lost:
            why = lost.detail
            found = self.dialect.page_by_id(current.id, ref.space)
        if found is None:
            raise v1.gone(str(ref))
        if found.version == version and (found.message == summary or found.body == content):
            log.info("%s: the update's answer was lost, but it was saved", ref)
            return found
        if found.version == current.version:
            raise Unreachable(f"{why}; re-read: it was not saved",
                              backend=self.name, page=str(ref))
        raise EditConflict(backend=self.name, page=str(ref),
                           base_revision=str(current.version))

    def _after_write(self, record: PageRecord, ref: PageRef, content: str,
                     labels: Sequence[str], mark: Mark | None) -> None:
        """Labels and the cop-connector property: the page is saved already, so a failure
        here is logged, not raised (a re-run would otherwise see a page it cannot adopt)."""
        self._known[record.id] = ref
        self._fed.pop(ref, None)
        try:
            if labels:
                v1.add_labels(self.http, record.id, labels, page=str(ref))
            self.dialect.put_mark(record.id, mark, {
                "sha256": content_hash(content), "version": record.version,
                "by": "cop-connector"}, page=str(ref))
        except CopError as error:
            log.warning("%s: saved, but its labels or cop-connector property were not: %s",
                        ref, error)
            self._unlabelled[ref] = getattr(error, "detail", error.message)

    def ensure_labels(self, wanted: Mapping[PageRef, Sequence[str]]) -> list[str]:
        """Add the labels ``wanted`` pages lack, as the last read of each page showed them
        (the search that reads pages brings their labels: no extra request); a label write
        that failed after a page was saved is so repaired by the next provisioning. Pages
        not read since are left alone. Returns what was added; raises BackendError naming
        the pages whose labels a failed write left out (in this run)."""
        notes: list[str] = []
        for ref, labels in wanted.items():
            page_id, have = self._labels.get(ref, ("", None))
            missing = [label for label in labels if have is not None and label not in have]
            if not missing:
                continue
            v1.add_labels(self.http, page_id, missing, page=str(ref))
            self._labels[ref] = (page_id, (*(have or ()), *missing))
            notes.append(f"{ref}: labels {', '.join(missing)} added")
        failed, self._unlabelled = self._unlabelled, {}
        if failed:
            raise BackendError("saved, but the labels or cop-connector property of "
                               + "; ".join(f"{ref} ({why})" for ref, why in failed.items())
                               + " were not written; the next `cop provision` adds the "
                               "missing labels (a missing property stays missing: it only "
                               "matters to adopt the space if the records are lost)",
                               backend=self.name)
        return notes

    def _page_id(self, ref: PageRef) -> str:
        for page_id, known in self._known.items():
            if known == ref:
                return page_id
        page = self.read_pages([ref]).get(ref)
        if page is None:
            raise PageMissing("the parent page is missing", backend=self.name, page=str(ref))
        return page.page_id

    # --- cop-connector's mark, permissions ------------------------------------------------

    def written_by_connector(self, page: RemotePage) -> bool:
        """Whether cop-connector wrote ``page`` as it is now (its content property names
        this version): what records would tell, for a page found without them (adoption
        after the records were lost). One request."""
        mark = self.dialect.get_mark(page.page_id, page=str(page.ref))
        return mark is not None and mark.page_version == page.revision

    def grant_roles(self, space: SpaceInfo, *, admins: Sequence[str],
                    editors: Sequence[str]) -> tuple[str, ...]:
        """Admins administer the space, editors edit it; people are e-mails, mapped to
        accounts by ``settings.accounts``. Writes only what is missing. People without an
        account are logged (WARNING) and kept in ``unmapped``; they get nothing."""
        wanted, unmapped = permissions.wanted_permissions(self._accounts, admins, editors)
        self.unmapped[space.space] = unmapped
        if unmapped:
            log.warning(
                "confluence space %s: no Confluence account known for %s, so no space "
                "permission was given to them; map each e-mail to its %s under "
                "[confluence.accounts] in cop.toml, then provision again", space.space,
                ", ".join(unmapped), "accountId" if self.settings.cloud else "user key")
        if wanted:
            permissions.grant(self.dialect, self._space(space.space), wanted)
        return tuple(unmapped)
