"""Render a new page of a page kind as wikitext: prose, rows, help and index sections.

Member values (and every placeholder value) go through ``escape_text``; the company's prose,
titles, labels and help (trusted, and read in the source editor) through ``escape_prose``,
which escapes only what would really turn into markup. Output is stable: the same input
gives the same string.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from urllib.parse import quote, urlencode

from page_templates import FieldDef, PageKind, Section, localize
from page_templates.loader import PAGE_ORDER
from page_templates.ui import ui_text
from page_templates.values import display

from ..base import PageContext, PageRef, PartRows
from .escape import escape_prose, escape_text, escape_url

PRELOAD_TEMPLATE = "CoP preload"  # the page the "Add" buttons preload (see support.py)
# Extra parameter of a single block (the charter): the language of the box's labels.
LANG_PARAM = "lang"
_HOLD = "\ufffc"  # OBJECT REPLACEMENT CHARACTER: holds a placeholder's place while escaping


def param_value(field: FieldDef, value: str, lang: str) -> str:
    """A canonical value as written in its template parameter: labelled, then escaped."""
    if field.type == "url":
        return escape_url(value)
    return escape_text(display(field, value, lang))


def render_row(kind: PageKind, values: Mapping[str, str], lang: str) -> str:
    """One row template call with every field of ``kind`` in definition order.

    List kinds give one line; a single kind (the charter) gives a block with one parameter
    per line and the extra ``lang`` parameter. Missing values are written empty.
    """
    params = [(f.name, param_value(f, values.get(f.name, ""), lang)) for f in kind.fields]
    if kind.single:
        params.append((LANG_PARAM, escape_text(lang)))
        body = "".join(f"\n|{name}={value}" for name, value in params)
        return f"{{{{{kind.row_template}{body}\n}}}}"
    body = "".join(f"|{name}={value}" for name, value in params)
    return f"{{{{{kind.row_template}{body}}}}}"


def render_page(kind: PageKind, context: PageContext,
                rows: Sequence[Mapping[str, str]], parts: PartRows | None = None) -> str:
    """A new page of ``kind``: its sections in order, blank lines between blocks, no
    marker of any kind (see wikitext_regions: the records remember what each section was
    written with). The rows (of the kind, or of the part a section names:
    ``parts[part]``) come after their section's heading and prose, one per line."""
    blocks: list[str] = []
    for section in kind.sections:
        text = section_text(kind, section, context)
        if text:
            blocks.append(text)
        target = kind.section_kind(section)
        if target is not None and kind.holds_rows(section):
            held = rows if target is kind else (parts or {}).get(target.kind, ())
            block = rows_block(target, held, context.lang)
            if block:
                blocks.append(block)
    return "\n\n".join(blocks) + "\n"


def section_text(kind: PageKind, section: Section, context: PageContext) -> str:
    """The managed part of a section (everything but the rows), '' when it shows nothing:
    heading, paragraphs, bullets, help, page index."""
    return "\n\n".join(_section(kind, section, context))


def _section(kind: PageKind, section: Section, context: PageContext) -> list[str]:
    lang = context.lang
    blocks: list[str] = []
    title = localize(section.title, lang) if section.title else ""
    if title:
        blocks.append(heading(title))
    blocks.extend(_prose(text, context) for text in _localized(section.paragraphs, lang))
    bullets = _localized(section.bullets, lang)
    if bullets:
        blocks.append("\n".join(f"* {_prose(text, context)}" for text in bullets))
    items = context.lists.get(section.list, ()) if section.list else ()
    if items:  # from the records (a seminar's days, workshops): escaped like member text
        blocks.append("\n".join(f"* {escape_text(item)}" for item in items))
    target = kind.section_kind(section)
    if section.help and target is not None and target.has_rows:
        blocks.extend(_help(target, lang, _list_title(kind, target, lang),
                            markup=section is _last_help(kind)))
    if section.index:
        blocks.append(_index(context.pages))
    return blocks


def heading(title: str) -> str:
    """A section heading as rendered (level 2)."""
    return f"== {escape_prose(title)} =="


def _localized(texts: Mapping[str, tuple[str, ...]], lang: str) -> tuple[str, ...]:
    """The texts in ``lang``, else English, else any language (like ``localize``)."""
    return texts.get(lang) or texts.get("en") or next(iter(texts.values()), ())


def _prose(text: str, context: PageContext) -> str:
    """Company prose with ``{key}`` placeholders filled by escaped context values.

    Only keys present in ``context.values`` are replaced (no ``str.format``), so other
    braces stay text. The prose is escaped as a whole, with each placeholder held by a
    private-use character meanwhile, so line starts are judged on the real text.
    """
    text = text.replace(_HOLD, "")
    names = sorted(context.values, key=len, reverse=True)
    if not names:
        return escape_prose(text)
    pattern = re.compile("|".join(rf"\{{{re.escape(name)}\}}" for name in names))
    found: list[str] = []

    def hold(match: re.Match[str]) -> str:
        found.append(match.group()[1:-1])
        return _HOLD

    escaped = escape_prose(pattern.sub(hold, text))
    values = iter(found)
    return re.sub(_HOLD, lambda _: escape_text(context.values[next(values)]), escaped)


def rows_block(kind: PageKind, rows: Sequence[Mapping[str, str]], lang: str) -> str:
    """The rows, one per line ('' without any); an empty charter box for a single kind."""
    if kind.single:
        rows = rows[:1] or [{}]  # an empty box still shows members the fields
    return "\n".join(render_row(kind, row, lang) for row in rows)


