"""Render a new page of a page kind as Confluence storage format.

Every text -- member values, placeholder values and the company's prose, titles, labels and
help alike -- goes through ``xml_escape``: storage format has no "prose-friendly" escaping
worth the risk, and the editor shows the text, not the source. The markup around it is
fixed: headings, paragraphs, lists, one table per list kind (a header row of labels in the
page language, then one row per entry, cells in field order), and for the charter a Page
Properties (``details``) macro holding a two-column key/value table, the layout Page
Properties Reports and CQL read. Output is stable (same input, same string) and a fixed
point of ``parse_storage`` -> ``serialize``, so row edits leave the rest byte for byte.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from page_templates import FieldDef, PageKind, Section, localize
from page_templates.loader import PAGE_ORDER
from page_templates.ui import ui_text
from page_templates.values import ISO_DATE, URL_FORBIDDEN, display

from ..base import PageContext, PageRef, PartRows
from .xml_escape import escape_attribute, escape_lines, escape_text

DETAILS_OPEN = '<ac:structured-macro ac:name="details" ac:schema-version="1"><ac:rich-text-body>'
DETAILS_CLOSE = "</ac:rich-text-body></ac:structured-macro>"
_WEB = re.compile(r"^https?://", re.IGNORECASE)


def cell_content(definition: FieldDef, value: str, lang: str) -> str:
    """A canonical value as the content of its table cell.

    A URL is a link to itself, a date the ``<time>`` element the editor's date picker
    writes, a choice its label in ``lang``, a long text its lines joined by ``<br/>``. A URL
    or date that is not canonical (never the case for validated values) stays plain text.
    """
    if not value:
        return ""
    if definition.type == "url" and _WEB.match(value) and not URL_FORBIDDEN.search(value):
        return f'<a href="{escape_attribute(value)}">{escape_text(value)}</a>'
    if definition.type == "date" and ISO_DATE.match(value):
        return f'<time datetime="{escape_attribute(value)}"/>'
    return escape_lines(display(definition, value, lang))


def render_row(kind: PageKind, values: Mapping[str, str], lang: str) -> str:
    """One table row: a cell per field in definition order (missing values empty)."""
    cells = "".join(f"<td>{cell_content(f, values.get(f.name, ''), lang)}</td>"
                    for f in kind.fields)
    return f"<tr>{cells}</tr>"


def header_cell(definition: FieldDef, lang: str) -> str:
    return f"<th>{escape_text(localize(definition.label, lang))}</th>"


def render_table(kind: PageKind, rows: Sequence[Mapping[str, str]], lang: str) -> str:
    """The rows table: the header row of labels in ``lang``, then one row per entry."""
    header = "".join(header_cell(f, lang) for f in kind.fields)
    body = "".join(render_row(kind, row, lang) for row in rows)
    return f"<table><tbody><tr>{header}</tr>{body}</tbody></table>"


def details_row(definition: FieldDef, value: str, lang: str) -> str:
    """One key/value row of the charter's Page Properties table."""
    content = cell_content(definition, value, lang)
    return f"<tr>{header_cell(definition, lang)}<td>{content}</td></tr>"


def render_details(kind: PageKind, values: Mapping[str, str], lang: str) -> str:
    """The Page Properties macro with one key/value row per field."""
    body = "".join(details_row(f, values.get(f.name, ""), lang) for f in kind.fields)
    return f"{DETAILS_OPEN}<table><tbody>{body}</tbody></table>{DETAILS_CLOSE}"


PAGES_REGION = "pages"  # the charter's links to the other pages, where it is the home


def render_page(kind: PageKind, context: PageContext,
                rows: Sequence[Mapping[str, str]], parts: PartRows | None = None) -> str:
    """A new page of ``kind``: its sections in order, no marker of any kind (see
    storage_regions: the records remember what each section was written with); the rows
    (table, or the charter's Page Properties macro) after their section's heading and
    prose.

    The charter is the space's home on Confluence (no separate home page): when
    ``context.pages`` has no "home" page, the charter ends with links to the other pages.
    """
    blocks: list[str] = []
    for section in kind.sections:
        markup = section_markup(kind, section, context)
        if markup:
            blocks.append(markup)
        target = kind.section_kind(section)
        if target is not None and kind.holds_rows(section):
            held = rows if target is kind else (parts or {}).get(target.kind, ())
            blocks.append(rows_block(target, held, context.lang))
    if kind.single and "home" not in context.pages:
        blocks.append(pages_markup(kind, context))
    return "".join(blocks)


def managed_sections(kind: PageKind, context: PageContext) -> list[tuple[str, str]]:
    """(id, markup) of every section showing something besides the rows, in order; the
    charter's page links last when it is the space's home."""
    found = [(s.id, markup) for s in kind.sections
             if (markup := section_markup(kind, s, context))]
    if kind.single and "home" not in context.pages:
        found.append((PAGES_REGION, pages_markup(kind, context)))
    return found


