"""The comment markers earlier versions wrote on wikitext pages, read once and removed.

Pages provisioned before the records kept each region's merge base carry:

* ``<!-- cop:template <kind> <version> -->`` on the first line (the template version);
* ``<!-- cop:section <id> <hash> -->`` ... ``<!-- /cop:section <id> -->`` around each
  section's managed part, ``<hash>`` the short hash of the text between them as written;
* ``<!-- cop-connector: rows of <kind>, ... -->`` above the rows.

The visual editor shows each as a "!" chip members can select, delete or copy. They are
no longer written: ``strip_markers`` takes them off a page (only the comments themselves,
and the line of a comment that stood alone on it) and returns what they told: for each
region, the text it was written with (its merge base) -- the text between its markers when
their hash still matches, else the rendering among ``candidates`` with that hash, else
``UNKNOWN`` (written, edited since, text not known). Markers that lost their pair or stand
twice tell nothing but that the region was written.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from mwparserfromhell.nodes import Comment, Node

from ..regions import UNKNOWN, region_hash
from .wikitext_text import parse_wikitext

SECTION = "cop:section"
SECTION_END = "/cop:section"
TEMPLATE = "cop:template"
ROWS_PREFIX = "cop-connector: rows of "
_MARKER = re.compile(r"^\s*(?P<tag>/?cop:(?:section|template))\s+(?P<id>[a-z][a-z0-9_-]*)"
                     r"(?:\s+(?P<value>[0-9a-z.+-]+))?\s*$")


def canonical(text: str) -> str:
    """A region's text as earlier versions hashed it: no trailing white space on its lines,
    no blank lines around it."""
    return "\n".join(line.rstrip() for line in text.strip("\n").split("\n")).strip("\n")


def parse_marker(contents: str) -> tuple[str, str, str] | None:
    """(tag, id, value) of a marker comment's contents, else None."""
    match = _MARKER.match(contents)
    if match is None:
        return None
    return match.group("tag"), match.group("id"), match.group("value") or ""


def _is_marker(node: Node) -> bool:
    if not isinstance(node, Comment):
        return False
    contents = str(node.contents)
    return parse_marker(contents) is not None or contents.strip().startswith(ROWS_PREFIX)


def strip_markers(content: str, candidates: Mapping[str, Sequence[str]] | None = None
                  ) -> tuple[str, dict[str, str] | None]:
    """``content`` without cop-connector's marker comments (top level only: a comment a
    member put inside a template is theirs), and the merge base they give (None when the
    page has no section marker). ``candidates``: region id -> texts it may have been
    rendered as, to recover the base of a region edited since."""
    code = parse_wikitext(content)
    if code is None:
        return content, None
    base = _base(code.nodes, candidates or {})
    spans: list[tuple[int, int]] = []
    offset = 0
    for node in code.nodes:
        length = len(str(node))
        if _is_marker(node):
            spans.append((offset, offset + length))
        offset += length
    for start, end in reversed(spans):
        content = _cut(content, start, end)
    return content, base


def _cut(content: str, start: int, end: int) -> str:
    """``content`` without ``[start, end)``; when that stood alone on its line, without the
    line, and without the blank line it would leave doubled."""
    line_start = content.rfind("\n", 0, start) + 1
    line_end = content.find("\n", end)
    line_end = len(content) if line_end < 0 else line_end
    if content[line_start:start].strip() or content[end:line_end].strip():
        return content[:start] + content[end:]
    before, after = content[:line_start], content[line_end + 1:]
    blank_before = before in ("", "\n") or before.endswith("\n\n")
    if blank_before and (after.startswith("\n") or after == ""):
        if after.startswith("\n"):
            after = after[1:]
        elif before:
            before = before[:-1]
    return before + after


def _base(nodes: list[Node], candidates: Mapping[str, Sequence[str]]
          ) -> dict[str, str] | None:
    """Region id -> merge base, from the section markers among ``nodes``."""
    begins: dict[str, list[tuple[int, str]]] = {}
    ends: dict[str, list[int]] = {}
    for index, node in enumerate(nodes):
        marker = parse_marker(str(node.contents)) if isinstance(node, Comment) else None
        if marker is None or marker[0] == TEMPLATE:
            continue
        if marker[0] == SECTION:
            begins.setdefault(marker[1], []).append((index, marker[2]))
        else:
            ends.setdefault(marker[1], []).append(index)
    if not begins:
        return None
    base: dict[str, str] = {}
    for region_id in {*begins, *ends}:
        opened, closed = begins.get(region_id, []), ends.get(region_id, [])
        if len(opened) != 1 or len(closed) != 1 or closed[0] < opened[0][0]:
            base[region_id] = UNKNOWN  # damaged: written once, nothing more is known
            continue
        (begin, digest), end = opened[0], closed[0]
        text = canonical("".join(str(n) for n in nodes[begin + 1:end]))
        if region_hash(text) == digest:
            base[region_id] = text
            continue
        base[region_id] = next((c for c in candidates.get(region_id, ())
                                if region_hash(canonical(c)) == digest), UNKNOWN)
    return base
