"""``cop template extract SLUG --to DIR``: a community's pages as a company template set.

The pilot community shows what works: fields its members added (row-template parameters
on MediaWiki, table columns on Confluence), sections they added (a heading and its prose)
and template sections they rewrote. This module reads its pages (one batched read), asks
the codec what each holds beyond the template (connector/extract.py) and writes an override
directory in the format of page_templates/overrides.py -- on top of the company's current
override directory, when there is one, so nothing already decided is lost.

What is written:
* a new field: its name (the parameter, or made from the column header), a type guessed
  from the values seen (date, url, email, longtext, else text), its label in every language
  of the set (the same text: translate the copies), placed after the kind's last field;
* a new section: its title and prose in every language, ``after`` the section it follows;
* an edited section: its new text in the community's language (and copied into the
  languages where the template had no such text, since every text needs each language);
* the community's name and theme in prose become the ``{name}`` and ``{theme}``
  placeholders; each kind file that changes gets its ``version`` bumped.

Rows are never extracted. The files are loaded back as templates before they are moved
into the directory, so an invalid set is never left there; TOML is written with tomli-w.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import tomli_w
from msgspec import Struct, field

from connector.base import PageRef, WikiBackend
from connector.errors import TemplateDefinitionError, UsageError
from connector.extract import FoundField, FoundSection, PageFindings, identifier
from page_templates import FieldDef, PageKind, TemplateSet, load_templates, shipped
from page_templates.loader import read_toml
from page_templates.values import FieldInvalid, normalize
from sync.community.pages import current_refs, host_refs, page_context
from sync.community.seminar_pages import seminar_extras, seminar_instances
from sync.provision.plan import community_kinds, with_extras
from sync.records.model import Community
from sync.records.store import Records

GUESSED_TYPES = ("date", "url", "email")


class ExtractReport(Struct):
    """The files written and, per kind, what they hold."""

    directory: Path
    files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def extract_templates(records: Records, backend: WikiBackend, templates: TemplateSet,
                      community: Community, directory: Path,
                      base: Path | None = None) -> ExtractReport:
    """Write the override directory ``directory`` from ``community``'s pages, on top of the
    override directory ``base`` (None: the shipped templates). Raises UsageError when
    ``directory`` already holds template files, BackendError subclasses from the wiki."""
    if directory.exists() and any(directory.glob("*.toml")):
        raise UsageError(f"{directory} already holds template files: extract into a new or "
                         "empty directory")
    states = list(records.page_states(community.slug))
    all_refs = current_refs(community, community.space, templates, states,
                            seminar_instances(records, community))
    report = ExtractReport(directory)
    keys = _page_keys(community_kinds(templates, backend.home_kind), all_refs, report)
    kinds = [kind for kind in community_kinds(templates, backend.home_kind) if kind.kind in keys]
    refs = {kind: all_refs[key] for kind, key in keys.items()}
    pages = backend.read_pages(list(refs.values()))
    base_context = page_context(community, host_refs(all_refs, templates))
    extras = seminar_extras(records, community, templates)
    files = {path.stem: read_toml(path) for path in sorted(base.glob("*.toml"))} if base \
        else {}
    for kind in kinds:
        page = pages.get(refs[kind.kind])
        if page is None:
            report.notes.append(f"{kind.kind}: no page on the wiki ({refs[kind.kind]})")
            continue
        context = with_extras(base_context, extras.get(keys[kind.kind]))
        state = next((s for s in states if s.kind == keys[kind.kind]), None)
        findings = backend.codec.extract_page(page.content, kind, context,
                                              state.regions if state else None,
                                              _shipped(kind.kind))
        data = files.get(kind.kind, {})
        notes = apply_findings(data, kind, findings, community, templates.languages)
        if notes:
            data["version"] = int(data.get("version", 0)) + 1
            files[kind.kind] = data
            report.notes.append(f"{kind.kind}: " + "; ".join(notes))
    _write_checked(files, directory, report)
    return report


def _write_checked(files: Mapping[str, Mapping[str, Any]], directory: Path,
                   report: ExtractReport) -> None:
    """Write the files into a scratch directory next to ``directory``, load them back as
    templates, and only then move them in: a set that would not load is never left."""
    directory.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=directory.parent,
                                     prefix=f".{directory.name}.") as scratch:
        for stem, data in files.items():
            (Path(scratch) / f"{stem}.toml").write_text(tomli_w.dumps(data), encoding="utf-8")
        try:
            load_templates(Path(scratch))
        except TemplateDefinitionError as error:  # a bug of ours, said as one
            raise UsageError(f"the extracted templates would not load ({error}); nothing "
                             f"was written to {directory}. Please report this") from error
        directory.mkdir(parents=True, exist_ok=True)
        for stem in files:
            path = directory / f"{stem}.toml"
            shutil.move(Path(scratch) / f"{stem}.toml", path)
            report.files.append(path)


def _page_keys(kinds: list[PageKind], refs: Mapping[str, PageRef],
               report: ExtractReport) -> dict[str, str]:
    """kind -> the page key to read it from: a kind made per seminar from its latest
    seminar's page (noted and left out when there is none)."""
    found = {}
    for kind in kinds:
        if not kind.per:
            found[kind.kind] = kind.kind
            continue
        keys = sorted(k for k in refs if k.startswith(f"{kind.kind}@"))
        if keys:
            found[kind.kind] = keys[-1]
        else:
            report.notes.append(f"{kind.kind}: no page yet (no seminar)")
    return found


