"""The notice on top of a wikitext page whose entries have problems (see sync/engine/notice.py
for what it says): one call of ``{{CoP notice}}``, a template cop-connector installs with the
row templates, which shows a warning box.

A template call, not raw markup: the visual editor shows it as one box (no "!" chip, no text
a member starts typing into), and the source editor as a few readable lines. It is found
again by its template name alone, anywhere at the top level of the page (a member may have
moved it); the page gets exactly one, on top, or none. Every text is escaped like member
text (``escape_text``): a problem quotes what a member typed, which must never turn into
markup, a template or a row. The call is never read as a row: rows are the calls of a
kind's row template only.
"""

from __future__ import annotations

from mwparserfromhell.nodes import Node, Template, Text

from page_templates import normalize_template_name

from ..base import PageNotice, PageRef
from .escape import escape_text
from .wikitext_text import parse_wikitext, template_name

NOTICE_TEMPLATE = "CoP notice"
TEMPLATE_NAMESPACE = "Template"


def render_notice(notice: PageNotice) -> str:
    """The template call showing ``notice`` ('' without items)."""
    if not notice.items:
        return ""
    items = "\n".join(f"* {escape_text(item)}" for item in notice.items)
    return (f"{{{{{NOTICE_TEMPLATE}\n|title={escape_text(notice.title)}\n|items=\n{items}\n"
            f"|footer={escape_text(notice.footer)}\n}}}}")


def place_notice(content: str, notice: PageNotice) -> str:
    """``content`` with ``notice`` on top and no other notice (see PageCodec)."""
    code = parse_wikitext(content)
    if code is None:
        return content
    wanted = render_notice(notice)
    found = [node for node in code.nodes if isinstance(node, Template) and
             normalize_template_name(template_name(node)) == NOTICE_TEMPLATE]
    if (not wanted and not found) or [str(node) for node in found] == [wanted]:
        return content
    for node in found:
        _remove_block(code.nodes, node)
    rest = str(code)
    if not wanted:
        return rest
    return f"{wanted}\n\n{rest.lstrip(chr(10))}"


def _remove_block(nodes: list[Node], node: Template) -> None:
    """Take ``node`` off; when it began a line, with the line breaks that followed it (up
    to a blank line), so that no empty line is left where it stood."""
    index = next(i for i, candidate in enumerate(nodes) if candidate is node)
    before = nodes[index - 1] if index > 0 else None
    after = nodes[index + 1] if index + 1 < len(nodes) else None
    starts_line = before is None or (isinstance(before, Text) and
                                     before.value.endswith("\n"))
    if starts_line and isinstance(after, Text) and after.value.startswith("\n"):
        after.value = after.value[2:] if after.value.startswith("\n\n") else after.value[1:]
    del nodes[index]


def notice_template() -> tuple[PageRef, str]:
    """``Template:CoP notice``: a warning box (the core message box classes, with the same
    colours inline for skins without them), its title in bold, the items as a list."""
    box = ("<div class=\"cop-notice mw-message-box mw-message-box-warning\" "
           "style=\"background-color:#fef6e7;border:1px solid #fc3;padding:0.5em 1em;"
           "margin-bottom:1em\">\n'''{{{title|}}}'''\n{{{items|}}}\n\n"
           "<small>{{{footer|}}}</small>\n</div>")
    doc = ("''Written by cop-connector on top of a community page whose entries cannot all "
           "be read; it goes away once they are fixed. / Écrit par cop-connector en haut "
           "d'une page de communauté dont des entrées ne peuvent pas être lues ; il disparaît "
           "une fois celles-ci corrigées.''")
    source = f"<includeonly>{box}</includeonly><noinclude>\n{doc}\n</noinclude>\n"
    return PageRef(TEMPLATE_NAMESPACE, NOTICE_TEMPLATE), source
