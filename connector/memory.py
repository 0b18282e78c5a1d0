"""An in-memory wiki: the fake that unit tests of the engine use (it passes the contract suite).

It behaves like a small MediaWiki: global revision numbers, a change feed with moves and
deletions, optimistic writes against a base revision. Its clock advances one second per event
so tests are deterministic. Member-side helpers (``edit``, ``move``, ``delete``) change pages
the way people do, without going through the backend API.

Faults are injected with ``fail_next(operation, error, times=...)``: the next calls of that
backend method raise ``error`` (optionally only for one space, optionally after the write has
landed — a timeout that hides a success), so engine tests can prove what a sync does when the
wiki fails, without mocks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from msgspec import Struct
from msgspec.structs import replace

from .base import (
    Change,
    ChangeAction,
    ChangeFeed,
    Contribution,
    PageCodec,
    PageRef,
    RemotePage,
    SpaceInfo,
    SpaceSpec,
    WrittenPage,
)
from .errors import EditConflict, PageExists, PageMissing, PermissionDenied, SpaceMissing

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
OPERATIONS = ("check_space", "create_space", "read_pages", "changes_since", "create_page",
              "update_page", "grant_roles", "contributions", "freeze_space")
WRITES = ("create_space", "create_page", "update_page", "grant_roles", "freeze_space")
_T = TypeVar("_T")


class RequestStats(Struct):
    """Round trips a real wiki would have needed (batches count once)."""

    reads: int = 0
    writes: int = 0
    feeds: int = 0

    @property
    def total(self) -> int:
        return self.reads + self.writes + self.feeds


class Fault(Struct):
    """A failure waiting for the next calls of ``operation``.

    ``times`` None fails every call until ``clear_faults()``; ``space`` limits the fault to
    calls touching that space; ``landed`` (writes only) applies the write first, then raises:
    the client cannot tell whether it was saved (a timeout after the request went out).
    """

    operation: str
    error: Exception
    times: int | None = 1
    landed: bool = False
    space: str | None = None

    def hits(self, operation: str, spaces: Iterable[str]) -> bool:
        if operation != self.operation or self.times == 0:
            return False
        return self.space is None or _name(self.space) in {_name(s) for s in spaces}


class _Page(Struct):
    page_id: str
    revision: int
    content: str
    timestamp: str


@dataclass
class MemoryBackend:
    """A wiki held in a dict. ``codec`` decides the page format (wikitext by default)."""

    codec: PageCodec
    spaces: set[str] = field(default_factory=set)
    name: str = "memory"
    max_batch: int = 50
    home_kind: str = "home"
    can_create_spaces: bool = False
    roles: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = field(default_factory=dict)
    frozen: set[str] = field(default_factory=set)  # spaces members can no longer edit
    stats: RequestStats = field(default_factory=RequestStats)
    minor_writes: int = 0  # updates flagged minor (no notification to watchers)
    _pages: dict[PageRef, _Page] = field(default_factory=dict)
    _log: list[Change] = field(default_factory=list)
    _edits: list[Contribution] = field(default_factory=list)  # people's edits, for history
    faults: list[Fault] = field(default_factory=list)
    refreshed: list[tuple[PageRef, ...]] = field(default_factory=list)  # refresh_links calls
    _revision: int = 0
    _ticks: int = 0

    # --- fault injection --------------------------------------------------------------------

    def fail_next(self, operation: str, error: Exception, *, times: int | None = 1,
                  landed: bool = False, space: str | None = None) -> Fault:
        """The next ``times`` calls of ``operation`` (a WikiBackend method) raise ``error``.
        Raises ValueError for an unknown operation or ``landed`` on a read."""
        if operation not in OPERATIONS:
            raise ValueError(f"no operation {operation!r}; one of {', '.join(OPERATIONS)}")
        if landed and operation not in WRITES:
            raise ValueError(f"{operation} is not a write: nothing can land")
        fault = Fault(operation, error, times, landed, space)
        self.faults.append(fault)
        return fault

    def clear_faults(self) -> None:
        self.faults.clear()

    def _trip(self, operation: str, spaces: Iterable[str]) -> Fault | None:
        """The fault this call meets (counted), if any."""
        wanted = list(spaces)
        for fault in self.faults:
            if fault.hits(operation, wanted):
                if fault.times is not None:
                    fault.times -= 1
                self.faults = [f for f in self.faults if f.times != 0]
                return fault
        return None

    def _fail(self, operation: str, spaces: Iterable[str]) -> None:
        """A read: raise the fault it meets, if any."""
        fault = self._trip(operation, spaces)
        if fault is not None:
            raise fault.error.with_traceback(None)

    def _write(self, operation: str, spaces: Iterable[str], apply: Callable[[], _T]) -> _T:
        """A write: a fault raises before it, or after it when the fault says it landed."""
        fault = self._trip(operation, spaces)
        if fault is not None and not fault.landed:
            raise fault.error.with_traceback(None)
        result = apply()
        if fault is not None:
            raise fault.error.with_traceback(None)
        return result

    # --- the WikiBackend protocol -----------------------------------------------------------

    def check_space(self, spec: SpaceSpec) -> SpaceInfo:
        self._fail("check_space", [spec.space])
        if _name(spec.space) not in {_name(space) for space in self.spaces}:
            raise SpaceMissing(backend=self.name, space=spec.space,
                               remedy="Create it with MemoryBackend.spaces.add().")
        return SpaceInfo(space=spec.space, space_id=spec.space)

    def create_space(self, spec: SpaceSpec) -> SpaceInfo:
        if not self.can_create_spaces:
            return self.check_space(spec)
        self.stats.writes += 1
        self._write("create_space", [spec.space], lambda: self.spaces.add(spec.space))
        return SpaceInfo(space=spec.space, space_id=spec.space)

    def grant_roles(self, space: SpaceInfo, *, admins: Sequence[str],
                    editors: Sequence[str]) -> tuple[str, ...]:
        def grant() -> None:
            self.roles[space.space] = (tuple(admins), tuple(editors))
        self._write("grant_roles", [space.space], grant)
        return ()

    def ensure_labels(self, wanted: Mapping[PageRef, Sequence[str]]) -> list[str]:
        """Pages here have no labels (like MediaWiki's)."""
        return []

    def refresh_links(self, refs: Sequence[PageRef]) -> None:
        """Links here are always current; the calls are noted (``refreshed``) so that
        tests see what a MediaWiki would be asked to purge."""
        self.refreshed.append(tuple(refs))

    def freeze_space(self, spec: SpaceSpec, *, frozen: bool) -> str:
        """Members' edits of the space's pages are refused while it is frozen (the
        backend's own writes still land, as a sysop's do on MediaWiki)."""
        def apply() -> str:
            (self.frozen.add if frozen else self.frozen.discard)(_name(spec.space))
            pages = sum(1 for ref in self._pages if ref.space == _name(spec.space))
            return f"{pages} pages {'frozen' if frozen else 'reopened'}"
        self.stats.writes += 1
        return self._write("freeze_space", [spec.space], apply)

    def read_pages(self, refs: Sequence[PageRef]) -> dict[PageRef, RemotePage]:
        unique = list(dict.fromkeys(refs))
        self.stats.reads += -(-len(unique) // self.max_batch)
        self._fail("read_pages", [ref.space for ref in unique])  # one batch: all or nothing
        return {ref: replace(self._remote(ref), ref=ref) for ref in unique
                if _key(ref) in self._pages}

    def changes_since(self, spaces: Sequence[str], since: str | None) -> ChangeFeed:
        self.stats.feeds += 1
        self._fail("changes_since", spaces)
        wanted = {_name(space) for space in spaces}
        changes = tuple(change for change in self._log if _name(change.ref.space) in wanted
                        and (since is None or change.timestamp >= since))
        known = {_name(space) for space in self.spaces}
        missing = tuple(space for space in spaces if _name(space) not in known)
        return ChangeFeed(changes=changes, signpost=self.now(), missing=missing)

    def contributions(self, spaces: Sequence[str], since: str) -> tuple[Contribution, ...]:
        """People's edits (``edit``), never the backend's own writes."""
        self.stats.feeds += 1
        self._fail("contributions", spaces)
        wanted = {_name(space) for space in spaces}
        return tuple(c for c in self._edits
                     if _name(c.ref.space) in wanted and c.timestamp >= since)

    def create_page(self, ref: PageRef, content: str, *, summary: str,
                    parent: PageRef | None = None, home: bool = False,
                    labels: Sequence[str] = ()) -> WrittenPage:
        self.stats.writes += 1
        return self._write("create_page", [ref.space], lambda: self._create(ref, content))

    def update_page(self, base: RemotePage, content: str, *, summary: str,
                    minor: bool = False) -> WrittenPage:
        self.stats.writes += 1
        if minor:
            self.minor_writes += 1
        return self._write("update_page", [base.ref.space], lambda: self._update(base, content))

    # --- what members and admins do on the wiki --------------------------------------------

    def edit(self, ref: PageRef, content: str, user: str = "Member") -> RemotePage:
        """A member (``user``) saves the page (creating it if needed); no conflict check.
        PermissionDenied when the space is frozen."""
        if _name(ref.space) in self.frozen:
            raise PermissionDenied("the page is protected", backend=self.name, page=str(ref))
        action: ChangeAction = "edit" if _key(ref) in self._pages else "create"
        if _key(ref) in self._pages and self._pages[_key(ref)].content == content:
            return self._remote(ref)
        written = self._save(ref, content, action)
        self._edits.append(Contribution(ref, user, self._pages[_key(ref)].timestamp,
                                        revision=written.revision))
        return self._remote(ref)

    def advance(self, seconds: int) -> None:
        """Let time pass on the wiki's clock (to spread edits over days in tests)."""
        self._ticks += seconds

    def move(self, ref: PageRef, target: PageRef) -> None:
        page = self._pages.pop(_key(ref))
        self._pages[_key(target)] = page
        self._log.append(Change(ref, "move", self._tick(), page.page_id,
                                str(page.revision), target=target))

    def delete(self, ref: PageRef) -> None:
        page = self._pages.pop(_key(ref))
        self._log.append(Change(ref, "delete", self._tick(), page.page_id))

    def page(self, ref: PageRef) -> RemotePage | None:
        """Peek without counting a request (for assertions)."""
        return self._remote(ref) if _key(ref) in self._pages else None

    def now(self) -> str:
        return _iso(EPOCH + timedelta(seconds=self._ticks))

    # --- internals -------------------------------------------------------------------------

    def _create(self, ref: PageRef, content: str) -> WrittenPage:
        if _key(ref) in self._pages:
            raise PageExists("already exists", backend=self.name, page=str(ref))
        return self._save(ref, content, "create")

    def _update(self, base: RemotePage, content: str) -> WrittenPage:
        current = self._pages.get(_key(base.ref))
        if current is None:
            raise PageMissing("no longer exists", backend=self.name, page=str(base.ref))
        if str(current.revision) != base.revision:
            raise EditConflict(backend=self.name, page=str(base.ref),
                               base_revision=base.revision)
        if current.content == content:
            return WrittenPage(base.ref, current.page_id, base.revision, changed=False)
        return self._save(base.ref, content, "edit")

    def _save(self, ref: PageRef, content: str, action: ChangeAction) -> WrittenPage:
        self._revision += 1
        timestamp = self._tick()
        key = _key(ref)
        page_id = self._pages[key].page_id if key in self._pages else f"m{self._revision}"
        self._pages[key] = _Page(page_id, self._revision, content, timestamp)
        self._log.append(Change(ref, action, timestamp, page_id, str(self._revision)))
        return WrittenPage(ref, page_id, str(self._revision), changed=True)

    def _remote(self, ref: PageRef) -> RemotePage:
        page = self._pages[_key(ref)]
        return RemotePage(ref, page.page_id, str(page.revision), page.content, page.timestamp)

    def _tick(self) -> str:
        self._ticks += 1
        return _iso(EPOCH + timedelta(seconds=self._ticks))


def _name(text: str) -> str:
    """Like MediaWiki: spaces and underscores are the same character in names."""
    return " ".join(text.replace("_", " ").split())


def _key(ref: PageRef) -> PageRef:
    return PageRef(_name(ref.space), _name(ref.title))


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
