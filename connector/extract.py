"""What a community's page holds beyond its template: the pilot as a model for the others.

``codec.extract_page`` reads a page (format-specific) into ``PageFindings``: the fields
members added (row-template parameters the kind does not define on MediaWiki, table columns
on Confluence, with the values seen, to guess a type), the sections they added (a heading
and the prose under it, outside the template's regions) and the template's sections they
edited. Rows are never part of it. sync/template_extract.py turns findings into a company
override directory.

Prose is kept as plain text (what the page shows): the template format holds plain text,
so formatting and links are not carried over.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class FoundField:
    """A field members added: ``name`` as the rows write it (a parameter name) or made from
    the column header; ``label`` as shown; ``values`` the non-empty values seen."""

    name: str
    label: str
    values: tuple[str, ...] = ()


@dataclass(frozen=True)
class FoundSection:
    """A section members added (``new``, with an id made from its title) or a template
    section they edited; ``after`` is the section it follows on the page (None: first).
    ``title`` is '' when unchanged (an edited section keeping its heading)."""

    id: str
    new: bool
    title: str
    paragraphs: tuple[str, ...] = ()
    bullets: tuple[str, ...] = ()
    after: str | None = None


@dataclass(frozen=True)
class PageFindings:
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
