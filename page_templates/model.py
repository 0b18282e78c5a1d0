"""The page kinds as plain, frozen data: one neutral definition per kind.

Renderers (wikitext, Confluence storage) and parsers read these; nothing here knows a wiki
format. Texts are per language (``{"en": ..., "fr": ...}``).
"""

from __future__ import annotations

from collections.abc import Mapping

from msgspec import Struct, field

LANGUAGES = ("en", "fr")  # the shipped languages; a company override may add others
# "entries": names of other rows of the same space (their title, reference or address),
# separated by semicolons; the sync resolves them against the records (sync/engine/links.py)
FIELD_TYPES = ("text", "longtext", "email", "date", "url", "choice", "tags", "number",
               "entries")
INSTANCE_SEPARATOR = "@"  # a page key: "<kind>@<instance>" for kinds made per seminar
OWNERS = ("wiki", "records")
# The community's charter values: the records hold them (sync.records.model.Community),
# section prose may use them as {placeholders}.
CHARTER_VALUES = ("slug", "name", "theme", "axes", "pilot", "expert", "sponsor", "status",
                  "account", "objectives", "scope")
# Placeholders a kind's prose may use besides the charter values (sync.community.seminar_pages).
PAGE_VALUES = {"seminar": ("instance", "seminar_title", "seminar_place", "seminar_start",
                           "seminar_end", "seminar_year", "seminar_days")}

Texts = Mapping[str, str]
UiTexts = Mapping[str, Texts]  # UI sentence key -> {lang: text} (ui.toml)


def localize(texts: Texts, lang: str) -> str:
    """The text in ``lang``, else English, else any (a company may add only one language)."""
    return texts.get(lang) or texts.get("en") or next(iter(texts.values()), "")


class Choice(Struct, frozen=True):
    """An allowed value of a choice field and its label in each language."""

    value: str
    labels: Texts
    # Other spellings read as this value (never written): "ventes", "commercial" for sales.
    aliases: tuple[str, ...] = ()
    # "records": set by command only (the member roles pilot and expert, named on the
    # charter); a member writing it on the wiki, or changing it there, is not taken.
    owner: str = "wiki"


class FieldDef(Struct, frozen=True):
    """One field of a row: its parameter name in the row template is ``name``."""

    name: str
    type: str
    label: Texts
    help: Texts
    required: bool = False
    default: str = ""
    owner: str = "wiki"  # "records": changed by command only; a wiki edit is drift
    choices: tuple[Choice, ...] = ()
    # Former labels, still recognized where labels identify the field (Confluence column
    # headers): a renamed label keeps reading the pages that show the old one.
    aliases: tuple[str, ...] = ()


class Section(Struct, frozen=True):
    """A part of a page: prose (paragraphs, bullets), the rows, the help, or the page index.

    On a page holding other kinds' rows (the seminar page: attendance and actions; the
    Watch page: its sources), ``part`` names the row kind whose rows (``rows``) or help
    (``help``) the section shows; ``list`` names a list of the page's context
    (``PageContext.lists``: the seminar's days, the community's workshops) shown as bullets.

    ``to_review``: the rows cop-sync proposes (entries of the Watch page's sources) are
    placed under this section, after its text, until a member moves them under the rows
    section (or edits them in place) or deletes them. They are rows of the page's kind
    wherever they stand: the place only tells members what nobody has looked at yet.
    """

    id: str
    title: Texts = field(default_factory=dict)
    paragraphs: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    bullets: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    rows: bool = False
    help: bool = False
    index: bool = False
    part: str = ""
    list: str = ""
    to_review: bool = False


