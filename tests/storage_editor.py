"""What Confluence's editors do to a page on save, for tests that need a page saved by a
member (the fake Confluence stores what it is sent). The forms, and where each comes from,
are those of the corpus (tests/fixtures/confluence_corpus/README.md).

* ``editor_save``: what matters around cop-connector's markers: comments dropped, ids added
  to blocks, macro attributes reordered and an id added, list items' text in paragraphs
  (Cloud), line breaks between paragraphs; table cells left as they are;
* ``cloud_save``: all of Cloud's rewriting: the above, plus tables with layout attributes,
  an id and column widths, every cell's text in a paragraph (``<p />`` when empty);
* ``dc_save``: Data Center's: macro ids, ``relative-table wrapped`` tables with column
  widths, a cursor paragraph before each table, entities for non-breaking spaces.
"""

from __future__ import annotations

import re

from bs4 import BeautifulSoup, Comment, Tag

from connector.confluence.xml_escape import parse_storage, serialize


def _soup(body: str) -> BeautifulSoup:
    soup = parse_storage(body)
    assert soup is not None
    for comment in soup.find_all(string=lambda text: isinstance(text, Comment)):
        comment.extract()
    return soup


def _wrap(soup: BeautifulSoup, element: Tag) -> None:
    """``element``'s content moved into a new paragraph (Cloud's list items and cells)."""
    if element.find(["p", "ul", "ol", "table"], recursive=False) is not None:
        return
    paragraph = soup.new_tag("p")
    for node in list(element.contents):
        paragraph.append(node.extract())
    element.append(paragraph)


def editor_save(body: str) -> str:
    soup = _soup(body)
    for item in soup.find_all("li"):
        _wrap(soup, item)
    for number, tag in enumerate(soup.find_all(["p", "h2", "table", "ul", "li"])):
        tag.attrs = {"local-id": f"id-{number}", **tag.attrs}
    for macro in soup.find_all("ac:structured-macro"):
        macro.attrs = {"ac:macro-id": "m", **dict(reversed(list(macro.attrs.items())))}
    return serialize(soup).replace("</p><p", "</p>\n<p")


def cloud_save(body: str) -> str:
    soup = _soup(body)
    for cell in soup.find_all(["li", "td", "th"]):
        _wrap(soup, cell)
    for number, table in enumerate(soup.find_all("table")):
        columns = max((len(row.find_all(["th", "td"], recursive=False))
                       for row in table.find_all("tr")), default=0)
        table.attrs = {"data-table-width": "760", "data-layout": "default",
                       "ac:local-id": f"t-{number}"}
        group = soup.new_tag("colgroup")
        for _ in range(columns):
            group.append(soup.new_tag("col", attrs={"style": "width: 120.0px;"}))
        table.insert(0, group)
    for number, tag in enumerate(soup.find_all(["p", "h1", "h2", "h3", "ul", "ol", "li"])):
        tag.attrs = {"local-id": f"{number:012x}", **tag.attrs}
    for number, macro in enumerate(soup.find_all("ac:structured-macro")):
        macro.attrs = {**macro.attrs, "data-layout": "default", "ac:local-id": f"l-{number}",
                       "ac:macro-id": f"m-{number}"}
    return re.sub(r"(<p [^>]*)></p>", r"\1 />", serialize(soup)).replace("</p><", "</p>\n<")


def dc_save(body: str) -> str:
    soup = _soup(body)
    for number, macro in enumerate(soup.find_all("ac:structured-macro")):
        macro.attrs = {**macro.attrs, "ac:macro-id": f"dc-{number}"}
    for table in soup.find_all("table"):
        table.attrs = {"class": "relative-table wrapped", "style": "width: 90.0%;"}
        group = soup.new_tag("colgroup")
        group.append(soup.new_tag("col"))
        table.insert(0, group)
        cursor = soup.new_tag("p", attrs={"class": "auto-cursor-target"})
        cursor.append(soup.new_tag("br"))
        table.insert_before(cursor)
    return serialize(soup).replace("\xa0", "&nbsp;")
