"""Is a page entirely in its language? What the page shows (not its rows' values, which
are data, nor the row template's English parameter names, which are the contract), checked
against every text of the templates in the other languages."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import mwparserfromhell
from bs4 import BeautifulSoup, Tag

from page_templates import TemplateSet, shipped
from page_templates.ui import ui_texts


def shown_wikitext(content: str) -> str:
    """The text a wikitext page shows, without rows, comments and the example row."""
    code = mwparserfromhell.parse(content)
    for node in code.filter_comments(recursive=False) + code.filter_templates(recursive=False):
        code.remove(node)
    for tag in code.filter_tags(recursive=False, matches=lambda t: str(t.tag) == "code"):
        code.remove(tag)
    return code.strip_code(normalize=True, collapse=True)


def shown_storage(content: str) -> str:
    """The text a storage-format page shows, without data cells (rows, charter values) and
    anchors; page links by their titles."""
    soup = BeautifulSoup(content, "html.parser")
    for node in soup.find_all(["td", "ac:structured-macro"]):
        if isinstance(node, Tag) and (node.name == "td" or node.get("ac:name") == "anchor"):
            node.decompose()
    titles = [str(page.get("ri:content-title", "")) for page in soup.find_all("ri:page")]
    return " ".join([soup.get_text(" "), *titles])


def foreign_texts(templates: TemplateSet, lang: str) -> Iterator[str]:
    """Pieces of every text of the set in another language that differ from ``lang``'s
    (placeholders cut out; pieces of fewer than 4 letters skipped)."""
    for texts in _all_texts(templates):
        own = texts.get(lang, "")
        for other, text in texts.items():
            if other == lang or text == own:
                continue
            for part in re.split(r"\{[a-z_]+\}", text):
                piece = part.strip(" :.,;«»“”()")
                if len(piece) >= 4 and piece not in own:
                    yield piece


def _all_texts(templates: TemplateSet) -> Iterator[dict[str, str]]:
    for kind in templates.kinds:
        yield dict(kind.title)
        yield dict(kind.row_label)
        for field in kind.fields:
            yield dict(field.label)
            yield dict(field.help)
            for choice in field.choices:
                yield dict(choice.labels)
        for section in kind.sections:
            yield dict(section.title)
            for lists in (section.paragraphs, section.bullets):
                for i in range(max((len(v) for v in lists.values()), default=0)):
                    yield {lang: texts[i] for lang, texts in lists.items() if i < len(texts)}
    for texts in templates.kinds[0].ui.values():
        yield dict(texts)


def foreign_in(shown: str, templates: TemplateSet, lang: str) -> list[str]:
    """The other-language texts found in ``shown`` (whole words); the row templates' names
    ("CoP member", named in the help) are proper nouns."""
    for kind in templates.row_kinds:
        shown = shown.replace(str(kind.row_template), "")
    return sorted({piece for piece in foreign_texts(templates, lang)
                   if re.search(rf"(?<!\w){re.escape(piece)}(?!\w)", shown)})


def german(directory: Path, *, complete: bool) -> None:
    """A German translation of everything (or of everything but one label)."""
    for kind in shipped().kinds:
        lines = [f'title.de = "{kind.title["en"]} (de)"']
        if kind.has_rows:
            lines.append(f'row_label.de = "{kind.row_label["en"]} (de)"')
        for field in kind.fields:
            if not complete and kind.kind == "watch" and field.name == "url":
                continue
            lines += ["[[fields]]", f'name = "{field.name}"',
                      f'label.de = "{field.label["en"]} (de)"',
                      f'help.de = "{field.help["en"]} (de)"']
            if field.choices:
                choices = ", ".join(f'{{ value = "{c.value}", de = "{c.value} (de)" }}'
                                    for c in field.choices)
                lines.append(f"choices = [{choices}]")
        for section in kind.sections:
            lines += ["[[sections]]", f'id = "{section.id}"']
            if section.title:
                lines.append(f'title.de = "{section.title["en"]} (de)"')
            for key in ("paragraphs", "bullets"):
                texts = getattr(section, key).get("en")
                if texts:
                    items = ", ".join(f'"{t} (de)"' for t in texts)
                    lines.append(f"{key}.de = [{items}]")
        _write(directory, f"{kind.kind}.toml", "\n".join(lines) + "\n")
    _write(directory, "ui.toml", "".join(f'[{key}]\nde = "{texts["en"]} (de)"\n'
                                         for key, texts in ui_texts().items()))


def _write(directory: Path, name: str, text: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_text(text, encoding="utf-8")
