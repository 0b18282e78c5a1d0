"""Results as data: the texts of reports and results pages (FR/EN), the profiles' aliases,
the published pages' templates (report.toml), and the neutral document those pages are
built as before a wiki codec renders them (connector/*/report_render.py).

Nothing here knows a wiki format: a ``Document`` is headings, paragraphs, lists and tables
of plain text (and links to pages), which each codec escapes and writes in its own markup.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import tomli  # the compiled tomllib: see pyproject.toml
from msgspec import Struct

from .model import localize
from .profiles import ProfileVocabulary, shipped_profiles

REPORT_FILE = Path(__file__).parent / "report.toml"
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
BLOCK_TYPES = ("heading", "paragraph", "table", "alerts")


# --- the document ---------------------------------------------------------------------------

class Link(Struct, frozen=True):
    """A link to a page (``space`` and ``title`` as in connector.base.PageRef)."""

    space: str
    title: str
    label: str


Cell = str | Link


class Heading(Struct, frozen=True):
    text: str


class Paragraph(Struct, frozen=True):
    text: str


class Bullets(Struct, frozen=True):
    items: tuple[str, ...]


class Table(Struct, frozen=True):
    """A header row, then rows of cells (plain text or links)."""

    headers: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]


Block = Heading | Paragraph | Bullets | Table


# --- the data -------------------------------------------------------------------------------

class TemplateBlock(Struct, frozen=True):
    """One block of a published page's template: its type, its text per language (heading,
    paragraph) or the id of the figure table it shows."""

    type: str
    text: Mapping[str, str]
    table: str = ""


class PageTemplate(Struct, frozen=True):
    name: str
    title: Mapping[str, str]
    blocks: tuple[TemplateBlock, ...]


@cache
def _data() -> Mapping[str, Any]:
    with REPORT_FILE.open("rb") as handle:
        return tomli.load(handle)


def report_text(key: str, lang: str, **values: object) -> str:
    """The text ``key`` ("texts" or "alerts.<key>") in ``lang``, placeholders filled
    (only ``{name}`` tokens given in ``values``). Raises KeyError for an unknown key."""
    section, _, name = key.rpartition(".")
    texts = _data()[section or "texts"][name]
    text = localize(texts, lang)
    return _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]) if m.group(1) in values
                            else m.group(), text)


def fill(text: str, **values: object) -> str:
    """A template text with its ``{placeholders}`` filled (others left as they are)."""
    return _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]) if m.group(1) in values
                            else m.group(), text)


def profile_aliases() -> Mapping[str, tuple[str, ...]]:
    """Profile name -> the names that count as it ("sales": "ventes", "commercial"...),
    from the shipped vocabulary (profiles.toml)."""
    return {p.name: (*p.labels.values(), *p.aliases) for p in shipped_profiles().profiles}


def profile_display(profile: str, lang: str, vocabulary: ProfileVocabulary | None = None
                    ) -> str:
    """A known profile's label in ``lang`` ("sales" -> "ventes"); others as they are."""
    return (vocabulary or shipped_profiles()).label(profile, lang)


@cache
def page_template(name: str) -> PageTemplate:
    """The template of a published page ("results" or "portfolio"). Raises KeyError."""
    raw = _data()["pages"][name]
    blocks = []
    for block in raw["blocks"]:
        if block["type"] not in BLOCK_TYPES:
            raise ValueError(f"report.toml: page {name}: unknown block type {block['type']!r}")
        text = {lang: block[lang] for lang in ("en", "fr") if lang in block}
        blocks.append(TemplateBlock(block["type"], text, block.get("table", "")))
    return PageTemplate(name, dict(raw["title"]), tuple(blocks))
