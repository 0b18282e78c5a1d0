"""Read what members added to a wikitext page, for ``cop template extract`` (see
connector/extract.py): unknown row-template parameters, headings with their prose outside
the template's regions, and the template's regions they edited."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import groupby

from mwparserfromhell.nodes import Comment, Heading, Node, Template
from mwparserfromhell.wikicode import Wikicode

from page_templates import PageKind

from ..base import PageContext
from ..extract import (
    FoundField,
    FoundSection,
    PageFindings,
    SectionCollector,
    blocks_to_prose,
    split_at_headings,
)
from .wikitext_regions import WikitextDoc, adopt_legacy, legacy_sections, sections_marked
from .wikitext_render import LANG_PARAM
from .wikitext_text import parse_wikitext, plain_text, row_templates


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


class _Sections(SectionCollector[Node]):
    """Walk the page's top-level nodes: regions (edited ones are read), headings members
    added and the prose under them, in order."""

    def __init__(self, code: Wikicode, kind: PageKind, lang: str) -> None:
        super().__init__(kind, lang)
        self.code = code

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
                self.close(title, buffer)
                title, buffer = None, []
            if index in spans:
                region_id, end = spans[index]
                if regions[region_id].intact:
                    self.last = region_id
                else:
                    self.edited(region_id, _runs(nodes[index + 1:end]))
                index = end + 1
                continue
            if isinstance(node, Heading):
                title = plain_text(node.title).strip()
            elif title is not None:
                buffer.append(node)
            index += 1
        self.close(title, buffer)
        return self.found

    def prose(self, blocks: Sequence[Node]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return _prose(list(blocks))


def _runs(nodes: list[Node]) -> list[tuple[str | None, list[Node]]]:
    return split_at_headings(
        nodes, lambda node: plain_text(node.title).strip() if isinstance(node, Heading)
        else None)


def _prose(nodes: list[Node]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Paragraphs and bullets of a run of top-level nodes (templates, comments left out)."""
    source = "".join(str(n) for n in nodes if not isinstance(n, Template | Comment))
    blocks: list[tuple[str, list[str]]] = []
    for block in source.split("\n\n"):
        lines = [line for line in block.split("\n") if line.strip()]
        # Consecutive list lines are bullets, the others (joined) a paragraph.
        for is_list, run in groupby(lines, key=lambda line: line.lstrip().startswith("*")):
            if is_list:
                blocks.append(("ul", [_text(line.lstrip().lstrip("*")) for line in run]))
            else:
                blocks.append(("p", [" ".join(_text(line) for line in run).strip()]))
    return blocks_to_prose(blocks)


def _text(wikitext: str) -> str:
    code = parse_wikitext(wikitext)
    return " ".join(plain_text(code).split()) if code is not None else wikitext.strip()
