"""Confluence (Cloud and Data Center) as a connector.base.WikiBackend.

Every HTTP call goes through transport.ConfluenceHttp: atlassian-python-api's REST client
(URL building, basic auth with an API token on Cloud, a bearer personal access token on Data
Center) on connector/http.py's session (urllib3 retries within the run's budget, TLS). The
library's page methods are not used: on Cloud they call removed v1 endpoints, and its
``update_page`` sends "current version + 1", which silently overwrites a concurrent edit.
Here an update sends ``base.revision + 1`` after reading the page by id (writes.py).

The two API dialects sit behind model.Dialect: Cloud speaks REST v2 (and v1 only for what v2
lacks, each such operation named: cloud.py), Data Center REST v1. Spaces are found by the
id the records keep (a Cloud space key can be renamed), else by key.

Round trips: pages are read by id, ``max_batch`` per request, with their bodies (a page
whose id nobody knows is looked up by title: per title on Cloud, by CQL on Data Center); the
change feed is one list of versions (no bodies) of the spaces' pages modified since the last
run less a wide overlap, plus one check of the known pages by id per 250 (Cloud) or 100
(Data Center): a sync with nothing changed sends 2 requests, one with k changed pages
2 + ceil(k / 50), never one per page.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from msgspec.structs import replace

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
from connector.errors import PageMissing, SpaceMissing, Unreachable
from connector.http import Budget
from connector.session import SessionStore

from . import history, permissions
from .cloud import CloudDialect
from .datacenter import DataCenterDialect
from .feed import EPOCH, FeedReader
from .labels import Labels
from .model import Dialect, PageRecord, SpaceRecord, SpaceTaken, format_stamp, parse_stamp
from .roles import SpaceRoles
from .settings import BACKEND, ConfluenceSettings
from .transport import ConfluenceHttp, WriteUncertain
from .writes import PageWriter

if TYPE_CHECKING:
    from connector.diagnosis import Check, Expectations

log = logging.getLogger(__name__)
FEW = 2  # unknown pages read one by one (by title, from the database) up to this many


class ConfluenceBackend:
    """connector.base.WikiBackend for Confluence Cloud and Data Center. Construction makes
    no request.

    ``spaces`` (space key -> space id) are the spaces cop-connector made or adopted (the
    records keep their ids): a space found under a community's key with another id, or with
    none known and another name, is someone else's (SpaceTaken); on Cloud the recorded id
    finds the space whatever its key became. ``pages`` (page id -> ref) are the pages
    cop-connector knows: they are read by id, and the change feed reports them moved or
    deleted. Every method raises BackendError subclasses only.
    """

    name = BACKEND
    max_batch = 50  # pages read with their bodies per request
    home_kind = "charter"
    can_create_spaces = True

    def __init__(self, settings: ConfluenceSettings, codec: PageCodec, *,
                 spaces: Mapping[str, str] | None = None,
                 pages: Mapping[str, PageRef] | None = None,
                 trashed: Mapping[str, PageRef] | None = None,
                 budget: Budget | None = None,
                 clock: Callable[[], datetime] | None = None,
                 sessions: SessionStore | None = None) -> None:
        self.settings = settings
        self.codec = codec
        self.budget = budget or Budget()
        self.http = ConfluenceHttp(settings, self.budget)
        self.stats = self.http.stats
        self.cloud: CloudDialect | None = CloudDialect(self.http) if settings.cloud else None
        self.dialect: Dialect = self.cloud or DataCenterDialect(self.http)
        self._ours = dict(spaces or {})  # community key -> id cop-connector made or adopted
        self._spaces: dict[str, SpaceRecord] = {}  # community key -> the space, as found
        self._ids: dict[str, str] = {}  # space key -> id, looked up for others' spaces
        self._known: dict[str, PageRef] = dict(pages or {})
        self._trashed: dict[str, PageRef] = dict(trashed or {})  # known deleted: restored?
        self.labels = Labels(self.dialect, enabled=settings.labels)
        self.writer = PageWriter(self.dialect, self.labels, self.budget, self._known)
        self._feed = FeedReader(self.dialect, clock=clock)
        self.feed_overlap = settings.feed_overlap
        self._roles = SpaceRoles(self.http, settings.admin_role, settings.editor_role)
        self._accounts = permissions.account_map(settings.accounts)
        self.unmapped: dict[str, list[str]] = {}  # space key -> e-mails without an account
        self.renamed: dict[str, str] = {}  # community key -> the key the site gives it now
        self._me: str | None = None  # Data Center: the connector's own account, once asked
        self._sessions = sessions  # keeps it between runs (connector/session.py)

    def close(self) -> None:
        self.http.close()

    def diagnose(self, expect: Expectations) -> list[Check]:
        """`cop doctor`: read-only checks of this site against ``expect``, each with its fix
        (connector/confluence/doctor.py, imported now: only `cop doctor` needs it)."""
        from .doctor import diagnose  # noqa: PLC0415

        return diagnose(self, expect)

    def space_record(self, key: str) -> SpaceRecord:
        """The space ``key`` as last read (SpaceMissing when there is none)."""
        return self._space(key)

    def known_pages(self, key: str) -> set[str]:
        """Ids of the pages of space ``key`` that cop-connector knows (the records')."""
        return {page_id for page_id, ref in self._known.items() if ref.space == key}

    # --- spaces ---------------------------------------------------------------------------

    def check_space(self, spec: SpaceSpec) -> SpaceInfo:
        """The community's space. SpaceMissing when there is none (provisioning creates
        it); SpaceTaken when the key belongs to a space cop-connector did not make."""
        record = self._lookup(spec.space)
        if record is None:
            raise SpaceMissing(backend=self.name, space=spec.space, remedy=(
                "`cop provision` creates it (the account needs the global permission to "
                "create spaces)."))
        self._check_ours(spec, record)
        return self._remember_space(spec.space, record)

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
        self.writer.fresh_homes[spec.space] = record.homepage_id
        self._ours[spec.space] = record.id
        return self._remember_space(spec.space, record)

    def _lookup(self, key: str) -> SpaceRecord | None:
        """By the recorded id first on Cloud (a renamed key finds nothing, or another
        space), else by key."""
        known = self._ours.get(key, "")
        if self.cloud is not None and known:
            record = self.cloud.space_by_id(known)
            if record is not None:
                if record.key != key and self.renamed.get(key) != record.key:
                    self.renamed[key] = record.key
                    log.warning("confluence space %s is now %s on the site (its key was "
                                "changed); cop-connector follows it by its id %s and keeps "
                                "calling it %s", key, record.key, record.id, key)
                return record
        return self.dialect.find_space(key)

    def _check_ours(self, spec: SpaceSpec, record: SpaceRecord) -> None:
        known = self._ours.get(spec.space)
        if known == record.id or (known is None and record.name == spec.name):
            self._ours[spec.space] = record.id
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
            return f"space {spec.space} already {'archived' if frozen else 'current'}"
        self.dialect.set_archived(record, frozen)
        self._spaces[spec.space] = replace(record,
                                           status="archived" if frozen else "current")
        return f"space {spec.space} {'archived' if frozen else 'restored'}"

    def _remember_space(self, key: str, record: SpaceRecord) -> SpaceInfo:
        self._spaces[key] = record
        return SpaceInfo(space=key, space_id=record.id)

    def _space(self, key: str) -> SpaceRecord:
        record = self._spaces.get(key) or self._lookup(key)
        if record is None:
            raise SpaceMissing(backend=self.name, space=key,
                               remedy="`cop provision` creates it.")
        self._spaces[key] = record
        return record

    def _space_ids(self, keys: Sequence[str]) -> dict[str, str]:
        """Community key -> space id (Cloud: those not known yet in one request; Data
        Center works by key: ids may stay empty)."""
        ids = {key: (self._spaces[key].id if key in self._spaces else
                     self._ours.get(key) or self._ids.get(key, "")) for key in dict.fromkeys(keys)}
        missing = [key for key, space_id in ids.items() if not space_id]
        if missing and self.cloud is not None:
            self._ids.update(self.cloud.space_ids(missing))
            ids.update((key, self._ids.get(key, "")) for key in missing)
        return ids

    def _space_keys(self) -> dict[str, str]:
        """Space id -> the community key its pages are known under."""
        keys = {space_id: key for key, space_id in self._ids.items() if space_id}
        keys.update((space_id, key) for key, space_id in self._ours.items() if space_id)
        keys.update((record.id, key) for key, record in self._spaces.items())
        return keys

    # --- reads ----------------------------------------------------------------------------

    def read_pages(self, refs: Sequence[PageRef]) -> dict[PageRef, RemotePage]:
        """Current pages, from the database, never the search index: those whose id is
        known by id, ``max_batch`` per request; the others by title (one or two: one by
        one; more: per title on Cloud, by CQL on Data Center). Missing pages are absent; a
        live doc answering an empty body is returned ``unreadable``."""
        wanted = [ref for ref in dict.fromkeys(refs) if ref.space and ref.title.strip()]
        ids = {self.page_id(ref): ref for ref in wanted}
        ids.pop("", None)
        found: dict[PageRef, RemotePage] = {}
        for record in self.dialect.pages_by_id(list(ids), self._space_keys()):
            ref = ids.get(record.id)
            if ref is not None and record.ref == ref:
                found[ref] = self._learn(record, ref)
        missing = [ref for ref in wanted if ref not in found]
        for record in self._by_title(missing):
            if record.ref in missing:
                found[record.ref] = self._learn(record, record.ref)
        return found

    def _by_title(self, refs: list[PageRef]) -> list[PageRecord]:
        if not refs:
            return []
        spaces = self._space_ids([ref.space for ref in refs])
        if len(refs) > FEW:
            return self.dialect.find_pages(spaces, refs)
        found = []
        for ref in refs:
            if spaces.get(ref.space) or self.cloud is None:
                space = SpaceRecord(key=ref.space, id=spaces.get(ref.space, ""), name="")
                record = self.dialect.page_by_title(space, ref.title, ref.space)
                found += [record] if record is not None else []
        return found

    def _learn(self, record: PageRecord, ref: PageRef) -> RemotePage:
        self._known[record.id] = ref
        self.labels.learn(ref, record.id, record.labels)
        return record.remote(ref)

    def page_id(self, ref: PageRef) -> str:
        """The id of the page known at ``ref`` ("" when none is)."""
        for page_id, known in self._known.items():
            if known == ref:
                return page_id
        return ""

    def changes_since(self, spaces: Sequence[str], since: str | None) -> ChangeFeed:
        """Edits, creations, moves and deletions in ``spaces`` at or after ``since`` (see
        feed.py): the versions of the spaces' pages, and a check of the known pages."""
        if not spaces:
            when = self.dialect.server_time()
            return ChangeFeed((), format_stamp(when) if when else since or EPOCH)
        ids = self._space_ids(spaces)
        outcome = self._feed.read(ids, since, self._known, self._trashed)
        self._known.update(outcome.moved)
        for page_id, ref in outcome.restored.items():
            self._known[page_id] = ref
            self._trashed.pop(page_id, None)
        for page_id in outcome.gone:
            self._trashed[page_id] = self._known.pop(page_id)
        # Cloud finds a space's id by its key: none, the site has no such space (or hides
        # it). Data Center works by key: a space gone shows when its pages look gone
        # (sync/engine/run.py asks check_space then).
        missing = tuple(key for key, space_id in ids.items() if not space_id)
        return replace(outcome.feed, missing=missing) if self.cloud is not None else outcome.feed

    def contributions(self, spaces: Sequence[str], since: str) -> tuple[Contribution, ...]:
        """The last edit of each page of ``spaces`` changed since ``since`` (history.py
        says why only the last), cop-connector's own left out."""
        if not spaces:
            return ()
        now = self._feed.clock()
        if self.cloud is not None:
            records, _ = self.cloud.changed(self._space_ids(spaces), parse_stamp(since), now)
            return history.from_records(self.cloud, records, since, me=self._cloud_me(spaces))
        return history.contributions(self.http, spaces, since, limit=self.max_batch,
                                     now=now, me=self._account())

    def _account(self) -> str:
        """Data Center: the connector's own account id, asked once, then kept for the next
        runs (by site and user: a token of another account comes with another user)."""
        if self._me is None:
            key = SessionStore.key(self.name, self.settings.url, self.settings.user)
            kept = self._sessions.load(key).get("account") if self._sessions else None
            self._me = str(kept) if kept else history.current_user(self.http)
            if self._sessions is not None and not kept and self._me:
                self._sessions.save(key, {"account": self._me})
        return self._me

    def _cloud_me(self, spaces: Sequence[str]) -> str:
        """The connector's own account on Cloud, without REST v1: from its writes in this
        run, else from the author of its content property on a page it knows."""
        if not self.writer.me and self.cloud is not None:
            page = next((pid for pid, ref in self._known.items() if ref.space in spaces), "")
            self.writer.me = self.cloud.mark_author(page) if page else ""
        return self.writer.me

    # --- writes ---------------------------------------------------------------------------

    def create_page(self, ref: PageRef, content: str, *, summary: str,
                    parent: PageRef | None = None, home: bool = False,
                    labels: Sequence[str] = ()) -> WrittenPage:
        """Create only: PageExists if the title is taken (PageArchived, saying what to do,
        when an archived page holds it). ``home``: the page becomes the space's home page,
        taking over the "<name> Home" page Confluence made with the space while nobody has
        edited it (no orphan page is left), else created at the space's root and made its
        home. ``labels`` are added, and the cop-connector content property records the
        hash of ``content``."""
        space = self._space(ref.space)
        parent_id = self._parent_id(parent) if parent and not home else None
        return self.writer.create(space, ref, content, summary, parent_id, home, labels)

    def update_page(self, base: RemotePage, content: str, *, summary: str,
                    minor: bool = False) -> WrittenPage:
        """Write over ``base.revision`` (version ``base.revision + 1``), after reading the
        page by id: EditConflict if it is at another version (a base read from a lagging
        index, or a member saved meanwhile; Confluence's 409 too), PageMissing if it was
        deleted or trashed. Unchanged content writes nothing (``changed=False``): the same
        string, or the content cop-connector wrote last while the page is still at that
        version (Confluence rewrites markup on save, so the body read back may differ).
        ``minor``: no notification e-mail where the API has minor edits (Data Center)."""
        return self.writer.update(base, content, summary, minor=minor)

    def refresh_links(self, refs: Sequence[PageRef]) -> None:
        """Confluence renders links when a page is viewed: nothing to do."""

    def ensure_labels(self, wanted: Mapping[PageRef, Sequence[str]]) -> list[str]:
        """Add the labels ``wanted`` pages lack (a label write that failed after a page was
        saved is so repaired by the next provisioning). Returns what was added, and what
        was skipped and why (labels are REST v1 only: see labels.py); raises BackendError
        naming the pages whose labels or property a failed write left out (in this run)."""
        return self.labels.repair(wanted, self._known)

    def _parent_id(self, ref: PageRef) -> str:
        page_id = self.page_id(ref)
        if page_id:
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
        current = self.dialect.current(page.page_id, page=str(page.ref))
        if current is None:
            return False
        mark = current.mark
        return mark is not None and mark.page_version == page.revision

    def grant_roles(self, space: SpaceInfo, *, admins: Sequence[str],
                    editors: Sequence[str]) -> tuple[str, ...]:
        """Admins administer the space, editors edit it; people are e-mails, mapped to
        accounts by ``settings.accounts``. On Cloud sites with role-based space permissions
        they get a role (roles.py), elsewhere space permissions (permissions.py). Writes
        only what is missing. People without an account are logged (WARNING) and kept in
        ``unmapped``; they get nothing."""
        wanted, unmapped = permissions.wanted_permissions(self._accounts, admins, editors)
        self.unmapped[space.space] = unmapped
        if unmapped:
            log.warning(
                "confluence space %s: no Confluence account known for %s, so no space "
                "permission was given to them; map each e-mail to its %s under "
                "[confluence.accounts] in cop.toml, then provision again", space.space,
                ", ".join(unmapped), "accountId" if self.settings.cloud else "user key")
        if not wanted:
            return tuple(unmapped)
        record = self._space(space.space)
        if self.cloud is not None and self.cloud.roles:
            self._roles.grant(record, {account: "admin" if permissions.ADMIN in operations
                                       else "editor" for account, operations in wanted.items()})
        else:
            permissions.grant(self.dialect, record, wanted)
        return tuple(unmapped)
