"""Which languages a template set offers: those every one of its texts exists in.

A page is rendered in one language and must be entirely in it (titles, labels, help, prose,
UI sentences), so a language is only offered when nothing would fall back to another: a
company override that adds a language must translate everything, and one that adds a field
or a section gives its texts in every language of the set. ``check_languages`` names the
first gap, with the file to fix.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from page_templates.errors import TemplateDefinitionError

from .model import PageKind, UiTexts


def languages_in(data: Any) -> set[str]:
    """Language codes used as text keys anywhere in a decoded override file."""
    found: set[str] = set()
    if isinstance(data, Mapping):
        for key, value in data.items():
            if key in _TEXT_KEYS and isinstance(value, Mapping):
                found |= set(value)
            elif key == "choices" and isinstance(value, list):
                found |= {k for c in value if isinstance(c, Mapping) for k in c
                          if k not in ("value", "aliases")}
            else:
                found |= languages_in(value)
    elif isinstance(data, list):
        for item in data:
            found |= languages_in(item)
    return found


_TEXT_KEYS = {"title", "row_label", "label", "help", "paragraphs", "bullets"}


def ui_languages(data: Mapping[str, Any]) -> set[str]:
    """Language codes of a decoded ui.toml."""
    return {lang for texts in data.values() if isinstance(texts, Mapping) for lang in texts}


def check_languages(kinds: list[PageKind], ui: UiTexts, languages: tuple[str, ...],
                    files: Mapping[str, Path]) -> None:
    """Raise TemplateDefinitionError for the first text missing in one of ``languages``;
    ``files`` maps a kind (and "ui") to the file where the text should go."""
    for lang in languages:
        for kind in kinds:
            for field, texts in _kind_texts(kind):
                if not texts.get(lang):
                    raise _gap(lang, languages, str(files[kind.kind]), field)
        for key, texts in ui.items():
            if not texts.get(lang):
                raise _gap(lang, languages, str(files["ui"]), key)


def _gap(lang: str, languages: tuple[str, ...], path: str,
         field: str) -> TemplateDefinitionError:
    where = "" if Path(path).exists() else (
        " (this file is not in your templates directory yet: create it with the texts)")
    return TemplateDefinitionError(
        f"no {lang!r} text: every text needs each language the templates offer "
        f"({', '.join(languages)}){where}", path=path, field=field)


def _kind_texts(kind: PageKind) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """(where, {lang: text}) for every text of a kind that must exist in each language."""
    yield "title", kind.title
    if kind.has_rows:
        yield "row_label", kind.row_label
    for field in kind.fields:
        yield field.name, field.label
        if field.help:
            yield field.name, field.help
        for choice in field.choices:
            yield field.name, choice.labels
    for section in kind.sections:
        for texts in (section.title, section.paragraphs, section.bullets):
            if texts:
                yield f"sections.{section.id}", texts
