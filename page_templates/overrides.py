"""The effective template set: the shipped definitions with a company's override directory.

The directory (``[templates] dir`` in cop.toml) holds ``<kind>.toml`` files (charter,
members, watch, references, regulation, competition, home), each changing one shipped kind
(rules in override_merge), and ``ui.toml`` changing UI sentences per key and language. Any
other ``*.toml`` is refused (a misspelt file name must not be ignored); other files (a
README) are left alone. Languages used in the files are offered too, once complete.

Everything is validated on load, before any command writes anything: errors are
TemplateDefinitionError naming the file and the field.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from page_templates.errors import TemplateDefinitionError

from .languages import check_languages, languages_in, ui_languages
from .loader import SHIPPED_DIR, build_set, parse_kind, read_toml, shipped, shipped_raw
from .model import CHARTER_VALUES, LANGUAGES, PAGE_VALUES, PageKind, TemplateSet
from .override_merge import check_lang, merge_kind, merge_texts
from .ui import UI_FILE, placeholders, ui_texts

UI_STEM = "ui"


def load_templates(directory: Path | None) -> TemplateSet:
    """The shipped set when ``directory`` is None, else the shipped set with the override
    directory applied, validated. Raises TemplateDefinitionError."""
    if directory is None:
        return shipped()
    if not directory.is_dir():
        raise TemplateDefinitionError("no such directory (see [templates] dir in cop.toml)",
                                      path=str(directory))
    raw = shipped_raw()
    # Where a text is missing: the company's file, even one it has not written yet (the
    # shipped files are not theirs to edit).
    files: dict[str, Path] = {kind: directory / f"{kind}.toml" for kind in raw}
    files[UI_STEM] = directory / UI_FILE.name
    ui: dict[str, dict[str, str]] = copy.deepcopy({k: dict(v) for k, v in ui_texts().items()})
    languages = set(LANGUAGES)
    for path in sorted(directory.glob("*.toml")):
        data = read_toml(path)
        if path.stem == UI_STEM:
            ui = merge_ui(ui, data, str(path))
            languages |= ui_languages(data)
        elif path.stem in raw:
            raw[path.stem] = merge_kind(raw[path.stem], data, str(path))
            languages |= languages_in(data)
        else:
            expected = ", ".join(f"{name}.toml" for name in [*raw, UI_STEM])
            raise TemplateDefinitionError(f"unknown file (expected one of: {expected})",
                                          path=str(path))
        files[path.stem] = path
    kinds = [parse_kind(data, str(files[kind] if files[kind].exists()
                                  else SHIPPED_DIR / f"{kind}.toml"))
             for kind, data in raw.items()]
    check_prose_placeholders(kinds, files)
    offered = (*LANGUAGES, *sorted(languages - set(LANGUAGES)))
    check_languages(kinds, ui, offered, files)
    return build_set(kinds, ui, source=str(directory), languages=offered)


def merge_ui(ui: Mapping[str, Mapping[str, str]], data: Mapping[str, Any],
             path: str) -> dict[str, dict[str, str]]:
    """UI sentences with ``data`` (key -> {lang: text}) merged per key and language.

    An unknown key, or a placeholder the sentence does not have, is refused."""
    def error(message: str, field: str | None = None) -> TemplateDefinitionError:
        return TemplateDefinitionError(message, path=path, field=field)

    merged = {key: dict(texts) for key, texts in ui.items()}
    for key, texts in data.items():
        if key not in merged:
            raise error(f"unknown UI sentence (expected one of: {', '.join(sorted(merged))})",
                        key)
        merged[key] = merge_texts(merged[key], texts, error, key)
        allowed = set().union(*(placeholders(text) for text in ui_texts()[key].values()))
        for lang, text in texts.items():
            check_lang(lang, error, key)
            unknown = placeholders(text) - allowed
            if unknown:
                shown = ", ".join(f"{{{name}}}" for name in sorted(allowed)) or "none"
                raise error(f"unknown placeholder {{{sorted(unknown)[0]}}} in {lang!r} "
                            f"(this sentence has: {shown})", key)
    return merged


def check_prose_placeholders(kinds: list[PageKind], files: Mapping[str, Path]) -> None:
    """Section prose may only use the charter's values as placeholders: anything else
    would be published as is (``{nosuch}`` on every page)."""
    for kind in kinds:
        names = (*CHARTER_VALUES, *PAGE_VALUES.get(kind.kind, ()))
        allowed = ", ".join(f"{{{name}}}" for name in names)
        for section in kind.sections:
            for texts in (section.paragraphs, section.bullets):
                for lang, lines in texts.items():
                    unknown = set().union(*map(placeholders, lines)) - set(names)
                    if unknown:
                        raise TemplateDefinitionError(
                            f"unknown placeholder {{{sorted(unknown)[0]}}} in {lang!r} "
                            f"(section prose may use: {allowed})",
                            path=str(files[kind.kind]), field=f"sections.{section.id}")
