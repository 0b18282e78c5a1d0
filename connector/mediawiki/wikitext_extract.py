"""Read what members added to a wikitext page, for ``cop template extract`` (see
connector/extract.py): unknown row-template parameters, headings with their prose outside
the template's regions, and the template's regions they edited."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
)
from ..regions import with_markers
from .wikitext_markers import strip_markers
from .wikitext_regions import LineDoc, LineSpan, locate_regions
from .wikitext_render import LANG_PARAM
from .wikitext_text import parse_wikitext, plain_text, row_templates


def extract_page(content: str, kind: PageKind, context: PageContext,
                 base: Mapping[str, str] | None = None,
                 legacy: PageKind | None = None) -> PageFindings:
    """The fields and sections members added to the page, and the sections they edited:
    ``base`` is what was last written in each region (None: not known), ``legacy`` the
    kind as earlier versions rendered it."""
    code = parse_wikitext(content)
    if code is None:
        return PageFindings()
    fields = _fields(code, kind) if kind.has_rows else ()
    stripped, marked = strip_markers(content)
    doc = LineDoc(stripped)
    spans = locate_regions(doc, kind, context, with_markers(base, marked), legacy)
    return PageFindings(fields, tuple(_Sections(doc, spans, kind, context.lang).read()))


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
    """Walk the page: intact regions (the template's), and between them the top-level
    nodes -- headings members added or kept from a template section they edited, and the
    prose under them -- in order."""

    def __init__(self, doc: LineDoc, spans: Mapping[str, LineSpan], kind: PageKind,
                 lang: str) -> None:
        super().__init__(kind, lang, frozenset(spans))
        self.doc = doc
        self.starts = {doc.indexes(span).start: (region_id, doc.indexes(span).stop)
                       for region_id, span in spans.items()}

    def read(self) -> list[FoundSection]:
        self.title: str | None = None
        self.buffer: list[Node] = []
        lines = [line.text for line in self.doc.lines]
        index, chunk = 0, []
        while index < len(lines):
            if index in self.starts:
                self._chunk("\n".join(chunk))
                chunk = []
                self.close(self.title, self.buffer)
                self.title, self.buffer = None, []
                self.last, index = self.starts[index]
                continue
            chunk.append(lines[index])
            index += 1
        self._chunk("\n".join(chunk))
        self.close(self.title, self.buffer)
        return self.found

    def _chunk(self, text: str) -> None:
        """The nodes of the text between two regions: headings open a section."""
        code = parse_wikitext(text + "\n")
        for node in code.nodes if code is not None else []:
            if isinstance(node, Heading):
                self.close(self.title, self.buffer)
                self.title, self.buffer = plain_text(node.title).strip(), []
            else:
                self.buffer.append(node)

    def prose(self, blocks: Sequence[Node]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        return _prose(list(blocks))


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
