"""What Confluence's editor does to a page on save, as far as cop-connector's markers care:
comments dropped, ids added to blocks, macro attributes reordered and an id added, line
breaks between paragraphs. The fake Confluence stores what it is sent; tests pass a page
through this to check that markers and regions survive a real save."""

from __future__ import annotations

from bs4 import Comment

from connector.confluence.xml_escape import parse_storage, serialize


def editor_save(body: str) -> str:
    soup = parse_storage(body)
    assert soup is not None
    for comment in soup.find_all(string=lambda text: isinstance(text, Comment)):
        comment.extract()
    for number, tag in enumerate(soup.find_all(["p", "h2", "table", "ul", "li"])):
        tag.attrs = {"local-id": f"id-{number}", **tag.attrs}
    for macro in soup.find_all("ac:structured-macro"):
        macro.attrs = {"ac:macro-id": "m", **dict(reversed(list(macro.attrs.items())))}
    return serialize(soup).replace("</p><p", "</p>\n<p")
