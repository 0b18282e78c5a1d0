"""What the rest of the code sees of a wiki: small frozen records (msgspec Structs) and
two protocols.

``WikiBackend`` moves pages (batched reads, optimistic writes, a change feed);
``PageCodec`` knows one page format (wikitext, Confluence storage): it renders a page from a
page kind, reads rows back and applies row changes without touching anything else.
Every backend passes the same contract suite (tests/contract).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Literal, Protocol

from msgspec import Struct, field

from page_templates import PageKind, TemplateSet

from .errors import RowProblem

if TYPE_CHECKING:  # (what upgrades and extraction return: loaded by the codecs that make them)
    from .extract import PageFindings
    from .regions import PageUpgrade


class PageRef(Struct, frozen=True, order=True):
    """A page by place: ``space`` is a MediaWiki namespace or a Confluence space key."""

    space: str
    title: str

    def __str__(self) -> str:
        return f"{self.space}:{self.title}" if self.space else self.title


class RemotePage(Struct, frozen=True):
    """A page as read: ``revision`` is the MediaWiki revid / Confluence version number.
    ``unreadable`` says why ``content`` cannot be trusted ("" when it can: a Confluence live
    doc answers an empty body although it has content): such a page is reported, never
    read as empty."""

    ref: PageRef
    page_id: str
    revision: str
    content: str
    timestamp: str = ""
    unreadable: str = ""


class WrittenPage(Struct, frozen=True):
    """The outcome of a write: the new revision (unchanged when the wiki saw no change)."""

    ref: PageRef
    page_id: str
    revision: str
    changed: bool


ChangeAction = Literal["edit", "create", "move", "delete", "restore"]


class Change(Struct, frozen=True):
    """One entry of the change feed. For a move, ``target`` is where the page went."""

    ref: PageRef
    action: ChangeAction
    timestamp: str
    page_id: str = ""
    revision: str = ""
    target: PageRef | None = None


class ChangeFeed(Struct, frozen=True):
    """Changes in the asked spaces, and the server's time when it answered (the signpost).
    ``missing``: asked spaces the wiki does not have (a MediaWiki namespace taken out of
    LocalSettings.php): their pages cannot be read, and must not be taken for deleted."""

    changes: tuple[Change, ...]
    signpost: str
    missing: tuple[str, ...] = ()


class Contribution(Struct, frozen=True):
    """A person's edit (or creation) of a page, from the wiki's own history: ``user`` is
    the MediaWiki user name or the Confluence account id (Cloud) / user key (Data Center),
    ``name`` a display name where the wiki gives one, ``timestamp`` ISO 8601 UTC."""

    ref: PageRef
    user: str
    timestamp: str
    name: str = ""
    revision: str = ""


class SpaceSpec(Struct, frozen=True):
    """What a backend needs to find or create a community's space."""

    slug: str
    name: str
    space: str  # namespace name (MediaWiki) or space key (Confluence)
    lang: str
    namespace_id: int | None = None


class SpaceInfo(Struct, frozen=True):
    space: str
    space_id: str
    home: PageRef | None = None


class PageContext(Struct, frozen=True):
    """What a page needs besides its rows: placeholders, links to the sibling pages, and
    the lists a section shows (``Section.list``: a seminar's days, its workshops), as plain
    text items escaped like member text."""

    lang: str
    space: str
    values: Mapping[str, str]  # {name}, {theme}, ... in prose
    pages: Mapping[str, PageRef]  # page key -> page, for the home page index and links
    lists: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


PartRows = Mapping[str, Sequence[Mapping[str, str]]]  # part kind -> its rows


class RawRow(Struct, frozen=True):
    """A row as found on a page, before validation: field values as plain text."""

    index: int  # 1-based among the page's rows
    line: int | None
    values: Mapping[str, str]
    unknown: tuple[str, ...] = ()  # parameters the kind does not define (typos?)
    # the values of the ``unknown`` parameters, as plain text (a typo's value is not lost)
    extra: Mapping[str, str] = field(default_factory=dict)


