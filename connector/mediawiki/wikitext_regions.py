"""Upgrade a wikitext page to its kind's current template, region by region.

The page is parsed with mwparserfromhell; only top-level marker comments count (a marker
inside a template, a tag or ``<nowiki>`` is text, not ours). Regions are replaced, removed
or inserted as nodes of the parsed page, which is then serialized: every byte outside the
regions -- rows, members' prose, their headings, comments -- stays as it was.

A page made before markers existed (no ``cop:section`` marker at all) is first *adopted*:
each section's text as the shipped template rendered it is looked for, in order, as whole
lines; found, it gets markers around it (it is then an intact region, upgraded like any
other); not found, it was edited and is reported, never overwritten nor added again.
"""

from __future__ import annotations

import mwparserfromhell
from mwparserfromhell.nodes import Comment, Heading, Node, Text
from mwparserfromhell.wikicode import Wikicode

from page_templates import PageKind, localize, template_version

from ..base import PageContext
from ..regions import Desired, Found, PageUpgrade, region_hash, rows_at, upgrade_regions
from .wikitext_markers import (
    SECTION,
    SECTION_END,
    TEMPLATE,
    canonical,
    parse_marker,
    region,
    version_marker,
)
from .wikitext_render import section_text
from .wikitext_text import parse_wikitext, plain_text


def upgrade_page(content: str, kind: PageKind, context: PageContext,
                 legacy: PageKind | None = None) -> PageUpgrade:
    """``content`` brought to ``kind``'s template (see connector.regions); ``legacy``: the
    kind as it was rendered before markers, to adopt the sections of such a page."""
    code = parse_wikitext(content)
    if code is None:
        return PageUpgrade(content, drift=("the page cannot be parsed: not upgraded",))
    drift: list[str] = []
    changes: list[str] = []
    skip: frozenset[str] = frozenset()
    if legacy is not None and not sections_marked(code):
        adopted, skip, drift = adopt_legacy(content, legacy_sections(legacy, context))
        if skip != {s.id for s in legacy.sections} and adopted != content:
            changes.append("markers added around the sections as provisioned")
        code = parse_wikitext(adopted) or code
    texts = {s.id: text for s in kind.sections if (text := section_text(kind, s, context))}
    doc = WikitextDoc(code, {i: region(i, text) for i, text in texts.items()},
                      version_marker(kind))
    desired = [Desired(i, canonical(text), _title(kind, i, context.lang))
               for i, text in texts.items()]
    sections = [(s.id, kind.holds_rows(s)) for s in kind.sections]
    notes = upgrade_regions(doc, desired, rows_at(sections, list(texts)),
                            template_version(kind), skip)
    new = str(code)
    if new == content:
        return PageUpgrade(content, drift=(*drift, *notes.drift))
    return PageUpgrade(new, (*changes, *notes.changes), (*drift, *notes.drift))


def legacy_sections(kind: PageKind, context: PageContext) -> list[tuple[str, str]]:
    """(id, text) of each section as rendered before markers existed."""
    return [(s.id, text) for s in kind.sections if (text := section_text(kind, s, context))]


def adopt_legacy(content: str, sections: list[tuple[str, str]]
                 ) -> tuple[str, frozenset[str], list[str]]:
    """``content`` with markers around each section found as whole lines, in order; the
    ids not found, and a note for each."""
    out: list[str] = []
    position = 0
    missing: set[str] = set()
    notes: list[str] = []
    for section_id, text in sections:
        at = _find_lines(content, text, position)
        if at < 0:
            missing.add(section_id)
            notes.append(f"section {section_id!r} differs from what cop-connector provisioned "
                         "(edited on the wiki?): kept as it is")
            continue
        out += [content[position:at], region(section_id, text)]
        position = at + len(text)
    out.append(content[position:])
    return "".join(out), frozenset(missing), notes


def _find_lines(content: str, text: str, start: int) -> int:
    """The first offset >= ``start`` where ``text`` stands as whole lines, else -1."""
    at = content.find(text, start)
    while at >= 0:
        end = at + len(text)
        if (at == 0 or content[at - 1] == "\n") and (end == len(content) or
                                                     content[end] == "\n"):
            return at
        at = content.find(text, at + 1)
    return -1


def sections_marked(code: Wikicode) -> bool:
    """Whether the page has any section marker (pages from before markers have none)."""
    return any(isinstance(n, Comment) and (parse_marker(str(n.contents)) or ("",))[0] == SECTION
               for n in code.nodes)


