"""The comments that mark cop-connector's parts of a wikitext page.

* ``<!-- cop:template <kind> <version> -->`` on the first line: the template version the
  page was made from (or last upgraded to), see page_templates.versions;
* ``<!-- cop:section <id> <hash> -->`` ... ``<!-- /cop:section <id> -->`` around each
  section's managed part (heading, prose, help), each on its own line; ``<hash>`` is the
  short hash of the text between them as written (see connector.regions), so a hand edit
  shows.

MediaWiki drops a comment that stands alone on its line together with its line break, so
the markers change nothing on the rendered page; the source and visual editors keep them.
"""

from __future__ import annotations

import re

from page_templates import PageKind, template_version

from ..regions import region_hash

SECTION = "cop:section"
SECTION_END = "/cop:section"
TEMPLATE = "cop:template"
_MARKER = re.compile(r"^\s*(?P<tag>/?cop:(?:section|template))\s+(?P<id>[a-z][a-z0-9_-]*)"
                     r"(?:\s+(?P<value>[0-9a-z.+-]+))?\s*$")


def version_marker(kind: PageKind) -> str:
    return f"<!-- {TEMPLATE} {kind.kind} {template_version(kind)} -->"


def canonical(text: str) -> str:
    """A region's text as hashed and compared: no trailing white space on its lines, no
    blank lines around it (what editors and MediaWiki may change without meaning it)."""
    return "\n".join(line.rstrip() for line in text.strip("\n").split("\n")).strip("\n")


def region(section_id: str, text: str) -> str:
    """``text`` between the markers of section ``section_id``."""
    digest = region_hash(canonical(text))
    return (f"<!-- {SECTION} {section_id} {digest} -->\n{text}\n"
            f"<!-- {SECTION_END} {section_id} -->")


def parse_marker(contents: str) -> tuple[str, str, str] | None:
    """(tag, id, value) of a marker comment's contents, else None."""
    match = _MARKER.match(contents)
    if match is None:
        return None
    return match.group("tag"), match.group("id"), match.group("value") or ""
