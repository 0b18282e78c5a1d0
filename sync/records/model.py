"""The local records as small frozen Structs (msgspec) (what the engine and the CLI pass around):
communities, rows, merge bases, conflicts, runs, and the method's themes, decisions, seminars
and workshops."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

from msgspec import Struct, field
from msgspec.structs import replace

from connector.base import PageRef, SpaceSpec
from connector.errors import RowProblem
from page_templates.model import CHARTER_VALUES

# Charter fields that live on the community record (the charter page shows them).
CHARTER_FIELDS = CHARTER_VALUES

Rows = Mapping[str, Mapping[str, str]]  # key -> field -> canonical value


class Community(Struct, frozen=True):
    """A community of practice and where its space lives."""

    slug: str
    name: str
    theme: str
    pilot: str
    expert: str
    backend: str  # "mediawiki" | "confluence"
    lang: str  # "en" | "fr"
    space: str  # MediaWiki namespace name ("CoP_Battery") or Confluence space key
    sponsor: str = ""
    status: str = "active"
    account: str = ""
    axes: str = ""
    objectives: str = ""
    scope: str = ""
    namespace_id: int | None = None
    space_id: str | None = None
    created_at: str = ""
    updated_at: str = ""
    is_pilot: bool = False  # the rollout's pilot community (the first one registered)
    theme_slug: str | None = None  # the approved theme it was created from

    @property
    def space_spec(self) -> SpaceSpec:
        """What a backend needs to find (or create) this community's space."""
        return SpaceSpec(self.slug, self.name, self.space, self.lang, self.namespace_id)

    @property
    def archived(self) -> bool:
        return self.status == "archived"

    def charter_values(self) -> dict[str, str]:
        """The charter block's values, canonical."""
        return {name: str(getattr(self, name) or "") for name in CHARTER_FIELDS}

    def with_charter(self, values: Mapping[str, str]) -> Community:
        return replace(self, **{k: v for k, v in values.items() if k in CHARTER_FIELDS
                                and k != "slug"})


class Entry(Struct, frozen=True):
    """One synced row (a member, a watch item, ...). Tombstoned rows keep their data."""

    community: str
    kind: str
    key: str
    data: Mapping[str, str]
    origin: str = "wiki"  # who created it: "wiki" or "command"
    first_seen: str = ""
    updated_at: str = ""
    deleted_at: str | None = None
    deleted_by: str | None = None

    @property
    def live(self) -> bool:
        return self.deleted_at is None


class PageState(Struct, frozen=True):
    """What cop-connector knows of one page: the merge base for the next sync.

    ``revision`` is the last revision read or written; ``base`` the rows it held (for the
    three-way merge); ``written_hash`` the hash of the content cop-connector last wrote
    (provisioning compares it, since Confluence rewrites markup on save).
    """

    community: str  # "" for pages shared by all communities (MediaWiki row templates)
    kind: str
    ref: PageRef
    page_id: str = ""
    revision: str = ""
    written_hash: str = ""
    base: Rows | None = None
    state: str = "ok"  # ok | deleted | moved
    synced_at: str = ""
    # The template version the page was made from or last upgraded to ("1.0-3fa2b1c9", see
    # page_templates.versions); "" when unknown, "1" for pages provisioned before versions.
    template_version: str = ""
    # What cop-connector last wrote in each managed region of the page (region id -> text
    # in the page's format; "" when written but no longer known): the merge base regions
    # are found and judged by (connector/regions.py). None when not known (a page written
    # by an earlier version, or adopted).
    regions: Mapping[str, str] | None = None


class Conflict(Struct, frozen=True):
    """A field changed on both sides since the last sync; both values and the base."""

    community: str
    kind: str
    key: str
    field: str
    base: str | None
    wiki: str | None
    local: str | None
    id: int | None = None
    detected_at: str = ""
    resolved_at: str | None = None
    resolution: str | None = None