def example_row(kind: PageKind, *, raw: bool = False) -> str:
    """The empty row template, as shown (in ``<nowiki>``) in the help section; ``raw``:
    as typed (for the "Add" button's link, where it is URL-encoded)."""
    body = "".join(f"|{name}=" for name in kind.field_names)
    template = str(kind.row_template)
    if not raw:
        template = template.replace("&", "&amp;").replace("<", "&lt;")
    return f"{{{{{template}{body}}}}}"


def _list_title(kind: PageKind, target: PageKind, lang: str) -> str:
    """The heading of the section holding ``target``'s rows on ``kind``'s page ('' if none)."""
    section = next((s for s in kind.sections
                    if kind.holds_rows(s) and kind.section_kind(s) is target), None)
    return localize(section.title, lang) if section and section.title else ""


def _last_help(kind: PageKind) -> Section | None:
    """The page's last help section: a page with two lists (Watch: sources and items) says
    what MediaWiki makes of links and signatures once, not in both helps."""
    helps = [s for s in kind.sections if s.help]
    return helps[-1] if helps else None


def _help(kind: PageKind, lang: str, list_title: str = "", *, markup: bool = True) -> list[str]:
    template = str(kind.row_template)
    row = localize(kind.row_label, lang) or kind.kind
    source = escape_prose(ui_text("source_editor", lang, kind.ui, row=row))
    example = f"<code><nowiki>{example_row(kind)}</nowiki></code>"
    fields = [escape_prose(ui_text("fields", lang, kind.ui)),
              *(_field_help(kind, f, lang) for f in kind.fields)]
    # What MediaWiki makes of what members type (measured: links and ~~~~, see README).
    blocks = [add_button(kind, lang, list_title), _visual_help(kind, lang, template),
              f"{source}\n{example}", "\n".join(fields)]
    return [*blocks, escape_prose(ui_text("markup", lang, kind.ui))] if markup else blocks


# A link styled as a button (inline: a wiki may have no site CSS); "plainlinks" drops the
# external-link arrow MediaWiki adds to a full URL.
BUTTON_STYLE = ("display:inline-block;padding:0.45em 1em;background:#36c;color:#fff;"
                "border-radius:2px;font-weight:bold")


def add_button(kind: PageKind, lang: str, list_title: str = "") -> str:
    """The "Add a …" button, in the community's language (``uselang``).

    Its link opens the page's source editor in new-section mode (without a subject line),
    preloaded with an empty row (``Template:CoP preload`` and ``preloadparams``): that works
    on any wiki, without JavaScript; the row goes at the end of the page, which is why the
    list is the last section of a list page. Where the wiki runs the script of the
    ``cop mediawiki namespaces`` snippet (``add_row.js``), the script points the link at the
    visual editor instead, which then inserts an empty row after the list's last row (its
    ``data-cop-*`` attributes: the row template, the list's heading) and opens its form: the
    visual editor itself ignores ``preload`` and ``section=new`` on an existing page
    (measured on 1.39 and 1.43)."""
    row = localize(kind.row_label, lang) or kind.kind
    query = urlencode({"action": "edit", "section": "new", "nosummary": "1",
                       "preload": f"Template:{PRELOAD_TEMPLATE}",
                       "preloadparams[]": example_row(kind, raw=True), "uselang": lang},
                      quote_via=quote)
    label = escape_prose(ui_text("add_row", lang, kind.ui, row=row))
    source = escape_prose(ui_text("add_row_help", lang, kind.ui, row=row))
    data = (f'data-cop-template="{escape_text(str(kind.row_template))}" '
            f'data-cop-list="{escape_text(list_title)}" data-cop-lang="{escape_text(lang)}"')
    return (f'<span class="plainlinks cop-add" {data}>'
            f'[{{{{fullurl:{{{{FULLPAGENAME}}}}|{query}}}}} '
            f'<span style="{BUTTON_STYLE}">{label}</span>]</span>\n\n{source}')


def _visual_help(kind: PageKind, lang: str, template: str) -> str:
    """Where the cursor goes in the visual editor, with a link opening it in the
    community's language (TemplateData's labels follow the interface language)."""
    link = escape_prose(ui_text("visual_editor_link", lang, kind.ui))
    opened = (f'<span class="plainlinks">[{{{{fullurl:{{{{FULLPAGENAME}}}}|veaction=edit&'
              f"uselang={quote(lang)}}}}} {link}]</span>")
    text = escape_prose(ui_text("add_row_visual", lang, kind.ui, template=template,
                                link=_HOLD))
    return text.replace(_HOLD, opened)


def _field_help(kind: PageKind, field: FieldDef, lang: str) -> str:
    label = escape_prose(localize(field.label, lang))
    # The name as the source editor's line has it (title=, owner=...): with the labels alone
    # a member in the source editor had to guess which is which (Subject is title=).
    name = f"<code>{escape_text(field.name)}=</code>"
    required = f", {escape_prose(ui_text('required', lang, kind.ui))}" if field.required \
        else ""
    text = localize(field.help, lang) if field.help else ""
    # The separator (": " or " : ") is UI text, safe mid-line: not escaped, so French
    # typography keeps its plain spaces (a company's colon is escaped as prose).
    colon = ui_text("colon", lang, kind.ui) if text else ""
    colon = colon if colon.strip() in ("", ":") else escape_prose(colon)
    return f"* '''{label}''' ({name}{required}){colon}{escape_prose(text)}"


def _index(pages: Mapping[str, PageRef]) -> str:
    """Links to the community's other pages, in page order (unknown kinds last)."""
    rank = {kind: i for i, kind in enumerate(PAGE_ORDER)}
    kinds = sorted((k for k in pages if k != "home"),
                   key=lambda k: (rank.get(k, len(rank)), list(pages).index(k)))
    return "\n".join(f"* [[{pages[k]}|{escape_prose(pages[k].title)}]]" for k in kinds)
