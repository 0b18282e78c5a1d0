"""Pages as earlier versions of cop-connector wrote them, with their markers: comments on
MediaWiki, Anchor macros on Confluence (real spaces provisioned then still carry them).
Rendered exactly as those versions did, from today's sections, for the migration tests."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from connector.base import PageContext
from connector.confluence import storage_render
from connector.confluence.storage_canonical import canonical_storage
from connector.mediawiki import wikitext_render
from connector.mediawiki.wikitext_markers import canonical as wikitext_canonical
from connector.regions import region_hash
from page_templates import PageKind, template_version


def marked_wikitext(kind: PageKind, context: PageContext,
                    rows: Sequence[Mapping[str, str]] = ()) -> str:
    """The page as versions with comment markers rendered it."""
    blocks: list[str] = []
    for section in kind.sections:
        text = wikitext_render.section_text(kind, section, context)
        if text:
            digest = region_hash(wikitext_canonical(text))
            blocks.append(f"<!-- cop:section {section.id} {digest} -->\n{text}\n"
                          f"<!-- /cop:section {section.id} -->")
        target = kind.section_kind(section)
        if target is not None and kind.holds_rows(section):
            shape = "block" if target.single else "per line"
            marker = (f"<!-- cop-connector: rows of {target.kind}, one "
                      f"{{{{{target.row_template}}}}} {shape} -->")
            held = rows if target.single or target is kind else ()
            body = wikitext_render.rows_block(target, held, context.lang)
            blocks.append(marker + ("\n" + body if body else ""))
    version = f"<!-- cop:template {kind.kind} {template_version(kind)} -->"
    return version + "\n" + "\n\n".join(blocks) + "\n"


def anchor(name: str) -> str:
    return ('<p><ac:structured-macro ac:name="anchor" ac:schema-version="1">'
            f'<ac:parameter ac:name="">{name}</ac:parameter></ac:structured-macro></p>')


def marked_storage(kind: PageKind, context: PageContext,
                   rows: Sequence[Mapping[str, str]] = ()) -> str:
    """The page as versions with Anchor macros rendered it."""

    def region(section_id: str, markup: str) -> str:
        digest = region_hash(canonical_storage(markup))
        return anchor(f"cop-section-{section_id}-{digest}") + markup + \
            anchor(f"cop-end-{section_id}")

    blocks = [anchor(f"cop-template-{kind.kind}-{template_version(kind)}")]
    for section in kind.sections:
        markup = storage_render.section_markup(kind, section, context)
        if markup:
            blocks.append(region(section.id, markup))
        target = kind.section_kind(section)
        if target is not None and kind.holds_rows(section):
            held = rows if target is kind else ()
            blocks.append(storage_render.rows_block(target, held, context.lang))
    if kind.single and "home" not in context.pages:
        blocks.append(region(storage_render.PAGES_REGION,
                             storage_render.pages_markup(kind, context)))
    return "".join(blocks)


def marked(codec_format: str, kind: PageKind, context: PageContext,
           rows: Sequence[Mapping[str, str]] = ()) -> str:
    if codec_format == "wikitext":
        return marked_wikitext(kind, context, rows)
    return marked_storage(kind, context, rows)


def with_markers(codec_format: str, kind: PageKind, content: str,
                 regions: Mapping[str, str]) -> str:
    """``content`` (a page written today, members' edits included) with the markers an
    earlier version would have put around ``regions`` (region id -> text as written)."""
    if codec_format == "wikitext":
        for region_id, text in regions.items():
            digest = region_hash(wikitext_canonical(text))
            content = content.replace(text, f"<!-- cop:section {region_id} {digest} -->\n"
                                             f"{text}\n<!-- /cop:section {region_id} -->", 1)
        end = "<!-- /cop:section rows -->\n\n"
        if kind.row_template and end in content:
            shape = "block" if kind.single else "per line"
            content = content.replace(end, f"{end}<!-- cop-connector: rows of {kind.kind}, one "
                                           f"{{{{{kind.row_template}}}}} {shape} -->\n", 1)
        return f"<!-- cop:template {kind.kind} {template_version(kind)} -->\n{content}"
    for region_id, markup in regions.items():
        digest = region_hash(canonical_storage(markup))
        content = content.replace(markup, anchor(f"cop-section-{region_id}-{digest}") +
                                  markup + anchor(f"cop-end-{region_id}"), 1)
    return anchor(f"cop-template-{kind.kind}-{template_version(kind)}") + content
