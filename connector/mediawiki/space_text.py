"""Texts of row templates in the language of the community whose page shows the row."""

from __future__ import annotations

from collections.abc import Mapping

from .escape import escape_text


def by_space(texts: Mapping[str, str], languages: tuple[str, ...],
             space_languages: Mapping[str, str] | None) -> str:
    """Wikitext showing ``texts`` (lang -> wikitext) in the language of the community whose
    page shows the row: rows carry no language, so the template tells the communities apart
    by namespace (``{{NAMESPACE}}``, spaces for underscores). Without that map, the texts in
    every language ('E-mail / Courriel')."""
    default = texts.get("en") or next(iter(texts.values()))
    if not space_languages:
        return " / ".join(dict.fromkeys(texts.get(lang) or default for lang in languages))
    by_text: dict[str, list[str]] = {}
    for space, lang in sorted(space_languages.items()):
        text = texts.get(lang) or default
        if text != default:
            by_text.setdefault(text, []).append(escape_text(space.replace("_", " ")))
    cases = [f"{'|'.join(spaces)}={text}" for text, spaces in by_text.items()]
    cases.append(f"#default={default}")
    return f"{{{{#switch:{{{{NAMESPACE}}}}|{'|'.join(cases)}}}}}"
