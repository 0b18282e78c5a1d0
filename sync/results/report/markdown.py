"""The Markdown report: a short digest per community (for members, ready to be mailed by
the operator's own tooling) and, for several communities, the portfolio table first.

Every text is escaped for Markdown (CommonMark backslash escapes): member text such as a
watch item's title ``<script>`` or ``[x](javascript:...)`` shows as typed once the mail
tool turns Markdown into HTML.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from page_templates.report import (
    Block,
    Bullets,
    Cell,
    Heading,
    Link,
    Paragraph,
    Table,
    report_text,
)
from sync.results.health.model import CommunityHealth, counted_text
from sync.results.report.document import (
    actions_block,
    activity_table,
    alerts_block,
    contributors_table,
    freshness_table,
    portfolio_document,
)
from sync.results.report.funnel_blocks import funnel_table, ideas_blocks

NEW_ROWS_SHOWN = 8  # per kind
_SPECIAL = re.compile(r"([\\`*_\[\]<>|~&])")
_LINE_START = re.compile(r"^([-=>+#]|\d+[.)])")


def md_escape(text: str) -> str:
    """``text`` as inert Markdown on one line (line breaks become spaces)."""
    flat = " ".join(str(text).split())
    return _LINE_START.sub(r"\\\1", _SPECIAL.sub(r"\\\1", flat))


def render_markdown(blocks: Iterable[Block]) -> str:
    """Blocks as Markdown, a blank line between them."""
    return "\n\n".join(_block(block) for block in blocks) + "\n"


def _block(block: Block) -> str:
    if isinstance(block, Heading):
        return f"## {md_escape(block.text)}"
    if isinstance(block, Paragraph):
        return md_escape(block.text)
    if isinstance(block, Bullets):
        return "\n".join(f"- {md_escape(item)}" for item in block.items)
    return _table(block)


def _table(table: Table) -> str:
    def row(cells: Sequence[Cell]) -> str:
        return "| " + " | ".join(_cell(c) for c in cells) + " |"
    numeric = [all(_is_number(r[i]) for r in table.rows) and bool(table.rows)
               for i in range(len(table.headers))]
    rule = "|" + "|".join("---:" if n else "---" for n in numeric) + "|"
    return "\n".join([row(table.headers), rule, *(row(r) for r in table.rows)])


def _cell(cell: Cell) -> str:
    return md_escape(cell.label if isinstance(cell, Link) else cell) or " "


def _is_number(cell: Cell) -> bool:
    return isinstance(cell, str) and cell.isdigit()


def digest(health: CommunityHealth) -> str:
    """One community's digest: the numbers, what to act on, what is new, the details."""
    lang = health.lang
    title = report_text("digest_title", lang, name=health.name, since=health.since,
                        until=health.until)
    numbers = report_text("digest_numbers", lang, **{
        name: counted_text(f"n_{name}", lang, count) for name, count in (
            ("members", health.members), ("active", health.active), ("edits", health.edits),
            ("added", health.added), ("updated", health.updated))})
    blocks: list[Block] = [Paragraph(numbers), alerts_block(health)]
    news = _new_rows(health)
    if news.items:
        blocks += [Heading(report_text("new_rows", lang)), news]
    for heading, block in (("section_activity", activity_table(health)),
                           ("section_contributors", contributors_table(health)),
                           ("section_freshness", freshness_table(health)),
                           ("section_actions", actions_block(health))):
        blocks += [Heading(report_text(heading, lang)), block]
    if health.funnel.tracked:
        blocks += [Heading(report_text("section_ideas", lang)), funnel_table(health),
                   *ideas_blocks(health)]
    return f"# {md_escape(title)}\n\n" + render_markdown(blocks)


def markdown_report(healths: Sequence[CommunityHealth], lang: str) -> str:
    """Digests of every community; with more than one, the portfolio table first."""
    parts = []
    if len(healths) > 1:
        title = report_text("report_title", lang)
        parts.append(f"# {md_escape(title)}\n\n"
                     + render_markdown(portfolio_document(healths, lang, {})))
    parts += [digest(h) for h in healths]
    return "\n".join(parts)


def _new_rows(health: CommunityHealth) -> Bullets:
    """Per page: the rows first seen in the period, a few by name."""
    titles = {a.kind: a.title for a in health.activity}
    items = []
    for kind, title in titles.items():
        labels = [r.label for r in health.new_rows if r.kind == kind and r.label]
        if not labels:
            continue
        shown = "; ".join(labels[:NEW_ROWS_SHOWN])
        if len(labels) > NEW_ROWS_SHOWN:
            shown += " " + report_text("more", health.lang, count=len(labels) - NEW_ROWS_SHOWN)
        items.append(f"{title}{report_text('colon_sep', health.lang)}{shown}")
    return Bullets(tuple(items))
