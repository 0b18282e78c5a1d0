"""The row templates every community page calls (``Template:CoP member``...), with TemplateData.

One template per row kind, shared by all communities and both languages:

* ``<includeonly>``: how a row displays. A list row is a card
  (``<div class="cop-row cop-<kind>">``, styled inline: a wiki may have no site CSS) whose
  headline links to the row's URL, then the other short fields on one grey line, then the
  long texts; empty fields are skipped with ParserFunctions' ``{{#if:}}``. In the card, a
  red note names each field the sync will refuse (``row_checks``), as soon as the page is
  previewed or saved. The charter is a ``wikitable`` box whose labels follow its ``lang``
  parameter (``{{#switch:}}``).
* ``<noinclude>``: a short description in English and French, and the TemplateData that
  makes the visual editor show a form with localized labels (``lang=fr`` in the UI). Its
  ``format`` puts each row the visual editor inserts on its own line.

Plus ``Template:CoP preload`` (``PRELOAD_TEMPLATE``): the text the pages' "Add …" buttons
preload into the editor (``$1``, replaced by the empty row the button's link passes).

Texts from the page kinds are trusted, but are still escaped where they land in wikitext.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from page_templates import LANGUAGES, FieldDef, PageKind, TemplateSet, localize
from page_templates.ui import ui_text

from ..base import PageRef
from .escape import escape_text
from .row_checks import row_problems
from .space_text import by_space
from .wikitext_render import LANG_PARAM, PRELOAD_TEMPLATE

TEMPLATE_NAMESPACE = "Template"
# TemplateData's custom format: "\n" before the call starts it on a new line unless it is at
# the start of one already, "\n" after ends its line; the parameters stay on that line. So a
# row inserted by the visual editor is one line of its own, never glued to its neighbours.
ROW_FORMAT = "\n{{_|_=_}}\n"
# TemplateData parameter types (https://www.mediawiki.org/wiki/Extension:TemplateData).
TEMPLATEDATA_TYPES = {"text": "line", "longtext": "content", "email": "line", "date": "date",
                      "url": "url", "choice": "line", "tags": "line",
                      "number": "number", "entries": "line"}


def support_pages(templates: TemplateSet, space_languages: Mapping[str, str] | None = None
                  ) -> list[tuple[PageRef, str]]:
    """``(Template:<row template>, source)`` for every row kind, in page order;
    ``space_languages`` maps each community's namespace to its language."""
    pages = [(PageRef(space=TEMPLATE_NAMESPACE, title=str(kind.row_template)),
              template_source(kind, templates.languages, space_languages))
             for kind in templates.row_kinds]
    if not any(not kind.single for kind in templates.row_kinds):
        return pages
    return [*pages, (PageRef(space=TEMPLATE_NAMESPACE, title=PRELOAD_TEMPLATE),
                     preload_source(templates.languages))]


def preload_source(languages: tuple[str, ...] = LANGUAGES) -> str:
    """``Template:CoP preload``: MediaWiki's ``preload`` copies what a page includes into
    the editor, with ``$1`` replaced by the link's ``preloadparams[]`` (an empty row)."""
    docs = "\n\n".join(f"''{escape_text(ui_text('template_preload_description', lang))}''"
                        for lang in languages)
    return f"<includeonly>$1</includeonly><noinclude>\n{docs}\n</noinclude>\n"


def template_source(kind: PageKind, languages: tuple[str, ...] = LANGUAGES,
                    space_languages: Mapping[str, str] | None = None) -> str:
    """The wikitext of ``kind``'s row template: display, description, TemplateData, with
    texts in every one of ``languages`` (the template serves communities in each)."""
    display = charter_box(kind) if kind.single else row_card(kind, languages,
                                                              space_languages)
    key = "template_block_description" if kind.single else "template_row_description"
    descriptions = "\n\n".join(f"''{escape_text(_description(kind, key, lang))}''"
                               for lang in languages)
    data = json.dumps(templatedata(kind, languages), ensure_ascii=False, indent=1)
    data = data.replace("</", "<\\/")  # JSON escape: the text cannot close the tag early
    return (f"<includeonly>{display}</includeonly><noinclude>\n{descriptions}\n\n"
            f"<templatedata>\n{data}\n</templatedata>\n</noinclude>\n")


def _description(kind: PageKind, key: str, lang: str) -> str:
    return ui_text(key, lang, kind.ui, row=localize(kind.row_label, lang) or kind.kind)


def _tooltip(field: FieldDef, languages: tuple[str, ...],
             space_languages: Mapping[str, str] | None) -> str:
    """A field's label for a ``title`` attribute, in the community's language."""
    labels = {lang: escape_text(localize(field.label, lang)) for lang in languages}
    return by_space(labels, languages, space_languages)


def _caption(field: FieldDef, languages: tuple[str, ...],
             space_languages: Mapping[str, str] | None) -> str:
    """A field's label before its text in a card, with the colon of its language."""
    colon = {"fr": " :"}  # French typography spaces the colon
    labels = {lang: escape_text(localize(field.label, lang)) + colon.get(lang, ":")
              for lang in languages}
    return by_space(labels, languages, space_languages)


def _headline(kind: PageKind) -> FieldDef:
    """The field shown first and in bold: the first required text field, else the first."""
    return next((f for f in kind.fields if f.required and f.type == "text"), kind.fields[0])


# Inline styles: they show on any wiki (no site CSS to install), when reading and in the
# visual editor alike.
CARD_STYLE = ("margin:0.4em 0;padding:0.35em 0.7em;border:1px solid #c8ccd1;"
              "border-left:4px solid #36c;border-radius:2px;background:#fff")
