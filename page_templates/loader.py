"""Load and validate the page kind definitions (``kinds/*.toml``).

Errors name the file and the field, and are raised before anything is written anywhere.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import tomli  # the compiled tomllib: see pyproject.toml
from msgspec.structs import replace

from page_templates.errors import TemplateDefinitionError

from .model import (
    FIELD_TYPES,
    OWNERS,
    Choice,
    FieldDef,
    PageKind,
    Section,
    TemplateSet,
    UiTexts,
)
from .ui import ui_texts

SHIPPED_DIR = Path(__file__).parent / "kinds"
PAGE_ORDER = ("home", "charter", "members", "watch", "references", "regulation", "competition")


@cache
def shipped() -> TemplateSet:
    """The definitions shipped with cop-connector (cached: they never change at run time)."""
    return replace(load_directory(SHIPPED_DIR), source="shipped")


@cache
def _shipped_raw() -> dict[str, dict[str, Any]]:
    return {path.stem: read_toml(path) for path in sorted(SHIPPED_DIR.glob("*.toml"))}


def shipped_raw() -> dict[str, dict[str, Any]]:
    """The shipped definitions as decoded TOML, kind -> table (a fresh copy: the company
    overrides are merged into it)."""
    return copy.deepcopy(_shipped_raw())


def load_directory(directory: Path, ui: UiTexts | None = None) -> TemplateSet:
    """Every ``*.toml`` of ``directory`` (complete definitions), validated, in page order;
    each kind carries ``ui`` (the shipped UI sentences when None)."""
    kinds = [load_file(path) for path in sorted(directory.glob("*.toml"))]
    return build_set(kinds, ui if ui is not None else ui_texts(), source=str(directory))


def build_set(kinds: list[PageKind], ui: UiTexts, *, source: str,
              languages: tuple[str, ...] | None = None) -> TemplateSet:
    """The kinds in page order, each with ``ui``; every kind of PAGE_ORDER is required."""
    missing = [k for k in PAGE_ORDER if k not in {p.kind for p in kinds}]
    if missing:
        raise TemplateDefinitionError(f"no definition for {', '.join(missing)}", path=source)
    rank = {kind: i for i, kind in enumerate(PAGE_ORDER)}
    ordered = sorted((replace(k, ui=ui) for k in kinds),
                     key=lambda k: (rank.get(k.kind, len(rank)), k.kind))
    ordered = resolve_parts(ordered, source)
    if languages is None:
        return TemplateSet(tuple(ordered), source=source)
    return TemplateSet(tuple(ordered), languages=languages, source=source)


def read_toml(path: Path) -> dict[str, Any]:
    """A TOML file's table; TemplateDefinitionError naming the file when unreadable."""
    try:
        return tomli.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomli.TOMLDecodeError) as error:
        raise TemplateDefinitionError(str(error), path=str(path)) from error


def load_file(path: Path) -> PageKind:
    return parse_kind(read_toml(path), str(path))


def parse_kind(data: Mapping[str, Any], path: str) -> PageKind:
    """Build a PageKind from decoded TOML, checking everything a renderer relies on."""
    fields = tuple(_parse_field(raw, path) for raw in data.get("fields", []))
    _check_unique([f.name for f in fields], "field", path)
    sections = tuple(_parse_section(raw, path) for raw in data.get("sections", []))
    _check_unique([s.id for s in sections], "section", path)
    kind = PageKind(
        kind=_required_str(data, "kind", path),
        version=_version(data, path),
        title=_texts(data, "title", path, required=True),
        sections=sections,
        fields=fields,
        row_template=data.get("row_template"),
        keys=tuple(tuple(alternative) for alternative in data.get("keys", [])),
        row_label=_texts(data, "row_label", path),
        single=bool(data.get("single", False)),
        two_way=bool(data.get("two_way", False)),
        company_version=int(data.get("company_version", 0)),
        per=_per(data, path),
    )
    _check_rows(kind, path)
    return kind


PER = ("", "seminar")  # one page per community, or one per seminar


def _per(data: Mapping[str, Any], path: str) -> str:
    value = data.get("per", "")
    if value not in PER:
        raise TemplateDefinitionError(f"per is \"seminar\" or absent, not {value!r}",
                                      path=path, field="per")
    return str(value)


def resolve_parts(kinds: list[PageKind], source: str) -> list[PageKind]:
    """Kinds whose sections place other kinds' rows (``part``) get those kinds as
    ``parts``; the placed kinds get ``host`` (they have no page of their own) and
    ``rows_title``, the title of the host's section their rows stand under. A part must
    be a list kind, placed by one kind only, with one rows section on its host."""
    by_name = {k.kind: k for k in kinds}
    hosts: dict[str, str] = {}
    for kind in kinds:
        for name in dict.fromkeys(s.part for s in kind.sections if s.part):
            part = by_name.get(name)
            if part is None or not part.has_rows or part.single or part.two_way:
                raise TemplateDefinitionError(
                    f"part {name!r} is not a list kind of this set", path=source, field=name)
            if name in hosts or part.parts:
                raise TemplateDefinitionError("a kind's rows are placed on one page only",
                                              path=source, field=name)
            if sum(s.rows for s in kind.sections if s.part == name) != 1:
                raise TemplateDefinitionError(
                    f"exactly one section of {kind.kind!r} holds the rows of {name!r}",
                    path=source, field=name)
            hosts[name] = kind.kind
    titles = {s.part: s.title for k in kinds for s in k.sections if s.part and s.rows}
    resolved = [replace(k, host=hosts.get(k.kind, ""), rows_title=titles.get(k.kind, {}))
                for k in kinds]
    placed = {k.kind: k for k in resolved}
    return [replace(k, parts=tuple(placed[n] for n in dict.fromkeys(
        s.part for s in k.sections if s.part))) for k in resolved]


