"""Results pages as Confluence storage format (issue 7): a page_templates.report document
-- headings, paragraphs, lists, tables of figures, links to pages -- with every text
escaped by ``xml_escape`` (no markup, macro or CDATA can come from a name or a title).
Output is stable. Kept apart from the codec's render/parse modules: results pages hold
no rows, and cop-sync never reads them.
"""

from __future__ import annotations

from collections.abc import Sequence

from page_templates.report import Block, Bullets, Cell, Heading, Link, Paragraph, Table

from .xml_escape import escape_attribute, escape_lines, escape_text


def render_document(blocks: Sequence[Block]) -> str:
    """A whole results page."""
    return "".join(_block(block) for block in blocks)


def _block(block: Block) -> str:
    if isinstance(block, Heading):
        return f"<h2>{escape_text(block.text)}</h2>"
    if isinstance(block, Paragraph):
        return f"<p>{escape_lines(block.text)}</p>"
    if isinstance(block, Bullets):
        return "<ul>" + "".join(f"<li>{escape_text(item)}</li>" for item in block.items) + "</ul>"
    return render_table(block)


def render_table(table: Table) -> str:
    """A table: the header row (left out when every header is empty), then the rows."""
    rows = []
    if any(table.headers):
        rows.append("<tr>" + "".join(f"<th>{escape_text(h)}</th>" for h in table.headers)
                    + "</tr>")
    rows += ["<tr>" + "".join(f"<td>{_cell(cell)}</td>" for cell in row) + "</tr>"
             for row in table.rows]
    return "<table><tbody>" + "".join(rows) + "</tbody></table>"


def _cell(cell: Cell) -> str:
    return link(cell) if isinstance(cell, Link) else escape_text(cell)


def link(target: Link) -> str:
    """A link to a page by space key and title, showing ``label``."""
    return (f'<ac:link><ri:page ri:space-key="{escape_attribute(target.space)}" '
            f'ri:content-title="{escape_attribute(target.title)}"/>'
            f"<ac:link-body>{escape_text(target.label)}</ac:link-body></ac:link>")