class ParsedPage(Struct, frozen=True):
    """Rows found on a page, and the problems of the rows that cannot be read.

    ``partial``: what could be read of the rows that have problems (their readable fields,
    under the same index), so that the sync can still tell such a row's key when the
    trouble is in another field."""

    rows: tuple[RawRow, ...]
    problems: tuple[RowProblem, ...] = ()
    partial: tuple[RawRow, ...] = ()


class OtherRows(Struct, frozen=True):
    """The row template of another kind, which a page may hold by mistake (a watch item
    pasted on the References page): that kind, and the title of the page it belongs on."""

    kind: str
    page: str


class PageNotice(Struct, frozen=True):
    """The short notice on top of a page whose rows have problems: plain text in the
    community's language (each codec escapes and lays it out). ``items`` empty: no notice.
    ``titles`` are every title a notice of cop-connector may carry (each language, company
    texts), by which a codec that has no other mark finds it (Confluence)."""

    title: str
    items: tuple[str, ...] = ()
    footer: str = ""
    titles: frozenset[str] = frozenset()


RowOp = Literal["add", "update", "remove"]


class RowChange(Struct, frozen=True):
    """A change to apply to one row of a page. ``values`` holds only the changed fields
    for an update, every field for an add, nothing for a remove. ``section``, for an add:
    the id of the section the new row goes under (the kind's ``to_review`` section: the
    rows the watch sources propose), after the rows already there; "" (or a section the
    page no longer has) puts it with the kind's other rows."""

    op: RowOp
    key: str
    values: Mapping[str, str] = field(default_factory=dict)
    section: str = ""


class PageCodec(Protocol):
    """One page format. Values are escaped here and only here."""

    format: str

    def render_page(self, kind: PageKind, context: PageContext,
                    rows: Sequence[Mapping[str, str]], parts: PartRows | None = None) -> str:
        """A new page of ``kind`` holding ``rows`` (canonical values); a page holding other
        kinds' rows (``kind.parts``) holds ``parts[part]`` in each part's section. Rows of
        a part are read and changed with the part's kind (``parse_rows(content, part,
        ...)``), exactly like a kind's own rows."""
        ...

    def parse_rows(self, content: str, kind: PageKind, page: str,
                   others: Mapping[str, OtherRows] | None = None) -> ParsedPage:
        """The rows of ``kind`` on a page; never raises on member input. ``others``: the
        row templates of the other kinds (name -> kind), reported where a page holds one
        (or a near-miss of a row template's name) by the formats that have such calls."""
        ...

    def apply_changes(self, content: str, kind: PageKind, changes: Sequence[RowChange],
                      lang: str) -> str:
        """``content`` with the changes applied; everything else left byte for byte."""
        ...

    def support_pages(self, templates: TemplateSet,
                      space_languages: Mapping[str, str] | None = None
                      ) -> list[tuple[PageRef, str]]:
        """Pages the format needs besides the spaces (MediaWiki: the row templates, whose
        texts follow ``space_languages``: each community's space -> its language)."""
        ...

    def place_notice(self, content: str, notice: PageNotice) -> str:
        """``content`` with ``notice`` on top (none when it has no items), any other notice
        of cop-connector's taken off; ``content`` itself (the same string) when it already
        is so. The notice is escaped: it reads as text, never as a row, template or macro.
        Never raises on member input (a page that cannot be parsed is returned as is)."""
        ...

    def page_regions(self, kind: PageKind, context: PageContext) -> dict[str, str]:
        """Region id -> its text as ``render_page`` writes it: the managed regions' first
        merge base, which the records keep (see connector/regions.py)."""
        ...

    def upgrade_page(self, content: str, kind: PageKind, context: PageContext,
                     base: Mapping[str, str] | None = None, legacy: PageKind | None = None,
                     *, restore: bool = False) -> PageUpgrade:
        """``content`` with the template's managed regions brought to ``kind`` (rows and
        members' text byte for byte): ``base`` is what was last written in each region
        (None: not known), ``legacy`` the kind as earlier versions rendered it, ``restore``
        adds back sections members deleted (see connector/regions.py). Markers of earlier
        versions are taken off. Never raises on member input."""
        ...

    def remove_markers(self, content: str, kind: PageKind, context: PageContext,
                       legacy: PageKind | None = None) -> PageUpgrade:
        """``content`` without the markers earlier versions wrote (nothing else changed),
        and the merge base they give. Never raises on member input."""
        ...

    def extract_page(self, content: str, kind: PageKind, context: PageContext,
                     base: Mapping[str, str] | None = None,
                     legacy: PageKind | None = None) -> PageFindings:
        """What members added to the page that a template could hold: fields (unknown row
        parameters or columns), sections (headings and their prose), edited sections; not
        the rows (see connector/extract.py). Never raises on member input."""
        ...


