"""Read what members added to a wikitext page, for ``cop template extract`` (see
connector/extract.py): unknown row-template parameters, headings with their prose outside
the template's regions, and the template's regions they edited."""

from __future__ import annotations

from mwparserfromhell.nodes import Comment, Heading, Node, Template
from mwparserfromhell.wikicode import Wikicode

from page_templates import PageKind, localize

from ..base import PageContext
from ..extract import FoundField, FoundSection, PageFindings, blocks_to_prose, identifier
from .wikitext_parse import parse_wikitext, plain_text, row_templates
from .wikitext_regions import WikitextDoc, adopt_legacy, legacy_sections, sections_marked
from .wikitext_render import LANG_PARAM


def extract_page(content: str, kind: PageKind, context: PageContext,
                 legacy: PageKind | None = None) -> PageFindings:
    """The fields and sections members added to the page, and the sections they edited."""
    code = parse_wikitext(content)
    if code is None:
        return PageFindings()
    fields = _fields(code, kind) if kind.has_rows else ()
    if legacy is not None and not sections_marked(code):
        code = parse_wikitext(adopt_legacy(content, legacy_sections(legacy, context))[0]) \
            or code
    return PageFindings(fields, tuple(_Sections(code, kind, context.lang).read()))


def _fields(code: Wikicode, kind: PageKind) -> tuple[FoundField, ...]:
    seen: dict[str, list[str]] = {}
    for template in row_templates(code, kind):
        for param in template.params:
            name = plain_text(param.name)
            if not param.showkey or kind.field(name) is not None or (
                    kind.single and name == LANG_PARAM):
                continue
            values = seen.setdefault(name, [])
            value = plain_text(param.value)
            if value:
                values.append(value)
    return tuple(FoundField(name, name.replace("_", " ").strip().capitalize(), tuple(values))
                 for name, values in seen.items())


class _Sections:
    """Walk the page's top-level nodes: regions (edited ones are read), headings members
    added and the prose under them, in order."""

    def __init__(self, code: Wikicode, kind: PageKind, lang: str) -> None:
        self.code, self.kind, self.lang = code, kind, lang
        self.taken = {s.id for s in kind.sections}
        self.titles = {localize(s.title, lang): s.id for s in kind.sections if s.title}
        self.found: list[FoundSection] = []
        self.last: str | None = None

    def read(self) -> list[FoundSection]:
        doc = WikitextDoc(self.code, {}, "")
        regions = doc.regions()
        spans = {doc.span(i)[0]: (i, doc.span(i)[1]) for i, f in regions.items()
                 if not f.damaged}
        nodes, index = self.code.nodes, 0
        title: str | None = None
        buffer: list[Node] = []
        while index < len(nodes):
            node = nodes[index]
            if index in spans or isinstance(node, Heading):
                self._close(title, buffer)
                title, buffer = None, []
            if index in spans:
                region_id, end = spans[index]
                if not regions[region_id].intact:
                    self._edited(region_id, nodes[index + 1:end])
                self.last = region_id
                index = end + 1
                continue
            if isinstance(node, Heading):
                title = plain_text(node.title).strip()
            elif title is not None:
                buffer.append(node)
            index += 1
        self._close(title, buffer)
        return self.found

    def _close(self, title: str | None, buffer: list[Node]) -> None:
        if not title:
            return
        paragraphs, bullets = _prose(buffer)
        known = self.titles.get(title)
        if known is not None:  # a template section whose markers are gone: edited
            self.found.append(FoundSection(known, False, "", paragraphs, bullets, self.last))
            self.last = known
            return
        section_id = identifier(title, self.taken, prefix="section")
        self.found.append(FoundSection(section_id, True, title, paragraphs, bullets,
                                       self.last))
        self.last = section_id

    def _edited(self, region_id: str, nodes: list[Node]) -> None:
        headings = [n for n in nodes if isinstance(n, Heading)]
        title = plain_text(headings[0].title).strip() if headings else ""
        section = next((s for s in self.kind.sections if s.id == region_id), None)
        shipped_title = localize(section.title, self.lang) if section and section.title else ""
        title = title if title != shipped_title else ""
        prose_only = section is None or section.rows or section.help or section.index
        paragraphs, bullets = ((), ()) if prose_only else _prose(
            [n for n in nodes if not isinstance(n, Heading)])
        if title or paragraphs or bullets:
            self.found.append(FoundSection(region_id, False, title, paragraphs, bullets,
                                           self.last))


def _prose(nodes: list[Node]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Paragraphs and bullets of a run of top-level nodes (templates, comments left out)."""
    source = "".join(str(n) for n in nodes if not isinstance(n, Template | Comment))
    blocks: list[tuple[str, list[str]]] = []
    for block in source.split("\n\n"):
        lines = [line for line in block.split("\n") if line.strip()]
        if not lines:
            continue
        if all(line.lstrip().startswith("*") for line in lines):
            blocks.append(("ul", [_text(line.lstrip().lstrip("*")) for line in lines]))
        else:
            blocks.append(("p", [" ".join(_text(line) for line in lines).strip()]))
    return blocks_to_prose(blocks)


def _text(wikitext: str) -> str:
    code = parse_wikitext(wikitext)
    return " ".join(plain_text(code).split()) if code is not None else wikitext.strip()
