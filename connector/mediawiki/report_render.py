"""Results pages as wikitext (issue 7): a page_templates.report document -- headings,
paragraphs, lists, tables of figures, links to pages -- written with the escaping every
member value gets (``escape_text``): names, profiles and titles shown in a results table
cannot open a template, a link, a table cell or a category. Output is stable.

Kept apart from the codec's render/parse modules: results pages hold no rows, and
cop-sync never reads them.
"""

from __future__ import annotations

from collections.abc import Sequence

from page_templates.report import Block, Bullets, Cell, Heading, Link, Paragraph, Table

from .escape import escape_text
from .titles import ILLEGAL_TITLE

GENERATED = ("<!-- cop-connector: results page, generated from the records; "
             "edits made here are reported, not kept -->")


def render_document(blocks: Sequence[Block]) -> str:
    """A whole results page: the generated-page comment, then the blocks."""
    return "\n\n".join([GENERATED, *(_block(block) for block in blocks)]) + "\n"


def _block(block: Block) -> str:
    if isinstance(block, Heading):
        return f"== {_line(block.text)} =="
    if isinstance(block, Paragraph):
        return escape_text(block.text)
    if isinstance(block, Bullets):
        return "\n".join(f"* {_line(item)}" for item in block.items)
    return render_table(block)


def render_table(table: Table) -> str:
    """A ``wikitable``: the header row (left out when every header is empty), then one
    cell per line; whole numbers aligned right."""
    lines = ['{| class="wikitable"']
    if any(table.headers):
        lines.append("\n".join(f"! {_line(header)}" for header in table.headers))
    for row in table.rows:
        lines.append("|-")
        lines.extend(_cell(cell) for cell in row)
    lines.append("|}")
    return "\n".join(lines)


def _cell(cell: Cell) -> str:
    if isinstance(cell, Link):
        return f"| {link(cell)}"
    if cell.isdigit():
        return f'| style="text-align:right" | {cell}'
    return f"| {_line(cell)}"


def link(target: Link) -> str:
    """``[[Space:Title|label]]``; the label alone when no page can have that title."""
    title = " ".join(f"{target.space}:{target.title}".replace("_", " ").split())
    if not target.title.strip() or ILLEGAL_TITLE & set(title):
        return _line(target.label)
    return f"[[{title}|{_line(target.label)}]]"


def _line(text: str) -> str:
    """Escaped text on one line (a line break would end a cell, a heading, an item)."""
    return escape_text(" ".join(text.split()))
