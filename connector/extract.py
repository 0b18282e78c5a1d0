"""What a community's page holds beyond its template: the pilot as a model for the others.

``codec.extract_page`` reads a page (format-specific) into ``PageFindings``: the fields
members added (row-template parameters the kind does not define on MediaWiki, table columns
on Confluence, with the values seen, to guess a type), the sections they added (a heading
and the prose under it, outside the template's regions) and the template's sections they
edited. Rows are never part of it. sync/provision/extract.py turns findings into a company
override directory.

Prose is kept as plain text (what the page shows): the template format holds plain text,
so formatting and links are not carried over.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from msgspec import Struct

from page_templates import PageKind, localize

Node = TypeVar("Node")  # a format's top-level block: a wikitext node, a storage-format tag


class FoundField(Struct, frozen=True):
    """A field members added: ``name`` as the rows write it (a parameter name) or made from
    the column header; ``label`` as shown; ``values`` the non-empty values seen."""

    name: str
    label: str
    values: tuple[str, ...] = ()


class FoundSection(Struct, frozen=True):
    """A section members added (``new``, with an id made from its title) or a template
    section they edited; ``after`` is the section it follows on the page (None: first).
    ``title`` is '' when unchanged (an edited section keeping its heading)."""

    id: str
    new: bool
    title: str
    paragraphs: tuple[str, ...] = ()
    bullets: tuple[str, ...] = ()
    after: str | None = None


class PageFindings(Struct, frozen=True):
    fields: tuple[FoundField, ...] = ()
    sections: tuple[FoundSection, ...] = ()


def identifier(text: str, taken: set[str], *, prefix: str = "field") -> str:
    """A lower-case identifier made from ``text`` (accents dropped), unique among
    ``taken`` (which it joins)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    base = re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")
    if not base or not base[0].isalpha():
        base = f"{prefix}_{base}".strip("_")
    name, number = base, 2
    while name in taken:
        name, number = f"{base}_{number}", number + 1
    taken.add(name)
    return name


def blocks_to_prose(blocks: list[tuple[str, list[str]]]) -> tuple[tuple[str, ...],
                                                                  tuple[str, ...]]:
    """("p", [text]) and ("ul", [items]) blocks as (paragraphs, bullets); empty texts go."""
    paragraphs = tuple(t for kind, texts in blocks if kind == "p" for t in texts if t)
    bullets = tuple(t for kind, texts in blocks if kind == "ul" for t in texts if t)
    return paragraphs, bullets


@dataclass
class SectionCollector(Generic[Node]):
    """The format-neutral part of reading a page's sections, in page order: each format
    walks its own blocks, skips the template's regions found intact (setting ``last``)
    and reports headings with the blocks under them (``close``); this class names and
    places them: a heading with a template section's title is that section, edited."""

    kind: PageKind
    lang: str
    intact: frozenset[str] = frozenset()  # the regions found as written (not edited)
    found: list[FoundSection] = field(default_factory=list)
    last: str | None = None  # the section the next one follows

    def __post_init__(self) -> None:
        self.taken = {s.id for s in self.kind.sections}
        self.titles = {localize(s.title, self.lang): s.id for s in self.kind.sections
                       if s.title}

    def prose(self, blocks: Sequence[Node]) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """Paragraphs and bullets of a run of blocks (format-specific)."""
        raise NotImplementedError

    def close(self, title: str | None, blocks: Sequence[Node]) -> None:
        """A heading members wrote (``title``) and the blocks under it; None: the blocks
        before the first heading (the page's lead)."""
        if not title:
            self._lead(blocks)
            return
        known = self.titles.get(title)
        if known is not None:  # a template section not found as written: edited
            paragraphs, bullets = self._own_prose(known, blocks)
            if paragraphs or bullets:
                self.found.append(FoundSection(known, False, "", paragraphs, bullets,
                                               self.last))
            self.last = known
            return
        paragraphs, bullets = self.prose(blocks)
        section_id = identifier(title, self.taken, prefix="section")
        self.found.append(FoundSection(section_id, True, title, paragraphs, bullets,
                                       self.last))
        self.last = section_id

    def _lead(self, blocks: Sequence[Node]) -> None:
        """The prose before the first heading is the first section's, edited, when that
        section has no heading of its own (an introduction) and is not on the page as
        written; otherwise it is the community's own notes, left out."""
        first = self.kind.sections[0] if self.kind.sections else None
        if self.last is not None or first is None or first.title or first.id in self.intact:
            return
        paragraphs, bullets = self._own_prose(first.id, blocks)
        if paragraphs or bullets:
            self.found.append(FoundSection(first.id, False, "", paragraphs, bullets, None))
            self.last = first.id

    def _own_prose(self, section_id: str, blocks: Sequence[Node]
                   ) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The prose of a template section, but none for the sections the connector
        generates (rows, help, page index) or fills (the rows proposed to review): their
        text is not the members'."""
        section = next((s for s in self.kind.sections if s.id == section_id), None)
        if section is None or section.rows or section.help or section.index or \
                section.to_review:
            return (), ()
        return self.prose(blocks)