def _shipped(kind: str) -> PageKind | None:
    try:
        return shipped()[kind]
    except KeyError:
        return None


def apply_findings(data: dict[str, Any], kind: PageKind, findings: PageFindings,
                   community: Community, languages: tuple[str, ...]) -> list[str]:
    """Add ``findings`` to a kind's override table ``data``; what was added."""
    notes = []
    taken = set(kind.field_names) | {f.get("name", "") for f in data.get("fields", [])}
    after = kind.fields[-1].name if kind.fields else None
    for found in findings.fields:
        entry = _field(found, taken, after, languages)
        data.setdefault("fields", []).append(entry)
        after = entry["name"]
        notes.append(f"field {entry['name']!r} ({entry['type']})")
    section_ids = {s.id for s in kind.sections} | {
        s.id for s in findings.sections if s.new}
    for found in findings.sections:
        if found.new or found.id in {s.id for s in kind.sections}:
            _section(data, found, section_ids, community, languages, kind)
            notes.append(f"{'new' if found.new else 'edited'} section {found.id!r}")
    return notes


def _field(found: FoundField, taken: set[str], after: str | None,
           languages: tuple[str, ...]) -> dict[str, Any]:
    name = found.name if found.name.isidentifier() and found.name.islower() and \
        found.name not in taken else identifier(found.label, taken)
    taken.add(name)
    entry: dict[str, Any] = {"name": name, "type": guess_type(found.values),
                             "label": dict.fromkeys(languages, found.label)}
    if after is not None:
        entry["after"] = after
    return entry


def guess_type(values: tuple[str, ...]) -> str:
    """The narrowest field type every value reads as (text when none or nothing fits)."""
    for candidate in GUESSED_TYPES:
        definition = FieldDef(name="x", type=candidate, label={}, help={})
        if values and all(_reads(definition, value) for value in values):
            return candidate
    return "longtext" if any("\n" in value for value in values) else "text"


def _reads(definition: FieldDef, value: str) -> bool:
    try:
        normalize(definition, value)
    except FieldInvalid:
        return False
    return True


def _section(data: dict[str, Any], found: FoundSection, section_ids: set[str],
             community: Community, languages: tuple[str, ...], kind: PageKind) -> None:
    """A new section in every language; an edited one in the community's language, and
    copied into the languages where the template has no such text yet (every text must
    exist in each language: the copies are there to translate)."""
    entry: dict[str, Any] = next((s for s in data.get("sections", [])
                                  if s.get("id") == found.id), {"id": found.id})
    current = next((s for s in kind.sections if s.id == found.id), None)

    def langs(key: str) -> tuple[str, ...]:
        if found.new or current is None:
            return languages
        held = getattr(current, key)
        return tuple(lang for lang in languages
                     if lang == community.lang or not held.get(lang))

    if found.title:
        entry["title"] = {**entry.get("title", {}), **dict.fromkeys(
            langs("title"), placeholders(found.title, community))}
    for key, texts in (("paragraphs", found.paragraphs), ("bullets", found.bullets)):
        if texts:
            filled = [placeholders(text, community) for text in texts]
            entry[key] = {**entry.get(key, {}), **{lang: filled for lang in langs(key)}}
    if found.new and found.after in section_ids:
        entry["after"] = found.after
    if entry not in data.get("sections", []) and len(entry) > 1:
        data.setdefault("sections", []).append(entry)


def placeholders(text: str, community: Community) -> str:
    """The community's name and theme in ``text`` as ``{name}`` and ``{theme}``."""
    values: Mapping[str, str] = {"name": community.name, "theme": community.theme}
    for key, value in sorted(values.items(), key=lambda item: -len(item[1])):
        if value:
            text = text.replace(value, f"{{{key}}}")
    return text