def _title(kind: PageKind, section_id: str, lang: str) -> str:
    section = next(s for s in kind.sections if s.id == section_id)
    return localize(section.title, lang) if section.title else ""


class WikitextDoc:
    """connector.regions.RegionDoc over a parsed page (its top-level nodes)."""

    def __init__(self, code: Wikicode, texts: dict[str, str], version: str) -> None:
        self.code = code
        self.texts = texts  # id -> the region as the template renders it, markers included
        self.version = version  # the whole version marker comment

    @property
    def nodes(self) -> list[Node]:
        return self.code.nodes

    def _markers(self) -> dict[str, tuple[list[tuple[int, str]], list[int]]]:
        """id -> (begin markers (index, hash), end marker indexes)."""
        found: dict[str, tuple[list[tuple[int, str]], list[int]]] = {}
        for index, node in enumerate(self.nodes):
            marker = parse_marker(str(node.contents)) if isinstance(node, Comment) else None
            if marker is None or marker[0] == TEMPLATE:
                continue
            begins, ends = found.setdefault(marker[1], ([], []))
            if marker[0] == SECTION:
                begins.append((index, marker[2]))
            elif marker[0] == SECTION_END:
                ends.append(index)
        return found

    def span(self, region_id: str) -> tuple[int, int]:
        """The indexes of the region's begin and end markers among the top-level nodes."""
        (begin, _), = self._markers()[region_id][0]
        return begin, self._markers()[region_id][1][0]

    def regions(self) -> dict[str, Found]:
        found = {}
        for region_id, (begins, ends) in self._markers().items():
            if len(begins) != 1 or len(ends) != 1 or ends[0] < begins[0][0]:
                found[region_id] = Found(region_id, False, "", damaged=(
                    "has lost a marker or has one twice"))
                continue
            (begin, digest), end = begins[0], ends[0]
            text = canonical("".join(str(n) for n in self.nodes[begin + 1:end]))
            found[region_id] = Found(region_id, region_hash(text) == digest, text)
        return found

    def _parsed(self, region_id: str) -> list[Node]:
        return list(mwparserfromhell.parse(self.texts[region_id]).nodes)

    def replace(self, region_id: str) -> None:
        begin, end = self.span(region_id)
        self.nodes[begin:end + 1] = self._parsed(region_id)

    def remove(self, region_id: str) -> None:
        begin, end = self.span(region_id)
        del self.nodes[begin:end + 1]
        after = self.nodes[begin] if begin < len(self.nodes) else None
        if isinstance(after, Text) and after.value.startswith("\n\n"):
            after.value = after.value[2:]  # no blank lines left where the region was

    def insert(self, region_id: str, anchor: str | None, *, before: bool) -> None:
        new = self._parsed(region_id)
        if anchor is not None and before:
            at = self.span(anchor)[0]
            self.nodes[at:at] = [*new, Text("\n\n")]
        elif anchor is not None:
            at = self.span(anchor)[1] + 1
            self.nodes[at:at] = [Text("\n\n"), *new]
        elif before:  # at the end of the page
            page = str(self.code)
            lead = "" if page.endswith("\n\n") or not page else (
                "\n" if page.endswith("\n") else "\n\n")
            self.nodes.extend([Text(lead), *new, Text("\n")])
        else:  # at the top, after the version marker
            at = 1 if self._version_index() == 0 else 0
            self.nodes[at:at] = [Text("\n"), *new, Text("\n")] if at else [*new, Text("\n\n")]

    def has_heading(self, title: str) -> bool:
        """A heading ``title`` members wrote: outside the regions, or inside one they
        edited (the template's own headings are in the intact ones)."""
        inside = {i for b, e in (self.span(r) for r, f in self.regions().items()
                                 if f.intact) for i in range(b, e + 1)}
        return any(isinstance(node, Heading) and plain_text(node.title).strip() == title
                   for i, node in enumerate(self.nodes) if i not in inside)

    def _version_index(self) -> int | None:
        return next((i for i, n in enumerate(self.nodes) if isinstance(n, Comment) and
                     (parse_marker(str(n.contents)) or ("",))[0] == TEMPLATE), None)

    def set_version(self, version: str) -> bool:
        index = self._version_index()
        if index is not None:
            if str(self.nodes[index]) == self.version:
                return False
            self.nodes[index] = mwparserfromhell.parse(self.version).nodes[0]
            return True
        self.nodes[0:0] = [*mwparserfromhell.parse(self.version).nodes, Text("\n")]
        return True