META_STYLE = "color:#54595d"
LONG_STYLE = "margin-top:0.2em"


def row_card(kind: PageKind, languages: tuple[str, ...] = LANGUAGES,
             space_languages: Mapping[str, str] | None = None) -> str:
    """A list row as a card: headline (linked to the URL field if any), the other short
    fields on one grey line, the long texts below, then what is wrong with the row."""
    head = _headline(kind).name
    url = next((f.name for f in kind.fields if f.type == "url"), None)
    # bold only when there is a text: an empty '''''' would open bold and italic for the
    # rest of the card
    plain = f"{{{{#if:{{{{{{{head}|}}}}}}|'''{{{{{{{head}}}}}}}'''}}}}"
    if url:
        label = f"{{{{#if:{{{{{{{head}|}}}}}}|{{{{{{{head}}}}}}}|{{{{{{{url}}}}}}}}}}}"
        # linked only when the address starts like one (else its brackets would show)
        scheme = f"{{{{lc:{{{{padleft:|4|{{{{{{{url}|}}}}}}}}}}}}}}"
        linked = f"'''[{{{{{{{url}}}}}}} {label}]'''"
        headline = f"{{{{#ifeq:{scheme}|http|{linked}|{plain}}}}}"
    else:
        headline = plain
    inline = [f for f in kind.fields if f.name not in (head, url) and f.type != "longtext"]
    blocks = [f for f in kind.fields if f.type == "longtext"]

    def tip(field: FieldDef) -> str:
        return _tooltip(field, languages, space_languages)

    meta = "".join(_if(f, f'<span class="cop-field cop-field-{f.name}" title="{tip(f)}">'
                          f" · {{{{{{{f.name}}}}}}}</span>") for f in inline)
    parts = [headline, f'<span class="cop-meta" style="{META_STYLE}">{meta}</span>']
    # one long text speaks for itself (a watch item's summary); several need their names,
    # or a reader cannot tell a subject's need from its capability
    named = len(blocks) > 1

    def caption(field: FieldDef) -> str:
        return (f'<span class="cop-field-label" style="{META_STYLE}">'
                f"{_caption(field, languages, space_languages)}</span> " if named else "")

    parts += [_if(f, f'<div class="cop-field cop-field-{f.name}" title="{tip(f)}" '
                     f'style="{LONG_STYLE}">{caption(f)}{{{{{{{f.name}}}}}}}</div>')
              for f in blocks]
    parts.append(row_problems(kind, languages, space_languages))
    return (f'<div class="cop-row cop-{kind.kind}" style="{CARD_STYLE}">'
            f'{"".join(parts)}</div>')


def _if(field: FieldDef, shown: str) -> str:
    return f"{{{{#if:{{{{{{{field.name}|}}}}}}|{shown}}}}}"


def charter_box(kind: PageKind) -> str:
    """The single block as a table: one row per field, labels in the ``lang`` language."""
    lines = ['{| class="wikitable cop-box cop-' + kind.kind + '"']
    title = next((f.name for f in kind.fields if f.name == "name"), None)
    if title:
        lines.append(f"|+ {{{{{{{title}|}}}}}}")
    for field in kind.fields:
        lines += ["|-", f"! {_switch_label(field)}",
                  f'| class="cop-field-{field.name}" | {{{{{{{field.name}|}}}}}}']
    lines.append("|}")
    return "\n".join(lines)


def _switch_label(field: FieldDef) -> str:
    """``{{#switch:{{{lang|}}}|fr=…|#default=…}}``: the label in the block's language."""
    cases = [f"{lang}={escape_text(text)}" for lang, text in sorted(field.label.items())
             if lang != "en"]
    cases.append(f"#default={escape_text(localize(field.label, 'en'))}")
    return f"{{{{#switch:{{{{{{{LANG_PARAM}|}}}}}}|{'|'.join(cases)}}}}}"


def templatedata(kind: PageKind, languages: tuple[str, ...] = LANGUAGES) -> dict[str, Any]:
    """The TemplateData of ``kind``'s row template (labels and help in every language)."""
    key = "template_block_description" if kind.single else "template_row_description"
    params: dict[str, Any] = {field.name: _param(field, languages) for field in kind.fields}
    order = list(kind.field_names)
    if kind.single:
        params[LANG_PARAM] = {
            "label": {lang: ui_text("template_lang_label", lang, kind.ui)
                      for lang in languages},
            "description": {lang: ui_text("template_lang_description", lang, kind.ui)
                            for lang in languages},
            "type": "line",
            "suggestedvalues": list(languages),
        }
        order.append(LANG_PARAM)
    return {
        "description": {lang: _description(kind, key, lang) for lang in languages},
        "params": params,
        "paramOrder": order,
        "format": "block" if kind.single else ROW_FORMAT,
    }


def _param(field: FieldDef, languages: tuple[str, ...]) -> dict[str, Any]:
    param: dict[str, Any] = {
        "label": _texts(field.label, languages),
        # an empty description would be an empty JSON object, which TemplateData refuses
        **({"description": _texts(field.help, languages)} if field.help else {}),
        "type": TEMPLATEDATA_TYPES[field.type],
        "required": field.required,
        "suggested": True,
    }
    if field.choices:
        labels = [localize(choice.labels, lang) or choice.value
                  for lang in languages for choice in field.choices]
        param["suggestedvalues"] = list(dict.fromkeys(labels))
    return param


def _texts(texts: Mapping[str, str], languages: tuple[str, ...]) -> dict[str, str]:
    """Every language of ``languages`` (English as fallback), then any extra language."""
    if not texts:
        return {}
    extra = {lang: text for lang, text in texts.items() if lang not in languages}
    return {lang: localize(texts, lang) for lang in languages} | extra
