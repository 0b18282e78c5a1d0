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


def rows_table_number(soup: BeautifulSoup, kind: str | None = None) -> int:
    """The position among the page's tables of the one a member adds a row of ``kind`` to,
    found as they find it: by its column headers (the kind's labels, in any language),
    wherever it stands on the page. Without ``kind``, the page's own list: the table whose
    headers are those of a list kind with a page of its own, never those of a kind placed
    on another's page (the Watch page's Sources). Of two tables with the same columns (the
    Watch page's To review and its items), the one not under the to-review heading."""
    from page_templates import shipped  # noqa: PLC0415 - only the tests that add rows

    kinds = [k for k in shipped().row_kinds if not k.single and
             (k.kind == kind if kind else not k.host)]
    labels = [{label for f in k.fields for label in f.label.values()} for k in kinds]
    review = {title for k in shipped().kinds for s in k.sections if s.to_review
              for title in s.title.values()}

    def score(table: Tag) -> tuple[int, bool]:
        header = table.find("tr")
        texts = {" ".join(cell.get_text(" ").split())
                 for cell in header.find_all(["th", "td"])} if header else set()
        heading = table.find_previous(re.compile(r"^h[1-6]$"))
        under_review = heading is not None and heading.get_text(strip=True) in review
        return max((len(texts & wanted) for wanted in labels), default=0), not under_review

    scores = [score(table) for table in soup.find_all("table")]
    assert scores and max(scores)[0] > 0, f"no table of {kind or 'the page list'}"
    return scores.index(max(scores))


def add_table_row(body: str, cells: list[str], kind: str | None = None) -> str:
    """``body`` with a row of ``cells`` (storage XHTML each, in a paragraph, as the editor
    saves them) after the last row of the table of ``kind`` (see ``rows_table_number``); the rest
    of the page byte for byte (the page's tables are not nested)."""
    number = rows_table_number(_soup(body), kind)
    ends = [match.start() for match in re.finditer(r"</table>", body)]
    at = body.rindex("</tbody>", 0, ends[number])
    row = "<tr>" + "".join(f"<td><p>{cell}</p></td>" for cell in cells) + "</tr>"
    return body[:at] + row + body[at:]