def pages_markup(kind: PageKind, context: PageContext) -> str:
    """The charter's heading and links to the community's other pages."""
    title = ui_text("confluence_pages", context.lang, kind.ui)
    return f"<h2>{escape_text(title)}</h2>" + _index(context, exclude={kind.kind})


def rows_block(kind: PageKind, rows: Sequence[Mapping[str, str]], lang: str) -> str:
    """The rows table, or the charter's Page Properties macro."""
    if kind.single:
        return render_details(kind, rows[0] if rows else {}, lang)
    return render_table(kind, rows, lang)


def section_markup(kind: PageKind, section: Section, context: PageContext) -> str:
    """The managed part of a section (all but the rows), '' when it shows nothing."""
    return "".join(_section(kind, section, context))


def _section(kind: PageKind, section: Section, context: PageContext) -> list[str]:
    lang = context.lang
    blocks: list[str] = []
    title = localize(section.title, lang) if section.title else ""
    if title:
        blocks.append(f"<h2>{escape_text(title)}</h2>")
    blocks.extend(f"<p>{_prose(text, context)}</p>"
                  for text in _localized(section.paragraphs, lang))
    bullets = _localized(section.bullets, lang)
    if bullets:
        items = "".join(f"<li>{_prose(text, context)}</li>" for text in bullets)
        blocks.append(f"<ul>{items}</ul>")
    listed = context.lists.get(section.list, ()) if section.list else ()
    if listed:  # from the records (a seminar's days, workshops)
        blocks.append("<ul>" + "".join(f"<li>{escape_lines(item)}</li>" for item in listed)
                      + "</ul>")
    target = kind.section_kind(section)
    if section.help and target is not None and target.has_rows:
        blocks.extend(_help(target, lang))
    if section.index:
        blocks.append(_index(context, exclude=set()))
    return blocks


def _localized(texts: Mapping[str, tuple[str, ...]], lang: str) -> tuple[str, ...]:
    """The texts in ``lang``, else English, else any language (like ``localize``)."""
    return texts.get(lang) or texts.get("en") or next(iter(texts.values()), ())


def _prose(text: str, context: PageContext) -> str:
    """Company prose with ``{key}`` placeholders filled by context values, all escaped.

    Only keys present in ``context.values`` are replaced (no ``str.format``), so other
    braces stay text; a value holding ``{other}`` is not expanded again.
    """
    names = sorted(context.values, key=len, reverse=True)
    if not names:
        return escape_lines(text)
    pattern = re.compile("|".join(rf"\{{{re.escape(name)}\}}" for name in names))
    out: list[str] = []
    start = 0
    for match in pattern.finditer(text):
        out.append(escape_lines(text[start:match.start()]))
        out.append(escape_lines(context.values[match.group()[1:-1]]))
        start = match.end()
    out.append(escape_lines(text[start:]))
    return "".join(out)


def _help(kind: PageKind, lang: str) -> list[str]:
    """How to add a row with the Confluence editor, then the fields and their help."""
    row = localize(kind.row_label, lang) or kind.kind
    ui = kind.ui
    sentences = [ui_text("confluence_add_row", lang, ui, row=row)]
    types = {f.type for f in kind.fields}
    sentences += [ui_text(key, lang, ui) for key, wanted in
                  (("confluence_dates", "date"), ("confluence_links", "url")) if wanted in types]
    sentences.append(ui_text("confluence_header", lang, ui))
    blocks = [f"<p>{escape_text(sentence)}</p>" for sentence in sentences]
    blocks.append(f"<p>{escape_text(ui_text('fields', lang, ui))}</p>")
    items = "".join(f"<li>{_field_help(kind, f, lang)}</li>" for f in kind.fields)
    blocks.append(f"<ul>{items}</ul>")
    return blocks


def _field_help(kind: PageKind, definition: FieldDef, lang: str) -> str:
    label = f"<strong>{escape_text(localize(definition.label, lang))}</strong>"
    required = f" ({escape_text(ui_text('required', lang, kind.ui))})" \
        if definition.required else ""
    text = localize(definition.help, lang) if definition.help else ""
    colon = ui_text("colon", lang, kind.ui) if text else ""
    return f"{label}{required}{escape_text(colon + text)}"


def page_link(ref: PageRef, space: str) -> str:
    """A link to a page by title (and space key when it lives in another space)."""
    other = f' ri:space-key="{escape_attribute(ref.space)}"' if ref.space != space else ""
    return f'<ac:link><ri:page ri:content-title="{escape_attribute(ref.title)}"{other}/></ac:link>'


def _index(context: PageContext, exclude: set[str]) -> str:
    """Links to the community's other pages, in page order (unknown kinds last)."""
    rank = {kind: i for i, kind in enumerate(PAGE_ORDER)}
    order = list(context.pages)
    kinds = sorted((k for k in context.pages if k != "home" and k not in exclude),
                   key=lambda k: (rank.get(k, len(rank)), order.index(k)))
    items = "".join(f"<li>{page_link(context.pages[k], context.space)}</li>" for k in kinds)
    return f"<ul>{items}</ul>" if items else ""
