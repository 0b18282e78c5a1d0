"""The page kinds as plain, frozen data: one neutral definition per kind.

Renderers (wikitext, Confluence storage) and parsers read these; nothing here knows a wiki
format. Texts are per language (``{"en": ..., "fr": ...}``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

LANGUAGES = ("en", "fr")  # the shipped languages; a company override may add others
FIELD_TYPES = ("text", "longtext", "email", "date", "url", "choice", "tags")
OWNERS = ("wiki", "records")

Texts = Mapping[str, str]
UiTexts = Mapping[str, Texts]  # UI sentence key -> {lang: text} (ui.toml)


def localize(texts: Texts, lang: str) -> str:
    """The text in ``lang``, else English, else any (a company may add only one language)."""
    return texts.get(lang) or texts.get("en") or next(iter(texts.values()), "")


@dataclass(frozen=True)
class Choice:
    """An allowed value of a choice field and its label in each language."""

    value: str
    labels: Texts


@dataclass(frozen=True)
class FieldDef:
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


@dataclass(frozen=True)
class Section:
    """A part of a page: prose (paragraphs, bullets), the rows, the help, or the page index."""

    id: str
    title: Texts = field(default_factory=dict)
    paragraphs: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    bullets: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    rows: bool = False
    help: bool = False
    index: bool = False


@dataclass(frozen=True)
class PageKind:
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

    @property
    def has_rows(self) -> bool:
        return self.row_template is not None

    def field(self, name: str) -> FieldDef | None:
        return next((f for f in self.fields if f.name == name), None)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    @property
    def wiki_owned(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.owner == "wiki")


@dataclass(frozen=True)
class TemplateSet:
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

    @property
    def row_kinds(self) -> tuple[PageKind, ...]:
        return tuple(k for k in self.kinds if k.has_rows)

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