def _parse_field(raw: Mapping[str, Any], path: str) -> FieldDef:
    name = _required_str(raw, "name", path)
    if not name.isidentifier() or not name.islower():
        raise TemplateDefinitionError("field names are lower-case identifiers",
                                      path=path, field=name)
    field_type = raw.get("type", "text")
    if field_type not in FIELD_TYPES:
        raise TemplateDefinitionError(
            f"unknown field type {field_type!r} (one of {', '.join(FIELD_TYPES)})",
            path=path, field=name)
    owner = raw.get("owner", "wiki")
    if owner not in OWNERS:
        raise TemplateDefinitionError(f"owner must be one of {OWNERS}", path=path, field=name)
    choices = tuple(_parse_choice(c, path, name) for c in raw.get("choices", []))
    if (field_type == "choice") != bool(choices):
        raise TemplateDefinitionError("choices go with type = \"choice\" and only with it",
                                      path=path, field=name)
    return FieldDef(
        name=name, type=field_type, owner=owner, choices=choices,
        label=_texts(raw, "label", path, required=True, field=name),
        help=_texts(raw, "help", path, field=name),
        required=bool(raw.get("required", False)),
        default=str(raw.get("default", "")),
        aliases=tuple(str(alias) for alias in raw.get("aliases", [])),
    )


def _parse_choice(raw: Mapping[str, Any], path: str, field: str) -> Choice:
    """A choice: its value, its labels by language, other spellings, and who may set it
    (``owner = "records"``: only by command, like the member roles pilot and expert)."""
    owner = raw.get("owner", "wiki")
    if owner not in OWNERS:
        raise TemplateDefinitionError(f"a choice's owner must be one of {OWNERS}",
                                      path=path, field=field)
    return Choice(value=raw["value"],
                  labels={k: v for k, v in raw.items() if k not in ("value", "aliases", "owner")},
                  aliases=tuple(str(a) for a in raw.get("aliases", ())), owner=owner)


def _parse_section(raw: Mapping[str, Any], path: str) -> Section:
    paragraphs = raw.get("paragraphs", {})
    bullets = raw.get("bullets", {})
    return Section(
        id=_required_str(raw, "id", path),
        title=_texts(raw, "title", path),
        paragraphs={lang: tuple(texts) for lang, texts in paragraphs.items()},
        bullets={lang: tuple(texts) for lang, texts in bullets.items()},
        rows=bool(raw.get("rows", False)),
        help=bool(raw.get("help", False)),
        index=bool(raw.get("index", False)),
        part=str(raw.get("part", "")),
        list=str(raw.get("list", "")),
        to_review=bool(raw.get("to_review", False)),
    )


def _check_rows(kind: PageKind, path: str) -> None:
    """A kind's own rows have one section; a kind may also hold other kinds' rows (``part``:
    the seminar page's attendance, the Watch page's sources); proposed rows go under one
    ``to_review`` section of a kind with rows of its own."""
    review = [s for s in kind.sections if s.to_review]
    if len(review) > 1 or any(s.part or s.rows or s.help for s in review) or (
            review and (not kind.has_rows or kind.single)):
        raise TemplateDefinitionError("one section at most is to_review, on a list kind, "
                                      "and it holds no rows section, help or part itself",
                                      path=path, field="sections")
    if not kind.has_rows:
        if any(s.rows and not s.part for s in kind.sections):
            raise TemplateDefinitionError("a rows section of a kind without rows names the "
                                          "kind it holds (part = \"...\")", path=path,
                                          field="sections")
        return
    if kind.single and any(s.part for s in kind.sections):
        raise TemplateDefinitionError("a single block holds no other kind's rows (part)",
                                      path=path, field="sections")
    if not kind.keys:
        raise TemplateDefinitionError("a kind with rows needs keys", path=path, field="keys")
    for alternative in kind.keys:
        for name in alternative:
            if kind.field(name) is None:
                raise TemplateDefinitionError("key field is not defined", path=path, field=name)
    if sum(section.rows and not section.part for section in kind.sections) != 1:
        raise TemplateDefinitionError("exactly one section must hold the rows (rows = true)",
                                      path=path, field="sections")


def _check_unique(names: list[str], what: str, path: str) -> None:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise TemplateDefinitionError(f"duplicate {what}", path=path, field=name)
        seen.add(name)


def _texts(raw: Mapping[str, Any], key: str, path: str, *, required: bool = False,
           field: str | None = None) -> dict[str, str]:
    value = raw.get(key, {})
    if not isinstance(value, Mapping) or not all(isinstance(v, str) for v in value.values()):
        raise TemplateDefinitionError(f"{key} must be a table of language = text",
                                      path=path, field=field or key)
    if required and not value:
        raise TemplateDefinitionError(f"{key} is required", path=path, field=field or key)
    return dict(value)


def _required_str(raw: Mapping[str, Any], key: str, path: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value:
        raise TemplateDefinitionError(f"{key} is required", path=path, field=key)
    return value


def _version(raw: Mapping[str, Any], path: str) -> int:
    value = raw.get("version", 1)
    if not isinstance(value, int) or value < 1:
        raise TemplateDefinitionError("version is a positive integer", path=path,
                                      field="version")
    return value