class PageKind(Struct, frozen=True):
    """One page of a community's space (charter, members, watch, ...)."""

    kind: str
    version: int
    title: Texts
    sections: tuple[Section, ...]
    fields: tuple[FieldDef, ...] = ()
    row_template: str | None = None  # MediaWiki template name, e.g. "CoP member"
    keys: tuple[tuple[str, ...], ...] = ()  # alternatives, first complete one wins
    row_label: Texts = field(default_factory=dict)
    single: bool = False  # one block (the charter), not a list of rows
    two_way: bool = False  # rows are also changed locally (cop member add/remove)
    company_version: int = 0  # the ``version`` of the company's override of this kind
    # The UI sentences the kind's pages are rendered with (ui.toml, merged with the
    # company's): part of the definition, so a changed sentence changes the page version.
    ui: UiTexts = field(default_factory=dict)
    # A page holding other kinds' rows: those kinds, resolved from the sections' ``part``
    # (TemplateSet building fills it). Such row kinds (``host`` names the kind whose page
    # holds them) have no page of their own.
    parts: tuple[PageKind, ...] = ()
    host: str = ""
    rows_title: Texts = field(default_factory=dict)  # a placed kind: its host section's title
    # "" : one page per community; "seminar": one page per seminar (page key "kind@year").
    per: str = ""

    @property
    def has_rows(self) -> bool:
        return self.row_template is not None

    def part(self, name: str) -> PageKind | None:
        """The row kind ``name`` placed on this kind's page, if any."""
        return next((p for p in self.parts if p.kind == name), None)

    def section_kind(self, section: Section) -> PageKind | None:
        """The kind whose rows or help ``section`` shows: its part, else this kind."""
        return self.part(section.part) if section.part else self

    def holds_rows(self, section: Section) -> bool:
        """Whether rows (this kind's or a part's) come after ``section``."""
        target = self.section_kind(section)
        return section.rows and target is not None and target.has_rows

    def row_sets(self) -> tuple[PageKind, ...]:
        """The row kinds whose rows this kind's page holds: itself (when it has rows of its
        own), then its parts."""
        return ((self,) if self.has_rows else ()) + self.parts

    @property
    def review_section(self) -> Section | None:
        """The section proposed rows are placed under (``Section.to_review``), if any."""
        return next((s for s in self.sections if s.to_review), None)

    def field(self, name: str) -> FieldDef | None:
        return next((f for f in self.fields if f.name == name), None)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def wiki_owned(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.owner == "wiki")


class TemplateSet(Struct, frozen=True):
    """All page kinds, in page order (home first); ``languages`` are those every text of
    the set exists in (what ``cop community add --lang`` accepts); ``source`` says where
    the definitions came from (for messages)."""

    kinds: tuple[PageKind, ...]
    languages: tuple[str, ...] = LANGUAGES
    source: str = "shipped"

    def __getitem__(self, kind: str) -> PageKind:
        for page_kind in self.kinds:
            if page_kind.kind == kind:
                return page_kind
        raise KeyError(kind)

    def get(self, kind: str) -> PageKind | None:
        """The kind, or None when the set has no such kind."""
        return next((k for k in self.kinds if k.kind == kind), None)

    def kind_for(self, key: str) -> PageKind:
        """The kind of a page key or row key ("members", "attendance@2026"). KeyError."""
        return self[base_kind(key)]

    @property
    def row_kinds(self) -> tuple[PageKind, ...]:
        return tuple(k for k in self.kinds if k.has_rows)

    @property
    def page_kinds(self) -> tuple[PageKind, ...]:
        """The kinds that have pages of their own (not those placed on another's page)."""
        return tuple(k for k in self.kinds if not k.host)

    def by_template(self, template_name: str) -> PageKind | None:
        wanted = normalize_template_name(template_name)
        return next((k for k in self.row_kinds
                     if normalize_template_name(k.row_template or "") == wanted), None)


def normalize_template_name(name: str) -> str:
    """MediaWiki title rules: first letter case-insensitive, '_' is ' ', no 'Template:'."""
    name = " ".join(name.replace("_", " ").split())
    if name.lower().startswith("template:"):
        name = name[len("template:"):].strip()
    return name[:1].upper() + name[1:]


def base_kind(key: str) -> str:
    """The kind of a key: "attendance@2026" -> "attendance", "members" -> "members"."""
    return key.partition(INSTANCE_SEPARATOR)[0]


def instance_key(kind: str, instance: str) -> str:
    """The key of ``kind`` on the page of ``instance`` ("" for a one-per-community page)."""
    return f"{kind}{INSTANCE_SEPARATOR}{instance}" if instance else kind


def instance_of(key: str) -> str:
    """The instance of a key ("2026" for "seminar@2026"), "" for a plain kind."""
    return key.partition(INSTANCE_SEPARATOR)[2]