class StoredProblem(Struct, frozen=True):
    """A row problem as recorded (open until the page is read again without it).

    ``code`` and ``params`` say it in any language (page_templates/problems.toml: the
    notice on the page); ``severity`` is ``"error"`` (cop-sync exits 1 while it is open)
    or ``"warning"`` (see connector.errors.RowProblem). ``detected_at`` is when it was
    first found: reading the page again and finding it again keeps that date."""

    community: str
    kind: str
    page: str
    row: int
    field: str
    message: str
    line: int | None = None
    key: str | None = None
    detected_at: str = ""
    code: str = "unreadable"
    params: Mapping[str, str] = field(default_factory=dict)
    severity: str = "error"

    def __hash__(self) -> int:  # params, a dict, is left out: equal problems agree on the rest
        return hash((self.community, self.kind, self.page, self.row, self.field, self.message,
                     self.line, self.key, self.detected_at, self.code, self.severity))

    @classmethod
    def of(cls, community: str, kind: str, problem: RowProblem, now: str) -> StoredProblem:
        """A problem found now on a page of ``kind``, as recorded."""
        return cls(community, kind, problem.page, problem.row, problem.field, problem.message,
                   problem.line, problem.key, now, problem.code, dict(problem.params),
                   problem.severity)

    @property
    def blocking(self) -> bool:
        return self.severity == "error"

    @property
    def identity(self) -> tuple[object, ...]:
        """What makes two findings the same problem (for ``detected_at``)."""
        return (self.page, self.row, self.field, self.code, self.key,
                tuple(sorted(self.params.items())))


class SyncRun(Struct, frozen=True):
    id: int
    started_at: str
    finished_at: str | None
    exit_code: int | None
    dry_run: bool
    summary: Mapping[str, object] = field(default_factory=dict)


# The watch's sources (sync/relay): their HTTP state and the entries they brought.

ENTRY_STATUSES = ("proposed", "on-page", "passed")


class SourceState(Struct, frozen=True):
    """What the relay knows of one source (a row of the Watch page, by its feed address):
    the validators its next conditional request sends (``etag``, ``last_modified``), when
    it was last asked (``checked_at``) and last answered usefully (``ok_at``), and, while
    it fails, how many times in a row, since when, and why (``error_code`` and
    ``error_params`` say it in any language; ``error`` in English). ``row`` is the
    source's row on the Watch page when the page was last read (for its problem)."""

    community: str
    url: str
    etag: str = ""
    last_modified: str = ""
    checked_at: str = ""
    ok_at: str = ""
    failures: int = 0
    failing_since: str = ""
    error_code: str = ""
    error_params: Mapping[str, str] = field(default_factory=dict)
    error: str = ""
    row: int = 0

    def __hash__(self) -> int:  # error_params, a dict, is left out (its words are error_code's)
        return hash((self.community, self.url, self.etag, self.last_modified, self.checked_at,
                     self.ok_at, self.failures, self.failing_since, self.error_code,
                     self.error, self.row))

    @property
    def failing(self) -> bool:
        return bool(self.error_code)


class SourceEntry(Struct, frozen=True):
    """An entry a source brought, remembered for ever so it is never proposed twice:
    ``status`` "proposed" (added to the Watch page under ``row_key``), "on-page" (its link
    or key was on the page already) or "passed" (over a run's cap, or older than the first
    read's newest entries)."""

    community: str
    source: str
    entry_id: str
    status: str
    link: str = ""
    title: str = ""
    row_key: str = ""
    seen_at: str = ""


# The method's records: themes, decisions, seminars, workshops.

THEME_STATUSES = ("proposed", "approved", "rejected")
LIFECYCLE = ("proposed", "pilot", "active", "archived")


class Theme(Struct, frozen=True):
    """A candidate theme from a strategic axis, and the decision makers' decision on it."""

    slug: str
    title: str
    axis: str
    portfolio: str = ""  # the innovation portfolio item it relates to (a reference)
    status: str = "proposed"  # proposed | approved | rejected
    created_at: str = ""
    decided_at: str | None = None
    decided_by: str | None = None
    note: str = ""


class Decision(Struct, frozen=True):
    """A decision on a theme (approve/reject) or a community's lifecycle change."""

    subject: str  # "theme" | "community"
    slug: str
    decision: str  # the new status
    previous: str = ""
    decided_by: str = ""
    note: str = ""
    at: str = ""
    id: int | None = None


class Seminar(Struct, frozen=True):
    """The yearly seminar: ``days`` (2 or 3) from ``start`` (YYYY-MM-DD)."""

    year: int
    title: str
    start: str
    days: int
    place: str
    created_at: str = ""

    @property
    def dates(self) -> tuple[str, ...]:
        first = date.fromisoformat(self.start)
        return tuple((first + timedelta(days=n)).isoformat() for n in range(self.days))

    @property
    def end(self) -> str:
        return self.dates[-1]


class Workshop(Struct, frozen=True):
    year: int
    community: str
    title: str
    created_at: str = ""