class WikiBackend(Protocol):
    """Moves pages. Raises connector.errors.BackendError subclasses, never library errors."""

    name: str
    codec: PageCodec
    max_batch: int  # titles per batched read
    home_kind: str  # the kind whose page is the space's home ("home"; Confluence: "charter")
    can_create_spaces: bool  # Confluence creates spaces; MediaWiki namespaces need an admin

    def check_space(self, spec: SpaceSpec) -> SpaceInfo:
        """The space, or SpaceMissing saying what to do. Makes no change."""
        ...

    def create_space(self, spec: SpaceSpec) -> SpaceInfo:
        """Create the space (SpaceMissing with the remedy where the API cannot)."""
        ...

    def read_pages(self, refs: Sequence[PageRef]) -> dict[PageRef, RemotePage]:
        """Current pages, batched (``max_batch`` per request); missing pages are absent."""
        ...

    def changes_since(self, spaces: Sequence[str], since: str | None) -> ChangeFeed:
        """Edits, creations, moves and deletions in ``spaces`` at or after ``since``."""
        ...

    def contributions(self, spaces: Sequence[str], since: str) -> tuple[Contribution, ...]:
        """People's edits and creations of pages in ``spaces`` at or after ``since``,
        oldest first; the connector's own writes (and other bots') are left out. How far
        back a wiki remembers is its own limit (MediaWiki: ``$wgRCMaxAge``, 90 days by
        default); Confluence tells the last edit of each page changed since then."""
        ...

    def create_page(self, ref: PageRef, content: str, *, summary: str,
                    parent: PageRef | None = None, home: bool = False,
                    labels: Sequence[str] = ()) -> WrittenPage:
        """Create only: PageExists if someone created it meanwhile. ``home``: the page
        becomes the space's home page; ``parent`` and ``labels`` where the wiki has them."""
        ...

    def update_page(self, base: RemotePage, content: str, *, summary: str,
                    minor: bool = False) -> WrittenPage:
        """Write over ``base.revision`` only: EditConflict if the page moved on. ``minor``:
        a minor edit, which the wiki does not notify watchers of where it can (MediaWiki;
        Confluence Data Center; Confluence Cloud's API has no such flag)."""
        ...

    def grant_roles(self, space: SpaceInfo, *, admins: Sequence[str],
                    editors: Sequence[str]) -> tuple[str, ...]:
        """Give people (by e-mail) rights on the space where the wiki manages them per
        space (Confluence); idempotent, writes nothing when already granted. Returns the
        people who could not be given their rights (no account known for them)."""
        ...

    def ensure_labels(self, wanted: Mapping[PageRef, Sequence[str]]) -> list[str]:
        """Add the labels ``wanted`` pages lack (Confluence: as last read; MediaWiki has
        none); writes nothing when every page has its labels. Returns notes for the user
        (what was added, labels a failed write left out)."""
        ...

    def refresh_links(self, refs: Sequence[PageRef]) -> None:
        """Make ``refs`` show their links as they are now, where the wiki defers it
        (MediaWiki: a page written before the pages it links to shows red links until its
        job queue runs; one batched purge fixes it). Sends nothing for no page; Confluence
        has nothing to do."""
        ...

    def freeze_space(self, spec: SpaceSpec, *, frozen: bool) -> str:
        """Freeze the space (``frozen``: members can no longer change it; nothing is
        deleted) or reopen it; idempotent. Returns what was done, in a few words, for the
        user (MediaWiki: "12 pages protected"; Confluence: "space archived"). Raises
        BackendError subclasses (PermissionDenied when the account may not)."""
        ...
